// The evidence report: one self-contained HTML file (inline CSS, plots as inline SVG images, no
// scripts, no external resources), laid out as a review's reader expects: the question, the
// summary of findings, a plain-language summary, each outcome with its plots and data, the
// published results side by side, what is missing, and the methods.

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

#include "evident/report/review_report.hpp"
#include "evident/version.hpp"
#include "io/output_file.hpp"
#include "report/changes_words.hpp"
#include "report/html/html.hpp"

namespace evident {

using namespace detail::html;  // NOLINT: the sections of this one report

void write_review_html(const Review& review, const std::string& path) {
  detail::OutputFile file(path);
  render_review_html(review, file.stream());
  file.commit();
}

void render_review_html(const Review& review, std::ostream& out) {
  const Manifest& m = review.manifest;
  const std::string title = m.title.empty() ? "Evidence report" : m.title;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"evident "
      << kVersion << "\">\n<title>" << esc(title) << "</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n<main>\n";
  out << "<header>\n<h1>" << esc(title) << "</h1>\n";
  out << fmt::format(
      "<p class=\"meta\">Evidence report written by evident {} from the review "
      "folder <code>{}</code>. Every number below is computed from the data files "
      "of that folder; run <code>evident review {}</code> to reproduce it.</p>\n",
      kVersion, esc(m.dir), esc(m.dir));
  out << "</header>\n";
  if (review.changes) {
    // A living review opens with what changed since the earlier run.
    out << "<section id=\"changes\">\n<h2>What changed</h2>\n<p>"
        << esc(detail::changes_heading(*review.changes)) << "</p>\n";
    const std::vector<std::string> sentences = detail::change_sentences(review);
    if (!sentences.empty()) {
      out << "<ul>\n";
      for (const std::string& s : sentences)
        out << "<li>" << esc(s) << "</li>\n";
      out << "</ul>\n";
    }
    out << "</section>\n";
  }

  out << "<nav><strong>Contents</strong><ol>\n";
  if (review.changes) out << "<li><a href=\"#changes\">What changed</a></li>\n";
  out << "<li><a href=\"#question\">The question</a></li>\n"
         "<li><a href=\"#sof\">Summary of findings</a></li>\n"
         "<li><a href=\"#plain\">Plain-language summary</a></li>\n";
  std::string group;
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      group = o.spec.group;
      out << fmt::format("<li><a href=\"#{}\">{}</a></li>\n", anchor(o.spec.id), esc(group));
    }
  }
  if (review.published) {
    out << "<li><a href=\"#published\">Published meta-analyses, side by side</a></li>\n";
  }
  out << "<li><a href=\"#missing\">What is missing</a></li>\n"
         "<li><a href=\"#methods\">Methods</a></li>\n</ol></nav>\n";

  out << "<section id=\"question\">\n<h2>The question</h2>\n<table class=\"pico\"><tbody>\n";
  out << "<tr><th>Population</th><td>" << esc(m.question.population) << "</td></tr>\n";
  out << "<tr><th>Intervention</th><td>" << esc(m.question.intervention) << "</td></tr>\n";
  out << "<tr><th>Comparator</th><td>" << esc(m.question.comparator) << "</td></tr>\n";
  out << "<tr><th>Outcomes</th><td>" << esc(fmt::format("{}", fmt::join(m.question.outcomes, "; ")))
      << "</td></tr>\n</tbody></table>\n</section>\n";

  write_sof(out, review);
  write_plain(out, review);
  group.clear();
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      group = o.spec.group;
      out << "<h2>" << esc(group) << "</h2>\n";
    }
    write_outcome(out, review, o);
  }
  if (review.published) write_published(out, review);
  write_missing(out, review);
  write_methods(out, review);
  out << "<footer><p class=\"meta\">evident " << kVersion
      << ": numbers as R's metafor computes them. Certainty ratings and plain-language statements "
         "are generated suggestions; the review team is responsible for the conclusions.</p>"
         "</footer>\n</main>\n</body>\n</html>\n";
}

}  // namespace evident
