// Forest plot layout, as reviewers know it from RevMan and R's meta/metafor: the study column and
// per-arm data on the left, the graph, then each row's estimate with its interval and weight.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "report/plot/axis.hpp"
#include "report/plot/layout.hpp"

namespace evident::plot {

namespace {

constexpr double kMargin = 10.0;
constexpr double kColumnGap = 10.0;
constexpr double kGraphGap = 12.0;
// Study names wider than this wrap onto further lines (at most kMaxLabelLines).
constexpr double kLabelCap = 190.0;
constexpr std::size_t kMaxLabelLines = 3;
constexpr double kGraphWidth = 170.0;
constexpr double kIndent = 8.0;  // study rows under a subgroup heading

const Font kBody{8.0};
const Font kBold{8.0, true};
const Font kTitle{9.5, true};
const Font kTick{7.5};
const Font kNote{7.5};

std::string number(double v, int digits) {
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string interval_text(const ForestRow& r, bool log_scale, int digits) {
  auto show = [&](double v) { return number(log_scale ? std::exp(v) : v, digits); };
  if (std::isnan(r.ci_lb) || std::isnan(r.ci_ub)) return {};
  if (r.kind == ForestRowKind::prediction) {
    return fmt::format("[{}, {}]", show(r.ci_lb), show(r.ci_ub));
  }
  if (std::isnan(r.estimate)) return {};
  return fmt::format("{} [{}, {}]", show(r.estimate), show(r.ci_lb), show(r.ci_ub));
}

bool draws_interval(ForestRowKind k) {
  return k == ForestRowKind::study || k == ForestRowKind::summary || k == ForestRowKind::prediction;
}

const Font& label_font(ForestRowKind k) {
  return (k == ForestRowKind::heading || k == ForestRowKind::summary) ? kBold : kBody;
}

}  // namespace

Scene layout_forest(const ForestPlot& p) {
  TextMeasure measure;
  Scene s;
  s.title = p.title.empty() ? "Forest plot" : p.title;

  const FontMetrics mb = measure.metrics(kBody);
  const FontMetrics mbold = measure.metrics(kBold);
  const double ascent = std::max(mb.ascent, mbold.ascent);
  const double descent = std::max(mb.descent, mbold.descent);
  // Rows are a little taller than the text so that squares and diamonds have room.
  const double line_h = std::ceil((ascent + descent) * 1.25 * 4.0) / 4.0;

  const bool has_headings = std::any_of(p.rows.begin(), p.rows.end(), [](const ForestRow& r) {
    return r.kind == ForestRowKind::heading;
  });

  // ---- column widths -------------------------------------------------------------------------
  double label_w = measure.width(p.study_header, kBold);
  for (const auto& r : p.rows) {
    const double indent = (has_headings && r.kind == ForestRowKind::study) ? kIndent : 0.0;
    label_w = std::max(label_w, indent + measure.width(r.label, label_font(r.kind)));
  }
  label_w = std::min(label_w, kLabelCap);
  std::vector<std::vector<std::string>> label_lines;
  for (const auto& r : p.rows) {
    const double indent = (has_headings && r.kind == ForestRowKind::study) ? kIndent : 0.0;
    label_lines.push_back(
        wrap(measure, r.label, label_font(r.kind), label_w - indent, kMaxLabelLines));
  }

  const std::size_t ncol = p.columns.size();
  std::vector<double> col_w(ncol, 0.0);
  for (std::size_t j = 0; j < ncol; ++j) {
    col_w[j] = measure.width(p.columns[j].header, kBold);
    for (const auto& r : p.rows) {
      if (j < r.cells.size()) {
        col_w[j] = std::max(col_w[j], measure.width(r.cells[j], label_font(r.kind)));
      }
    }
  }
  // A group heading wider than its columns widens the group's last column.
  for (std::size_t j = 0; j < ncol;) {
    std::size_t end = j + 1;
    while (end < ncol && p.columns[end].group == p.columns[j].group)
      ++end;
    if (!p.columns[j].group.empty()) {
      double span = 0.0;
      for (std::size_t c = j; c < end; ++c)
        span += col_w[c] + (c > j ? kColumnGap : 0.0);
      const double need = measure.width(p.columns[j].group, kBold);
      if (need > span) col_w[end - 1] += need - span;
    }
    j = end;
  }

  std::vector<std::string> est_text;
  double est_w = measure.width(p.estimate_header, kBold);
  double weight_w = p.show_weights ? measure.width("Weight", kBold) : 0.0;
  for (const auto& r : p.rows) {
    est_text.push_back(draws_interval(r.kind) ? interval_text(r, p.log_scale, p.digits) : "");
    est_w = std::max(est_w, measure.width(est_text.back(), label_font(r.kind)));
    if (p.show_weights && std::isfinite(r.weight)) {
      weight_w = std::max(weight_w, measure.width(fmt::format("{:.1f}%", r.weight), kBody));
    }
  }
  const double graph_w = std::max({kGraphWidth, measure.width(p.effect_name, kBold) + 4.0,
                                   measure.width(p.model_text, kBody) + 4.0});

  // ---- x positions ---------------------------------------------------------------------------
  const double x_label = kMargin;
  double x = kMargin + label_w;
  std::vector<double> col_right(ncol);
  for (std::size_t j = 0; j < ncol; ++j) {
    x += kColumnGap + col_w[j];
    col_right[j] = x;
  }
  const double gx0 = x + kGraphGap;
  const double gx1 = gx0 + graph_w;
  const double x_est = gx1 + kGraphGap + est_w;
  const double x_weight = p.show_weights ? x_est + kColumnGap + weight_w : x_est;
  s.width = std::ceil(x_weight + kMargin);

  // ---- axis ----------------------------------------------------------------------------------
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto& r : p.rows) {
    if (!draws_interval(r.kind)) continue;
    for (double v : {r.ci_lb, r.ci_ub, r.estimate}) {
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  for (const auto& ref : p.references) {
    lo = std::min(lo, ref.value);
    hi = std::max(hi, ref.value);
  }
  const Axis axis =
      make_axis(lo, hi, p.log_scale, p.null_value, p.log_scale, measure, kTick, graph_w);
  auto gx = [&](double v) { return axis.map(v, gx0, gx1); };
  auto clamp = [&](double v) { return std::clamp(v, axis.lo, axis.hi); };

  // ---- title and headings --------------------------------------------------------------------
  double y = kMargin;
  if (!p.title.empty()) {
    const FontMetrics mt = measure.metrics(kTitle);
    for (const auto& line : wrap(measure, p.title, kTitle, s.width - 2 * kMargin, 2)) {
      s.add_text(measure, {kMargin, y + mt.ascent, line, kTitle});
      y += mt.height() * 1.2;
    }
    y += 4.0;
  }
  const double base_group = y + (line_h - ascent - descent) / 2 + ascent;
  const double base_header = base_group + line_h;
  for (std::size_t j = 0; j < ncol;) {
    std::size_t end = j + 1;
    while (end < ncol && p.columns[end].group == p.columns[j].group)
      ++end;
    if (!p.columns[j].group.empty()) {
      const double left = col_right[j] - col_w[j];
      const double right = col_right[end - 1];
      s.add_text(measure,
                 {(left + right) / 2, base_group, p.columns[j].group, kBold, Align::center});
      const double rule_y = base_group + descent + (line_h - ascent - descent) / 2;
      s.lines.push_back({left, rule_y, right, rule_y, 0.5, kGrey});
    }
    j = end;
  }
  // Numbers align right, words left.
  auto col_x = [&](std::size_t j) {
    return p.columns[j].text ? col_right[j] - col_w[j] : col_right[j];
  };
  auto col_align = [&](std::size_t j) { return p.columns[j].text ? Align::left : Align::right; };
  for (std::size_t j = 0; j < ncol; ++j) {
    s.add_text(measure, {col_x(j), base_header, p.columns[j].header, kBold, col_align(j)});
  }
  s.add_text(measure, {x_label, base_header, p.study_header, kBold});
  s.add_text(measure, {(gx0 + gx1) / 2, base_group, p.effect_name, kBold, Align::center});
  s.add_text(measure, {(gx0 + gx1) / 2, base_header, p.model_text, kBody, Align::center});
  s.add_text(measure, {x_est, base_header, p.estimate_header, kBold, Align::right});
  if (p.show_weights) s.add_text(measure, {x_weight, base_header, "Weight", kBold, Align::right});
  y += 2 * line_h + 2.0;
  s.lines.push_back({kMargin, y, s.width - kMargin, y, 0.6, kInk});
  y += 3.0;

  // ---- rows ----------------------------------------------------------------------------------
  double wmax = 0.0;
  for (const auto& r : p.rows) {
    if (r.kind == ForestRowKind::study && std::isfinite(r.weight)) wmax = std::max(wmax, r.weight);
  }
  const double side_max = line_h * 0.8;
  const double rows_top = y;
  std::string description;
  for (std::size_t i = 0; i < p.rows.size(); ++i) {
    const ForestRow& r = p.rows[i];
    // A little space before a block of summary rows and before each subgroup heading.
    if (i > 0) {
      const ForestRowKind prev = p.rows[i - 1].kind;
      const bool new_block = (r.kind == ForestRowKind::heading) ||
                             (r.kind != ForestRowKind::study && prev == ForestRowKind::study);
      if (new_block) y += line_h * 0.4;
    }
    const double base = y + (line_h - ascent - descent) / 2 + ascent;
    const double yc = y + line_h / 2;
    const double indent = (has_headings && r.kind == ForestRowKind::study) ? kIndent : 0.0;
    for (std::size_t l = 0; l < label_lines[i].size(); ++l) {
      s.add_text(measure, {x_label + indent, base + static_cast<double>(l) * line_h,
                           label_lines[i][l], label_font(r.kind)});
    }
    for (std::size_t j = 0; j < ncol && j < r.cells.size(); ++j) {
      s.add_text(measure, {col_x(j), base, r.cells[j], label_font(r.kind), col_align(j)});
    }
    s.add_text(measure, {x_est, base, est_text[i], label_font(r.kind), Align::right});
    if (p.show_weights && std::isfinite(r.weight)) {
      s.add_text(measure, {x_weight, base, fmt::format("{:.1f}%", r.weight), kBody, Align::right});
    }
    if (draws_interval(r.kind) && std::isfinite(r.ci_lb) && std::isfinite(r.ci_ub)) {
      const double a = gx(clamp(r.ci_lb)), b = gx(clamp(r.ci_ub));
      if (r.kind == ForestRowKind::study) {
        s.lines.push_back({a, yc, b, yc, 0.7, kInk});
        // An interval running off the axis ends in an arrow, as in metafor.
        const double ah = 2.2;
        if (r.ci_lb < axis.lo)
          s.polygons.push_back({{a, yc, a + 2 * ah, yc - ah, a + 2 * ah, yc + ah}, kInk});
        if (r.ci_ub > axis.hi)
          s.polygons.push_back({{b, yc, b - 2 * ah, yc - ah, b - 2 * ah, yc + ah}, kInk});
        if (std::isfinite(r.estimate) && r.estimate >= axis.lo && r.estimate <= axis.hi) {
          double side = 5.5;
          if (wmax > 0 && std::isfinite(r.weight)) {
            side = std::max(2.5, side_max * std::sqrt(std::max(r.weight, 0.0) / wmax));
          }
          const double cx = gx(r.estimate);
          Polygon sq{{cx - side / 2, yc - side / 2, cx + side / 2, yc - side / 2, cx + side / 2,
                      yc + side / 2, cx - side / 2, yc + side / 2},
                     kMarker};
          if (r.open) {
            sq.filled = false;
            sq.stroke = kMarker;
            sq.stroke_width = 0.8;
          }
          s.polygons.push_back(std::move(sq));
        }
      } else if (r.kind == ForestRowKind::summary && std::isfinite(r.estimate)) {
        const double h = line_h * 0.36;
        const double c = gx(clamp(r.estimate));
        s.polygons.push_back({{a, yc, c, yc - h, b, yc, c, yc + h}, kSummary});
      } else if (r.kind == ForestRowKind::prediction) {
        s.lines.push_back({a, yc, b, yc, 1.4, kPrediction});
        s.lines.push_back({a, yc - 2.5, a, yc + 2.5, 1.0, kPrediction});
        s.lines.push_back({b, yc - 2.5, b, yc + 2.5, 1.0, kPrediction});
      }
    }
    if (!description.empty()) description += "; ";
    description += r.label;
    if (!est_text[i].empty()) description += " " + est_text[i];
    y += static_cast<double>(std::max<std::size_t>(1, label_lines[i].size())) * line_h;
  }
  const double rows_bottom = y;
  s.description = fmt::format("{} {}: {}", p.effect_name, p.model_text, description);

  // ---- axis, line of no effect, reference lines ----------------------------------------------
  const double y_axis = rows_bottom + 4.0;
  s.lines.push_back({gx0, y_axis, gx1, y_axis, 0.6, kInk});
  const FontMetrics mtick = measure.metrics(kTick);
  const double tick_base = y_axis + 3.0 + 1.5 + mtick.ascent;
  double axis_bottom = tick_base + mtick.descent;
  std::vector<Text> axis_texts;
  for (std::size_t t = 0; t < axis.ticks.size(); ++t) {
    const double tx = gx(axis.ticks[t]);
    s.lines.push_back({tx, y_axis, tx, y_axis + 3.0, 0.6, kInk});
    if (!axis.labels[t].empty()) {
      s.add_text(measure, {tx, tick_base, axis.labels[t], kTick, Align::center});
      axis_texts.push_back(s.texts.back());
    }
  }
  const double null_x = gx(p.null_value);
  s.back_lines.push_back({null_x, rows_top - 2.0, null_x, y_axis, 0.6, kInk});
  for (const auto& ref : p.references) {
    if (ref.value < axis.lo || ref.value > axis.hi) continue;
    const double rx = gx(ref.value);
    s.back_lines.push_back({rx, rows_top - 2.0, rx, y_axis, 0.7, kReference, true});
  }
  // "Favours" labels either side of the line of no effect, wrapped to their half of the graph
  // (or a little more when the line of no effect is near an end of the axis).
  const double fav_base = axis_bottom + 3.0 + ascent;
  const double left_avail = std::max(null_x - 5.0 - gx0, std::min(110.0, null_x - 5.0 - kMargin));
  const double right_avail =
      std::max(gx1 - null_x - 5.0, std::min(110.0, s.width - kMargin - null_x - 5.0));
  double fav_bottom = axis_bottom;
  const auto left_lines = wrap(measure, p.favours_left, kBody, left_avail, 2);
  const auto right_lines = wrap(measure, p.favours_right, kBody, right_avail, 2);
  for (std::size_t l = 0; l < left_lines.size(); ++l) {
    if (left_lines[l].empty()) continue;
    s.add_text(measure, {null_x - 5.0, fav_base + static_cast<double>(l) * line_h, left_lines[l],
                         kBody, Align::right});
    axis_texts.push_back(s.texts.back());
    fav_bottom = std::max(fav_bottom, fav_base + static_cast<double>(l) * line_h + descent);
  }
  for (std::size_t l = 0; l < right_lines.size(); ++l) {
    if (right_lines[l].empty()) continue;
    s.add_text(measure,
               {null_x + 5.0, fav_base + static_cast<double>(l) * line_h, right_lines[l], kBody});
    axis_texts.push_back(s.texts.back());
    fav_bottom = std::max(fav_bottom, fav_base + static_cast<double>(l) * line_h + descent);
  }
  axis_bottom = fav_bottom;

  // ---- footnotes: beside the axis, under the table columns, when they fit there -------------
  const FontMetrics mnote = measure.metrics(kNote);
  const double note_line = std::ceil(mnote.height() * 1.2 * 4.0) / 4.0;
  auto place_notes = [&](double x0, double top, double avail, std::size_t max_lines,
                         std::vector<Text>& out) {
    double base = top + mnote.ascent;
    for (const auto& note : p.footnotes) {
      const auto lines = wrap(measure, note, kNote, avail, max_lines);
      for (const auto& line : lines) {
        Scene tmp;
        tmp.add_text(measure, {x0, base, line, kNote, Align::left, kGrey});
        out.push_back(tmp.texts.back());
        base += note_line;
      }
    }
    return base - mnote.ascent;
  };
  std::vector<Text> beside;
  const double beside_avail = gx0 - 2 * kGraphGap - kMargin;
  bool fits_beside = beside_avail > 120.0;
  if (fits_beside) {
    place_notes(kMargin, rows_bottom + 4.0, beside_avail, 2, beside);
    for (const auto& note : p.footnotes) {
      if (wrap(measure, note, kNote, beside_avail, 10).size() > 2) fits_beside = false;
    }
    for (const auto& t : beside) {
      for (const auto& a : axis_texts) {
        if (overlap(t, a)) fits_beside = false;
      }
    }
  }
  double bottom = axis_bottom;
  if (fits_beside) {
    for (auto& t : beside) {
      bottom = std::max(bottom, t.top + t.height);
      s.texts.push_back(std::move(t));
    }
  } else {
    std::vector<Text> below;
    const double end = place_notes(kMargin, axis_bottom + 6.0, s.width - 2 * kMargin, 4, below);
    for (auto& t : below)
      s.texts.push_back(std::move(t));
    bottom = std::max(bottom, end);
  }
  s.height = std::ceil(bottom + kMargin);
  s.fit_texts(kMargin);
  return s;
}

}  // namespace evident::plot
