#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "evident/report/report.hpp"
#include "evident/version.hpp"
#include "report/json_util.hpp"

namespace evident {

namespace detail {

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

// Keys and meanings follow metafor (DESIGN.md, "Command line contract"); new keys may be added,
// existing ones never change.
Json analysis_json(const Analysis& a, bool with_studies) {
  const Fit& f = a.fit;
  const bool random = is_random_effects(f.method);
  const auto& ci = a.heterogeneity_ci;
  Json j;
  j["evident_version"] = kVersion;
  j["source"] = a.source;
  j["measure"] = measure_name(a.measure);
  j["method"] = method_name(f.method);
  j["test"] = test_name(f.test);
  j["level"] = f.level;
  j["k"] = f.k;
  j["estimate"] = num(f.estimate);
  j["se"] = num(f.se);
  j[f.test == Test::knha ? "tval" : "zval"] = num(f.stat);
  if (f.test == Test::knha) j["df"] = num(f.df);
  j["pval"] = num(f.pval);
  j["ci_lb"] = num(f.ci_lb);
  j["ci_ub"] = num(f.ci_ub);
  j["pi_lb"] = num(a.prediction.pi_lb);
  j["pi_ub"] = num(a.prediction.pi_ub);
  j["tau2"] = num(f.tau2);
  j["tau2_se"] = num(f.tau2_se);
  j["tau2_ci"] = interval(ci.has_value(), ci ? ci->tau2_lb : 0, ci ? ci->tau2_ub : 0);
  j["tau"] = num(std::sqrt(f.tau2));
  j["tau_ci"] = interval(ci.has_value(), ci ? ci->tau_lb : 0, ci ? ci->tau_ub : 0);
  j["I2"] = num(f.I2);
  j["I2_ci"] = interval(ci.has_value(), ci ? ci->I2_lb : 0, ci ? ci->I2_ub : 0);
  j["H2"] = num(f.H2);
  j["H2_ci"] = interval(ci.has_value(), ci ? ci->H2_lb : 0, ci ? ci->H2_ub : 0);
  j["Q"] = num(f.Q);
  j["Q_df"] = num(f.Q_df);
  j["Q_p"] = num(f.Q_p);
  if (a.k_yi) j["k_yi"] = *a.k_yi;
  if (a.cmh) {
    const CmhTests& t = *a.cmh;
    j["CMH"] = num(t.CMH);
    j["CMH_p"] = num(t.CMH_p);
    j["tarone"] = num(t.tarone);
    j["tarone_df"] = num(t.tarone_df);
    j["tarone_p"] = num(t.tarone_p);
    j["breslow_day"] = num(t.breslow_day);
    j["breslow_day_p"] = num(t.breslow_day_p);
  }
  if (a.back_transformed) {
    const auto& b = *a.back_transformed;
    j["back_transformed"] = {{"scale", b.scale},      {"estimate", num(b.estimate)},
                             {"ci_lb", num(b.ci_lb)}, {"ci_ub", num(b.ci_ub)},
                             {"pi_lb", num(b.pi_lb)}, {"pi_ub", num(b.pi_ub)}};
  }
  j["convergence"] = {{"termination", termination_name(f.termination)},
                      {"iterations", f.iterations},
                      {"random_effects", random}};
  Json studies = Json::array();
  if (with_studies) {
    for (const auto& s : a.studies)
      studies.push_back(study_json(s));
  }
  j["studies"] = std::move(studies);
  j["diagnostics"] = diagnostics_json(a.diagnostics);
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

}  // namespace detail

void render_json(const Analysis& a, std::ostream& out) {
  detail::write_json_with_studies(out, detail::analysis_json(a, false), a.studies);
}

}  // namespace evident
