#include "report/findings_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <vector>

namespace evident::detail {

namespace {

std::string first_lower(std::string s) {
  // "Serious adverse events" -> "serious adverse events", but keep "VAS pain" and "WOMAC".
  if (s.size() >= 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
      std::islower(static_cast<unsigned char>(s[1]))) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

bool is_binary(Measure m) {
  return m == Measure::OR || m == Measure::RR || m == Measure::RD;
}

std::string count_text(double v, const char* one, const char* many) {
  const long n = std::lround(v);
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string more_fewer(double v) {
  const long n = std::lround(v);
  if (n == 0) return "0 more";
  return n > 0 ? fmt::format("{} more", n) : fmt::format("{} fewer", -n);
}

std::string signed_int(double v) {
  const long n = std::lround(v);
  return n > 0 ? fmt::format("+{}", n) : fmt::format("{}", n);
}

}  // namespace

std::string effect_abbrev(Measure m) {
  switch (m) {
    case Measure::GEN:
      return "Effect";
    case Measure::PR:
      return "Proportion";
    default:
      return std::string(measure_name(m));
  }
}

std::string readable(double v) {
  if (std::isnan(v)) return "NA";
  const double a = std::fabs(v);
  std::string s =
      (a != 0.0 && (a < 0.01 || a >= 1000)) ? fmt::format("{:.2g}", v) : fmt::format("{:.2f}", v);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string effect_text(const Findings& f, Measure m, double level) {
  return fmt::format("{} {} ({}% CI {} to {})", effect_abbrev(m), readable(f.estimate),
                     static_cast<int>(std::lround(level)), readable(f.ci_lb), readable(f.ci_ub));
}

std::string per_1000_text(const AbsoluteEffect& a) {
  return fmt::format("{} per 1000 ({} to {})", more_fewer(a.per_1000), more_fewer(a.per_1000_lb),
                     more_fewer(a.per_1000_ub));
}

std::string per_1000_short(const AbsoluteEffect& a) {
  return fmt::format("{} ({} to {})", signed_int(a.per_1000), signed_int(a.per_1000_lb),
                     signed_int(a.per_1000_ub));
}

std::string certainty_label(const Findings& f) {
  return (f.at_most ? "at most " : "") + std::string(certainty_name(f.certainty));
}

std::string certainty_symbols(Certainty c) {
  const int filled = static_cast<int>(c) + 1;
  std::string s;
  for (int i = 0; i < 4; ++i)
    s += i < filled ? "\u2295" : "\u25ef";
  return s + " " + std::string(certainty_name(c));
}

double participants(const OutcomeResult& o) {
  if (o.findings) return o.findings->participants;
  return std::nan("");
}

std::string size_text(const OutcomeResult& o) {
  if (!o.analysis) return {};
  std::string s = count_text(static_cast<double>(o.analysis->fit.k), "study", "studies");
  if (o.multilevel) {
    // Estimates nested in clusters: both counts, since k is not the number of studies.
    s = fmt::format("{} in {} levels of {}",
                    count_text(static_cast<double>(o.analysis->fit.k), "estimate", "estimates"),
                    o.multilevel->n_clusters, o.multilevel->outer);
  }
  const double n = participants(o);
  if (std::isfinite(n)) s += ", " + count_text(n, "participant", "participants");
  return s;
}

std::string plain_statement(const OutcomeResult& o) {
  if (!o.findings || !o.analysis) return {};
  const Findings& f = *o.findings;
  const Measure m = o.spec.analysis.effect.measure;
  const std::string who = o.spec.experimental;
  std::string what = first_lower(o.spec.name);
  if (is_binary(m)) what = "the risk of " + what;
  // Santesso et al. (2020), GRADE guidelines 26, table 2: the wording carries the certainty.
  std::string sentence;
  const Certainty c = f.statement_certainty;
  if (c == Certainty::very_low) {
    sentence =
        fmt::format("The evidence is very uncertain about the effect of {} on {}.", who, what);
  } else {
    const char* modal =
        c == Certainty::moderate ? "probably " : (c == Certainty::low ? "may " : "");
    const bool high = c == Certainty::high;
    switch (f.direction) {
      case EffectDirection::reduces:
        sentence = fmt::format("{} {}{} {}.", who, modal, high ? "reduces" : "reduce", what);
        break;
      case EffectDirection::increases:
        sentence = fmt::format("{} {}{} {}.", who, modal, high ? "increases" : "increase", what);
        break;
      case EffectDirection::little_or_no_difference:
        sentence = fmt::format("{} {}{} little or no difference to {}.", who, modal,
                               high ? "makes" : "make", what);
        break;
    }
  }
  sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
  sentence +=
      fmt::format(" ({}; {}; suggested certainty: {}.)", effect_text(f, m, o.analysis->fit.level),
                  size_text(o), certainty_label(f));
  if (f.absolute) {
    sentence += fmt::format(" Assuming {:.0f} per 1000 without it, that is {}.",
                            1000.0 * f.absolute->control_risk, per_1000_text(*f.absolute));
  }
  return sentence;
}

std::string panel_statement(const PublishedPanelResult& p) {
  std::vector<const PublishedRow*> rows;
  for (const auto& r : p.rows) {
    if (std::isfinite(r.estimate) && std::isfinite(r.ci_lb) && std::isfinite(r.ci_ub) &&
        r.flags.empty()) {
      rows.push_back(&r);
    }
  }
  if (rows.empty()) return "No result in this panel has an estimate with an interval.";
  const bool ratio = p.spec.log_scale;
  const double null_value = ratio ? 1.0 : 0.0;
  double lo = rows.front()->estimate, hi = lo;
  std::size_t include_null = 0, beyond_mcid = 0, ci_beyond_mcid = 0;
  for (const auto* r : rows) {
    lo = std::min(lo, r->estimate);
    hi = std::max(hi, r->estimate);
    if (r->ci_lb <= null_value && r->ci_ub >= null_value) ++include_null;
    if (p.spec.mcid) {
      const double m = *p.spec.mcid;
      const double low = ratio ? 1.0 / std::max(m, 1.0 / m) : -m;
      const double high = ratio ? std::max(m, 1.0 / m) : m;
      const bool benefit_low = p.spec.benefit == Benefit::lower;
      const double est = r->estimate;
      if (benefit_low ? est <= low : est >= high) ++beyond_mcid;
      if (benefit_low ? r->ci_ub <= low : r->ci_lb >= high) ++ci_beyond_mcid;
    }
  }
  std::string s =
      fmt::format("{} published {} range from {} to {}", rows.size(),
                  rows.size() == 1 ? "estimate" : "estimates", readable(lo), readable(hi));
  s += fmt::format("; intervals including no effect: {} of {}", include_null, rows.size());
  if (p.spec.mcid) {
    s += fmt::format(
        "; estimates reaching an important benefit (MCID {:g}): {} of {}; intervals "
        "entirely beyond it: {} of {}",
        *p.spec.mcid, beyond_mcid, rows.size(), ci_beyond_mcid, rows.size());
  }
  return s + ".";
}

std::string missing_text(const OutcomeResult& o) {
  if (o.unusable.empty()) {
    return "No row of the data matches this outcome's filters.";
  }
  std::string s =
      fmt::format("{} {} this outcome, but {} the values the analysis needs:", o.unusable.size(),
                  o.unusable.size() == 1 ? "row matches" : "rows match",
                  o.unusable.size() == 1 ? "it lacks" : "they lack");
  for (std::size_t i = 0; i < o.unusable.size(); ++i) {
    const auto& u = o.unusable[i];
    s += fmt::format("{} {} ({}:{}; no {}{})", i ? ";" : "", u.study, u.file, u.line,
                     fmt::join(u.missing, ", "), u.kind.empty() ? "" : "; reported as " + u.kind);
  }
  return s + ".";
}

std::string missing_short(const OutcomeResult& o) {
  if (o.unusable.empty()) return "no row of the data matches this outcome";
  std::vector<std::string> studies, kinds;
  for (const auto& u : o.unusable) {
    if (std::find(studies.begin(), studies.end(), u.study) == studies.end())
      studies.push_back(u.study);
    if (!u.kind.empty() && std::find(kinds.begin(), kinds.end(), u.kind) == kinds.end())
      kinds.push_back(u.kind);
  }
  std::string s = fmt::format("{} matching {} ({}) {} {}", o.unusable.size(),
                              o.unusable.size() == 1 ? "row" : "rows", fmt::join(studies, ", "),
                              o.unusable.size() == 1 ? "lacks" : "lack",
                              fmt::join(o.unusable.front().missing, ", "));
  if (!kinds.empty()) s += fmt::format("; reported as {}", fmt::join(kinds, "; "));
  return s;
}

}  // namespace evident::detail
