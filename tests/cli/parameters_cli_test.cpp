// The front ends built from the parameter tables agree: the same analysis asked through the
// command line's flags and through review.toml is the same AnalysisSpec, for every analysis
// parameter; each parameter's bad values are rejected by both with a message naming it; every
// option of every subcommand rejects a bad value naming its flag; help lists what the tables hold.

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command_options.hpp"
#include "cli/option_tables.hpp"
#include "cli/options.hpp"
#include "cli/run.hpp"
#include "evident/evident.hpp"
#include "evident/methods/parameters.hpp"

namespace {

namespace fs = std::filesystem;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

struct Result {
  int code = -1;
  std::string out, err;
};

Result run(const std::vector<std::string>& args) {
  std::istringstream in;
  std::ostringstream out, err;
  Result r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A review folder with one data file, removed afterwards.
class ReviewFolder {
 public:
  ReviewFolder() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("evident-params-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
    std::ofstream(path_ / "d.csv") << "study,ai,n1i,ci,n2i\nA,1,10,2,10\n";
  }
  ~ReviewFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ReviewFolder(const ReviewFolder&) = delete;
  ReviewFolder& operator=(const ReviewFolder&) = delete;

  // A manifest with one outcome holding `keys` (under [defaults] when `in_defaults`).
  std::string write(const std::string& keys, bool in_defaults = false) const {
    std::ofstream f(path_ / "review.toml");
    if (in_defaults) f << "[defaults]\n" << keys << "\n";
    f << "[[outcome]]\nid = \"o\"\ndata = \"d.csv\"\n";
    if (!in_defaults) f << keys << "\n";
    return path_.string();
  }

 private:
  fs::path path_;
};

evident::AnalysisSpec manifest_spec(const std::string& keys, bool in_defaults = false) {
  ReviewFolder folder;
  const evident::Manifest m = evident::read_manifest(folder.write(keys, in_defaults));
  evident::AnalysisSpec spec = m.outcomes.at(0).analysis;
  // How many threads a fit uses is how the command line runs, not what it analyses.
  spec.fit.threads = evident::cli::command_line_spec().fit.threads;
  return spec;
}

std::string manifest_error(const std::string& keys) {
  ReviewFolder folder;
  try {
    (void)evident::read_manifest(folder.write(keys));
  } catch (const evident::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

struct SameAnalysis {
  std::vector<std::string> flags;
  std::string keys;
};

// Between them, the cases give every analysis parameter a value other than its default.
const std::vector<SameAnalysis> kSame = {
    {{"--measure", "RR"}, "measure = \"RR\""},
    {{"--measure", "smd"}, "measure = \"smd\""},  // names are case-insensitive in both
    {{"--measure", "PFT"}, "measure = \"PFT\""},  // add defaults to 0
    {{"--measure", "OR", "--method", "DL"}, "measure = \"OR\"\nmethod = \"DL\""},
    {{"--measure", "OR", "--method", "MH"}, "measure = \"OR\"\nmethod = \"MH\""},  // drop00
    {{"--measure", "OR", "--method", "PETO"}, "measure = \"OR\"\nmethod = \"PETO\""},
    {{"--measure", "RR", "--method", "EE"}, "measure = \"RR\"\nmethod = \"EE\""},
    {{"--measure", "RR", "--test", "knha"}, "measure = \"RR\"\ntest = \"knha\""},
    {{"--measure", "RR", "--level", "90"}, "measure = \"RR\"\nlevel = 90"},
    {{"--measure", "RR", "--level", "92.5"}, "measure = \"RR\"\nlevel = 92.5"},
    {{"--measure", "RR", "--add", "0.25"}, "measure = \"RR\"\nadd = 0.25"},
    {{"--measure", "PAS", "--add", "1"}, "measure = \"PAS\"\nadd = 1"},
    {{"--measure", "RR", "--to", "all"}, "measure = \"RR\"\nto = \"all\""},
    {{"--measure", "RR", "--to", "none"}, "measure = \"RR\"\nto = \"none\""},
    {{"--measure", "RR", "--drop00", "true"}, "measure = \"RR\"\ndrop00 = true"},
    {{"--measure", "OR", "--method", "MH", "--drop00", "false"},
     "measure = \"OR\"\nmethod = \"MH\"\ndrop00 = false"},
    {{"--measure", "RR", "--multiarm", "split"}, "measure = \"RR\"\nmultiarm = \"split\""},
    {{"--measure", "MD", "--multiarm", "combine"}, "measure = \"MD\"\nmultiarm = \"combine\""},
    {{"--measure", "GEN", "--transf", "log"}, "measure = \"GEN\"\ntransf = \"log\""},
    {{"--measure", "OR", "--method", "BAYES", "--prior-tau", "halfcauchy:1", "--prior-mu",
      "normal:0,4"},
     "measure = \"OR\"\nmethod = \"BAYES\"\nprior_tau = \"halfcauchy:1\"\n"
     "prior_mu = \"normal:0,4\""},
    {{"--measure", "RR", "--random", "~ 1 | district/school", "--test", "t", "--rho", "0.6",
      "--cluster", "district", "--obs", "school", "--robust", "district", "--small-sample", "CR2",
      "--profile", "false"},
     "measure = \"RR\"\nrandom = \"~ 1 | district/school\"\ntest = \"t\"\nrho = 0.6\ncluster = "
     "\"district\"\n"
     "obs = \"school\"\nrobust = \"district\"\nsmall_sample = \"CR2\"\nprofile = false"},
    {{"--measure", "RR", "--random", "~ outcome | study", "--struct", "UN"},
     "measure = \"RR\"\nrandom = \"~ outcome | study\"\nstruct = \"UN\""},
    {{"--measure", "RR", "--random", "~ 1 | a", "--V", "v.csv"},
     "measure = \"RR\"\nrandom = \"~ 1 | a\"\nV = \"v.csv\""},
    {{"--measure", "RR", "--random", "~ 1 | a", "--random", "~ 1 | b"},
     "measure = \"RR\"\nrandom = [\"~ 1 | a\", \"~ 1 | b\"]"},
    {{"--measure", "IRR", "--method", "ML", "--test", "knha", "--level", "99", "--add", "0.1",
      "--to", "if0all", "--drop00", "true", "--multiarm", "split"},
     "measure = \"IRR\"\nmethod = \"ML\"\ntest = \"knha\"\nlevel = 99\nadd = 0.1\n"
     "to = \"if0all\"\ndrop00 = true\nmultiarm = \"split\""},
};

TEST(FrontEnds, FlagsAndManifestKeysGiveTheSameAnalysis) {
  for (const SameAnalysis& c : kSame) {
    const evident::AnalysisSpec cli = evident::cli::parse_analysis_spec(c.flags);
    EXPECT_TRUE(cli == manifest_spec(c.keys)) << c.keys;
    EXPECT_TRUE(cli == manifest_spec(c.keys, true)) << "[defaults]\n" << c.keys;
  }
}

TEST(FrontEnds, EveryAnalysisParameterIsComparedWithANonDefaultValue) {
  const evident::AnalysisSpec defaults = evident::cli::parse_analysis_spec({"--measure", "RR"});
  for (const auto& p : evident::analysis_parameters().params) {
    bool changed = false;
    for (const SameAnalysis& c : kSame) {
      if (std::find(c.flags.begin(), c.flags.end(), evident::cli::flag_name(p.name)) ==
          c.flags.end()) {
        continue;
      }
      const evident::AnalysisSpec spec = evident::cli::parse_analysis_spec(c.flags);
      if (p.get && p.get(spec) != p.get(defaults)) changed = true;
      if (!p.get) changed = true;  // a default that depends on others: given at all
    }
    EXPECT_TRUE(changed) << p.name << " has no case in kSame";
  }
}

struct BadValue {
  std::string param;
  std::vector<std::string> flags;  // after `fit -`
  std::string keys;
  std::string cli_message;   // after "--param: "
  std::string toml_message;  // after "outcome[1].param: "
};

const std::vector<BadValue> kBad = {
    {"prior_tau",
     {"--method", "BAYES", "--prior-tau", "halfnormal:-1"},
     "measure = \"RR\"\nmethod = \"BAYES\"\nprior_tau = \"halfnormal:-1\"",
     "'halfnormal:-1': the scale S of halfnormal:S must be a positive number",
     "'halfnormal:-1': the scale S of halfnormal:S must be a positive number"},
    {"prior_mu",
     {"--method", "BAYES", "--prior-mu", "normal:0"},
     "measure = \"RR\"\nmethod = \"BAYES\"\nprior_mu = \"normal:0\"",
     "'normal:0': normal:M,S needs a mean M and a positive SD S",
     "'normal:0': normal:M,S needs a mean M and a positive SD S"},
    {"measure",
     {"--measure", "XYZ"},
     "measure = \"XYZ\"",
     "unknown measure 'XYZ'",
     "unknown measure 'XYZ' (known: GEN, MD"},
    {"method",
     {"--method", "XYZ"},
     "measure = \"RR\"\nmethod = \"XYZ\"",
     "unknown method 'XYZ'",
     "unknown method 'XYZ' (known: FE, DL"},
    {"test",
     {"--test", "x"},
     "measure = \"RR\"\ntest = \"x\"",
     "unknown test 'x'",
     "unknown test 'x' (known: z, knha, t)"},
    {"test",
     {"--test", "t"},
     "measure = \"RR\"\ntest = \"t\"",
     "--test t is the test of multilevel models (--random); for this model use z or knha",
     "test t is the test of multilevel models (random); for this model use z or knha"},
    {"random",
     {"--random", "~ outcome | study/arm"},
     "random = \"~ outcome | study/arm\"",
     "'~ outcome | study/arm' is not a random-effects formula: '~ outcome | study/arm': a "
     "correlated random effect has one outer factor",
     "'~ outcome | study/arm' is not a random-effects formula: '~ outcome | study/arm': a "
     "correlated random effect has one outer factor"},
    {"struct",
     {"--struct", "UN"},
     "struct = \"UN\"",
     "--struct belongs to a multilevel model, which --random asks for",
     "struct belongs to a multilevel model, which random asks for"},
    {"struct",
     {"--random", "~ outcome | study", "--struct", "XY"},
     "random = \"~ outcome | study\"\nstruct = \"XY\"",
     "XY not in {CS,HCS,UN,ID,DIAG,AR,HAR}",
     "XY not in {CS,HCS,UN,ID,DIAG,AR,HAR}"},
    {"random",
     {"--random", "~ 1 | a", "--method", "DL"},
     "random = \"~ 1 | a\"\nmethod = \"DL\"",
     "a multilevel model (--random) is fitted by --method REML or ML, not DL",
     "a multilevel model (random) is fitted by method REML or ML, not DL"},
    {"rho",
     {"--random", "~ 1 | a", "--rho", "1"},
     "random = \"~ 1 | a\"\nrho = 1",
     "a correlation must lie strictly between -1 and 1, not 1",
     "a correlation must lie strictly between -1 and 1, not 1"},
    {"cluster",
     {"--cluster", "a"},
     "cluster = \"a\"",
     "--cluster belongs to a multilevel model, which --random asks for",
     "cluster belongs to a multilevel model, which random asks for"},
    {"obs",
     {"--obs", "a"},
     "obs = \"a\"",
     "--obs belongs to a multilevel model, which --random asks for",
     "obs belongs to a multilevel model, which random asks for"},
    {"robust",
     {"--robust", "a"},
     "robust = \"a\"",
     "--robust belongs to a multilevel model, which --random asks for",
     "robust belongs to a multilevel model, which random asks for"},
    {"V",
     {"--V", "v.csv"},
     "V = \"v.csv\"",
     "--V belongs to a multilevel model, which --random asks for",
     "V belongs to a multilevel model, which random asks for"},
    {"profile",
     {"--profile", "false"},
     "profile = false",
     "--profile belongs to a multilevel model, which --random asks for",
     "profile belongs to a multilevel model, which random asks for"},
    {"small_sample",
     {"--random", "~ 1 | a", "--small-sample", "CR2"},
     "random = \"~ 1 | a\"\nsmall_sample = \"CR2\"",
     "--small-sample chooses the correction of --robust, which is not given",
     "small_sample chooses the correction of robust, which is not given"},
    {"level",
     {"--level", "200"},
     "measure = \"RR\"\nlevel = 200",
     "level must be a percentage strictly between 0 and 100, not 200",
     "level must be a percentage strictly between 0 and 100, not 200"},
    {"level",
     {"--level", "0"},
     "measure = \"RR\"\nlevel = 0",
     "level must be a percentage strictly between 0 and 100, not 0",
     "level must be a percentage strictly between 0 and 100, not 0"},
    {"level",
     {"--level", "x"},
     "measure = \"RR\"\nlevel = \"x\"",
     "expected a number, not 'x'",
     "expected a number"},
    {"add",
     {"--add", "-1"},
     "measure = \"RR\"\nadd = -1",
     "the zero-cell correction --add must be 0 or positive",
     "the zero-cell correction add must be 0 or positive"},
    {"to",
     {"--to", "bad"},
     "measure = \"RR\"\nto = \"bad\"",
     "bad not in {only0,all,if0all,none}",
     "bad not in {only0,all,if0all,none}"},
    {"drop00",
     {"--drop00", "yes"},
     "measure = \"RR\"\ndrop00 = \"yes\"",
     "yes not in {true,false}",
     "expected true or false"},
    {"multiarm",
     {"--multiarm", "x"},
     "measure = \"RR\"\nmultiarm = \"x\"",
     "x not in {auto,combine,split}",
     "x not in {auto,combine,split}"},
    {"transf", {"--transf", "x"}, "transf = \"x\"", "x not in {none,log}", "x not in {none,log}"},
    // A rule between parameters, named by the one that does not fit.
    {"transf",
     {"--measure", "RR", "--transf", "log"},
     "measure = \"RR\"\ntransf = \"log\"",
     "--transf applies to effect sizes given directly (yi with a confidence interval or p-value), "
     "not to --measure RR",
     "transf applies to effect sizes given directly (yi with a confidence interval or p-value), "
     "not to measure RR"},
};

TEST(FrontEnds, BadValuesAreRejectedByBothNamingTheParameter) {
  for (const BadValue& c : kBad) {
    std::vector<std::string> args{"fit", "-"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const Result r = run(args);
    EXPECT_EQ(r.code, evident::cli::kExitBadInput) << c.keys;
    EXPECT_TRUE(contains(r.err, evident::cli::flag_name(c.param) + ": " + c.cli_message)) << r.err;

    const std::string error = manifest_error(c.keys);
    EXPECT_TRUE(contains(error, "review.toml:")) << error;
    EXPECT_TRUE(contains(error, "outcome[1]." + c.param + ": " + c.toml_message)) << error;
  }
  for (const auto& p : evident::analysis_parameters().params) {
    EXPECT_TRUE(
        std::any_of(kBad.begin(), kBad.end(), [&](const BadValue& c) { return c.param == p.name; }))
        << p.name << " has no bad value in kBad";
  }
}

// A value each parameter must refuse, by its type and check; empty when any text is a value.
std::string bad_value(const evident::ParamInfo& p) {
  if (p.match != evident::ChoiceMatch::none) return "no-such-choice";
  switch (p.type) {
    case evident::ParamType::number:
    case evident::ParamType::number_list:
      return "x";
    case evident::ParamType::count:
      return "-1";
    case evident::ParamType::boolean:
      return "maybe";
    case evident::ParamType::text:
    case evident::ParamType::text_list:
      return p.check ? "no-equals-sign.txt" : "";
    case evident::ParamType::flag:
      return "";
  }
  return "";
}

struct Command {
  std::vector<std::string> args;  // the subcommand and what it requires
  std::vector<const evident::ParamInfo*> params;
};

template <class Target>
void add(std::vector<const evident::ParamInfo*>& to, const evident::ParameterTable<Target>& t) {
  for (const auto& p : t.params) {
    if (!p.positional) to.push_back(&p);
  }
}

std::vector<Command> commands() {
  using namespace evident;
  using namespace evident::cli;
  std::vector<Command> out;
  Command fit{{"fit", "-"}, {}};
  add(fit.params, analysis_parameters());
  add(fit.params, moderator_parameters());
  add(fit.params, format_parameters());
  add(fit.params, plot_parameters());
  out.push_back(fit);
  Command influence{{"influence", "-"}, {}};
  add(influence.params, analysis_parameters());
  add(influence.params, influence_parameters());
  add(influence.params, format_parameters());
  out.push_back(influence);
  Command bias{{"bias", "-"}, {}};
  add(bias.params, analysis_parameters());
  add(bias.params, bias_parameters());
  add(bias.params, format_parameters());
  out.push_back(bias);
  Command batch{{"batch", "-", "--by", "id", "--out", "-"}, {}};
  add(batch.params, batch_input_parameters());
  add(batch.params, analysis_parameters());
  add(batch.params, batch_output_parameters());
  out.push_back(batch);
  Command simulate{{"simulate"}, {}};
  add(simulate.params, simulate_parameters());
  out.push_back(simulate);
  Command review{{"review", "no-such-folder"}, {}};
  add(review.params, review_parameters());
  out.push_back(review);
  return out;
}

TEST(FrontEnds, EveryOptionRejectsABadValueNamingItsFlag) {
  std::size_t checked = 0;
  for (const Command& c : commands()) {
    for (const evident::ParamInfo* p : c.params) {
      const std::string value = bad_value(*p);
      if (value.empty()) continue;
      for (const std::string& name : [&] {
             std::vector<std::string> names{p->name};
             names.insert(names.end(), p->aliases.begin(), p->aliases.end());
             return names;
           }()) {
        std::vector<std::string> args = c.args;
        args.push_back(evident::cli::flag_name(name));
        args.push_back(value);
        const Result r = run(args);
        EXPECT_EQ(r.code, evident::cli::kExitBadInput) << args[0] << " " << name;
        EXPECT_TRUE(r.err.starts_with("evident: " + evident::cli::flag_name(name) + ": "))
            << args[0] << " " << name << ": " << r.err;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 40u);
}

TEST(FrontEnds, TheSubgroupTau2AliasStillWorks) {
  const std::string data = std::string(EVIDENT_REFERENCE_DIR) + "/data/bcg.csv";
  const Result alias = run({"fit", data, "--measure", "RR", "--subgroup", "alloc", "--tau2",
                            "common", "--format", "json"});
  const Result name = run({"fit", data, "--measure", "RR", "--subgroup", "alloc", "--subgroup-tau2",
                           "common", "--format", "json"});
  EXPECT_EQ(alias.code, 0) << alias.err;
  EXPECT_EQ(alias.out, name.out);
  EXPECT_TRUE(contains(alias.out, "\"tau2\": \"common\"")) << alias.out;
  // Each message names the flag the command line used.
  EXPECT_TRUE(contains(run({"fit", data, "--tau2", "common"}).err, "--tau2 needs --subgroup"));
  EXPECT_TRUE(contains(run({"fit", data, "--subgroup-tau2", "common"}).err,
                       "--subgroup-tau2 needs --subgroup"));
  // simulate's --tau2 is the true tau2, a number.
  EXPECT_EQ(run({"simulate", "--analyses", "1", "--k", "2", "--tau2", "0.2"}).code, 0);
  // The old name is not advertised.
  EXPECT_FALSE(contains(run({"fit", "--help"}).out, "--tau2 "));
}

TEST(FrontEnds, HelpListsEveryParameterWithItsHelp) {
  for (const Command& c : commands()) {
    const std::string help = run({c.args[0], "--help"}).out;
    for (const evident::ParamInfo* p : c.params) {
      EXPECT_TRUE(contains(help, evident::cli::flag_name(p->name) + " ")) << p->name;
      const std::string first_line = p->help.substr(0, p->help.find('\n'));
      EXPECT_TRUE(contains(help, evident::cli::cli_text(first_line))) << p->name;
    }
  }
}

}  // namespace
