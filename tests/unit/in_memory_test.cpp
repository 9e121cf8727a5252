// The in-memory API: effect sizes from columns of numbers, and many analyses from arrays, give
// the same numbers (bit for bit) as the same data read from CSV text.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "evident/evident.hpp"

namespace evident {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// dat.bcg's first six trials, as numbers and as the CSV text of the same numbers.
struct Bcg {
  std::vector<std::string> study{"Aronson 1948",        "Ferguson & Simes 1949",
                                 "Rosenthal 1960",      "Hart & Sutherland 1977",
                                 "Frimodt-Moller 1973", "Stein 1953"};
  std::vector<std::int64_t> ai{4, 6, 3, 62, 33, 180}, bi{119, 300, 228, 13536, 5036, 1361},
      ci{11, 29, 11, 248, 47, 372}, di{128, 274, 209, 12619, 5761, 1079};
  std::vector<double> ablat{44, 55, 42, 52, 13, 44};

  [[nodiscard]] StudyColumns columns() const {
    StudyColumns c;
    c.source = "bcg";
    c.texts.push_back({"study", study});
    c.integers = {{"ai", ai}, {"bi", bi}, {"ci", ci}, {"di", di}};
    c.numbers.push_back({"ablat", ablat});
    return c;
  }
  [[nodiscard]] std::string csv() const {
    std::string s = "ablat,ai,bi,ci,di,study\n";
    for (std::size_t i = 0; i < study.size(); ++i) {
      s += std::to_string(static_cast<int>(ablat[i])) + "," + std::to_string(ai[i]) + "," +
           std::to_string(bi[i]) + "," + std::to_string(ci[i]) + "," + std::to_string(di[i]) +
           ",\"" + study[i] + "\"\n";
    }
    return s;
  }
};

// The JSON document of an analysis without the studies' source lines (a row of columns is line
// i + 1 where a file's row is on line i + 2, after its header).
nlohmann::json json_of(const Analysis& a) {
  std::ostringstream out;
  find_renderer("json")->render(a, out);
  nlohmann::json j = nlohmann::json::parse(out.str());
  for (auto& study : j["studies"])
    study.erase("line");
  return j;
}

TEST(InMemoryTest, EffectSizesFromColumnsEqualThoseFromText) {
  const Bcg bcg;
  std::istringstream in(bcg.csv());
  const StudyTable text = read_csv(in, "bcg");
  for (Measure m : {Measure::OR, Measure::RR, Measure::RD, Measure::PETO}) {
    EffectOptions o;
    o.measure = m;
    const EffectData a = compute_effects(bcg.columns(), o);
    const EffectData b = compute_effects(text, o);
    ASSERT_EQ(a.k(), b.k());
    for (std::size_t i = 0; i < a.k(); ++i) {
      EXPECT_EQ(a.yi[i], b.yi[i]) << measure_name(m) << " study " << i;
      EXPECT_EQ(a.vi[i], b.vi[i]) << measure_name(m) << " study " << i;
      EXPECT_EQ(a.labels[i], b.labels[i]);
    }
  }
  // A whole analysis prints the same JSON, and a meta-regression on a numeric column has the same
  // fit.
  AnalysisSpec spec;
  spec.effect.measure = Measure::RR;
  EXPECT_EQ(json_of(analyse(table_from_columns(bcg.columns()), spec)),
            json_of(analyse(text, spec)));
  MetaRegRequest request;
  request.moderators.terms = {"ablat"};
  const auto from_columns = analyse_metareg(table_from_columns(bcg.columns()), spec, request);
  const auto from_text = analyse_metareg(text, spec, request);
  EXPECT_EQ(from_columns.fit.beta, from_text.fit.beta);
  EXPECT_EQ(from_columns.fit.tau2, from_text.fit.tau2);
}

TEST(InMemoryTest, NumbersKeepEveryBitAndMissingValuesAreMissing) {
  const std::vector<double> yi{0.1, -1.0 / 3.0, 1e-300 * 1e-8, 12345.678901234567, kNaN};
  const std::vector<double> vi{0.01, 2.0 / 7.0, 0.5, 1e-3, 0.2};
  StudyColumns c;
  c.numbers = {{"yi", yi}, {"vi", vi}};
  const EffectData d = compute_effects(c, EffectOptions{});
  ASSERT_EQ(d.k(), 4u);  // the NaN row is missing, and named
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d.yi[i], yi[i]);
    EXPECT_EQ(d.vi[i], vi[i]);
  }
  ASSERT_FALSE(d.diagnostics.empty());
  EXPECT_EQ(d.diagnostics[0].code, DiagnosticCode::row_excluded_missing);
}

