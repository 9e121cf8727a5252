// JSON, the canonical result: the pooled analysis (`evident fit`), written from the fields of
// methods/fields.hpp, with its studies streamed rather than built as one tree.

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "report/json/json.hpp"

namespace evident::detail {

Json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  Json out = Json::array();
  for (const auto& d : diagnostics) {
    out.push_back({{"code", diagnostic_name(d.code)},
                   {"message", d.message},
                   {"study", d.study.empty() ? Json(nullptr) : Json(d.study)}});
  }
  return out;
}

Json study_json(const StudyResult& s, const double* fitted) {
  Json j = {{"study", s.study},
            {"line", s.line},
            {"yi", num(s.yi)},
            {"vi", num(s.vi)},
            {"weight", num(s.weight)}};
  if (fitted != nullptr) j["fitted"] = num(*fitted);
  j["ci_lb"] = num(s.ci_lb);
  j["ci_ub"] = num(s.ci_ub);
  return j;
}

PooledView pooled_view(const Analysis& a) {
  PooledView v;
  v.fit = &a.fit;
  v.prediction = &a.prediction;
  v.heterogeneity_ci = a.heterogeneity_ci ? &*a.heterogeneity_ci : nullptr;
  v.cmh = a.cmh ? &*a.cmh : nullptr;
  v.source = a.source;
  v.measure = a.measure;
  v.k_yi = a.k_yi;
  v.diagnostics = a.diagnostics.size();
  return v;
}

void add_field(Json& j, const Field& field, const PooledView& v) {
  if (!field.present_in(v)) return;
  const std::string key(field.name);
  switch (field.type) {
    case FieldType::number:
      j[key] = num(field.number(v));
      break;
    case FieldType::count:
      j[key] = field.count(v);
      break;
    case FieldType::text:
      j[key] = std::string(field.text(v));
      break;
    case FieldType::interval: {
      const auto bounds = field.interval(v);
      j[key] =
          interval(bounds.has_value(), bounds ? bounds->first : 0.0, bounds ? bounds->second : 0.0);
      break;
    }
  }
}

Json back_transformed_json(const std::optional<BackTransformed>& b, bool with_pi) {
  if (!b) return nullptr;
  Json j = {{"scale", b->scale},
            {"estimate", num(b->estimate)},
            {"ci_lb", num(b->ci_lb)},
            {"ci_ub", num(b->ci_ub)}};
  if (with_pi) {
    j["pi_lb"] = num(b->pi_lb);
    j["pi_ub"] = num(b->pi_ub);
  }
  return j;
}

// The fields at the top of the document, in order (docs/cli.md's JSON table); keys and meanings
// follow metafor (DESIGN.md, "Command line contract"): new keys may be added, existing ones never
// change. `zval` and `tval`, `df`, `k_yi` and the Mantel-Haenszel tests appear when they apply.
constexpr std::string_view kJsonFields[] = {"evident_version",
                                            "source",
                                            "measure",
                                            "method",
                                            "test",
                                            "level",
                                            "k",
                                            "estimate",
                                            "se",
                                            "zval",
                                            "tval",
                                            "df",
                                            "pval",
                                            "ci_lb",
                                            "ci_ub",
                                            "pi_lb",
                                            "pi_ub",
                                            "tau2",
                                            "tau2_se",
                                            "tau2_ci",
                                            "tau",
                                            "tau_ci",
                                            "I2",
                                            "I2_ci",
                                            "H2",
                                            "H2_ci",
                                            "Q",
                                            "Q_df",
                                            "Q_p",
                                            "k_yi",
                                            "CMH",
                                            "CMH_p",
                                            "tarone",
                                            "tarone_df",
                                            "tarone_p",
                                            "breslow_day",
                                            "breslow_day_p"};

