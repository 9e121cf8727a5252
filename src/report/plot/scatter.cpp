// Funnel, bubble and Baujat plots: points in a frame with two axes.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "report/plot/axis.hpp"
#include "report/plot/layout.hpp"
#include "stats/distributions.hpp"

namespace evident::plot {

namespace {

constexpr double kMargin = 10.0;
constexpr double kPlotWidth = 280.0;
constexpr double kPlotHeight = 210.0;
const Font kBody{8.0};
const Font kTitle{9.5, true};
const Font kTick{7.5};

constexpr double kInf = std::numeric_limits<double>::infinity();

// The plotting area and its axes. y grows downwards on the page; `y_down` puts the axis minimum
// at the top (a funnel plot's standard error axis).
struct Frame {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  Axis ax, ay;
  bool y_down = false;
  [[nodiscard]] double px(double v) const { return ax.map(v, x0, x1); }
  [[nodiscard]] double py(double v) const { return y_down ? ay.map(v, y0, y1) : ay.map(v, y1, y0); }
};

struct Range {
  double lo = kInf, hi = -kInf;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

// Title, the y-axis name above the axis, tick labels, the x-axis name under the axis.
Frame make_frame(Scene& s, TextMeasure& m, const std::string& title, const std::string& x_label,
                 const std::string& y_label, Axis ax, Axis ay, bool y_down) {
  Frame f;
  f.ax = std::move(ax);
  f.ay = std::move(ay);
  f.y_down = y_down;
  const FontMetrics mb = m.metrics(kBody);
  const FontMetrics mt = m.metrics(kTick);
  double label_w = 0.0;
  for (const auto& l : f.ay.labels)
    label_w = std::max(label_w, m.width(l, kTick));
  double y = kMargin;
  const double page_width = kMargin + label_w + 8.0 + kPlotWidth + kMargin;
  if (!title.empty()) {
    const FontMetrics mtitle = m.metrics(kTitle);
    for (const auto& line : wrap(m, title, kTitle, page_width - 2 * kMargin, 2)) {
      s.add_text(m, {kMargin, y + mtitle.ascent, line, kTitle});
      y += mtitle.height() * 1.2;
    }
    y += 4.0;
  }
  if (!y_label.empty()) {
    s.add_text(m, {kMargin, y + mb.ascent, y_label, kBody, Align::left, kGrey});
    y += mb.height() + 6.0;
  }
  f.x0 = kMargin + label_w + 8.0;
  f.x1 = f.x0 + kPlotWidth;
  f.y0 = y;
  f.y1 = y + kPlotHeight;
  s.lines.push_back({f.x0, f.y1, f.x1, f.y1, 0.6, kInk});
  s.lines.push_back({f.x0, f.y0, f.x0, f.y1, 0.6, kInk});
  const double base = f.y1 + 3.0 + 1.5 + mt.ascent;
  for (std::size_t i = 0; i < f.ax.ticks.size(); ++i) {
    const double x = f.px(f.ax.ticks[i]);
    s.lines.push_back({x, f.y1, x, f.y1 + 3.0, 0.6, kInk});
    if (!f.ax.labels[i].empty()) s.add_text(m, {x, base, f.ax.labels[i], kTick, Align::center});
  }
  for (std::size_t i = 0; i < f.ay.ticks.size(); ++i) {
    const double yy = f.py(f.ay.ticks[i]);
    s.lines.push_back({f.x0 - 3.0, yy, f.x0, yy, 0.6, kInk});
    if (!f.ay.labels[i].empty()) {
      s.add_text(
          m, {f.x0 - 5.0, yy + (mt.ascent - mt.descent) / 2, f.ay.labels[i], kTick, Align::right});
    }
  }
  double bottom = base + mt.descent;
  if (!x_label.empty()) {
    s.add_text(m, {(f.x0 + f.x1) / 2, bottom + 4.0 + mb.ascent, x_label, kBody, Align::center});
    bottom += 4.0 + mb.height();
  }
  s.width = f.x1 + kMargin;
  s.height = bottom + kMargin;
  return f;
}

// A legend of filled swatches under the x-axis name, in rows no wider than the plotting area.
void add_legend(Scene& s, TextMeasure& m, const Frame& f,
                const std::vector<std::pair<Color, std::string>>& entries) {
  const FontMetrics mb = m.metrics(kBody);
  const double row_h = std::max(11.0, mb.height() * 1.3);
  double x = f.x0;
  double y = s.height - kMargin + 6.0;
  for (const auto& [color, text] : entries) {
    const double w = 13.0 + m.width(text, kBody);
    if (x > f.x0 && x + w > f.x1) {
      x = f.x0;
      y += row_h;
    }
    s.add_rect(x, y, 9.0, 9.0, color);
    s.polygons.push_back(
        {{x, y, x + 9.0, y, x + 9.0, y + 9.0, x, y + 9.0}, kWhite, false, kGrey, 0.4});
    s.add_text(m, {x + 13.0, y + 4.5 + (mb.ascent - mb.descent) / 2, text, kBody});
    x += w + 14.0;
  }
  s.height = y + row_h + kMargin;
}

// Keeps a polygon's x coordinates inside the plotting area (a region wider than the axis).
void clip_x(Polygon& p, const Frame& f) {
  for (std::size_t i = 0; i + 1 < p.xy.size(); i += 2)
    p.xy[i] = std::clamp(p.xy[i], f.x0, f.x1);
}

}  // namespace

Scene layout_funnel(const FunnelPlot& p) {
  TextMeasure m;
  Scene s;
  s.title = p.title.empty() ? "Funnel plot" : p.title;
  double se_max = 0.0;
  for (double se : p.sei) {
    if (std::isfinite(se)) se_max = std::max(se_max, se);
  }
  if (!(se_max > 0)) se_max = 1.0;
  Axis ay = make_axis(0.0, se_max, false, 0.0, false, m, kTick, kPlotHeight);
  const double se_hi = ay.hi;
  const double z = stats::critical_value(p.level, std::nan(""));
  Range xr;
  for (double v : p.yi)
    xr.add(v);
  if (p.contours) {
    xr.add(p.null_value - 2.5758293035489 * se_hi);
    xr.add(p.null_value + 2.5758293035489 * se_hi);
  } else {
    xr.add(p.estimate - z * se_hi);
    xr.add(p.estimate + z * se_hi);
  }
  Axis ax = make_axis(xr.lo, xr.hi, p.log_scale, p.log_scale ? 0.0 : p.null_value, false, m, kTick,
                      kPlotWidth);
  const Frame f = make_frame(s, m, p.title, p.x_label, "Standard error", ax, ay, true);

  auto triangle = [&](double centre, double zz, Color fill) {
    Polygon poly{{f.px(centre - zz * se_hi), f.py(se_hi), f.px(centre), f.py(0.0),
                  f.px(centre + zz * se_hi), f.py(se_hi)},
                 fill};
    clip_x(poly, f);
    s.polygons.push_back(std::move(poly));
  };
  if (p.contours) {
    // Peters et al. (2008): regions where a study would be significant at p < 0.01, 0.05 and
    // 0.10, centred on the line of no effect; darker is more significant.
    const Color p01{0.62, 0.62, 0.65}, p05{0.76, 0.76, 0.78}, p10{0.89, 0.89, 0.90};
    s.add_rect(f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0, p01);
    triangle(p.null_value, 2.5758293035489, p05);
    triangle(p.null_value, 1.9599639845401, p10);
    triangle(p.null_value, 1.6448536269515, kWhite);
    const double nx = f.px(p.null_value);
    s.lines.push_back({nx, f.y0, nx, f.y1, 0.6, kInk});
    add_legend(s, m, f,
               {{kWhite, "p > 0.10"},
                {p10, "0.05 < p < 0.10"},
                {p05, "0.01 < p < 0.05"},
                {p01, "p < 0.01"}});
  } else {
    const Color region{0.90, 0.91, 0.93};
    triangle(p.estimate, z, region);
    const double cx = f.px(p.estimate);
    s.lines.push_back({cx, f.y0, cx, f.y1, 0.7, kInk});
    s.lines.push_back({cx, f.py(0.0), f.px(p.estimate - z * se_hi), f.py(se_hi), 0.6, kGrey, true});
    s.lines.push_back({cx, f.py(0.0), f.px(p.estimate + z * se_hi), f.py(se_hi), 0.6, kGrey, true});
    add_legend(
        s, m, f,
        {{region, fmt::format("pseudo {}% confidence region", fmt::format("{:g}", p.level))}});
  }
  std::string description;
  for (std::size_t i = 0; i < p.yi.size() && i < p.sei.size(); ++i) {
    if (!std::isfinite(p.yi[i]) || !std::isfinite(p.sei[i])) continue;
    const bool open = i < p.open.size() && p.open[i];
    const double cx = std::clamp(f.px(p.yi[i]), f.x0, f.x1);
    s.circles.push_back({cx, f.py(p.sei[i]), 2.6, kMarker, !open, kMarker, 0.7});
    if (!description.empty()) description += "; ";
    description += fmt::format("{}{} (SE {:.3f})", i < p.labels.size() ? p.labels[i] : "",
                               open ? " [filled in]" : "", p.sei[i]);
  }
  s.description = "Funnel plot: " + description;
  s.fit_texts(kMargin);
  return s;
}

Scene layout_bubble(const BubblePlot& p) {
  TextMeasure m;
  Scene s;
  s.title = p.title.empty() ? "Bubble plot" : p.title;
  Range xr, yr;
  for (double v : p.x)
    xr.add(v);
  for (double v : p.yi)
    yr.add(v);
  for (double v : p.band_lb)
    yr.add(v);
  for (double v : p.band_ub)
    yr.add(v);
  Axis ax = make_axis(xr.lo, xr.hi, false, std::nan(""), false, m, kTick, kPlotWidth);
  Axis ay = make_axis(yr.lo, yr.hi, p.log_scale, std::nan(""), false, m, kTick, kPlotHeight);
  const Frame f = make_frame(s, m, p.title, p.x_label, p.y_label, ax, ay, false);
  const std::size_t nl = std::min({p.line_x.size(), p.band_lb.size(), p.band_ub.size()});
  if (nl >= 2) {
    Polygon band{{}, {0.85, 0.88, 0.93}};
    for (std::size_t i = 0; i < nl; ++i) {
      band.xy.push_back(f.px(p.line_x[i]));
      band.xy.push_back(f.py(p.band_ub[i]));
    }
    for (std::size_t i = nl; i-- > 0;) {
      band.xy.push_back(f.px(p.line_x[i]));
      band.xy.push_back(f.py(p.band_lb[i]));
    }
    s.polygons.push_back(std::move(band));
  }
  for (std::size_t i = 0; i + 1 < std::min(p.line_x.size(), p.line_y.size()); ++i) {
    s.lines.push_back({f.px(p.line_x[i]), f.py(p.line_y[i]), f.px(p.line_x[i + 1]),
                       f.py(p.line_y[i + 1]), 1.0, kInk});
  }
  double wmax = 0.0;
  for (double w : p.weight) {
    if (std::isfinite(w)) wmax = std::max(wmax, w);
  }
  for (std::size_t i = 0; i < p.x.size() && i < p.yi.size(); ++i) {
    const double w = i < p.weight.size() ? p.weight[i] : wmax;
    // Area proportional to weight, as metafor's regplot.
    const double r = wmax > 0 ? std::max(1.5, 9.0 * std::sqrt(std::max(w, 0.0) / wmax)) : 3.0;
    s.circles.push_back(
        {f.px(p.x[i]), f.py(p.yi[i]), r, {0.12, 0.31, 0.49, 0.35}, true, kMarker, 0.6});
  }
  s.description = fmt::format("Bubble plot of {} against {}: {} studies", p.y_label, p.x_label,
                              std::min(p.x.size(), p.yi.size()));
  s.fit_texts(kMargin);
  return s;
}

Scene layout_baujat(const BaujatPlot& p) {
  TextMeasure m;
  Scene s;
  s.title = p.title.empty() ? "Baujat plot" : p.title;
  Range xr, yr;
  xr.add(0.0);
  yr.add(0.0);
  for (double v : p.x)
    xr.add(v);
  for (double v : p.y)
    yr.add(v);
  Axis ax = make_axis(xr.lo, xr.hi, false, 0.0, false, m, kTick, kPlotWidth);
  Axis ay = make_axis(yr.lo, yr.hi, false, 0.0, false, m, kTick, kPlotHeight);
  const Frame f = make_frame(s, m, p.title, "Contribution to overall heterogeneity (Q)",
                             "Influence on the overall result", ax, ay, false);
  const FontMetrics mt = m.metrics(kTick);
  // Labels go right, left, above or below their point, wherever they overlap no other label
  // and stay inside the plotting area; a label that fits nowhere is left out (the description
  // still names every study).
  std::vector<Text> placed;
  std::string description;
  const std::size_t n = std::min(p.x.size(), p.y.size());
  for (std::size_t i = 0; i < n; ++i) {
    s.circles.push_back({f.px(p.x[i]), f.py(p.y[i]), 2.4, kMarker, true, kMarker, 0.6});
    if (!description.empty()) description += "; ";
    description +=
        fmt::format("{} ({:.3g}, {:.3g})", i < p.labels.size() ? p.labels[i] : "", p.x[i], p.y[i]);
  }
  // A label must not cover another label or any point.
  auto covers_point = [&](const Text& t) {
    return std::any_of(s.circles.begin(), s.circles.end(), [&](const Circle& c) {
      return c.x + c.r > t.left && c.x - c.r < t.left + t.width && c.y + c.r > t.top &&
             c.y - c.r < t.top + t.height;
    });
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::string label = i < p.labels.size() ? p.labels[i] : "";
    if (label.empty()) continue;
    const double cx = s.circles[i].x, cy = s.circles[i].y;
    const double mid = (mt.ascent - mt.descent) / 2;
    const std::vector<Text> candidates{
        {cx + 4.0, cy + mid, label, kTick, Align::left},
        {cx - 4.0, cy + mid, label, kTick, Align::right},
        {cx, cy - 4.0 - mt.descent, label, kTick, Align::center},
        {cx, cy + 4.0 + mt.ascent, label, kTick, Align::center},
        {cx + 3.0, cy - 3.0 - mt.descent, label, kTick, Align::left},
        {cx - 3.0, cy - 3.0 - mt.descent, label, kTick, Align::right},
        {cx + 3.0, cy + 3.0 + mt.ascent, label, kTick, Align::left},
        {cx - 3.0, cy + 3.0 + mt.ascent, label, kTick, Align::right},
    };
    for (const Text& c : candidates) {
      Scene tmp;
      tmp.add_text(m, c);
      const Text& t = tmp.texts.back();
      if (t.left < f.x0 + 1 || t.left + t.width > f.x1 || t.top < f.y0 ||
          t.top + t.height > f.y1 - 1)
        continue;
      if (covers_point(t)) continue;
      if (std::any_of(placed.begin(), placed.end(), [&](const Text& q) { return overlap(t, q); }))
        continue;
      placed.push_back(t);
      break;
    }
  }
  for (auto& t : placed)
    s.texts.push_back(std::move(t));
  s.description = "Baujat plot: " + description;
  s.fit_texts(kMargin);
  return s;
}

Scene layout_sequential(const SequentialPlot& p) {
  TextMeasure m;
  Scene s;
  s.title = p.title.empty() ? "Trial sequential analysis" : p.title;
  const std::size_t n = std::min(p.participants.size(), p.z.size());
  Range xr, yr;
  xr.add(0.0);
  xr.add(p.information_size * 1.05);
  yr.add(-p.conventional - 1.0);
  yr.add(p.conventional + 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    xr.add(p.participants[i]);
    yr.add(p.z[i]);
  }
  // The boundaries are drawn up to |z| = 8: an O'Brien-Fleming boundary starts far above.
  constexpr double kShownZ = 8.0;
  for (std::size_t i = 0; i < p.efficacy.size(); ++i) {
    if (!std::isfinite(p.efficacy[i])) continue;
    yr.add(std::min(p.efficacy[i], kShownZ));  // the boundaries are symmetric
    yr.add(-std::min(p.efficacy[i], kShownZ));
  }
  for (double b : p.projected_efficacy) {
    if (!std::isfinite(b)) continue;
    yr.add(std::min(b, kShownZ));
    yr.add(-std::min(b, kShownZ));
  }
  yr.lo = std::max(yr.lo, -kShownZ - 0.5);
  yr.hi = std::min(yr.hi, kShownZ + 0.5);
  Axis ax = make_axis(xr.lo, xr.hi, false, 0.0, false, m, kTick, kPlotWidth);
  Axis ay = make_axis(yr.lo, yr.hi, false, 0.0, true, m, kTick, kPlotHeight);
  const Frame f =
      make_frame(s, m, s.title, "Cumulative number of participants", "Cumulative z", ax, ay, false);
  auto inside = [&](double z) { return std::clamp(z, yr.lo, yr.hi); };
  // The conventional limits of one test, and no effect.
  for (double z : {p.conventional, -p.conventional}) {
    Line l{f.x0, f.py(z), f.x1, f.py(z), 0.6, kGrey};
    l.dashed = true;
    s.back_lines.push_back(l);
  }
  s.back_lines.push_back({f.x0, f.py(0.0), f.x1, f.py(0.0), 0.5, kLightGrey});
  // The required information size.
  if (p.information_size > 0.0 && p.information_size <= xr.hi) {
    const double x = f.px(p.information_size);
    Line l{x, f.y0, x, f.y1, 0.8, kReference};
    l.dashed = true;
    s.back_lines.push_back(l);
    s.add_text(m, {x - 3.0, f.y0 + m.metrics(kTick).ascent + 2.0,
                   fmt::format("RIS = {:.0f}", std::ceil(p.information_size)), kTick, Align::right,
                   kReference});
  }
  // The monitoring boundaries, look by look, to the last look before the information size and
  // then to it (where the boundary of the final look stands).
  auto boundary_path = [&](const std::vector<double>& b, double sign, Color color, bool dashed) {
    double px = -1.0, pz = 0.0;
    for (std::size_t i = 0; i < std::min(b.size(), n); ++i) {
      if (!std::isfinite(b[i]) || b[i] <= 0.0) continue;
      const double x = f.px(p.participants[i]);
      const double z = f.py(inside(sign * std::min(b[i], kShownZ)));
      if (px >= 0.0) {
        Line l{px, pz, x, z, 1.1, color};
        l.dashed = dashed;
        s.lines.push_back(l);
      }
      s.circles.push_back({x, z, 1.6, color, true, color, 0.4});
      px = x;
      pz = z;
    }
  };
  // Ahead of the last look, to the information size: dashed, without markers.
  auto projected_path = [&](const std::vector<double>& b, double sign) {
    double px = -1.0, pz = 0.0;
    for (std::size_t i = 0; i < std::min(b.size(), p.projected_participants.size()); ++i) {
      if (!std::isfinite(b[i]) || b[i] <= 0.0) {
        px = -1.0;
        continue;
      }
      const double x = f.px(p.projected_participants[i]);
      const double z = f.py(inside(sign * std::min(b[i], kShownZ)));
      if (px >= 0.0) {
        Line l{px, pz, x, z, 1.0, kPrediction};
        l.dashed = true;
        s.lines.push_back(l);
      }
      px = x;
      pz = z;
    }
  };
  projected_path(p.projected_efficacy, 1.0);
  projected_path(p.projected_efficacy, -1.0);
  projected_path(p.projected_futility, 1.0);
  projected_path(p.projected_futility, -1.0);
  boundary_path(p.efficacy, 1.0, kPrediction, false);
  boundary_path(p.efficacy, -1.0, kPrediction, false);
  boundary_path(p.futility, 1.0, kPrediction, true);
  boundary_path(p.futility, -1.0, kPrediction, true);
  // The cumulative z curve, from the origin.
  double px = f.px(0.0), pz = f.py(0.0);
  std::string description;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = f.px(p.participants[i]), z = f.py(inside(p.z[i]));
    s.lines.push_back({px, pz, x, z, 1.4, kMarker});
    s.circles.push_back({x, z, 2.2, kMarker, true, kMarker, 0.6});
    px = x;
    pz = z;
    if (!description.empty()) description += "; ";
    description += fmt::format("{:.0f} participants: z = {:.2f}", p.participants[i], p.z[i]);
  }
  if (!p.benefit_side.empty()) {
    const FontMetrics mt = m.metrics(kTick);
    const double y = p.benefit_up ? f.y0 + 2.0 * mt.height() + 4.0 : f.y1 - mt.height();
    s.add_text(m, {f.x0 + 4.0, y, p.benefit_side, kTick, Align::left, kGrey});
  }
  add_legend(s, m, f,
             {{kMarker, "Cumulative z"},
              {kPrediction, "Monitoring boundaries"},
              {kGrey, fmt::format("Conventional limits (z = {:.2f})", p.conventional)},
              {kReference, "Required information size"}});
  s.description = "Trial sequential analysis: " + description;
  s.fit_texts(kMargin);
  return s;
}

}  // namespace evident::plot