TEST(InMemoryTest, BadColumnsAreNamed) {
  const std::vector<double> three{1, 2, 3}, two{1, 2};
  const std::vector<double> with_inf{0.1, std::numeric_limits<double>::infinity(), 0.3};
  StudyColumns c;
  c.numbers = {{"yi", three}, {"vi", two}};
  try {
    (void)table_from_columns(c);
    FAIL() << "columns of different lengths were accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("column 'vi' has 2 values"), std::string::npos)
        << e.what();
  }
  c.numbers = {{"yi", with_inf}, {"vi", three}};
  try {
    (void)compute_effects(c, EffectOptions{});
    FAIL() << "an infinite effect size was accepted";
  } catch (const InputError& e) {
    // Row 2, column 1 (yi), as a data frame counts.
    EXPECT_NE(std::string(e.what()).find("<columns>:2:1:"), std::string::npos) << e.what();
  }
  c.numbers = {{"yi", three}, {"yi", three}};
  EXPECT_THROW((void)table_from_columns(c), InputError);
  // In a data frame's order, a message counts columns as the frame does.
  const std::vector<std::string> labels{"a", "b", "c"};
  const std::vector<double> bad_vi{0.1, -0.2, 0.3};
  c.numbers = {{"yi", three}, {"vi", bad_vi}};
  c.texts = {{"study", labels}};
  c.order = {"study", "vi", "yi"};
  const StudyTable ordered = table_from_columns(c);
  EXPECT_EQ(ordered.column_names(), c.order);
  EXPECT_EQ(ordered.cell(1, 1), "-0.2");
  EXPECT_EQ(ordered.cell(2, 0), "c");
  try {
    (void)compute_effects(c, EffectOptions{});
    FAIL() << "a negative variance was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("<columns>:2:2:"), std::string::npos) << e.what();
  }
  c.order = {"study", "yi"};
  EXPECT_THROW((void)table_from_columns(c), InputError);
  c.texts.clear();
  c.order.clear();
  EXPECT_THROW((void)table_from_columns(StudyColumns{}), InputError);
}

// The rows `evident batch --format jsonl` writes for the same analyses, by id.
std::vector<nlohmann::json> batch_rows(const std::string& csv, Method method, evident::Test test) {
  BatchOptions options;
  options.by = "id";
  options.format = BatchFormat::jsonl;
  options.spec.fit.method = method;
  options.spec.fit.test = test;
  std::istringstream in(csv);
  std::ostringstream out;
  (void)run_batch(in, "sim.csv", out, options);
  std::vector<nlohmann::json> rows;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);)
    rows.push_back(nlohmann::json::parse(line));
  return rows;
}

TEST(InMemoryTest, BatchArraysEqualTheBatchOfTheSameFile) {
  SimulateOptions sim;
  sim.analyses = 700;
  sim.k = 6;
  sim.seed = 11;
  std::ostringstream text;
  simulate(sim, text);
  // The file's studies as arrays (ids 1..700 in order, k = 6 each).
  std::vector<double> yi, vi;
  std::vector<std::size_t> offsets{0};
  std::istringstream in(text.str());
  std::string line;
  std::getline(in, line);  // header id,study,yi,vi
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, study, y, v;
    std::getline(fields, id, ',');
    std::getline(fields, study, ',');
    std::getline(fields, y, ',');
    std::getline(fields, v, ',');
    yi.push_back(std::stod(y));
    vi.push_back(std::stod(v));
    if (yi.size() % sim.k == 0) offsets.push_back(yi.size());
  }
  for (Method method : {Method::REML, Method::DL, Method::PM}) {
    for (evident::Test test : {evident::Test::z, evident::Test::knha}) {
      const auto rows = batch_rows(text.str(), method, test);
      FitOptions options;
      options.method = method;
      options.test = test;
      const BatchArrays one = batch_arrays(yi, vi, offsets, options, 1);
      const BatchArrays three = batch_arrays(yi, vi, offsets, options, 3);
      ASSERT_EQ(one.analyses, rows.size());
      for (const ResultColumn& c : one.columns) {
        const ResultColumn* other = three.column(c.name);
        ASSERT_NE(other, nullptr);
        for (std::size_t j = 0; j < rows.size(); ++j) {
          const nlohmann::json& cell = rows[j].at(std::string(c.name));
          switch (c.type) {
            case FieldType::number:
              if (cell.is_null()) {
                EXPECT_FALSE(std::isfinite(c.numbers[j])) << c.name << " " << j;
              } else {
                EXPECT_EQ(c.numbers[j], cell.get<double>()) << c.name << " " << j;
              }
              EXPECT_TRUE(c.numbers[j] == other->numbers[j] ||
                          (std::isnan(c.numbers[j]) && std::isnan(other->numbers[j])));
              break;
            case FieldType::count:
              EXPECT_EQ(c.integers[j], cell.get<std::int64_t>()) << c.name << " " << j;
              EXPECT_EQ(c.integers[j], other->integers[j]);
              break;
            default:
              EXPECT_EQ(c.texts[j], cell.get<std::string>()) << c.name << " " << j;
              EXPECT_EQ(c.texts[j], other->texts[j]);
          }
        }
      }
      for (std::size_t j = 0; j < rows.size(); ++j) {
        std::string codes;
        for (const auto& code : rows[j].at("diagnostics")) {
          if (!codes.empty()) codes += ';';
          codes += code.template get<std::string>();
        }
        EXPECT_EQ(one.diagnostics[j], codes) << j;
        EXPECT_EQ(one.errors[j], "");
      }
    }
  }
}

