// The terminal summary of a review: one screen, one line per outcome.

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <string_view>

#include "evident/report/review_report.hpp"
#include "report/changes_words.hpp"
#include "report/findings_text.hpp"

namespace evident {

namespace {

// The columns below fit a terminal 100 characters wide.
constexpr std::size_t kNameWidth = 29;

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s)
    n += (static_cast<unsigned char>(ch) & 0xC0u) != 0x80u;
  return n;
}

// Pads or shortens to `width` characters (UTF-8 code points, so accented names line up); a name
// too long is cut at a word and ends in an ellipsis.
std::string fit_to(const std::string& s, std::size_t width) {
  const std::size_t n = code_points(s);
  if (n <= width) return s + std::string(width - n, ' ');
  std::string cut = s;
  while (code_points(cut) > width - 1) {
    const auto space = cut.rfind(' ');
    if (space == std::string::npos || space < 4) {
      cut.pop_back();
      while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0u) == 0x80u)
        cut.pop_back();
      if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0u) == 0xC0u) cut.pop_back();
    } else {
      cut.erase(space);
    }
  }
  while (!cut.empty() && (cut.back() == ',' || cut.back() == ' ' || cut.back() == '('))
    cut.pop_back();
  cut += "\u2026";
  return cut + std::string(width - code_points(cut), ' ');
}

std::string per_1000(const AbsoluteEffect& a) {
  auto sgn = [](double v) {
    const long n = std::lround(v);
    return n > 0 ? fmt::format("+{}", n) : fmt::format("{}", n);
  };
  return fmt::format("{} ({}, {})", sgn(a.per_1000), sgn(a.per_1000_lb), sgn(a.per_1000_ub));
}

std::string wrap_line(const std::string& text, std::size_t width, const std::string& indent) {
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t space = text.find(' ', pos);
    if (space == std::string::npos) space = text.size();
    const std::string word = text.substr(pos, space - pos);
    pos = space + 1;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    line += (line.empty() || line == indent) ? word : " " + word;
  }
  return out + line + "\n";
}

}  // namespace

void render_review_summary(const Review& review, std::ostream& out,
                           const std::string& report_path) {
  const Manifest& m = review.manifest;
  out << wrap_line(m.title.empty() ? "Evidence review" : m.title, 98, "");
  out << "\n";
  if (review.changes) {
    // A living review: what changed comes first.
    out << wrap_line(detail::changes_heading(*review.changes), 98, "");
    for (const std::string& s : detail::change_sentences(review))
      out << wrap_line("- " + s, 98, "  ");
    out << "\n";
  }
  out << fmt::format("{} {:>3} {:>5}  {:<25} {:<16} {}\n", fit_to("Outcome", kNameWidth), "k", "N",
                     "Effect (95% CI)", "Per 1000", "Certainty*");
  std::string group;
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      group = o.spec.group;
      out << group << "\n";
    }
    const std::string name = fit_to("  " + o.spec.name, kNameWidth);
    if (o.status == OutcomeStatus::pooled) {
      const Findings& f = *o.findings;
      const Measure measure = o.spec.analysis.effect.measure;
      const double n = detail::participants(o);
      const std::string effect = fmt::format("{} {} ({} to {})", detail::effect_abbrev(measure),
                                             detail::readable(f.estimate),
                                             detail::readable(f.ci_lb), detail::readable(f.ci_ub));
      out << fmt::format("{} {:>3} {:>5}  {:<25} {:<16} {}\n", name, o.analysis->fit.k,
                         std::isfinite(n) ? fmt::format("{:.0f}", n) : "-", effect,
                         f.absolute ? per_1000(*f.absolute) : "-", detail::certainty_label(f));
    } else if (o.status == OutcomeStatus::described) {
      double events = 0, total = 0;
      bool counts = false;
      for (const auto& s : o.series) {
        if (std::isfinite(s.events)) {
          counts = true;
          events += s.events;
          total += s.total;
        } else if (std::isfinite(s.n)) {
          total += s.n;
        }
      }
      out << fmt::format("{} {:>3} {:>5}  {}\n", name, o.series.size(), fmt::format("{:g}", total),
                         counts ? fmt::format("{:g} with events; single-arm, not pooled", events)
                                : "before/after only; single-arm, not pooled");
    } else {
      out << fmt::format(
          "{} {:>3} {:>5}  {}\n", name, 0, "-",
          o.unusable.empty()
              ? "no data"
              : fmt::format("not estimable: {} matching {} lack{} means/counts", o.unusable.size(),
                            o.unusable.size() == 1 ? "row" : "rows",
                            o.unusable.size() == 1 ? "s" : ""));
    }
  }
  // "Is more evidence needed?": one line per pooled outcome with a trial sequential analysis.
  bool sequential_header = false;
  for (const auto& o : review.outcomes) {
    if (!o.sequential) continue;
    if (!sequential_header) {
      out << "\nIs more evidence needed? Participants randomised of those required (trial "
             "sequential analysis)\n";
      sequential_header = true;
    }
    const SequentialResult& r = *o.sequential;
    const double ris = std::ceil(r.information_size.adjusted);
    std::string verdict;
    switch (r.monitoring.conclusion) {
      case Conclusion::benefit:
        verdict = "benefit boundary crossed";
        break;
      case Conclusion::harm:
        verdict = "harm boundary crossed";
        break;
      case Conclusion::futility:
        verdict = "futility: this effect is unlikely";
        break;
      case Conclusion::information_size_reached:
        verdict = "reached, no firm effect";
        break;
      case Conclusion::not_yet:
        verdict = fmt::format("not yet, about {:.0f} more needed",
                              std::ceil(r.monitoring.participants_needed));
        break;
    }
    // A crossed boundary is firm evidence only as far as the certainty allows (GRADE).
    if ((r.monitoring.conclusion == Conclusion::benefit ||
         r.monitoring.conclusion == Conclusion::harm) &&
        o.findings && o.findings->certainty <= Certainty::low) {
      verdict += fmt::format(", certainty {}", detail::certainty_label(*o.findings));
    }
    out << fmt::format("{} {:>5.0f} of {:>5.0f} ({:>2.0f}%)  {}\n",
                       fit_to("  " + o.spec.name, kNameWidth), r.participants.back(), ris,
                       100.0 * r.monitoring.information_fraction.back(), verdict);
  }
  if (review.published) {
    const auto& p = *review.published;
    std::size_t shown = 0, flagged = 0;
    for (const auto& panel : p.panels)
      shown += panel.rows.size();
    for (const auto& r : p.rows)
      flagged += r.flags.empty() ? 0 : 1;
    out << "\n"
        << wrap_line(fmt::format("Published meta-analyses: {} results from {} papers, {} shown in "
                                 "{} panels side by side; not pooled (they share trials). {} "
                                 "flagged by evident's checks.",
                                 p.rows.size(), p.papers, shown, p.panels.size(), flagged),
                     98, "  ");
  }
  out << "\n* Suggested GRADE certainty, computed from the numbers; the review team decides.\n";
  if (!report_path.empty()) out << "Report: " << report_path << "\n";
}

}  // namespace evident
