// Measures from 2x2 tables (events and non-events in two groups): OR, RR, RD, PETO (metafor's
// escalc).

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "effect/multiarm.hpp"
#include "effect/rows.hpp"

namespace evident::detail {

namespace {

struct Table2x2 {
  std::size_t row;
  double a, b, c, d;  // events / non-events, group 1 then group 2
  std::string label;  // a combined multi-arm trial's id, else empty
  [[nodiscard]] bool has_zero() const { return a == 0 || b == 0 || c == 0 || d == 0; }
  // No events in either group, or only events: no odds or risk ratio (escalc's drop00).
  [[nodiscard]] bool double_zero() const { return (a == 0 && c == 0) || (b == 0 && d == 0); }
};

}  // namespace

void two_by_two(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"ai", "ci"});
  // Group sizes may be given as non-events (bi, di) or totals (n1i, n2i), as metafor accepts.
  const std::size_t col_b = rows.either("bi", "n1i");
  const std::size_t col_d = rows.either("di", "n2i");
  const bool b_is_total = table.column_names()[col_b] == "n1i";
  const bool d_is_total = table.column_names()[col_d] == "n2i";

  // First pass: read and check every row, so that shared control arms and `to = if0all` can see
  // all tables.
  std::vector<ArmPair> read;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    std::array<double, 2> ac{};
    bool complete = rows.read(r, ac);
    const auto b_or_n1 = rows.number(r, col_b);
    const auto d_or_n2 = rows.number(r, col_d);
    complete = complete && b_or_n1 && d_or_n2;
    if (complete) {
      const double a = ac[0], c = ac[1];
      const double b = b_is_total ? *b_or_n1 - a : *b_or_n1;
      const double d = d_is_total ? *d_or_n2 - c : *d_or_n2;
      const std::array<std::pair<double, std::size_t>, 4> counts{
          {{a, rows.column(0)}, {*b_or_n1, col_b}, {c, rows.column(1)}, {*d_or_n2, col_d}}};
      for (const auto& [value, column] : counts) {
        if (value < 0) rows.problem(r, column, "a count cannot be negative");
      }
      if (!rows.had_problem()) {
        if (b < 0) {
          rows.problem(
              r, rows.column(0),
              fmt::format("more events ({}) than participants ({})", show(a), show(*b_or_n1)));
        }
        if (d < 0) {
          rows.problem(
              r, rows.column(1),
              fmt::format("more events ({}) than participants ({})", show(c), show(*d_or_n2)));
        }
        if (a + b <= 0) rows.problem(r, col_b, "group 1 has no participants");
        if (c + d <= 0) rows.problem(r, col_d, "group 2 has no participants");
      }
      if (!rows.had_problem()) {
        read.push_back({r, {a, a + b, 0.0}, {c, c + d, 0.0}, {}});
        continue;
      }
    }
    // Rows are added to `out` in the second pass; here only exclusions are recorded.
    rows.finish_row(r, 0.0, 0.0, 0.0, out);
  }

  std::vector<Table2x2> tables;
  for (const ArmPair& p :
       resolve_shared_controls(std::move(read), ArmKind::counts, options, rows, out)) {
    tables.push_back({p.row, p.treat[0], p.treat[1] - p.treat[0], p.control[0],
                      p.control[1] - p.control[0], p.label});
  }

  const bool drop00 = options.drop00;
  bool any_zero = false;
  for (const auto& t : tables)
    any_zero = any_zero || (t.has_zero() && !(drop00 && t.double_zero()));
  const double add = options.add;

  for (const auto& t0 : tables) {
    rows.begin_row();
    Table2x2 t = t0;
    const double n_total = t.a + t.b + t.c + t.d;
    const std::array<double, 4> raw{t.a, t.b, t.c, t.d};
    // "file:line" of the table, for its diagnostics (most tables have none).
    const auto where = [&] { return fmt::format("{}:{}", table.source(), table.line(t.row)); };
    const char* kind_of_zero = t.a == 0 && t.c == 0   ? "no events in either group"
                               : t.b == 0 && t.d == 0 ? "only events in both groups"
                                                      : "a zero cell";
    if (drop00 && t.double_zero()) {
      // escalc's drop00: no effect size; the counts stay for the Mantel-Haenszel and Peto sums.
      if (rows.finish_row(t.row, std::nan(""), std::nan(""), n_total, out)) {
        if (!t.label.empty()) out.labels.back() = t.label;
        out.counts.push_back(raw);
        out.diagnostics.push_back(
            {DiagnosticCode::double_zero,
             fmt::format("{}: {}: no {} for this study (drop00); it is not in the test of "
                         "heterogeneity",
                         where(), kind_of_zero, measure_description(options.measure)),
             out.labels.back()});
      }
      continue;
    }
    const bool corrected = zero_cell_applies(options.to, t.has_zero(), any_zero) && add != 0.0;
    if (corrected) {
      t.a += add;
      t.b += add;
      t.c += add;
      t.d += add;
    }
    const double n1 = t.a + t.b, n2 = t.c + t.d;
    const double p1 = t.a / n1, p2 = t.c / n2;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::OR:
        // Woolf (1955): log odds ratio and the sum of reciprocal cell counts.
        yi = std::log(p1 / (1.0 - p1)) - std::log(p2 / (1.0 - p2));
        vi = 1.0 / t.a + 1.0 / t.b + 1.0 / t.c + 1.0 / t.d;
        break;
      case Measure::RR:
        // Log risk ratio and its delta-method variance (Katz et al. 1978, Biometrics 34:469).
        yi = std::log(p1) - std::log(p2);
        vi = 1.0 / t.a - 1.0 / n1 + 1.0 / t.c - 1.0 / n2;
        break;
      case Measure::RD:
        yi = p1 - p2;
        vi = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2;
        break;
      case Measure::PETO: {
        // Peto's one-step log odds ratio (Yusuf et al. 1985, Prog Cardiovasc Dis 27:335-371):
        // (O - E) / V with the hypergeometric mean E and variance V of the group-1 events.
        const double n = n1 + n2;
        const double events = t.a + t.c, non_events = t.b + t.d;
        const double e = events * n1 / n;
        const double v = events * non_events * (n1 / n) * (n2 / n) / (n - 1.0);
        yi = (t.a - e) / v;
        vi = 1.0 / v;
        break;
      }
      default:
        break;
    }
    if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
      rows.problem(t.row, rows.column(0),
                   fmt::format("the {} cannot be computed for this table (a zero cell with no "
                               "correction, or no variance: all or no events in both groups)",
                               measure_name(options.measure)));
    }
    if (!rows.finish_row(t.row, yi, vi, n_total, out)) continue;
    if (!t.label.empty()) out.labels.back() = t.label;
    out.counts.push_back(raw);
    if (corrected && options.to == ZeroCellRule::only0) {
      out.diagnostics.push_back({DiagnosticCode::zero_cell_corrected,
                                 fmt::format("{}: {}: {} added to each cell of this study", where(),
                                             kind_of_zero, show(add)),
                                 out.labels.back()});
    } else if (!corrected && t.double_zero()) {
      out.diagnostics.push_back({DiagnosticCode::double_zero,
                                 fmt::format("{}: {}: included as given", where(), kind_of_zero),
                                 out.labels.back()});
    }
  }
  if (!tables.empty() && add != 0.0 &&
      (options.to == ZeroCellRule::all || (options.to == ZeroCellRule::if0all && any_zero))) {
    out.diagnostics.push_back({DiagnosticCode::zero_cell_corrected,
                               fmt::format("{} added to each cell of every study", show(add)),
                               {}});
  }
  rows.finish(out);
}

}  // namespace evident::detail
