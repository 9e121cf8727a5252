#include "report/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace evident::detail {

std::string fixed(double x, int digits) {
  std::string s;
  append_fixed(s, x, digits);
  return s;
}

void append_fixed(std::string& out, double x, int digits) {
  if (std::isnan(x)) {
    out += "NA";
    return;
  }
  // The correctly rounded decimal digits (std::to_chars as fmt's "{:.{}f}" writes them), into a
  // buffer long enough for any finite double with up to 40 decimals.
  char text[400];
  const auto r = std::to_chars(text, text + sizeof text, x, std::chars_format::fixed, digits);
  if (r.ec != std::errc{}) {
    out += fmt::format("{:.{}f}", x, digits);  // infinities, or more decimals than the buffer
    return;
  }
  const char* begin = text;
  const char* end = r.ptr;
  // Avoid printing "-0.0000" for tiny negatives.
  if (*begin == '-' && std::all_of(begin + 1, end, [](char ch) { return ch == '0' || ch == '.'; }))
    ++begin;
  out.append(begin, end);
}

std::string pvalue(double p) {
  if (std::isnan(p)) return "NA";
  if (p < 1e-4) return "<.0001";
  return fixed(p, 4);
}

std::string xml_escape(std::string_view text) {
  // Valid UTF-8 without control characters first: XML admits neither (XML 1.0, section 2.2).
  const std::string s = clean_text(text);
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace evident::detail
