// Living reviews (review/living.hpp): the result file of a run, and what changed since an
// earlier one.

#include "evident/review/living.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "evident/io/error.hpp"
#include "evident/review/review.hpp"
#include "evident/version.hpp"
#include "io/output_file.hpp"

namespace evident {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kFormat = "evident review result";

const char* status_name(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::pooled:
      return "pooled";
    case OutcomeStatus::described:
      return "described";
    case OutcomeStatus::no_data:
      return "no_data";
  }
  return "";
}

Json number_or_null(const std::optional<double>& x) {
  return x && std::isfinite(*x) ? Json(*x) : Json(nullptr);
}

// Equal up to the rounding a JSON file may add (the same data give the same bits).
bool same(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return std::abs(*a - *b) <= 1e-9 * std::max(std::abs(*a), std::abs(*b));
}

// The file's problem, named with the file (exit 2 from the command line).
[[noreturn]] void bad_file(const std::string& path, const std::string& problem) {
  throw InputError({path, 0, 0}, problem);
}

std::optional<double> optional_number(const Json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

}  // namespace

bool OutcomeChange::any() const {
  return added || removed || !studies_added.empty() || !studies_removed.empty() ||
         estimate_changed || !status_after.empty() || !certainty_after.empty() ||
         !sequential_after.empty() || !model_after.empty();
}

ReviewSnapshot snapshot(const Review& review) {
  ReviewSnapshot s;
  s.evident_version = kVersion;
  s.title = review.manifest.title;
  for (const OutcomeResult& o : review.outcomes) {
    OutcomeSnapshot out;
    out.id = o.spec.id;
    out.name = o.spec.name;
    out.status = status_name(o.status);
    out.measure = measure_name(o.spec.analysis.effect.measure);
    out.method = method_name(o.spec.analysis.fit.method);
    const MultilevelSpec& ml = o.spec.analysis.multilevel;
    if (ml.active()) {
      out.model = ml.formulas();
      if (o.multilevel && o.multilevel->structure) {
        out.model += fmt::format(", struct {}", structure_name(*o.multilevel->structure));
      }
    }
    if (o.analysis) {
      out.k = o.analysis->fit.k;
      for (const auto& st : o.analysis->studies)
        out.studies.push_back(st.study);
    } else {
      out.k = o.series.size();
      for (const auto& st : o.series)
        out.studies.push_back(st.study);
    }
    if (o.findings) {
      const Findings& f = *o.findings;
      out.participants = f.participants;
      out.estimate = f.estimate;
      out.ci_lb = f.ci_lb;
      out.ci_ub = f.ci_ub;
      out.certainty = (f.at_most ? "at most " : "") + std::string(certainty_name(f.certainty));
    } else {
      double n = 0.0;
      for (const auto& st : o.series)
        n += std::isfinite(st.total) ? st.total : (std::isfinite(st.n) ? st.n : 0.0);
      out.participants = n;
    }
    if (o.sequential) {
      out.sequential_conclusion = std::string(conclusion_name(o.sequential->monitoring.conclusion));
      out.information_fraction = o.sequential->monitoring.information_fraction.back();
      out.required_information = o.sequential->information_size.adjusted;
    }
    s.outcomes.push_back(std::move(out));
  }
  return s;
}

std::string result_json(const ReviewSnapshot& s) {
  Json j;
  j["format"] = kFormat;
  j["version"] = s.version;
  j["evident_version"] = s.evident_version;
  j["title"] = s.title;
  Json outcomes = Json::array();
  for (const OutcomeSnapshot& o : s.outcomes) {
    Json seq = nullptr;
    if (o.sequential_conclusion) {
      seq = {{"conclusion", *o.sequential_conclusion},
             {"information_fraction", number_or_null(o.information_fraction)},
             {"required", number_or_null(o.required_information)}};
    }
    outcomes.push_back({{"id", o.id},
                        {"name", o.name},
                        {"status", o.status},
                        {"measure", o.measure},
                        {"method", o.method},
                        {"model", o.model},
                        {"k", o.k},
                        {"participants", number_or_null(o.participants)},
                        {"studies", o.studies},
                        {"estimate", number_or_null(o.estimate)},
                        {"ci_lb", number_or_null(o.ci_lb)},
                        {"ci_ub", number_or_null(o.ci_ub)},
                        {"certainty", o.certainty.empty() ? Json(nullptr) : Json(o.certainty)},
                        {"sequential", seq}});
  }
  j["outcomes"] = std::move(outcomes);
  return j.dump(2) + "\n";
}

