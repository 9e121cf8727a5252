#include "report/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace evident::detail {

std::string fixed(double x, int digits) {
  if (std::isnan(x)) return "NA";
  // Avoid printing "-0.0000" for tiny negatives.
  std::string s = fmt::format("{:.{}f}", x, digits);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string pvalue(double p) {
  if (std::isnan(p)) return "NA";
  if (p < 1e-4) return "<.0001";
  return fixed(p, 4);
}

std::string exact(double x) {
  if (std::isnan(x)) return "";
  return fmt::format("{}", x);
}

std::string quote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + '"';
}

std::string xml_escape(std::string_view s) {
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