TEST(InMemoryTest, BatchArraysFailOneAnalysisAtATime) {
  const std::vector<double> yi{0.1, 0.2, 0.3, 0.4, kNaN, 0.6, 0.7, 0.8};
  const std::vector<double> vi{0.01, 0.02, -0.03, 0.04, 0.05, 0.06, kNaN, 0.08};
  const std::vector<std::size_t> offsets{0, 2, 4, 6, 6, 8};
  const BatchArrays r = batch_arrays(yi, vi, offsets, FitOptions{});
  ASSERT_EQ(r.analyses, 5u);
  EXPECT_EQ(r.errors[0], "");
  EXPECT_NE(r.errors[1].find("yi[2], vi[2]: a sampling variance cannot be negative"),
            std::string::npos)
      << r.errors[1];
  EXPECT_TRUE(std::isnan(r.column("estimate")->numbers[1]));
  EXPECT_EQ(r.column("k")->integers[1], -1);
  EXPECT_EQ(r.errors[2], "");  // study 4 is missing: one study left
  EXPECT_EQ(r.column("k")->integers[2], 1);
  EXPECT_NE(r.diagnostics[2].find("row_excluded_missing"), std::string::npos);
  EXPECT_FALSE(r.errors[3].empty());  // no study at all
  EXPECT_EQ(r.column("k")->integers[4], 1);
  EXPECT_DOUBLE_EQ(r.column("estimate")->numbers[4], 0.8);

  const std::vector<std::size_t> bad_end{0, 2, 7};
  const std::vector<std::size_t> decreasing{0, 5, 3, 8};
  EXPECT_THROW((void)batch_arrays(yi, vi, bad_end, FitOptions{}), InputError);
  EXPECT_THROW((void)batch_arrays(yi, vi, decreasing, FitOptions{}), InputError);
  FitOptions mh;
  mh.method = Method::MH;
  EXPECT_THROW((void)batch_arrays(yi, vi, offsets, mh), InputError);
}

}  // namespace
}  // namespace evident

namespace evident {
namespace {

// A front end's typed values through the parameter tables, and the request they make.
TEST(InMemoryTest, RequestsFromNamedValues) {
  Request request;
  const std::vector<NamedValue> values{{"measure", std::string("RR")},
                                       {"method", std::string("DL")},
                                       {"level", std::int64_t{90}},
                                       {"mods", std::string("ablat")}};
  EXPECT_FALSE(set_request(request, RequestKind::fit, values));
  EXPECT_EQ(request.analysis.effect.measure, Measure::RR);
  EXPECT_EQ(request.analysis.fit.method, Method::DL);
  EXPECT_EQ(request.analysis.fit.level, 90.0);
  EXPECT_EQ(request.moderators.moderators.terms, std::vector<std::string>{"ablat"});

  Request bad;
  const std::vector<NamedValue> unknown{{"order", std::string("year")}};
  auto problem = set_request(bad, RequestKind::fit, unknown);  // influence's, not fit's
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->param, "order");
  EXPECT_FALSE(set_request(bad, RequestKind::influence, unknown));
  const std::vector<NamedValue> mh{{"method", std::string("MH")}, {"mods", std::string("a")}};
  problem = set_request(bad, RequestKind::fit, mh);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->param, "method");
  const std::vector<NamedValue> level{{"level", 150.0}};
  problem = set_request(bad, RequestKind::bias, level);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->param, "level");
}

}  // namespace
}  // namespace evident
