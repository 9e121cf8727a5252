#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include "evident/model/fit.hpp"

namespace evident {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) ==
           std::toupper(static_cast<unsigned char>(y));
  });
}

struct MethodName {
  Method method;
  std::string_view name;
};
constexpr std::array kMethodNames{
    MethodName{Method::FE, "FE"},     MethodName{Method::FE, "EE"},
    MethodName{Method::FE, "CE"},     MethodName{Method::DL, "DL"},
    MethodName{Method::HE, "HE"},     MethodName{Method::HS, "HS"},
    MethodName{Method::SJ, "SJ"},     MethodName{Method::ML, "ML"},
    MethodName{Method::REML, "REML"}, MethodName{Method::EB, "EB"},
    MethodName{Method::PM, "PM"},     MethodName{Method::MH, "MH"},
    MethodName{Method::PETO, "PETO"}, MethodName{Method::BAYES, "BAYES"},
};

}  // namespace

std::string_view method_name(Method m) noexcept {
  for (const auto& entry : kMethodNames) {
    if (entry.method == m) return entry.name;
  }
  return "?";
}

std::optional<Method> parse_method(std::string_view name) noexcept {
  for (const auto& entry : kMethodNames) {
    if (iequals(entry.name, name)) return entry.method;
  }
  return std::nullopt;
}

std::string_view test_name(Test t) noexcept {
  switch (t) {
    case Test::z:
      return "z";
    case Test::knha:
      return "knha";
    case Test::t:
      return "t";
  }
  return "?";
}

std::optional<Test> parse_test(std::string_view name) noexcept {
  if (iequals(name, "z")) return Test::z;
  if (iequals(name, "knha") || iequals(name, "hksj")) return Test::knha;
  if (iequals(name, "t")) return Test::t;
  return std::nullopt;
}

bool is_iterative(Method m) noexcept {
  return m == Method::ML || m == Method::REML || m == Method::EB || m == Method::PM;
}

bool is_random_effects(Method m) noexcept {
  return !(m == Method::FE || works_on_counts(m));
}

bool works_on_counts(Method m) noexcept {
  return m == Method::MH || m == Method::PETO;
}

std::string_view termination_name(Termination t) noexcept {
  switch (t) {
    case Termination::closed_form:
      return "closed_form";
    case Termination::converged:
      return "converged";
    case Termination::boundary:
      return "boundary";
    case Termination::max_iterations:
      return "max_iterations";
    case Termination::single_study:
      return "single_study";
    case Termination::not_estimable:
      return "not_estimable";
  }
  return "?";
}

std::optional<std::string> FitOptions::validate() const {
  if (!(level > 0.0 && level < 100.0)) {
    return fmt::format("level must be a percentage strictly between 0 and 100, not {}", level);
  }
  if (!(tau2_tolerance > 0.0 && tau2_tolerance < 1.0)) {
    return fmt::format("tau2 tolerance must be in (0, 1), not {}", tau2_tolerance);
  }
  if (max_iterations < 1) return fmt::format("max_iterations must be >= 1, not {}", max_iterations);
  return std::nullopt;
}

}  // namespace evident
