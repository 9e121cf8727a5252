#pragma once
// Number formatting shared by the renderers (the exact number text every writer of results uses,
// batch included, is io/number_text.hpp).

#include <string>
#include <string_view>

#include "io/number_text.hpp"

namespace evident::detail {

// Fixed-point with `digits` decimals; "NA" for NaN (as R prints it).
std::string fixed(double x, int digits);
// The same text appended to `out` (for long tables: no string per number).
void append_fixed(std::string& out, double x, int digits);
// A p-value as metafor prints it: "<.0001" below 1e-4, else 4 decimals.
std::string pvalue(double p);
// Text with & < > " escaped, for HTML and SVG (XML) content and attribute values.
std::string xml_escape(std::string_view s);

}  // namespace evident::detail
