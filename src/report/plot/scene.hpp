#pragma once
// A laid-out plot: every text with its box and every shape, in points (1/72 inch), y downwards.
// Layout code builds a Scene (measuring text with the font it will be drawn in); the canvas
// draws it into SVG, PNG or PDF. Tests read the Scene to check that no two texts overlap.

#include <string>
#include <string_view>
#include <vector>

#include "evident/report/plot.hpp"

namespace evident::plot {

struct Color {
  double r = 0.0, g = 0.0, b = 0.0, a = 1.0;
};

// The palette: dark ink, one accent for study markers, muted fills for regions.
inline constexpr Color kInk{0.10, 0.10, 0.12};
inline constexpr Color kGrey{0.45, 0.45, 0.48};
inline constexpr Color kLightGrey{0.80, 0.80, 0.82};
inline constexpr Color kMarker{0.12, 0.31, 0.49};   // study squares and funnel points
inline constexpr Color kSummary{0.10, 0.10, 0.12};  // pooled diamonds
inline constexpr Color kPrediction{0.70, 0.20, 0.15};
inline constexpr Color kReference{0.20, 0.55, 0.30};
inline constexpr Color kWhite{1.0, 1.0, 1.0};

struct Font {
  double size = 8.0;
  bool bold = false;
  bool italic = false;
};

enum class Align { left, center, right };

// Font metrics in points: a line of text occupies [baseline - ascent, baseline + descent].
struct FontMetrics {
  double ascent = 0.0, descent = 0.0;
  [[nodiscard]] double height() const { return ascent + descent; }
};

// Measures text with Cairo (DejaVu Sans, unhinted metrics, so widths do not depend on the output
// resolution). One per layout; not thread-safe.
class TextMeasure {
 public:
  TextMeasure();
  ~TextMeasure();
  TextMeasure(const TextMeasure&) = delete;
  TextMeasure& operator=(const TextMeasure&) = delete;

  [[nodiscard]] double width(std::string_view text, const Font& font);
  [[nodiscard]] FontMetrics metrics(const Font& font);

 private:
  struct Impl;
  Impl* impl_;
};

struct Text {
  double x = 0.0;         // anchor: left, centre or right end, as `align` says
  double baseline = 0.0;  // y of the baseline
  std::string text;
  Font font;
  Align align = Align::left;
  Color color = kInk;
  // The box the text occupies (filled in by Scene::add_text).
  double left = 0.0, top = 0.0, width = 0.0, height = 0.0;
};

struct Line {
  double x0, y0, x1, y1;
  double width = 0.6;
  Color color = kInk;
  bool dashed = false;
};

struct Polygon {
  std::vector<double> xy;  // x0 y0 x1 y1 ...
  Color fill = kInk;
  bool filled = true;
  Color stroke = kInk;
  double stroke_width = 0.0;  // 0: no outline
};

struct Circle {
  double x, y, r;
  Color fill = kMarker;
  bool filled = true;
  Color stroke = kMarker;
  double stroke_width = 0.6;
};

struct Scene {
  double width = 0.0, height = 0.0;
  std::string title;              // document title (SVG <title>, PDF metadata)
  std::string description;        // accessible description (SVG <desc>)
  std::vector<Line> back_lines;   // drawn first (line of no effect, reference lines, grid)
  std::vector<Polygon> polygons;  // regions, squares, diamonds
  std::vector<Line> lines;        // intervals, axes, ticks
  std::vector<Circle> circles;
  std::vector<Text> texts;  // drawn last

  // Adds a text, computing its box with `measure`.
  void add_text(TextMeasure& measure, Text t);
  // Grows the page, if needed, so that every text lies inside it with `margin` to spare.
  void fit_texts(double margin);
  void add_rect(double x, double y, double w, double h, Color fill);
};

// Draws a scene in a format: SVG/PDF text or PNG bytes at 300 dpi.
[[nodiscard]] std::string draw(const Scene& scene, PlotFormat format);

// True if the boxes of texts a and b intersect (touching edges do not count).
[[nodiscard]] bool overlap(const Text& a, const Text& b, double tolerance = 0.01);

// Breaks `text` into lines no wider than `max_width` at spaces (or, for a word longer than the
// line, anywhere); at most `max_lines` lines, the last ending in "..." if text was cut.
[[nodiscard]] std::vector<std::string> wrap(TextMeasure& measure, std::string_view text,
                                            const Font& font, double max_width,
                                            std::size_t max_lines);

}  // namespace evident::plot
