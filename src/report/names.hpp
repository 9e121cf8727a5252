#pragma once
// Names of the options an analysis was run with, and choices derived from a result, shared by
// the renderers of every format (internal to the report layer).

#include <string_view>

#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/sensitivity.hpp"

namespace evident::detail {

inline std::string_view tau2_name(SubgroupTau2 t) {
  return t == SubgroupTau2::common ? "common" : "separate";
}

inline std::string_view predictor_name(EggerPredictor p) {
  switch (p) {
    case EggerPredictor::sei:
      return "sei";
    case EggerPredictor::vi:
      return "vi";
    case EggerPredictor::ni:
      return "ni";
    case EggerPredictor::ninv:
      return "ninv";
  }
  return "?";
}

inline std::string_view side_name(FunnelSide s) {
  return s == FunnelSide::left ? "left" : "right";
}

inline std::string_view estimator_name(TrimFillEstimator e) {
  return e == TrimFillEstimator::L0 ? "L0" : "R0";
}

// The test of the model an influence analysis refitted.
inline Test model_test(const InfluenceAnalysis& a) {
  return a.overall ? a.overall->fit.test : a.metareg->fit.test;
}

// The regression PET-PEESE reports: PEESE when PET's test says there is an effect.
inline const RegressionEstimate& chosen(const PetPeese& p) {
  return p.use_peese ? p.peese : p.pet;
}

}  // namespace evident::detail
