#pragma once
// The order studies were accrued in, by a column: shared by the cumulative meta-analysis of
// evident influence and the trial sequential analysis. Internal to the methods layer.

#include <cstddef>
#include <string>
#include <vector>

#include "evident/effect/effect.hpp"
#include "evident/io/table.hpp"

namespace evident::detail {

// Study indices ordered by a column: numerically when every value is a number, else in byte
// order; missing values last; ties keep input order (R's order(), which is stable). An empty
// column name gives input order. Throws InputError when the table has no such column.
std::vector<std::size_t> order_by(const StudyTable& table, const EffectData& data,
                                  const std::string& column);

}  // namespace evident::detail
