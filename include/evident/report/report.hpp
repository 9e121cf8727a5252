#pragma once
/// \file
/// Rendering results: every output format is a Renderer, and the formats evident knows are the
/// registered ones (renderers()). `text` is a metafor-style summary for people, `json` the
/// canonical result for programs (one object, keys in docs/cli.md), `csv` the same fields as
/// columns. Renderers only format: every number comes from the result.
///
/// Adding a format is one new file in src/report/ implementing Renderer, and one line in the
/// list of src/report/renderers.cpp; the command line's --format choices come from that list.
/// Renderers are stateless and may be used from several threads at once.

#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"

namespace evident {

/// One output format, for every kind of result an analysis produces.
class Renderer {
 public:
  Renderer() = default;
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;
  virtual ~Renderer() = default;

  /// The format's name, as `--format` takes it (`text`, `json`, `csv`).
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// A pooled analysis (`evident fit`).
  virtual void render(const Analysis& a, std::ostream& out) const = 0;
  /// Meta-regression: coefficients, QM and QE tests, R2, residual heterogeneity, predictions and
  /// the permutation test (CSV: one row per coefficient).
  virtual void render(const MetaRegAnalysis& a, std::ostream& out) const = 0;
  /// Subgroups: the overall result, one pooled result per subgroup and the test for subgroup
  /// differences (CSV: the overall row, then one row per subgroup).
  virtual void render(const SubgroupAnalysis& a, std::ostream& out) const = 0;
  /// `evident influence`: leave-one-out, influence diagnostics, cumulative results and Baujat
  /// coordinates (CSV: one row per study).
  virtual void render(const InfluenceAnalysis& a, std::ostream& out) const = 0;
  /// `evident bias`: Egger, Begg, trim-and-fill, fail-safe N, PET-PEESE and funnel plot data
  /// (CSV: one row of headline numbers).
  virtual void render(const BiasAnalysis& a, std::ostream& out) const = 0;
  /// `evident sequential`: the information size, the cumulative z and the monitoring
  /// boundaries per look, the conclusion and the TSA-adjusted interval (CSV: one row per look).
  virtual void render(const SequentialResult& a, std::ostream& out) const = 0;
  /// A multilevel model (`evident fit --random`): the variance components, the coefficients or
  /// the pooled estimate, QE, the fit statistics and the robust tests (CSV: one row per
  /// coefficient).
  virtual void render(const MultilevelAnalysis& a, std::ostream& out) const = 0;
};

/// Every registered format, `text` first (the default).
[[nodiscard]] std::span<const Renderer* const> renderers() noexcept;
/// The format of this name; nullptr if there is none.
[[nodiscard]] const Renderer* find_renderer(std::string_view name) noexcept;

/// The registered names as a list in words, as help texts show them: "text, json or csv".
[[nodiscard]] std::string renderer_names();

}  // namespace evident
