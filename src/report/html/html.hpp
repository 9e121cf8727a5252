#pragma once
// The HTML report's pieces (internal to the report layer): helpers shared by its sections, and
// the sections, one file each (report.cpp assembles them).

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "evident/report/plot.hpp"
#include "evident/report/review_report.hpp"
#include "report/findings_text.hpp"
#include "report/format.hpp"

namespace evident::detail::html {

using detail::readable;

// Text escaped for HTML (clean UTF-8, & < > " escaped).
std::string esc(std::string_view s);
std::string base64(std::string_view data);
// <a href="url">text</a>, or the text alone without a URL.
std::string link(std::string_view url, std::string_view text);
double svg_width_pt(const std::string& svg);
std::string anchor(std::string_view id);
std::string cert_span(const Findings& f);
bool is_binary(Measure m);
std::vector<const Caution*> cautions_for(const Manifest& m, std::string_view id);
void write_cautions(std::ostream& out, const Manifest& m, std::string_view id);
std::string cell(const StudyTable& t, std::size_t row, std::string_view column);

// The style sheet of the report (style.css beside this file, built into the program).
extern const char* const kStyle;

// The sections of the report, one file each.
void write_data_table(std::ostream& out, const OutcomeResult& o);  // outcome.cpp
void write_certainty(std::ostream& out, const Findings& f);
void write_series(std::ostream& out, const OutcomeResult& o);
void write_outcome(std::ostream& out, const Review& review, const OutcomeResult& o);
void write_sof(std::ostream& out, const Review& review);  // summary.cpp
void write_in_short(std::ostream& out, const Review& review);
void write_plain(std::ostream& out, const Review& review);
void write_published(std::ostream& out, const Review& review);  // published.cpp
void write_missing(std::ostream& out, const Review& review);
const std::map<std::string_view, std::string_view>& reference_texts();  // methods.cpp
std::string model_words(const OutcomeSpec& s, std::set<std::string_view>& cite);
void write_methods(std::ostream& out, const Review& review);

// A plot as an inline SVG image in a <figure> with its caption.
template <class Plot>
inline std::string figure(const Plot& plot, std::string_view alt, std::string_view caption,
                          double zoom = 1.5) {
  const std::string svg = render_plot(plot, PlotFormat::svg);
  // Plots are laid out for print (8 pt text); on screen they are shown larger (`zoom`), which
  // makes their text about as large as the report's, and never wider than the page.
  const double width_px = std::round(svg_width_pt(svg) * zoom * 4.0 / 3.0);
  return fmt::format(
      "<figure><img src=\"data:image/svg+xml;base64,{}\" alt=\"{}\" style=\"width: {}px\">"
      "<figcaption>{}</figcaption></figure>\n",
      base64(svg), esc(alt), width_px, caption);
}

}  // namespace evident::detail::html