Json analysis_json(const Analysis& a, bool with_studies) {
  const Fit& f = a.fit;
  const bool random = is_random_effects(f.method);
  const PooledView v = pooled_view(a);
  Json j;
  for (std::string_view name : kJsonFields)
    add_field(j, pooled_field(name), v);
  if (a.back_transformed) j["back_transformed"] = back_transformed_json(a.back_transformed);
  Json convergence;
  add_field(convergence, pooled_field("termination"), v);
  add_field(convergence, pooled_field("iterations"), v);
  convergence["random_effects"] = random;
  j["convergence"] = std::move(convergence);
  Json studies = Json::array();
  if (with_studies) {
    for (const auto& s : a.studies)
      studies.push_back(study_json(s));
  }
  j["studies"] = std::move(studies);
  j["diagnostics"] = diagnostics_json(a.diagnostics);
  if (a.bayes) {
    // The posterior of --method BAYES (model/bayes.hpp): central intervals at the level.
    const BayesFit& b = *a.bayes;
    auto summary = [](const PosteriorSummary& p) {
      Json s = {{"mean", num(p.mean)}, {"sd", num(p.sd)}};
      s["median"] = num(p.median);
      s["ci_lb"] = num(p.ci_lb);
      s["ci_ub"] = num(p.ci_ub);
      return s;
    };
    Json theta = Json::array();
    for (std::size_t i = 0, fitted = 0; i < a.studies.size() && fitted < b.theta.size(); ++i) {
      if (!std::isfinite(a.studies[i].yi)) continue;  // no effect size: not in the model
      Json t = summary(b.theta[fitted++]);
      t["study"] = a.studies[i].study;
      theta.push_back(std::move(t));
    }
    j["posterior"] = {{"tau_prior", b.tau_prior.text()},
                      {"mu_prior", b.mu_prior.text()},
                      {"level", b.level},
                      {"mu", summary(b.mu)},
                      {"tau", summary(b.tau)},
                      {"predictive", summary(b.predictive)},
                      {"theta", std::move(theta)},
                      {"marginal_likelihood", num(b.marginal_likelihood)},
                      {"log_marginal_likelihood", num(b.log_marginal_likelihood)},
                      {"error", num(b.error)}};
  }
  if (a.multiarm) {
    Json trials = Json::array();
    for (const auto& t : a.multiarm->trials) {
      trials.push_back({{"trial", t.trial}, {"arms", t.arms}, {"lines", t.lines}});
    }
    j["multiarm"] = {{"mode", a.multiarm->mode == MultiArm::split ? "split" : "combine"},
                     {"by_default", a.multiarm->by_default},
                     {"trials", std::move(trials)}};
  }
  return j;
}

namespace {

// A number as nlohmann's serializer writes it (its own shortest-digits conversion, "null" for
// NaN and infinities).
void append_json_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char text[64];
  out.append(text, nlohmann::detail::to_chars(text, text + sizeof text, x));
}

// One element of "studies", character for character what dump(2) writes two levels deep for
// study_json(s, fitted).
void append_study(std::string& out, const StudyResult& s, const double* fitted) {
  const bool plain = std::all_of(s.study.begin(), s.study.end(), [](char ch) {
    return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
  });
  out += "{\n      \"study\": ";
  if (plain) {  // nothing to escape or validate
    out += '"';
    out += s.study;
    out += '"';
  } else {
    out += Json(s.study).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  out += ",\n      \"line\": ";
  out += std::to_string(s.line);
  const auto field = [&out](const char* key, double value) {
    out += ",\n      \"";
    out += key;
    out += "\": ";
    append_json_number(out, value);
  };
  field("yi", s.yi);
  field("vi", s.vi);
  field("weight", s.weight);
  if (fitted != nullptr) field("fitted", *fitted);
  field("ci_lb", s.ci_lb);
  field("ci_ub", s.ci_ub);
  out += "\n    }";
}

}  // namespace

void write_json_with_studies(std::ostream& out, const Json& j,
                             const std::vector<StudyResult>& studies,
                             std::span<const double> fitted) {
  const std::string text = j.dump(2, ' ', false, Json::error_handler_t::replace);
  // "studies" is a key of the top-level object only, and quotes inside strings are escaped, so
  // this text is the key itself.
  constexpr std::string_view kEmpty = "\n  \"studies\": []";
  const std::size_t at = text.find(kEmpty);
  if (studies.empty() || at == std::string::npos) {
    out << text << '\n';
    return;
  }
  out.write(text.data(), static_cast<std::streamsize>(at));
  out << "\n  \"studies\": [";
  std::string block;
  for (std::size_t i = 0; i < studies.size(); ++i) {
    block += i == 0 ? "\n    " : ",\n    ";
    append_study(block, studies[i], fitted.empty() ? nullptr : &fitted[i]);
    if (block.size() >= (std::size_t{1} << 16)) {
      out << block;
      block.clear();
    }
  }
  out << block << "\n  ]";
  const std::size_t rest = at + kEmpty.size();
  out.write(text.data() + rest, static_cast<std::streamsize>(text.size() - rest));
  out << '\n';
}

void render_json(const Analysis& a, std::ostream& out) {
  write_json_with_studies(out, analysis_json(a, false), a.studies);
}

}  // namespace evident::detail