ReviewSnapshot read_review_result(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad_file(path, "cannot read the earlier result file");
  std::ostringstream text;
  text << f.rdbuf();
  Json j;
  try {
    j = Json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    bad_file(path, fmt::format("not a JSON file (at byte {}): give the result file an earlier "
                               "`evident review` wrote beside its report (report.json)",
                               e.byte));
  }
  if (!j.is_object() || j.value("format", "") != kFormat) {
    bad_file(path,
             "not an evident review result file (its \"format\" is not \"evident review "
             "result\"): give the report.json an earlier `evident review` wrote");
  }
  ReviewSnapshot s;
  try {
    s.version = j.at("version").get<int>();
    if (s.version != kReviewResultVersion) {
      bad_file(path, fmt::format("a result file of version {}; this evident reads version {}",
                                 s.version, kReviewResultVersion));
    }
    s.evident_version = j.value("evident_version", "");
    s.title = j.value("title", "");
    for (const Json& o : j.at("outcomes")) {
      OutcomeSnapshot out;
      out.id = o.at("id").get<std::string>();
      out.name = o.at("name").get<std::string>();
      out.status = o.at("status").get<std::string>();
      out.measure = o.value("measure", "");
      out.method = o.value("method", "");
      out.model = o.value("model", "independent");
      out.k = o.at("k").get<std::size_t>();
      out.participants = optional_number(o, "participants").value_or(NAN);
      out.studies = o.at("studies").get<std::vector<std::string>>();
      out.estimate = optional_number(o, "estimate");
      out.ci_lb = optional_number(o, "ci_lb");
      out.ci_ub = optional_number(o, "ci_ub");
      if (o.contains("certainty") && o.at("certainty").is_string()) {
        out.certainty = o.at("certainty").get<std::string>();
      }
      if (o.contains("sequential") && o.at("sequential").is_object()) {
        const Json& q = o.at("sequential");
        out.sequential_conclusion = q.at("conclusion").get<std::string>();
        out.information_fraction = optional_number(q, "information_fraction");
        out.required_information = optional_number(q, "required");
      }
      s.outcomes.push_back(std::move(out));
    }
  } catch (const nlohmann::json::exception& e) {
    bad_file(path, fmt::format("a result file with a missing or wrong entry: {}", e.what()));
  }
  return s;
}

void write_review_result(const Review& review, const std::string& path) {
  detail::OutputFile file(path);
  file.stream() << result_json(snapshot(review));
  file.commit();
}

std::vector<OutcomeChange> compare_reviews(const ReviewSnapshot& before,
                                           const ReviewSnapshot& after) {
  std::map<std::string, const OutcomeSnapshot*> old_by_id;
  for (const auto& o : before.outcomes)
    old_by_id[o.id] = &o;
  std::set<std::string> seen;
  std::vector<OutcomeChange> changes;
  for (const OutcomeSnapshot& now : after.outcomes) {
    seen.insert(now.id);
    OutcomeChange c;
    c.id = now.id;
    c.name = now.name;
    const auto it = old_by_id.find(now.id);
    if (it == old_by_id.end()) {
      c.added = true;
      c.studies_added = now.studies;
      c.estimate_after = now.estimate;
      c.ci_lb_after = now.ci_lb;
      c.ci_ub_after = now.ci_ub;
      changes.push_back(std::move(c));
      continue;
    }
    const OutcomeSnapshot& was = *it->second;
    // Studies by label, in each run's order.
    const std::set<std::string> old_set(was.studies.begin(), was.studies.end());
    const std::set<std::string> new_set(now.studies.begin(), now.studies.end());
    for (const auto& st : now.studies) {
      if (!old_set.count(st)) c.studies_added.push_back(st);
    }
    for (const auto& st : was.studies) {
      if (!new_set.count(st)) c.studies_removed.push_back(st);
    }
    if (!same(was.estimate, now.estimate) || !same(was.ci_lb, now.ci_lb) ||
        !same(was.ci_ub, now.ci_ub)) {
      c.estimate_changed = true;
    }
    c.estimate_before = was.estimate;
    c.ci_lb_before = was.ci_lb;
    c.ci_ub_before = was.ci_ub;
    c.estimate_after = now.estimate;
    c.ci_lb_after = now.ci_lb;
    c.ci_ub_after = now.ci_ub;
    if (was.status != now.status) {
      c.status_before = was.status;
      c.status_after = now.status;
    }
    if (was.certainty != now.certainty) {
      c.certainty_before = was.certainty.empty() ? "none" : was.certainty;
      c.certainty_after = now.certainty.empty() ? "none" : now.certainty;
    }
    if (was.model != now.model) {
      c.model_before = was.model;
      c.model_after = now.model;
    }
    const std::string seq_before = was.sequential_conclusion.value_or("none");
    const std::string seq_after = now.sequential_conclusion.value_or("none");
    if (seq_before != seq_after) {
      c.sequential_before = seq_before;
      c.sequential_after = seq_after;
    }
    if (c.any()) changes.push_back(std::move(c));
  }
  for (const OutcomeSnapshot& was : before.outcomes) {
    if (seen.count(was.id)) continue;
    OutcomeChange c;
    c.id = was.id;
    c.name = was.name;
    c.removed = true;
    c.studies_removed = was.studies;
    c.estimate_before = was.estimate;
    c.ci_lb_before = was.ci_lb;
    c.ci_ub_before = was.ci_ub;
    changes.push_back(std::move(c));
  }
  return changes;
}

}  // namespace evident
