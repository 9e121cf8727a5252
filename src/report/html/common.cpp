// Helpers shared by the sections of the HTML report.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/html/html.hpp"

namespace evident::detail::html {

std::string esc(std::string_view s) {
  return detail::xml_escape(s);
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(data[i]) << 16) |
                   (static_cast<unsigned char>(data[i + 1]) << 8) |
                   static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Only web addresses become links: a data file must not be able to put a script in the report.
std::string link(std::string_view url, std::string_view text) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
    return fmt::format("<a href=\"{}\">{}</a>", esc(url), esc(text.empty() ? url : text));
  }
  return esc(text.empty() ? url : text);
}

// A plot as an inline image: an SVG document in a data URI keeps each figure's glyph and clip
// ids separate from the other figures' (inlined <svg> elements would share one id space).
// The width of an SVG document in points, from its header.
double svg_width_pt(const std::string& svg) {
  const auto at = svg.find("width=\"");
  if (at == std::string::npos) return 0.0;
  return std::atof(svg.c_str() + at + 7);
}

std::string anchor(std::string_view id) {
  return "outcome-" + std::string(id);
}

std::string cert_span(const Findings& f) {
  std::string cls(certainty_name(f.certainty));
  std::replace(cls.begin(), cls.end(), ' ', '-');
  std::string text = detail::certainty_symbols(f.certainty);
  if (f.at_most) {
    text = text.substr(0, text.rfind(' ')) + " at most " + std::string(certainty_name(f.certainty));
  }
  return fmt::format("<span class=\"cert cert-{}\">{}</span>", cls, esc(text));
}

bool is_binary(Measure m) {
  return m == Measure::OR || m == Measure::RR || m == Measure::RD;
}

// The cautions that apply to an id.
std::vector<const Caution*> cautions_for(const Manifest& m, std::string_view id) {
  std::vector<const Caution*> out;
  for (const auto& c : m.cautions) {
    if (std::find(c.applies_to.begin(), c.applies_to.end(), id) != c.applies_to.end()) {
      out.push_back(&c);
    }
  }
  return out;
}

void write_cautions(std::ostream& out, const Manifest& m, std::string_view id) {
  for (const Caution* c : cautions_for(m, id))
    out << "<p class=\"flag\"><strong>Caution.</strong> " << esc(c->text) << "</p>\n";
}

std::string cell(const StudyTable& t, std::size_t row, std::string_view column) {
  const auto c = t.find_column(column);
  return c ? std::string(t.cell(row, *c)) : std::string();
}

// The data table of an outcome: per study the values used, and where each number came from.

}  // namespace evident::detail::html
