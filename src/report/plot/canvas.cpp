// Drawing a Scene with Cairo: one drawing code for SVG, PNG and PDF. Cairo stays in this file.

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

#include "report/format.hpp"
#include "report/plot/scene.hpp"

namespace evident::plot {

namespace {

// DejaVu Sans (Debian's fonts-dejavu-core) so that text measures and renders the same on every
// machine; fontconfig falls back to a similar sans-serif font if it is missing.
constexpr const char* kFontFamily = "DejaVu Sans";
// PNG resolution: 300 dpi, what journals ask for line art with text.
constexpr double kPngDpi = 300.0;

void set_font(cairo_t* cr, const Font& font) {
  cairo_select_font_face(cr, kFontFamily,
                         font.italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                         font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, font.size);
}

// Unhinted metrics: glyph advances do not snap to device pixels, so a text is as wide in a
// 300 dpi PNG as in an SVG, and the layout (computed once) fits every format.
void set_font_options(cairo_t* cr) {
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, options);
  cairo_font_options_destroy(options);
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void set_color(cairo_t* cr, const Color& c) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

void paint_scene(cairo_t* cr, const Scene& scene) {
  set_font_options(cr);
  // An opaque white page, so the figure reads the same on a dark background or viewer.
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_rectangle(cr, 0.0, 0.0, scene.width, scene.height);
  cairo_fill(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  auto stroke_line = [&](const Line& l) {
    set_color(cr, l.color);
    cairo_set_line_width(cr, l.width);
    if (l.dashed) {
      const std::array<double, 2> dash{3.0, 2.0};
      cairo_set_dash(cr, dash.data(), 2, 0.0);
    } else {
      cairo_set_dash(cr, nullptr, 0, 0.0);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_move_to(cr, l.x0, l.y0);
    cairo_line_to(cr, l.x1, l.y1);
    cairo_stroke(cr);
  };
  for (const Line& l : scene.back_lines)
    stroke_line(l);
  cairo_set_dash(cr, nullptr, 0, 0.0);
  for (const Polygon& p : scene.polygons) {
    if (p.xy.size() < 4) continue;
    cairo_move_to(cr, p.xy[0], p.xy[1]);
    for (std::size_t i = 2; i + 1 < p.xy.size(); i += 2)
      cairo_line_to(cr, p.xy[i], p.xy[i + 1]);
    cairo_close_path(cr);
    if (p.filled) {
      set_color(cr, p.fill);
      if (p.stroke_width > 0) {
        cairo_fill_preserve(cr);
      } else {
        cairo_fill(cr);
      }
    }
    if (p.stroke_width > 0) {
      set_color(cr, p.stroke);
      cairo_set_line_width(cr, p.stroke_width);
      cairo_stroke(cr);
    }
    cairo_new_path(cr);
  }
  for (const Line& l : scene.lines)
    stroke_line(l);
  cairo_set_dash(cr, nullptr, 0, 0.0);
  for (const Circle& c : scene.circles) {
    cairo_new_path(cr);
    cairo_arc(cr, c.x, c.y, c.r, 0.0, 2.0 * std::numbers::pi);
    if (c.filled) {
      set_color(cr, c.fill);
      cairo_fill_preserve(cr);
    }
    set_color(cr, c.stroke);
    cairo_set_line_width(cr, c.stroke_width);
    cairo_stroke(cr);
  }
  for (const Text& t : scene.texts) {
    set_font(cr, t.font);
    set_color(cr, t.color);
    cairo_move_to(cr, t.left, t.baseline);
    // The text as measured (TextMeasure::width): one line of valid UTF-8, whatever the input.
    cairo_show_text(cr, detail::clean_text(t.text, false).c_str());
  }
}

// Cairo writes no title; a <title> and <desc> after the opening <svg> tag make the figure
// accessible (screen readers, search) and name it when opened alone.
std::string add_svg_title(std::string svg, const Scene& scene) {
  const std::size_t open = svg.find("<svg");
  if (open == std::string::npos) return svg;
  const std::size_t end = svg.find('>', open);
  if (end == std::string::npos) return svg;
  std::string meta = "\n<title>" + detail::xml_escape(scene.title) + "</title>";
  if (!scene.description.empty())
    meta += "\n<desc>" + detail::xml_escape(scene.description) + "</desc>";
  svg.insert(end + 1, meta);
  return svg;
}

std::uint32_t crc32(const unsigned char* data, std::size_t n, std::uint32_t crc = 0) {
  // PNG's CRC-32 (ISO 3309, polynomial 0xEDB88320), bitwise: it runs on 13 bytes once per plot.
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_u32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    s += static_cast<char>((v >> shift) & 0xFFu);
}

// Cairo writes no resolution; a pHYs chunk (PNG 1.2, section 4.2.4.2) after IHDR tells
// editors and journals the image is 300 dpi, so it opens at its intended physical size.
std::string add_png_dpi(std::string png, double dpi) {
  constexpr std::size_t kAfterIhdr = 8 + 4 + 4 + 13 + 4;  // signature, IHDR chunk
  if (png.size() < kAfterIhdr) return png;
  const auto ppm = static_cast<std::uint32_t>(std::lround(dpi / 0.0254));
  std::string body = "pHYs";
  put_u32(body, ppm);
  put_u32(body, ppm);
  body += '\x01';  // unit: metre
  std::string chunk;
  put_u32(chunk, 9);
  chunk += body;
  put_u32(chunk, crc32(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
  png.insert(kAfterIhdr, chunk);
  return png;
}

void check(cairo_status_t status) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(status));
  }
}

}  // namespace

struct TextMeasure::Impl {
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
};

TextMeasure::TextMeasure() : impl_(new Impl) {
  impl_->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  impl_->cr = cairo_create(impl_->surface);
  set_font_options(impl_->cr);
}

TextMeasure::~TextMeasure() {
  cairo_destroy(impl_->cr);
  cairo_surface_destroy(impl_->surface);
  delete impl_;
}

double TextMeasure::width(std::string_view text, const Font& font) {
  if (text.empty()) return 0.0;
  set_font(impl_->cr, font);
  cairo_text_extents_t e;
  const std::string s = detail::clean_text(text, false);
  cairo_text_extents(impl_->cr, s.c_str(), &e);
  return e.x_advance;
}

FontMetrics TextMeasure::metrics(const Font& font) {
  set_font(impl_->cr, font);
  cairo_font_extents_t e;
  cairo_font_extents(impl_->cr, &e);
  return {e.ascent, e.descent};
}

void Scene::add_text(TextMeasure& measure, Text t) {
  const FontMetrics m = measure.metrics(t.font);
  t.width = measure.width(t.text, t.font);
  t.height = m.height();
  t.top = t.baseline - m.ascent;
  switch (t.align) {
    case Align::left:
      t.left = t.x;
      break;
    case Align::center:
      t.left = t.x - t.width / 2.0;
      break;
    case Align::right:
      t.left = t.x - t.width;
      break;
  }
  texts.push_back(std::move(t));
}

void Scene::fit_texts(double margin) {
  for (const Text& t : texts) {
    width = std::max(width, std::ceil(t.left + t.width + margin));
    height = std::max(height, std::ceil(t.top + t.height + margin));
  }
}

void Scene::add_rect(double x, double y, double w, double h, Color fill) {
  polygons.push_back({{x, y, x + w, y, x + w, y + h, x, y + h}, fill, true, fill, 0.0});
}

bool overlap(const Text& a, const Text& b, double tolerance) {
  if (a.text.empty() || b.text.empty()) return false;
  const bool x = a.left + tolerance < b.left + b.width && b.left + tolerance < a.left + a.width;
  const bool y = a.top + tolerance < b.top + b.height && b.top + tolerance < a.top + a.height;
  return x && y;
}

std::vector<std::string> wrap(TextMeasure& measure, std::string_view text, const Font& font,
                              double max_width, std::size_t max_lines) {
  std::vector<std::string> lines;
  std::string current;
  std::size_t pos = 0;
  auto flush = [&] {
    lines.push_back(current);
    current.clear();
  };
  while (pos < text.size()) {
    std::size_t space = text.find(' ', pos);
    if (space == std::string_view::npos) space = text.size();
    std::string word(text.substr(pos, space - pos));
    pos = space + 1;
    if (word.empty()) continue;
    const std::string candidate = current.empty() ? word : current + " " + word;
    if (measure.width(candidate, font) <= max_width) {
      current = candidate;
      continue;
    }
    if (!current.empty()) flush();
    // A word wider than the line is cut where it fits.
    while (measure.width(word, font) > max_width && word.size() > 1) {
      std::size_t cut = word.size() - 1;
      while (cut > 1 && measure.width(word.substr(0, cut), font) > max_width)
        --cut;
      // Do not split a UTF-8 sequence.
      while (cut > 1 && (static_cast<unsigned char>(word[cut]) & 0xC0u) == 0x80u)
        --cut;
      lines.push_back(word.substr(0, cut));
      word = word.substr(cut);
    }
    current = word;
  }
  if (!current.empty() || lines.empty()) flush();
  if (lines.size() > max_lines) {
    lines.resize(max_lines);
    std::string& last = lines.back();
    while (!last.empty() && measure.width(last + "...", font) > max_width) {
      last.pop_back();
      while (!last.empty() && (static_cast<unsigned char>(last.back()) & 0xC0u) == 0x80u)
        last.pop_back();
      if (!last.empty() && (static_cast<unsigned char>(last.back()) & 0xC0u) == 0xC0u)
        last.pop_back();
    }
    last += "...";
  }
  return lines;
}

namespace {

// One function per plot format: the scene painted on that format's Cairo surface.

std::string draw_svg(const Scene& scene) {
  std::string out;
  cairo_surface_t* surface =
      cairo_svg_surface_create_for_stream(append, &out, scene.width, scene.height);
  cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT);
  cairo_t* cr = cairo_create(surface);
  paint_scene(cr, scene);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  check(cairo_surface_status(surface));
  cairo_surface_destroy(surface);
  return add_svg_title(std::move(out), scene);
}

std::string draw_png(const Scene& scene) {
  std::string out;
  const double scale = kPngDpi / 72.0;
  const int w = static_cast<int>(std::ceil(scene.width * scale));
  const int h = static_cast<int>(std::ceil(scene.height * scale));
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  cairo_t* cr = cairo_create(surface);
  // The whole image white first: its size is rounded up to whole pixels, so the scene's own
  // background stops short of the last row and column (a grey line at the right and bottom).
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_paint(cr);
  cairo_scale(cr, scale, scale);
  paint_scene(cr, scene);
  cairo_destroy(cr);
  check(cairo_surface_status(surface));
  check(cairo_surface_write_to_png_stream(surface, append, &out));
  cairo_surface_destroy(surface);
  return add_png_dpi(std::move(out), kPngDpi);
}

std::string draw_pdf(const Scene& scene) {
  std::string out;
  cairo_surface_t* surface =
      cairo_pdf_surface_create_for_stream(append, &out, scene.width, scene.height);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, scene.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "evident");
  cairo_t* cr = cairo_create(surface);
  paint_scene(cr, scene);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  check(cairo_surface_status(surface));
  cairo_surface_destroy(surface);
  return out;
}

struct Drawer {
  PlotFormat format;
  std::string (*draw)(const Scene&);
};
// The registered plot formats: a new one is a function above, a PlotFormat value and a line here
// and in plot_formats() below.
constexpr Drawer kDrawers[] = {
    {PlotFormat::svg, draw_svg},
    {PlotFormat::png, draw_png},
    {PlotFormat::pdf, draw_pdf},
};

}  // namespace

std::string draw(const Scene& scene, PlotFormat format) {
  for (const Drawer& d : kDrawers) {
    if (d.format == format) return d.draw(scene);
  }
  return {};
}

}  // namespace evident::plot

namespace evident {

std::span<const PlotFormatInfo> plot_formats() noexcept {
  static constexpr PlotFormatInfo kFormats[] = {
      {PlotFormat::svg, "svg", ""},
      {PlotFormat::png, "png", " (300 dpi)"},
      {PlotFormat::pdf, "pdf", ""},
  };
  return kFormats;
}

std::string_view plot_format_name(PlotFormat format) noexcept {
  for (const PlotFormatInfo& f : plot_formats()) {
    if (f.format == format) return f.name;
  }
  return "?";
}

std::optional<PlotFormat> parse_plot_format(std::string_view name) noexcept {
  for (const PlotFormatInfo& f : plot_formats()) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

}  // namespace evident
