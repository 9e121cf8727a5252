// Effect sizes given directly: yi with vi or sei (metafor's yi/vi or yi/sei arguments), or with a
// confidence interval, test statistic or p-value from which vi is worked out (metafor's
// conv.wald).

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "effect/rows.hpp"
#include "evident/effect/convert.hpp"

namespace evident::detail {

namespace {

// Without --measure the table must hold effect sizes; if it holds raw data instead, say which
// measures fit its columns.
void require_effect_columns(const StudyTable& table) {
  if (table.find_column("yi")) return;
  auto has = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names) {
      if (!table.find_column(n)) return false;
    }
    return true;
  };
  std::string hint;
  if (has({"n1i", "n2i"}) && (has({"m1i", "m2i"}) || has({"median1i", "median2i"}))) {
    hint = "; the columns are two groups' means: use --measure MD, SMD or ROM";
  } else if (has({"ai", "ci"}) && (has({"bi", "di"}) || has({"n1i", "n2i"}))) {
    hint = "; the columns are 2x2 tables: use --measure OR, RR or RD (or PETO)";
  } else if (has({"x1i", "t1i", "x2i", "t2i"})) {
    hint = "; the columns are two incidence rates: use --measure IRR, IRD or IRSD";
  } else if (has({"xi", "ti"})) {
    hint = "; the columns are incidence rates: use --measure IR, IRLN, IRS or IRFT";
  } else if (has({"xi"}) && (has({"ni"}) || has({"mi"}))) {
    hint = "; the columns are proportions: use --measure PR, PLO, PAS or PFT";
  } else if (has({"m1i", "m2i", "ni", "ri"})) {
    hint = "; the columns are a paired design: use --measure MC, SMCC or SMCR";
  } else if (has({"ri", "ni"})) {
    hint = "; the columns are correlations: use --measure COR or ZCOR";
  }
  throw InputError({table.source(), 1, 0},
                   "no --measure given, so effect sizes are expected in a column 'yi' (with 'vi' "
                   "or 'sei', or a confidence interval 'ci_lb' 'ci_ub', or 'pval')" +
                       hint);
}

std::optional<std::size_t> either_name(const StudyTable& t, std::string_view a,
                                       std::string_view b) {
  if (auto c = t.find_column(a)) return c;
  return t.find_column(b);
}

}  // namespace

void generic(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  require_effect_columns(table);
  RowReader rows(table, options.measure, {"yi"});
  const auto col_v = rows.optional_column("vi");
  const auto col_se = rows.optional_column("sei");
  // conv.wald's ci.lb / ci.ub, under R's or evident's spelling.
  const auto col_lb = either_name(table, "ci_lb", "ci.lb");
  const auto col_ub = either_name(table, "ci_ub", "ci.ub");
  const auto col_level = rows.optional_column("ci_level");
  const auto col_z = rows.optional_column("zval");
  const auto col_p = rows.optional_column("pval");
  if (col_lb.has_value() != col_ub.has_value()) {
    throw InputError({table.source(), 1, 0},
                     fmt::format("a confidence interval needs both columns 'ci_lb' and 'ci_ub'; "
                                 "only '{}' is present",
                                 col_lb ? "ci_lb" : "ci_ub"));
  }
  if (!col_v && !col_se && !col_lb && !col_z && !col_p) {
    throw InputError({table.source(), 1, 0},
                     "effect sizes 'yi' need their precision: a column 'vi' or 'sei', or a "
                     "confidence interval 'ci_lb' 'ci_ub', or 'zval' or 'pval'");
  }
  const bool log_scale = options.transf == EstimateTransform::log;
  out.transf = options.transf;

  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    auto yi = rows.number(r, rows.column(0));
    if (yi && log_scale) {
      if (*yi > 0) {
        *yi = std::log(*yi);
      } else {
        rows.problem(r, rows.column(0),
                     "with --transf log the estimate is a ratio and must be positive");
      }
    }
    const auto v = rows.peek(r, col_v);
    const auto se = rows.peek(r, col_se);
    auto lb = rows.peek(r, col_lb);
    auto ub = rows.peek(r, col_ub);
    auto z = rows.peek(r, col_z);
    const auto p = rows.peek(r, col_p);
    const auto level = rows.peek(r, col_level);
    std::optional<double> vi;
    std::string how;
    std::size_t col = 0;  // where a problem with vi is reported
    // As metafor: vi where given, else sei squared, else conv.wald: the CI, else z, else p.
    if (v) {
      vi = v;
      col = *col_v;
      if (*vi < 0) rows.problem(r, col, std::string(kNegativeVarianceMessage));
    } else if (se) {
      col = *col_se;
      if (*se < 0) rows.problem(r, col, "a standard error cannot be negative");
      vi = *se * *se;
    } else if (lb && ub) {
      col = *col_ub;
      const double lv = level.value_or(95.0);
      if (!(lv > 0 && lv < 100)) {
        rows.problem(r, *col_level, "a confidence level is a percentage between 0 and 100");
      }
      if (log_scale) {
        if (*lb > 0 && *ub > 0) {
          lb = std::log(*lb);
          ub = std::log(*ub);
        } else {
          rows.problem(r, *lb > 0 ? *col_ub : *col_lb,
                       "with --transf log the confidence bounds are ratios and must be positive");
        }
      }
      if (!rows.had_problem() && !(*ub > *lb)) {
        rows.problem(r, *col_ub, "the upper confidence bound must exceed the lower one");
      }
      if (!rows.had_problem()) {
        vi = variance_from_ci(*lb, *ub, lv);
        how = fmt::format("from its {}% confidence interval", show(lv));
        // conv.wald's check: a Wald interval is symmetric around the estimate (on the analysis
        // scale); more than 10% of its width off centre suggests another kind of interval.
        if (yi && std::fabs((*ub + *lb) / 2.0 - *yi) / (*ub - *lb) > 0.1) {
          out.diagnostics.push_back(
              {DiagnosticCode::ci_not_symmetric,
               fmt::format("{}:{}: the estimate is not halfway between its confidence bounds{}: "
                           "the interval may not be a Wald interval on this scale, or its values "
                           "are rounded",
                           table.source(), table.line(r), log_scale ? " (on the log scale)" : ""),
               rows.label(r)});
        }
      }
    } else if (z || p) {
      col = z ? *col_z : *col_p;
      if (!z) {
        if (!(*p > 0 && *p < 1)) {
          rows.problem(r, col, "a p-value used for the variance must lie strictly between 0 and 1");
        } else {
          z = z_from_p(*p);
        }
      }
      if (z && yi) {
        vi = variance_from_z(*yi, *z);
        how = z && !p ? "from its z value" : "from its two-sided p-value";
        if (!(*vi > 0) || !std::isfinite(*vi)) {
          rows.problem(r, col,
                       "no sampling variance follows from this test: the estimate or the "
                       "statistic is 0");
        }
      }
    } else {
      for (auto c : {col_v, col_se, col_lb, col_p}) {
        if (c) rows.note_missing(table.column_names()[*c]);
      }
    }
    if (vi && *vi == 0) {
      rows.problem(r, col, std::string(kZeroVarianceMessage));
    }
    if (rows.finish_row(r, yi.value_or(0.0), vi.value_or(0.0), std::nan(""), out) && !how.empty()) {
      out.diagnostics.push_back(
          {DiagnosticCode::converted_wald,
           fmt::format("{}:{}: sampling variance {} worked out {} (metafor's conv.wald)",
                       table.source(), table.line(r), show(out.vi.back()), how),
           out.labels.back()});
    }
  }
  rows.finish(out);
}

}  // namespace evident::detail
