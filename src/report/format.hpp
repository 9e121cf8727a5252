#pragma once
// Number formatting shared by the renderers.

#include <string>
#include <string_view>

namespace evident::detail {

// Fixed-point with `digits` decimals; "NA" for NaN (as R prints it).
std::string fixed(double x, int digits);
// The same text appended to `out` (for long tables: no string per number).
void append_fixed(std::string& out, double x, int digits);
// A p-value as metafor prints it: "<.0001" below 1e-4, else 4 decimals.
std::string pvalue(double p);
// The shortest text that reads back as the same double (for CSV).
std::string exact(double x);
// Appends the shortest text that reads back as the same finite double, character for character
// what std::to_chars(first, last, x) writes, several times faster (for batch results, where
// writing numbers is a large part of the work).
void append_shortest(std::string& out, double x);
// RFC 4180 quoting for a CSV text field (only when it holds a comma, quote or line break).
std::string quote(std::string_view s);
// Text with & < > " escaped, for HTML and SVG (XML) content and attribute values.
std::string xml_escape(std::string_view s);

}  // namespace evident::detail
