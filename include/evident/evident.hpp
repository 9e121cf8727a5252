#pragma once
/// \file
/// evident: evidence synthesis. Include this for the whole public API.

#include "evident/batch.hpp"
#include "evident/bias.hpp"
#include "evident/confint.hpp"
#include "evident/convert.hpp"
#include "evident/csv.hpp"
#include "evident/diagnostic.hpp"
#include "evident/effect.hpp"
#include "evident/error.hpp"
#include "evident/findings.hpp"
#include "evident/fit.hpp"
#include "evident/mantel_haenszel.hpp"
#include "evident/measure.hpp"
#include "evident/metareg.hpp"
#include "evident/moderator_analysis.hpp"
#include "evident/moderators.hpp"
#include "evident/permutation.hpp"
#include "evident/plot.hpp"
#include "evident/predict.hpp"
#include "evident/report.hpp"
#include "evident/review.hpp"
#include "evident/sensitivity.hpp"
#include "evident/simulate.hpp"
#include "evident/summary.hpp"
#include "evident/table.hpp"
#include "evident/transform.hpp"

namespace evident {
/// The library version, "major.minor.patch".
inline constexpr const char* kVersion = EVIDENT_VERSION;
}  // namespace evident
