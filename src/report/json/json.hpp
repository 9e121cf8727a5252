#pragma once
// The JSON renderer (internal to the report layer): the canonical result of every analysis,
// one object with metafor's names (docs/cli.md); the helpers its files share.

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <vector>

#include "evident/methods/bias.hpp"
#include "evident/methods/fields.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"

namespace evident::detail {

using Json = nlohmann::ordered_json;  // keys in the documented order

// NaN and infinities are not JSON numbers: an undefined value is null.
inline Json num(double x) {
  return std::isfinite(x) ? Json(x) : Json(nullptr);
}

inline Json interval(bool present, double lb, double ub) {
  if (!present) return nullptr;
  return Json::array({num(lb), num(ub)});
}

// Sets j[field.name] to the field's value for `v` (null when undefined), if the field applies.
void add_field(Json& j, const Field& field, const PooledView& v);

// The fields of an analysis, as PooledView reads them.
PooledView pooled_view(const Analysis& a);

// {scale, estimate, ci_lb, ci_ub[, pi_lb, pi_ub]} on the natural scale, or null.
Json back_transformed_json(const std::optional<BackTransformed>& b, bool with_pi = true);

// The object `evident fit --format json` prints for an Analysis (json/analysis.cpp). Without
// `with_studies` its "studies" array is left empty, for a writer that streams them.
Json analysis_json(const Analysis& a, bool with_studies = true);

// One element of the "studies" array: {study, line, yi, vi, weight, [fitted,] ci_lb, ci_ub}, with
// "fitted" for a meta-regression.
Json study_json(const StudyResult& s, const double* fitted = nullptr);

// The object `evident fit --mods ... --format json` prints (json/moderators.cpp); without
// `with_studies`, as analysis_json.
Json metareg_json(const MetaRegAnalysis& a, bool with_studies = true);

// Writes `j` as write_json does, with the studies in its top-level "studies" array (which `j`
// holds empty) written one at a time into the text rather than built as one JSON tree first: a
// tree of a million studies takes a gigabyte. Each study is written as study_json(study, fitted)
// would be (`fitted`: none, or one per study), in the very text nlohmann writes for it.
void write_json_with_studies(std::ostream& out, const Json& j,
                             const std::vector<StudyResult>& studies,
                             std::span<const double> fitted = {});

// {code, message, study} for each diagnostic.
Json diagnostics_json(const std::vector<Diagnostic>& diagnostics);

// Writes `j` indented, one object per output. Labels come from user files in any encoding, so
// invalid UTF-8 is replaced (U+FFFD) rather than ending the run.
inline void write_json(std::ostream& out, const Json& j) {
  out << j.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

// The JSON documents of each result.
void render_json(const Analysis& a, std::ostream& out);
void render_json(const MetaRegAnalysis& a, std::ostream& out);
void render_json(const SubgroupAnalysis& a, std::ostream& out);
void render_json(const InfluenceAnalysis& a, std::ostream& out);
void render_json(const BiasAnalysis& a, std::ostream& out);
void render_json(const SequentialResult& a, std::ostream& out);
void render_json(const MultilevelAnalysis& a, std::ostream& out);

}  // namespace evident::detail
