// Incidence rates (events over person-time): IRR, IRD, IRSD from two groups (x1i t1i x2i t2i);
// IR, IRLN, IRS, IRFT from one (xi ti) (metafor's escalc).

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "effect/multiarm.hpp"
#include "effect/rows.hpp"

namespace evident::detail {

namespace {

struct Rates {
  std::size_t row;
  double x1, t1, x2, t2;
  std::string label;
};

void check_rate(RowReader& rows, std::size_t r, double x, std::size_t col_x, double t,
                std::size_t col_t) {
  if (x < 0) rows.problem(r, col_x, "an event count cannot be negative");
  if (!(t > 0)) rows.problem(r, col_t, "person-time must be positive");
}

void note_correction(const StudyTable& table, std::size_t row, double add, EffectData& out) {
  out.diagnostics.push_back(
      {DiagnosticCode::zero_cell_corrected,
       fmt::format("{}:{}: zero events: {} added to the event counts of this study", table.source(),
                   table.line(row), show(add)),
       out.labels.back()});
}

void note_all_corrected(double add, EffectData& out) {
  out.diagnostics.push_back({DiagnosticCode::zero_cell_corrected,
                             fmt::format("{} added to the event counts of every study", show(add)),
                             {}});
}

}  // namespace

void incidence_two(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"x1i", "t1i", "x2i", "t2i"});
  std::vector<ArmPair> read;
  std::array<double, 4> v{};
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    if (rows.read(r, v)) {
      check_rate(rows, r, v[0], rows.column(0), v[1], rows.column(1));
      check_rate(rows, r, v[2], rows.column(2), v[3], rows.column(3));
      if (!rows.had_problem()) {
        read.push_back({r, {v[0], v[1], 0.0}, {v[2], v[3], 0.0}, {}});
        continue;
      }
    }
    rows.finish_row(r, 0.0, 0.0, 0.0, out);  // records why the row is left out
  }
  std::vector<Rates> studies;
  for (const ArmPair& p :
       resolve_shared_controls(std::move(read), ArmKind::rates, options, rows, out)) {
    studies.push_back({p.row, p.treat[0], p.treat[1], p.control[0], p.control[1], p.label});
  }

  auto double_zero = [](const Rates& s) { return s.x1 == 0 && s.x2 == 0; };
  auto has_zero = [](const Rates& s) { return s.x1 == 0 || s.x2 == 0; };
  bool any_zero = false;
  for (const auto& s : studies)
    any_zero = any_zero || (has_zero(s) && !(options.drop00 && double_zero(s)));
  const double add = options.add;
  for (const auto& s0 : studies) {
    rows.begin_row();
    Rates s = s0;
    const std::array<double, 4> raw{s.x1, s.t1, s.x2, s.t2};
    const double n = s.t1 + s.t2;
    if (options.drop00 && double_zero(s)) {
      if (rows.finish_row(s.row, std::nan(""), std::nan(""), n, out)) {
        if (!s.label.empty()) out.labels.back() = s.label;
        out.counts.push_back(raw);
        out.diagnostics.push_back(
            {DiagnosticCode::double_zero,
             fmt::format("{}:{}: no events in either group: no {} for this study (drop00); it "
                         "is not in the test of heterogeneity",
                         table.source(), table.line(s.row), measure_description(options.measure)),
             out.labels.back()});
      }
      continue;
    }
    const bool corrected = zero_cell_applies(options.to, has_zero(s), any_zero) && add != 0.0;
    if (corrected) {
      s.x1 += add;
      s.x2 += add;
    }
    const double ir1 = s.x1 / s.t1, ir2 = s.x2 / s.t2;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::IRR:
        // Log rate ratio, variance 1/x1 + 1/x2 (Poisson counts; Rothman et al. 2008, ch. 14).
        yi = std::log(ir1) - std::log(ir2);
        vi = 1.0 / s.x1 + 1.0 / s.x2;
        break;
      case Measure::IRD:
        yi = ir1 - ir2;
        vi = ir1 / s.t1 + ir2 / s.t2;
        break;
      case Measure::IRSD:
        // The square root stabilises a Poisson rate's variance at 1 / (4 t).
        yi = std::sqrt(ir1) - std::sqrt(ir2);
        vi = 1.0 / (4.0 * s.t1) + 1.0 / (4.0 * s.t2);
        break;
      default:
        break;
    }
    if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
      rows.problem(s.row, rows.column(0),
                   fmt::format("the {} cannot be computed: zero events with no correction (use "
                               "--add or another measure)",
                               measure_name(options.measure)));
    }
    if (!rows.finish_row(s.row, yi, vi, n, out)) continue;
    if (!s.label.empty()) out.labels.back() = s.label;
    out.counts.push_back(raw);
    if (corrected && options.to == ZeroCellRule::only0) note_correction(table, s.row, add, out);
  }
  if (!studies.empty() && add != 0.0 &&
      (options.to == ZeroCellRule::all || (options.to == ZeroCellRule::if0all && any_zero))) {
    note_all_corrected(add, out);
  }
  rows.finish(out);
}

void incidence(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"xi", "ti"});
  struct One {
    std::size_t row;
    double x, t;
  };
  std::vector<One> kept;
  std::array<double, 2> v{};
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    if (rows.read(r, v)) {
      check_rate(rows, r, v[0], rows.column(0), v[1], rows.column(1));
      if (!rows.had_problem()) {
        kept.push_back({r, v[0], v[1]});
        continue;
      }
    }
    rows.finish_row(r, 0.0, 0.0, 0.0, out);
  }
  bool any_zero = false;
  for (const auto& s : kept)
    any_zero = any_zero || s.x == 0;
  const double add = options.add;
  for (const auto& s : kept) {
    rows.begin_row();
    const bool corrected = zero_cell_applies(options.to, s.x == 0, any_zero) && add != 0.0;
    const double x = corrected ? s.x + add : s.x;
    const double ir = x / s.t;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::IR:
        yi = ir;
        vi = ir / s.t;
        break;
      case Measure::IRLN:
        yi = std::log(ir);
        vi = 1.0 / x;
        break;
      case Measure::IRS:
        yi = std::sqrt(ir);
        vi = 1.0 / (4.0 * s.t);
        break;
      case Measure::IRFT:
        // Freeman & Tukey (1950) for a Poisson rate: (sqrt(x / t) + sqrt((x + 1) / t)) / 2.
        yi = 0.5 * (std::sqrt(ir) + std::sqrt(ir + 1.0 / s.t));
        vi = 1.0 / (4.0 * s.t);
        break;
      default:
        break;
    }
    if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
      rows.problem(s.row, rows.column(0),
                   fmt::format("the {} cannot be computed: zero events with no correction (use "
                               "--add or another measure)",
                               measure_name(options.measure)));
    }
    if (rows.finish_row(s.row, yi, vi, s.t, out) && corrected &&
        options.to == ZeroCellRule::only0) {
      note_correction(table, s.row, add, out);
    }
  }
  if (!kept.empty() && add != 0.0 &&
      (options.to == ZeroCellRule::all || (options.to == ZeroCellRule::if0all && any_zero))) {
    note_all_corrected(add, out);
  }
  rows.finish(out);
}

}  // namespace evident::detail
