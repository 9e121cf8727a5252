#include "evident/effect/measure.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace evident {

namespace {

struct MeasureInfo {
  Measure measure;
  std::string_view code;
  InputShape shape;
  std::string_view description;
};

constexpr std::array kMeasures{
    MeasureInfo{Measure::GEN, "GEN", InputShape::generic,
                "effect sizes given as yi with vi or sei"},
    MeasureInfo{Measure::MD, "MD", InputShape::two_group_means, "raw mean difference"},
    MeasureInfo{Measure::SMD, "SMD", InputShape::two_group_means,
                "standardised mean difference (Hedges' g)"},
    MeasureInfo{Measure::ROM, "ROM", InputShape::two_group_means, "log ratio of means"},
    MeasureInfo{Measure::OR, "OR", InputShape::two_by_two, "log odds ratio"},
    MeasureInfo{Measure::RR, "RR", InputShape::two_by_two, "log risk ratio"},
    MeasureInfo{Measure::RD, "RD", InputShape::two_by_two, "risk difference"},
    MeasureInfo{Measure::PETO, "PETO", InputShape::two_by_two, "log odds ratio (Peto's method)"},
    MeasureInfo{Measure::PR, "PR", InputShape::proportion, "raw proportion"},
    MeasureInfo{Measure::PLO, "PLO", InputShape::proportion, "logit-transformed proportion"},
    MeasureInfo{Measure::PAS, "PAS", InputShape::proportion,
                "arcsine square-root transformed proportion"},
    MeasureInfo{Measure::PFT, "PFT", InputShape::proportion,
                "Freeman-Tukey double arcsine transformed proportion"},
    MeasureInfo{Measure::COR, "COR", InputShape::correlation, "raw correlation coefficient"},
    MeasureInfo{Measure::ZCOR, "ZCOR", InputShape::correlation,
                "Fisher's r-to-z transformed correlation"},
    MeasureInfo{Measure::IRR, "IRR", InputShape::incidence_two, "log incidence rate ratio"},
    MeasureInfo{Measure::IRD, "IRD", InputShape::incidence_two, "incidence rate difference"},
    MeasureInfo{Measure::IRSD, "IRSD", InputShape::incidence_two,
                "square root transformed incidence rate difference"},
    MeasureInfo{Measure::IR, "IR", InputShape::incidence, "raw incidence rate"},
    MeasureInfo{Measure::IRLN, "IRLN", InputShape::incidence, "log incidence rate"},
    MeasureInfo{Measure::IRS, "IRS", InputShape::incidence,
                "square root transformed incidence rate"},
    MeasureInfo{Measure::IRFT, "IRFT", InputShape::incidence,
                "Freeman-Tukey transformed incidence rate"},
    MeasureInfo{Measure::MC, "MC", InputShape::paired, "raw mean change (paired design)"},
    MeasureInfo{Measure::SMCC, "SMCC", InputShape::paired,
                "standardised mean change, change-score standardisation"},
    MeasureInfo{Measure::SMCR, "SMCR", InputShape::paired,
                "standardised mean change, raw-score standardisation"},
};

constexpr std::array kAll = [] {
  std::array<Measure, kMeasures.size()> all{};
  for (std::size_t i = 0; i < kMeasures.size(); ++i)
    all[i] = kMeasures[i].measure;
  return all;
}();

const MeasureInfo& info(Measure m) {
  for (const auto& entry : kMeasures) {
    if (entry.measure == m) return entry;
  }
  return kMeasures[0];
}

}  // namespace

std::string_view measure_name(Measure m) noexcept {
  return info(m).code;
}
InputShape measure_shape(Measure m) noexcept {
  return info(m).shape;
}
std::string_view measure_description(Measure m) noexcept {
  return info(m).description;
}
std::span<const Measure> all_measures() noexcept {
  return kAll;
}

std::optional<Measure> parse_measure(std::string_view code) noexcept {
  for (const auto& entry : kMeasures) {
    if (std::equal(
            code.begin(), code.end(), entry.code.begin(), entry.code.end(),
            [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; })) {
      return entry.measure;
    }
  }
  return std::nullopt;
}

}  // namespace evident
