// The methods section of the HTML report: each model named with its outcomes and citations.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "evident/version.hpp"
#include "report/html/html.hpp"

namespace evident::detail::html {

const std::map<std::string_view, std::string_view>& reference_texts() {
  static const std::map<std::string_view, std::string_view> refs{
      {"MH",
       "Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from "
       "retrospective studies of disease. J Natl Cancer Inst 22:719-748."},
      {"GR",
       "Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse "
       "follow-up data. Biometrics 41:55-68."},
      {"PETO",
       "Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and "
       "after myocardial infarction: an overview of the randomized trials. Prog "
       "Cardiovasc Dis 27:335-371."},
      {"DL",
       "DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin "
       "Trials 7:177-188."},
      {"HE",
       "Hedges LV (1983). A random effects model for effect sizes. Psychol Bull "
       "93:388-395."},
      {"HS",
       "Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis: Correcting Error and Bias "
       "in Research Findings, 2nd ed. Sage."},
      {"SJ",
       "Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for "
       "meta-analysis. J R Stat Soc C 54:367-384."},
      {"ML",
       "Hardy RJ, Thompson SG (1996). A likelihood approach to meta-analysis with random "
       "effects. Stat Med 15:619-629."},
      {"REML",
       "Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators "
       "in the random-effects model. J Educ Behav Stat 30:261-293."},
      {"EB",
       "Morris CN (1983). Parametric empirical Bayes inference: theory and applications. "
       "J Am Stat Assoc 78:47-55."},
      {"PM",
       "Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur "
       "Stand 87:377-385."},
      {"KNHA",
       "Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled "
       "clinical trials with binary outcome. Stat Med 20:3875-3889."},
      {"KONST",
       "Konstantopoulos S (2011). Fixed effects and variance components estimation in "
       "three-level meta-analysis. Res Synth Methods 2:61-76."},
      {"NAKAGAWA",
       "Nakagawa S, Santos ESA (2012). Methodological issues and advances in biological "
       "meta-analysis. Evol Ecol 26:1253-1274."},
      {"LUO",
       "Luo D, Wan X, Liu J, Tong T (2018). Optimally estimating the sample mean from the "
       "sample size, median, mid-range, and/or mid-quartile range. Stat Methods Med Res "
       "27:1785-1805."},
      {"WAN",
       "Wan X, Wang W, Liu J, Tong T (2014). Estimating the sample mean and standard "
       "deviation from the sample size, median, range and/or interquartile range. BMC Med "
       "Res Methodol 14:135."},
  };
  return refs;
}

// Short description of a model with its citations, as a methods section names it; `cite`
// collects the reference keys.
std::string model_words(const OutcomeSpec& s, std::set<std::string_view>& cite) {
  const Method m = s.analysis.fit.method;
  if (s.analysis.multilevel.active()) {
    // The model of an outcome whose estimates are nested in studies (random = ...): metafor's
    // rma.mv, named by its formulas.
    cite.insert("KONST");
    cite.insert("NAKAGAWA");
    const std::string formulas = s.analysis.multilevel.formulas();
    return fmt::format(
        "a multilevel random-effects model with variance components for {} fitted by {} "
        "(Konstantopoulos 2011), I² as the components' share of the total variability "
        "(Nakagawa & Santos 2012), and {}",
        formulas, method_name(m),
        s.analysis.fit.test == Test::t ? "t tests with k - 1 degrees of freedom"
                                       : "a Wald-type z test");
  }
  std::string words;
  switch (m) {
    case Method::FE:
      words = "a common-effect (inverse-variance) model";
      break;
    case Method::MH:
      words =
          "the Mantel-Haenszel method, a common-effect method for sparse tables (Mantel & "
          "Haenszel 1959; Greenland & Robins 1985)";
      cite.insert("MH");
      cite.insert("GR");
      break;
    case Method::PETO:
      words = "Peto's one-step odds ratio, a common-effect method (Yusuf et al. 1985)";
      cite.insert("PETO");
      break;
    default: {
      static const std::map<Method, std::string_view> who{{Method::DL, "DerSimonian & Laird 1986"},
                                                          {Method::HE, "Hedges 1983"},
                                                          {Method::HS, "Hunter & Schmidt 2004"},
                                                          {Method::SJ, "Sidik & Jonkman 2005"},
                                                          {Method::ML, "Hardy & Thompson 1996"},
                                                          {Method::REML, "Viechtbauer 2005"},
                                                          {Method::EB, "Morris 1983"},
                                                          {Method::PM, "Paule & Mandel 1982"}};
      const auto it = who.find(m);
      words =
          fmt::format("a random-effects model with the {} estimator of \u03c4\u00b2{}",
                      method_name(m), it == who.end() ? "" : " (" + std::string(it->second) + ")");
      cite.insert(method_name(m));
    }
  }
  if (s.analysis.fit.test == Test::knha) {
    words += " and the Hartung-Knapp-Sidik-Jonkman t test (Hartung & Knapp 2001)";
    cite.insert("KNHA");
  } else {
    words += " and a Wald-type z test";
  }
  return words;
}

void write_methods(std::ostream& out, const Review& review) {
  out << "<section id=\"methods\">\n<h2>Methods</h2>\n<p>";
  std::set<std::string> measures;
  std::set<std::string_view> cite;
  // Each model with the outcomes it pooled, in the order of the manifest.
  std::vector<std::pair<std::string, std::vector<std::string>>> models;
  bool ratio = false, zero = false, random = false, medians = false;
  std::optional<MultiArm> multiarm;
  for (const auto& o : review.outcomes) {
    if (o.status != OutcomeStatus::pooled) continue;
    const std::string words = model_words(o.spec, cite);
    auto it =
        std::find_if(models.begin(), models.end(), [&](const auto& m) { return m.first == words; });
    if (it == models.end()) it = models.insert(models.end(), {words, {}});
    it->second.push_back(o.spec.name);
    measures.insert(std::string(measure_description(o.spec.analysis.effect.measure)));
    const Measure m = o.spec.analysis.effect.measure;
    ratio = ratio || m == Measure::RR || m == Measure::OR;
    random = random || is_random_effects(o.spec.analysis.fit.method);
    for (const auto& d : o.analysis->diagnostics) {
      zero = zero || d.code == DiagnosticCode::zero_cell_corrected;
      medians = medians || d.code == DiagnosticCode::converted_fivenum;
    }
    if (o.analysis->multiarm) multiarm = o.analysis->multiarm->mode;
  }
  out << fmt::format(
      "Each outcome was analysed with evident {} from the data files of the review folder, "
      "following the manifest <code>{}</code>. Effect sizes ({}) were computed with the formulas "
      "of R's metafor <code>escalc</code> (Viechtbauer 2010)",
      kVersion, esc(std::filesystem::path(review.manifest.path).filename().string()),
      esc(fmt::format("{}", fmt::join(measures, "; "))));
  if (zero) out << ", adding 1/2 to every cell of a 2\u00d72 table with a zero cell";
  out << ".";
  if (medians) {
    out << " Where a trial reported a median with quartiles or a range instead of a mean and SD, "
           "the mean and SD were estimated from them (Luo et al. 2018; Wan et al. 2014), which "
           "assumes roughly normal data.";
    cite.insert("LUO");
    cite.insert("WAN");
  }
  if (multiarm) {
    out << (*multiarm == MultiArm::combine
                ? " The experimental arms of a multi-arm trial were combined into one group "
                  "against their shared control (Cochrane Handbook 6.5.2.10), so no participant "
                  "counts twice."
                : " The shared control arm of a multi-arm trial was split between its "
                  "comparisons (Cochrane Handbook 23.3.4), so no participant counts twice.");
  }
  out << " Studies were pooled with ";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out << (i + 1 == models.size() ? "; and with " : "; with ");
    const auto& names = models[i].second;
    std::string list;
    for (std::size_t j = 0; j < names.size(); ++j) {
      if (j > 0) list += j + 1 == names.size() ? " and " : ", ";
      list += names[j];
    }
    out << esc(models[i].first) << " for " << esc(list);
  }
  out << ". Heterogeneity is described by Cochran's Q, I\u00b2 (Higgins &amp; Thompson 2002) with "
         "its Q-profile confidence interval (Viechtbauer 2007)";
  if (random)
    out << " and, for random-effects models, the 95% prediction interval (Riley et al. 2011)";
  out << ". Every number is computed as metafor computes it; evident's test suite checks this "
         "against metafor to a relative 1e-6.";
  if (ratio) {
    out << " Absolute effects per 1000 apply the pooled ratio to an assumed control risk "
           "(given in the manifest, else the median control-group risk of the studies; GRADE "
           "Handbook 5.1).";
  }
  out << " Certainty ratings are suggestions made by fixed rules from the GRADE guidance "
         "(Sch\u00fcnemann et al. 2013; Guyatt et al. 2011): risk of bias from the share of weight "
         "in studies rated high risk (a <code>rob</code> column), inconsistency from I\u00b2 and "
         "the prediction interval, imprecision from the confidence interval against no effect and "
         "the MCID and from the optimal information size (\u03b1 = 0.05, power 80%), small-study "
         "effects only with 10 or more studies (Sterne et al. 2011). Plain-language statements "
         "follow Santesso et al. (2020). Single-arm series are described with exact (Clopper-"
         "Pearson) intervals and not pooled. Published meta-analyses are shown as printed, "
         "checked for intervals that do not contain their estimate and for asymmetric intervals "
         "of differences, and not pooled with each other because they share trials.</p>\n";
  // Every reference cited above, in alphabetical order.
  std::set<std::string_view> refs{
      "Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated in the "
      "case of the binomial. Biometrika 26:404-413.",
      "Guyatt GH et al. (2011). GRADE guidelines 4-7: risk of bias, publication bias, imprecision, "
      "inconsistency. J Clin Epidemiol 64:407-415, 1277-1282, 1283-1293, 1294-1302.",
      "Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med "
      "21:1539-1558.",
      "Higgins JPT et al., eds. (2023). Cochrane Handbook for Systematic Reviews of Interventions, "
      "version 6.4. Chapters 6, 10, 14 and 23.",
      "Riley RD, Higgins JPT, Deeks JJ (2011). Interpretation of random effects meta-analyses. BMJ "
      "342:d549.",
      "Santesso N et al. (2020). GRADE guidelines 26: informative statements to communicate the "
      "findings of systematic reviews of interventions. J Clin Epidemiol 119:126-135.",
      "Sch\u00fcnemann H, Bro\u017cek J, Guyatt G, Oxman A, eds. (2013). GRADE Handbook. Chapter "
      "5.",
      "Sterne JAC et al. (2011). Recommendations for examining and interpreting funnel plot "
      "asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.",
      "Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in "
      "meta-analysis. Stat Med 26:37-52.",
      "Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw "
      "36(3):1-48."};
  for (const auto key : cite) {
    const auto it = reference_texts().find(key);
    if (it != reference_texts().end()) refs.insert(it->second);
  }
  out << "<ol class=\"refs\">\n";
  for (const auto ref : refs)
    out << "<li>" << esc(ref) << "</li>\n";
  out << "</ol>\n</section>\n";
}

}  // namespace evident::detail::html
