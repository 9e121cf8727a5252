// Measures from two groups' means, SDs and sizes: MD, SMD, ROM (metafor's escalc, vtype "LS").
// A group that reports a median with quartiles and/or range instead of a mean and SD is converted
// first (metafor's conv.fivenum).

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include "effect/multiarm.hpp"
#include "effect/rows.hpp"
#include "evident/effect/convert.hpp"

namespace evident::detail {

namespace {

// Hedges' exact small-sample correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))
// (Hedges 1981, J Educ Stat 6:107-128, eq. 6e), through log-gamma to avoid overflow.
double hedges_correction(double m) {
  return std::exp(std::lgamma(m / 2.0) - 0.5 * std::log(m / 2.0) - std::lgamma((m - 1.0) / 2.0));
}

// The columns of one group: the usual mean and SD, and the five-number summary that may stand
// in for them.
struct GroupColumns {
  int group;  // 1 or 2
  std::optional<std::size_t> m, sd, n;
  std::optional<std::size_t> min, q1, median, q3, max;
  [[nodiscard]] bool has_summary() const { return min || q1 || median || q3 || max; }
};

GroupColumns group_columns(const StudyTable& t, int g) {
  auto col = [&](const char* fmt_name) {
    return t.find_column(fmt::format(fmt::runtime(fmt_name), g));
  };
  return {g,
          col("m{}i"),
          col("sd{}i"),
          col("n{}i"),
          col("min{}i"),
          col("q1_{}i"),
          col("median{}i"),
          col("q3_{}i"),
          col("max{}i")};
}

std::string_view case_name(FiveNumberCase c) {
  switch (c) {
    case FiveNumberCase::range:
      return "median and range";
    case FiveNumberCase::quartiles:
      return "median and quartiles";
    case FiveNumberCase::both:
      return "median, quartiles and range";
  }
  return "";
}

struct Group {
  double m = 0.0, sd = 0.0, n = 0.0;
  std::size_t m_column = 0, sd_column = 0;  // where a problem with the value is reported
};

// Reads one group of row `r`: its mean and SD, or their estimates from a five-number summary.
// Returns nullopt (with the missing columns noted) when they cannot be had.
std::optional<Group> read_group(RowReader& rows, std::size_t r, const GroupColumns& c,
                                std::vector<std::string>& notes, EffectData& out) {
  const StudyTable& table = rows.table();
  const auto n = rows.number(r, *c.n);
  auto m = rows.peek(r, c.m);
  auto sd = rows.peek(r, c.sd);
  Group g;
  g.m_column = c.m.value_or(c.median.value_or(*c.n));
  g.sd_column = c.sd.value_or(c.q1.value_or(c.min.value_or(*c.n)));
  if ((!m || !sd) && c.has_summary() && n) {
    FiveNumberSummary s;
    s.n = *n;
    const std::array<std::pair<std::optional<std::size_t>, double*>, 5> parts{
        {{c.min, &s.min}, {c.q1, &s.q1}, {c.median, &s.median}, {c.q3, &s.q3}, {c.max, &s.max}}};
    double last = -std::numeric_limits<double>::infinity();
    std::optional<std::size_t> last_column;
    bool ordered = true;
    for (const auto& [column, value] : parts) {
      if (auto v = rows.peek(r, column)) {
        *value = *v;
        if (*v < last && ordered) {
          ordered = false;
          rows.problem(
              r, *column,
              fmt::format("group {}: the five-number summary must be ordered (min <= "
                          "q1 <= median <= q3 <= max), but {} < {} (column '{}')",
                          c.group, show(*v), show(last), table.column_names()[*last_column]));
        }
        last = *v;
        last_column = column;
      }
    }
    const auto e = ordered ? estimate_mean_sd(s) : std::nullopt;
    if (e && e->skewed) {
      out.diagnostics.push_back(
          {DiagnosticCode::not_converted,
           fmt::format("{}:{}: group {}'s {} suggest a skewed distribution (test of Shi et al. "
                       "2023: {} >= critical value {}), so no mean and SD are estimated from them",
                       table.source(), table.line(r), c.group, case_name(e->source),
                       show(e->skew_stat), show(e->skew_crit)),
           rows.label(r)});
    } else if (e) {
      std::vector<std::string> what;
      if (!m && std::isfinite(e->mean)) {
        m = e->mean;
        g.m_column = *c.median;
        what.push_back(fmt::format("mean {} ({})", show(e->mean), e->mean_method));
      }
      if (!sd) {
        sd = e->sd;
        what.push_back(fmt::format("SD {} ({})", show(e->sd), e->sd_method));
      }
      if (!what.empty()) {
        notes.push_back(fmt::format("group {}: {} estimated from the {} (n = {})", c.group,
                                    fmt::join(what, ", "), case_name(e->source), show(*n)));
      }
    } else if (ordered && s.n < 5) {
      out.diagnostics.push_back(
          {DiagnosticCode::not_converted,
           fmt::format("{}:{}: group {}: a mean and SD are estimated from a five-number summary "
                       "only when n >= 5 (here {})",
                       table.source(), table.line(r), c.group, show(*n)),
           rows.label(r)});
    }
  }
  if (!m) rows.note_missing(c.group == 1 ? "m1i" : "m2i");
  if (!sd) rows.note_missing(c.group == 1 ? "sd1i" : "sd2i");
  if (!m || !sd || !n) return std::nullopt;
  g.m = *m;
  g.sd = *sd;
  g.n = *n;
  return g;
}

}  // namespace

void two_group_means(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  const GroupColumns g1 = group_columns(table, 1), g2 = group_columns(table, 2);
  const bool complete_columns = g1.m && g1.sd && g2.m && g2.sd;
  if (!(g1.n && g2.n) || (!complete_columns && !(g1.has_summary() || g2.has_summary())) ||
      (!(g1.m && g1.sd) && !g1.has_summary()) || (!(g2.m && g2.sd) && !g2.has_summary())) {
    // Names every missing column (with a likely typo) and throws.
    RowReader all(table, options.measure, {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"});
  }
  RowReader rows(table, options.measure, {"n1i", "n2i"});

  std::vector<ArmPair> read;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    std::vector<std::string> notes;
    const auto a = read_group(rows, r, g1, notes, out);
    const auto b = read_group(rows, r, g2, notes, out);
    if (a && b) {
      for (const Group* g : {&*a, &*b}) {
        if (g->sd < 0) rows.problem(r, g->sd_column, "a standard deviation cannot be negative");
        if (g->n < 2) {
          rows.problem(r, g == &*a ? *g1.n : *g2.n,
                       "a group needs at least 2 participants for its standard deviation to exist");
        }
        if (options.measure == Measure::ROM && !(g->m > 0)) {
          rows.problem(r, g->m_column,
                       "the ratio of means (ROM) needs positive means; use MD or SMD instead");
        }
      }
      if (!rows.had_problem()) {
        for (const auto& note : notes) {
          out.diagnostics.push_back({DiagnosticCode::converted_fivenum,
                                     fmt::format("{}:{}: {}", table.source(), table.line(r), note),
                                     rows.label(r)});
        }
        read.push_back({r, {a->m, a->sd, a->n}, {b->m, b->sd, b->n}, {}});
        continue;
      }
    }
    rows.finish_row(r, 0.0, 0.0, 0.0, out);  // records why the row is left out
  }

  for (const ArmPair& p :
       resolve_shared_controls(std::move(read), ArmKind::means, options, rows, out)) {
    rows.begin_row();
    const auto [m1, sd1, n1] = p.treat;
    const auto [m2, sd2, n2] = p.control;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::MD:
        yi = m1 - m2;
        vi = sd1 * sd1 / n1 + sd2 * sd2 / n2;
        break;
      case Measure::SMD: {
        // Hedges' g: the difference over the pooled SD, times the exact correction; large-sample
        // variance 1/n1 + 1/n2 + g^2 / (2 (n1 + n2)) (Hedges & Olkin 1985, eq. 5.15 with g).
        const double m = n1 + n2 - 2.0;
        const double sp = std::sqrt(((n1 - 1.0) * sd1 * sd1 + (n2 - 1.0) * sd2 * sd2) / m);
        if (!(sp > 0)) {
          rows.problem(p.row, g1.sd.value_or(*g1.n),
                       "both standard deviations are 0, so the standardised difference is "
                       "undefined");
          break;
        }
        yi = hedges_correction(m) * (m1 - m2) / sp;
        vi = 1.0 / n1 + 1.0 / n2 + yi * yi / (2.0 * (n1 + n2));
        break;
      }
      case Measure::ROM:
        // Hedges, Gurevitch & Curtis (1999), Ecology 80:1150-1156, eqs. 5 and 9.
        yi = std::log(m1 / m2);
        vi = sd1 * sd1 / (n1 * m1 * m1) + sd2 * sd2 / (n2 * m2 * m2);
        break;
      default:
        break;
    }
    if (!rows.had_problem() && !(vi > 0)) {
      rows.problem(p.row, g1.sd.value_or(*g1.n),
                   "both standard deviations are 0, so the sampling variance is 0");
    }
    if (rows.finish_row(p.row, yi, vi, n1 + n2, out) && !p.label.empty()) {
      out.labels.back() = p.label;
    }
  }
  rows.finish(out);
}

}  // namespace evident::detail
