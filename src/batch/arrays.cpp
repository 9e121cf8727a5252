// Many analyses from arrays in memory: the fast path of `evident batch` (effect sizes pooled as
// given) without a file, with the same checks, fit, prediction and diagnostics per analysis.

#include "evident/batch/arrays.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "batch/columns.hpp"
#include "effect/rows.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/predict.hpp"
#include "methods/fit_notes.hpp"
#include "stats/parallel.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Analyses per unit of parallel work, as in the file batch.
constexpr std::size_t kBlock = 256;

// What is wrong with study i's values (positions in the whole arrays), if anything; a NaN in
// either is a missing value, not a problem.
std::optional<std::string> value_problem(double y, double v, std::size_t i) {
  auto at = [i](std::string_view message) {
    return fmt::format("yi[{}], vi[{}]: {}", i, i, message);
  };
  if (std::isinf(y)) return at("an effect size must be a finite number");
  if (std::isinf(v)) return at("a sampling variance must be a finite number");
  if (v < 0) return at(detail::kNegativeVarianceMessage);
  if (v == 0) return at(detail::kZeroVarianceMessage);
  if (std::isnan(y) || std::isnan(v)) return std::nullopt;
  if (auto message = detail::pooling_range_problem(y, v)) return at(*message);
  return std::nullopt;
}

}  // namespace

const ResultColumn* BatchArrays::column(std::string_view name) const noexcept {
  for (const ResultColumn& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

BatchArrays batch_arrays(std::span<const double> yi, std::span<const double> vi,
                         std::span<const std::size_t> offsets, const FitOptions& options,
                         unsigned threads) {
  ProblemList problems;
  const SourceLocation where{"<arrays>", 0, 0};
  if (yi.size() != vi.size()) {
    problems.add(where, fmt::format("yi has {} values and vi {}: they must have one per study",
                                    yi.size(), vi.size()));
  }
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != yi.size()) {
    problems.add(where, fmt::format("offsets must start at 0 and end at the number of studies "
                                    "({}): analysis j is studies offsets[j] to offsets[j + 1]",
                                    yi.size()));
  }
  for (std::size_t j = 1; j < offsets.size(); ++j) {
    if (offsets[j] < offsets[j - 1]) {
      problems.add(where, fmt::format("offsets[{}] = {} is below offsets[{}] = {}: offsets must "
                                      "not decrease",
                                      j, offsets[j], j - 1, offsets[j - 1]));
      break;
    }
  }
  if (works_on_counts(options.method)) {
    problems.add(where, fmt::format("method {} pools 2x2 tables, not effect sizes",
                                    method_name(options.method)));
  }
  if (options.method == Method::BAYES) {
    problems.add(where, "method BAYES is not available from arrays yet: use batch on a table");
  }
  if (auto problem = options.validate()) problems.add(where, *problem);
  problems.throw_if_any();

  const std::size_t n = offsets.size() - 1;
  BatchArrays out;
  out.analyses = n;
  const std::vector<const Field*> fields = detail::batch_fields(options.test);
  for (const Field* f : fields) {
    ResultColumn& c = out.columns.emplace_back();
    c.name = f->name;
    c.type = f->type;
    switch (f->type) {
      case FieldType::number:
        c.numbers.assign(n, kNaN);
        break;
      case FieldType::count:
        c.integers.assign(n, -1);
        break;
      case FieldType::text:
      case FieldType::interval:
        c.texts.assign(n, std::string_view());
        break;
    }
  }
  out.diagnostics.resize(n);
  out.errors.resize(n);

  const std::size_t n_blocks = (n + kBlock - 1) / kBlock;
  auto run = [&](std::size_t block) {
    std::vector<double> y, v;
    std::vector<Diagnostic> diagnostics;
    std::vector<std::string_view> codes;
    const std::size_t end = std::min(n, (block + 1) * kBlock);
    for (std::size_t j = block * kBlock; j < end; ++j) {
      y.clear();
      v.clear();
      std::size_t excluded = 0;
      std::string error;
      for (std::size_t i = offsets[j]; i < offsets[j + 1] && error.empty(); ++i) {
        if (auto problem = value_problem(yi[i], vi[i], i)) {
          error = std::move(*problem);
        } else if (std::isnan(yi[i]) || std::isnan(vi[i])) {
          ++excluded;
        } else {
          y.push_back(yi[i]);
          v.push_back(vi[i]);
        }
      }
      if (error.empty() && y.empty()) {
        error = detail::no_usable_study_message(offsets[j + 1] - offsets[j], Measure::GEN);
      }
      if (!error.empty()) {
        out.errors[j] = std::move(error);
        continue;
      }
      const Fit f = fit(y, v, options);
      const Prediction p = predict(f);
      PooledView view;
      view.fit = &f;
      view.prediction = &p;
      for (std::size_t c = 0; c < fields.size(); ++c) {
        ResultColumn& col = out.columns[c];
        switch (col.type) {
          case FieldType::number:
            col.numbers[j] = fields[c]->number(view);
            break;
          case FieldType::count:
            col.integers[j] = static_cast<std::int64_t>(fields[c]->count(view));
            break;
          case FieldType::text:
            col.texts[j] = fields[c]->text(view);
            break;
          case FieldType::interval:
            break;
        }
      }
      diagnostics.clear();
      if (excluded > 0) diagnostics.push_back({DiagnosticCode::row_excluded_missing, {}, {}});
      if (f.notes != kNoteNone) detail::add_fit_diagnostics(f, diagnostics);
      detail::add_non_finite_diagnostic(f, diagnostics);
      detail::unique_codes(diagnostics, codes);
      std::string& text = out.diagnostics[j];
      for (std::size_t c = 0; c < codes.size(); ++c) {
        if (c > 0) text += ';';
        text += codes[c];
      }
    }
  };
  detail::parallel_blocks(n_blocks, threads, run);
  return out;
}

}  // namespace evident
