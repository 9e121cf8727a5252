#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "effect/rows.hpp"
#include "evident/effect/effect.hpp"

namespace evident {

namespace detail {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The existing column a user probably meant (e.g. `sd1` for `sd1i`), if one is close. Columns
// the measure already uses are not candidates (`sd2i` is not a typo for `sd1i`).
std::optional<std::string> closest_column(const StudyTable& table, std::string_view wanted,
                                          std::initializer_list<std::string_view> required) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // suggest only within two edits
  for (const auto& name : table.column_names()) {
    if (std::find(required.begin(), required.end(), name) != required.end()) continue;
    const std::size_t d = edit_distance(name, wanted);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

}  // namespace

std::string show(double x) {
  return fmt::format("{:.10g}", x);
}

std::string not_a_number_message(std::string_view text, std::string_view column) {
  return fmt::format(
      "'{}' is not a number (column '{}'; a number such as 12 or 0.5, or empty / "
      "NA for a missing value)",
      text, column);
}

std::optional<std::string> pooling_range_problem(double yi, double vi) {
  // Beyond these bounds the fit's weighted sums (up to w^3 r^2 with w = 1 / vi) overflow or lose
  // all precision in double arithmetic. No real effect size needs them; a change of units
  // (e.g. grams for kilograms) brings any data back into range.
  constexpr double kMaxAbsEffect = 1e50, kMinVariance = 1e-50, kMaxVariance = 1e50;
  if ((std::isfinite(yi) && std::fabs(yi) > kMaxAbsEffect) ||
      (std::isfinite(vi) && (vi > kMaxVariance || vi < kMinVariance))) {
    return fmt::format(
        "the effect size {} with sampling variance {} is outside what evident can "
        "pool in double precision (|yi| <= 1e50, 1e-50 <= vi <= 1e50); express "
        "the data in other units",
        show(yi), show(vi));
  }
  return std::nullopt;
}

std::string no_usable_study_message(std::size_t rows, Measure measure) {
  return fmt::format("no usable study: each of the {} rows lacks a value that measure {} needs",
                     rows, measure_name(measure));
}

NoDataRows::NoDataRows(const std::string& source)
    : InputError({source, 0, 0}, "no data rows: the file has a header but no studies") {}

RowReader::RowReader(const StudyTable& table, Measure measure,
                     std::initializer_list<std::string_view> required)
    : table_(table), measure_(measure), study_column_(table.find_column("study")) {
  std::vector<std::string> missing;
  for (std::string_view name : required) {
    if (auto c = table.find_column(name)) {
      columns_.push_back(*c);
      continue;
    }
    std::string text = fmt::format("'{}'", name);
    if (auto near = closest_column(table, name, required)) {
      text += fmt::format(" (there is a column '{}': rename it to '{}'?)", *near, name);
    }
    missing.push_back(std::move(text));
  }
  if (!missing.empty()) {
    std::vector<std::string> all;
    for (std::string_view name : required)
      all.emplace_back(name);
    throw InputError(
        {table.source(), 1, 0},
        fmt::format("measure {} needs the columns {}; missing: {}", measure_name(measure),
                    fmt::join(all, ", "), fmt::join(missing, ", ")));
  }
}

std::size_t RowReader::either(std::string_view a, std::string_view b) const {
  if (auto c = table_.find_column(a)) return *c;
  if (auto c = table_.find_column(b)) return *c;
  throw InputError({table_.source(), 1, 0},
                   fmt::format("measure {} needs a column '{}' or '{}'; neither is present",
                               measure_name(measure_), a, b));
}

std::optional<double> RowReader::number(std::size_t row, std::size_t column) {
  const std::string_view text = table_.cell(row, column);
  const CellValue v = parse_number(text);
  switch (v.kind) {
    case CellKind::number:
      return v.value;
    case CellKind::missing:
      missing_.push_back(table_.column_names()[column]);
      return std::nullopt;
    case CellKind::not_number:
      problem(row, column, not_a_number_message(text, table_.column_names()[column]));
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> RowReader::peek_present(std::size_t row, std::size_t column) {
  const std::string_view text = table_.cell(row, column);
  const CellValue v = parse_number(text);
  if (v.kind == CellKind::number) return v.value;
  if (v.kind == CellKind::not_number) {
    problem(row, column, not_a_number_message(text, table_.column_names()[column]));
  }
  return std::nullopt;
}

bool RowReader::read(std::size_t row, std::span<double> out) {
  bool ok = true;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    auto value = number(row, columns_[i]);
    if (value) {
      out[i] = *value;
    } else {
      ok = false;
    }
  }
  return ok;
}

void RowReader::problem(std::size_t row, std::size_t column, std::string message) {
  row_problem_ = true;
  problems_.add(table_.where(row, column), std::move(message));
}

std::string RowReader::label(std::size_t row) const {
  if (study_column_) {
    const std::string_view text = table_.cell(row, *study_column_);
    if (!text.empty()) return std::string(text);
  }
  return fmt::format("{}", row + 1);
}

bool RowReader::finish_row(std::size_t row, double yi, double vi, double ni, EffectData& out) {
  const bool problem_here = row_problem_;
  row_problem_ = false;
  if (problem_here) return false;
  if (!missing_.empty()) {
    out.diagnostics.push_back({DiagnosticCode::row_excluded_missing,
                               fmt::format("{}:{}: row left out: no value for {}", table_.source(),
                                           table_.line(row), fmt::join(missing_, ", ")),
                               label(row)});
    return false;
  }
  if (auto message = pooling_range_problem(yi, vi)) {
    problems_.add(table_.where(row, columns_.front()), std::move(*message));
    return false;
  }
  out.yi.push_back(yi);
  out.vi.push_back(vi);
  out.ni.push_back(ni);
  out.labels.push_back(label(row));
  out.lines.push_back(table_.line(row));
  return true;
}

void RowReader::finish(const EffectData& out) {
  problems_.throw_if_any();
  if (out.k() == 0) {
    if (table_.rows() == 0) throw NoDataRows(table_.source());
    throw InputError({table_.source(), 0, 0}, no_usable_study_message(table_.rows(), measure_));
  }
}

bool zero_cell_applies(ZeroCellRule to, bool has_zero, bool any_zero) {
  switch (to) {
    case ZeroCellRule::only0:
      return has_zero;
    case ZeroCellRule::all:
      return true;
    case ZeroCellRule::if0all:
      return any_zero;
    case ZeroCellRule::none:
      return false;
  }
  return false;
}

}  // namespace detail

std::size_t EffectData::k_yi() const noexcept {
  std::size_t n = 0;
  for (double y : yi)
    n += std::isfinite(y) ? 1 : 0;
  return n;
}

void EffectData::append_study(const EffectData& from, std::size_t i) {
  assert(from.measure == measure || yi.empty());
  yi.push_back(from.yi[i]);
  vi.push_back(from.vi[i]);
  labels.push_back(from.labels[i]);
  lines.push_back(from.lines[i]);
  ni.push_back(from.ni[i]);
  if (!from.counts.empty()) counts.push_back(from.counts[i]);
}

double default_add(Measure m) noexcept {
  switch (m) {
    case Measure::PAS:
    case Measure::PFT:
    case Measure::IRSD:
    case Measure::IRS:
    case Measure::IRFT:
      return 0.0;
    default:
      return 0.5;
  }
}

std::string_view zero_cell_rule_name(ZeroCellRule r) noexcept {
  switch (r) {
    case ZeroCellRule::only0:
      return "only0";
    case ZeroCellRule::all:
      return "all";
    case ZeroCellRule::if0all:
      return "if0all";
    case ZeroCellRule::none:
      return "none";
  }
  return "?";
}

std::string_view multiarm_name(MultiArm m) noexcept {
  switch (m) {
    case MultiArm::automatic:
      return "auto";
    case MultiArm::combine:
      return "combine";
    case MultiArm::split:
      return "split";
  }
  return "?";
}

std::string_view estimate_transform_name(EstimateTransform t) noexcept {
  return t == EstimateTransform::log ? "log" : "none";
}

EffectData compute_effects(const StudyTable& table, const EffectOptions& options) {
  EffectData out;
  out.measure = options.measure;
  // One study per row at most: room for all of them up front, rather than copies as they grow.
  out.yi.reserve(table.rows());
  out.vi.reserve(table.rows());
  out.ni.reserve(table.rows());
  out.labels.reserve(table.rows());
  out.lines.reserve(table.rows());
  switch (measure_shape(options.measure)) {
    case InputShape::generic:
      detail::generic(table, options, out);
      break;
    case InputShape::two_group_means:
      detail::two_group_means(table, options, out);
      break;
    case InputShape::two_by_two:
      detail::two_by_two(table, options, out);
      break;
    case InputShape::proportion:
      detail::proportions(table, options, out);
      break;
    case InputShape::correlation:
      detail::correlations(table, options, out);
      break;
    case InputShape::incidence_two:
      detail::incidence_two(table, options, out);
      break;
    case InputShape::incidence:
      detail::incidence(table, options, out);
      break;
    case InputShape::paired:
      detail::paired(table, options, out);
      break;
  }
  return out;
}

EffectData compute_effects(const StudyColumns& columns, const EffectOptions& options) {
  return compute_effects(table_from_columns(columns), options);
}

std::span<const std::string_view> study_column_names() noexcept {
  static constexpr std::string_view kNames[] = {
      "study",    "trial", "yi",    "vi",    "sei",      "ci_lb",    "ci_ub", "ci.lb", "ci.ub",
      "ci_level", "pval",  "zval",  "ai",    "bi",       "ci",       "di",    "n1i",   "n2i",
      "m1i",      "m2i",   "sd1i",  "sd2i",  "median1i", "median2i", "q1_1i", "q3_1i", "q1_2i",
      "q3_2i",    "min1i", "max1i", "min2i", "max2i",    "xi",       "ni",    "mi",    "ti",
      "ri",       "x1i",   "t1i",   "x2i",   "t2i"};
  return kNames;
}

}  // namespace evident
