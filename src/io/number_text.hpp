#pragma once
// The text of numbers and fields in results: shared by every writer of CSV and JSON results, the
// renderers and the batch rows alike.

#include <string>
#include <string_view>

namespace evident::detail {

// The shortest text that reads back as the same double; "" for NaN (an empty CSV cell).
std::string exact(double x);
// Appends the shortest text that reads back as the same finite double, character for character
// what std::to_chars(first, last, x) writes, several times faster (for batch results, where
// writing numbers is a large part of the work).
void append_shortest(std::string& out, double x);
// RFC 4180 quoting for a CSV text field (only when it holds a comma, quote or line break).
std::string quote(std::string_view s);

}  // namespace evident::detail
