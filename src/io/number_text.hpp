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

// Text from user files made safe for every output that must be valid UTF-8 and may not hold
// control characters (XML: SVG and HTML; the text of plots): each maximal ill-formed UTF-8
// subsequence (Unicode 15, section 3.9, D93b: overlong forms, surrogates, values beyond U+10FFFF,
// truncated sequences) and each control character becomes U+FFFD. Tab, line feed and carriage
// return are kept when `keep_whitespace`, else become spaces (one-line labels).
std::string clean_text(std::string_view s, bool keep_whitespace = true);

}  // namespace evident::detail
