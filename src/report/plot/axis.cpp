#include "report/plot/axis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace evident::plot {

namespace {

// Ratio axes are drawn at most between 1/1000 and 1000: a study with zero events and a
// continuity correction can have an interval far wider, which is then drawn with an arrow.
constexpr double kMaxLogRange = 6.907755278982137;  // log(1000)

// Heckbert's "nice numbers" (Graphics Gems, 1990): the 1, 2 or 5 times a power of ten closest
// above `rough`.
double nice_step(double rough) {
  const double p = std::pow(10.0, std::floor(std::log10(rough)));
  const double f = rough / p;
  if (f <= 1.0) return p;
  if (f <= 2.0) return 2.0 * p;
  if (f <= 5.0) return 5.0 * p;
  return 10.0 * p;
}

int decimals_for(double step) {
  return std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
}

std::string fixed_label(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// Leaves out labels that would come closer than `gap` to the previous label kept.
void thin_labels(Axis& axis, TextMeasure& measure, const Font& font, double length) {
  constexpr double gap = 5.0;
  double last_right = -1e300;
  for (std::size_t i = 0; i < axis.ticks.size(); ++i) {
    const double x = axis.map(axis.ticks[i], 0.0, length);
    const double w = measure.width(axis.labels[i], font);
    if (x - w / 2.0 < last_right + gap) {
      axis.labels[i].clear();
      continue;
    }
    last_right = x + w / 2.0;
  }
}

bool labels_fit(const Axis& axis, TextMeasure& measure, const Font& font, double length) {
  constexpr double gap = 5.0;
  double last_right = -1e300;
  for (std::size_t i = 0; i < axis.ticks.size(); ++i) {
    const double x = axis.map(axis.ticks[i], 0.0, length);
    const double w = measure.width(axis.labels[i], font);
    if (x - w / 2.0 < last_right + gap) return false;
    last_right = x + w / 2.0;
  }
  return true;
}

Axis linear_axis(double lo, double hi, TextMeasure& measure, const Font& font, double length) {
  Axis best;
  for (int target : {6, 5, 4, 3, 2}) {
    const double step = nice_step((hi - lo) / target);
    Axis a;
    a.lo = std::floor(lo / step + 1e-9) * step;
    a.hi = std::ceil(hi / step - 1e-9) * step;
    const int n = static_cast<int>(std::lround((a.hi - a.lo) / step));
    const int decimals = decimals_for(step);
    for (int i = 0; i <= n; ++i) {
      const double t = a.lo + i * step;
      a.ticks.push_back(t);
      a.labels.push_back(fixed_label(t, decimals));
    }
    best = a;
    if (labels_fit(a, measure, font, length)) return a;
  }
  thin_labels(best, measure, font, length);
  return best;
}

// Candidate ticks on the natural scale of a ratio: `mantissas` times powers of ten.
std::vector<double> ratio_candidates(std::initializer_list<double> mantissas, int every) {
  std::vector<double> out;
  for (int e = -4; e <= 4; ++e) {
    if ((e + 400) % every != 0) continue;
    for (double m : mantissas)
      out.push_back(m * std::pow(10.0, e));
  }
  return out;
}

Axis log_axis(double lo, double hi, TextMeasure& measure, const Font& font, double length) {
  const double nlo = std::exp(lo), nhi = std::exp(hi);
  const double decades = std::log10(nhi / nlo);
  Axis best;
  best.log_scale = true;
  if (decades <= 0.8) {
    // A narrow range: nice steps on the natural scale (0.6, 0.8, 1, 1.2 ...), placed on the log
    // axis; a step that would put a tick at or below 0 is too coarse.
    for (int target : {6, 5, 4, 3, 2}) {
      const double step = nice_step((nhi - nlo) / target);
      const double tlo = std::floor(nlo / step + 1e-9) * step;
      if (!(tlo > 0.0)) continue;
      const double thi = std::ceil(nhi / step - 1e-9) * step;
      Axis a;
      a.log_scale = true;
      a.lo = std::log(tlo);
      a.hi = std::log(thi);
      const int n = static_cast<int>(std::lround((thi - tlo) / step));
      const int decimals = decimals_for(step);
      for (int i = 0; i <= n; ++i) {
        const double t = tlo + i * step;
        a.ticks.push_back(std::log(t));
        a.labels.push_back(fixed_label(t, decimals));
      }
      best = a;
      if (labels_fit(a, measure, font, length)) return a;
    }
    if (!best.ticks.empty()) {
      thin_labels(best, measure, font, length);
      return best;
    }
  }
  // 1-2-5 ticks, then decades, then every other decade: each set is closed under 1/x, so a
  // symmetric range stays symmetric.
  const std::vector<std::vector<double>> sets{
      ratio_candidates({1.0, 2.0, 5.0}, 1), ratio_candidates({1.0}, 1), ratio_candidates({1.0}, 2)};
  for (const auto& candidates : sets) {
    double tlo = candidates.front(), thi = candidates.back();
    for (double c : candidates) {
      if (c <= nlo * (1 + 1e-9)) tlo = c;
    }
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
      if (*it >= nhi * (1 - 1e-9)) thi = *it;
    }
    Axis a;
    a.log_scale = true;
    a.lo = std::log(tlo);
    a.hi = std::log(thi);
    for (double c : candidates) {
      if (c >= tlo * (1 - 1e-9) && c <= thi * (1 + 1e-9)) {
        a.ticks.push_back(std::log(c));
        a.labels.push_back(tick_label(c));
      }
    }
    best = a;
    if (a.ticks.size() >= 2 && labels_fit(a, measure, font, length)) return a;
  }
  thin_labels(best, measure, font, length);
  return best;
}

}  // namespace

std::string tick_label(double v) {
  if (v == 0.0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::max(0, 2 - magnitude);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

Axis make_axis(double lo, double hi, bool log_scale, double must_include, bool symmetric,
               TextMeasure& measure, const Font& font, double length) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = must_include - 1.0;
    hi = must_include + 1.0;
  }
  if (std::isfinite(must_include)) {
    lo = std::min(lo, must_include);
    hi = std::max(hi, must_include);
  }
  if (symmetric && std::isfinite(must_include)) {
    const double m = std::max(must_include - lo, hi - must_include);
    lo = must_include - m;
    hi = must_include + m;
  }
  if (log_scale) {
    lo = std::max(lo, -kMaxLogRange);
    hi = std::min(hi, kMaxLogRange);
  }
  if (!(hi - lo > 1e-12)) {
    const double pad = log_scale ? std::log(2.0) : std::max(1.0, std::fabs(lo) * 0.5);
    lo -= pad;
    hi += pad;
  }
  return log_scale ? log_axis(lo, hi, measure, font, length)
                   : linear_axis(lo, hi, measure, font, length);
}

}  // namespace evident::plot
