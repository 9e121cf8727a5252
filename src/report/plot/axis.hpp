#pragma once
// Axes: a value range, tick positions and labels that do not collide.

#include <string>
#include <vector>

#include "report/plot/scene.hpp"

namespace evident::plot {

// An axis over [lo, hi] on the analysis scale. With `log_scale`, values are natural logarithms
// and labels show exp(value) (ratio measures drawn on their natural scale).
struct Axis {
  double lo = 0.0, hi = 1.0;
  bool log_scale = false;
  std::vector<double> ticks;        // analysis scale
  std::vector<std::string> labels;  // one per tick; empty where a label would not fit

  // Position of `value` on a segment [p0, p1] (p1 < p0 for axes pointing up).
  [[nodiscard]] double map(double value, double p0, double p1) const {
    return p0 + (value - lo) / (hi - lo) * (p1 - p0);
  }
};

// An axis covering [lo, hi] (analysis scale) and `must_include` (the line of no effect), with
// "nice" ticks (1, 2, 5 times a power of ten; on a log axis 0.01, 0.1, 1, 10 ... or 0.5, 1, 2),
// extended to the outer ticks. A log axis is made symmetric about `must_include`, as RevMan
// draws ratio axes. Labels that would be closer than their own width are left out, never drawn
// over each other; `length` is the axis length in points.
[[nodiscard]] Axis make_axis(double lo, double hi, bool log_scale, double must_include,
                             bool symmetric, TextMeasure& measure, const Font& font, double length);

// A value as a tick label: up to 3 significant digits, no trailing zeros ("0.05", "1", "250").
[[nodiscard]] std::string tick_label(double natural_value);

}  // namespace evident::plot
