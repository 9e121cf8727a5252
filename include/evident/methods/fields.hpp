#pragma once
/// \file
/// The fields of a pooled result: each number and label an output shows for one analysis, defined
/// once with metafor's name. The JSON document of `evident fit`, its CSV row and the rows of
/// `evident batch` all take their values from these definitions; each output only chooses which
/// fields it lists and in what order (docs/cli.md), and how it writes a value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "evident/effect/measure.hpp"
#include "evident/methods/confint.hpp"
#include "evident/methods/predict.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/mantel_haenszel.hpp"

namespace evident {

/// One pooled result as the outputs read it. Only `fit` and `prediction` are required; what an
/// analysis did not compute is null (the fields then read NaN, or are absent from JSON).
struct PooledView {
  const Fit* fit = nullptr;
  const Prediction* prediction = nullptr;
  const HeterogeneityCI* heterogeneity_ci = nullptr;  ///< the Q-profile intervals
  const CmhTests* cmh = nullptr;                      ///< MH with OR: its tests
  std::string_view source;
  Measure measure = Measure::GEN;
  std::optional<std::size_t> k_yi;  ///< studies with an effect size, when it differs from k
  std::size_t diagnostics = 0;      ///< how many diagnostics the analysis has
};

enum class FieldType : std::uint8_t {
  number,    ///< a double; NaN when undefined
  count,     ///< a non-negative integer
  text,      ///< a label
  interval,  ///< a pair [lb, ub] of doubles (tabular outputs write NAME_lb and NAME_ub)
};

/// A field: its name (the JSON key and the CSV column), its type and how it is read from a
/// result. Exactly the reader of its type is set.
struct Field {
  std::string_view name;
  FieldType type = FieldType::number;
  double (*number)(const PooledView&) = nullptr;
  std::uint64_t (*count)(const PooledView&) = nullptr;
  std::string_view (*text)(const PooledView&) = nullptr;
  /// nullopt when the interval was not computed.
  std::optional<std::pair<double, double>> (*interval)(const PooledView&) = nullptr;
  /// JSON only: the key is written only when this returns true (null: always). Tabular outputs,
  /// whose columns must not depend on the row, write the field whatever this says.
  bool (*present)(const PooledView&) = nullptr;

  [[nodiscard]] bool present_in(const PooledView& v) const {
    return present == nullptr || present(v);
  }
};

/// Every field of a pooled result, in the order of docs/cli.md's JSON table.
[[nodiscard]] std::span<const Field> pooled_fields() noexcept;
/// The field with this name; asserts that it exists (the names are the program's own).
[[nodiscard]] const Field& pooled_field(std::string_view name) noexcept;

}  // namespace evident
