// Plots: the layout never puts two texts over each other (3 to 100 studies, long names, log and
// linear axes, subgroups), stays inside the page, draws one marker per study; the SVG, PNG and
// PDF outputs are what their formats require.

#include "evident/report/plot.hpp"

#include <cairo.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "evident/effect/convert.hpp"
#include "evident/evident.hpp"
#include "io/number_text.hpp"
#include "report/plot/axis.hpp"
#include "report/plot/layout.hpp"
#include "report/plot/scene.hpp"

namespace {

using evident::ForestPlot;
using evident::ForestRow;
using evident::ForestRowKind;
namespace plot = evident::plot;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A 2x2 table of k studies with long names, some with zero cells.
evident::StudyTable tables(std::size_t k, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> n(8, 400);
  evident::StudyTable t("synthetic.csv", {"study", "ai", "n1i", "ci", "n2i"});
  for (std::size_t i = 0; i < k; ++i) {
    const int n1 = n(rng), n2 = n(rng);
    std::uniform_int_distribution<int> e1(0, n1 / 3), e2(0, n2 / 3);
    std::string name = fmt::format("Study {} of intra-articular mesenchymal stem cells", i + 1);
    if (i % 3 == 0) name += " in knee osteoarthritis (multicentre, randomised, double-blind)";
    if (i % 7 == 0) name = fmt::format("S{}", i);
    t.add_row({name, std::to_string(i % 5 == 0 ? 0 : e1(rng)), std::to_string(n1),
               std::to_string(e2(rng)), std::to_string(n2)},
              i + 2);
  }
  return t;
}

evident::Analysis analysis_of(const evident::StudyTable& t, evident::Measure m) {
  evident::AnalysisSpec spec;
  spec.effect.measure = m;
  return evident::analyse(t, spec);
}

void expect_no_overlap(const plot::Scene& s, const std::string& what) {
  for (std::size_t i = 0; i < s.texts.size(); ++i) {
    const plot::Text& a = s.texts[i];
    EXPECT_GE(a.left, -0.01) << what << ": '" << a.text << "' starts left of the page";
    EXPECT_LE(a.left + a.width, s.width + 0.01) << what << ": '" << a.text << "' ends outside";
    EXPECT_GE(a.top, -0.01) << what << ": '" << a.text << "' above the page";
    EXPECT_LE(a.top + a.height, s.height + 0.01) << what << ": '" << a.text << "' below the page";
    for (std::size_t j = i + 1; j < s.texts.size(); ++j) {
      ASSERT_FALSE(plot::overlap(a, s.texts[j]))
          << what << ": '" << a.text << "' overlaps '" << s.texts[j].text << "'";
    }
  }
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// The fill Cairo writes for study markers, e.g. "fill:rgb(12%,31%,49%)".
std::string marker_fill() {
  return fmt::format("fill:rgb({:.6g}%,{:.6g}%,{:.6g}%)", 100 * plot::kMarker.r,
                     100 * plot::kMarker.g, 100 * plot::kMarker.b);
}

// A minimal XML well-formedness check: every element opened is closed in order.
bool well_formed_xml(const std::string& s) {
  std::vector<std::string> stack;
  std::size_t pos = 0;
  while ((pos = s.find('<', pos)) != std::string::npos) {
    const std::size_t end = s.find('>', pos);
    if (end == std::string::npos) return false;
    const std::string tag = s.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return false;
      stack.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    stack.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  return stack.empty();
}

class ForestSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ForestSizes, NoTextOverlapsAndOneSquarePerStudy) {
  const std::size_t k = GetParam();
  const auto t = tables(k, static_cast<unsigned>(k));
  for (auto measure : {evident::Measure::RR, evident::Measure::RD}) {
    const auto a = analysis_of(t, measure);
    evident::ForestOptions o;
    o.title = "Any adverse event after intra-articular injection of mesenchymal stem cells";
    o.group1 = "Mesenchymal stem cells";
    o.group2 = "Hyaluronic acid or placebo";
    o.mcid = measure == evident::Measure::RR ? 1.25 : 0.05;
    const ForestPlot fp = evident::forest_plot(a, o, &t);
    const plot::Scene s = plot::layout_forest(fp);
    const std::string what = fmt::format("k = {}, {}", k, evident::measure_name(measure));
    expect_no_overlap(s, what);
    // Every study row is drawn: its label (or the first line of it) and its square.
    std::size_t squares = 0;
    for (const auto& p : s.polygons) {
      if (p.filled && p.fill.r == plot::kMarker.r && p.fill.b == plot::kMarker.b) ++squares;
    }
    EXPECT_EQ(squares, k) << what;
    for (std::size_t i = 0; i < k; i += 13) {
      const std::string first_word(t.cell(i, 0).substr(0, t.cell(i, 0).find(' ')));
      EXPECT_TRUE(
          std::any_of(s.texts.begin(), s.texts.end(),
                      [&](const plot::Text& x) { return x.text.rfind(first_word, 0) == 0; }))
          << what << ": no label for study " << i;
    }
    // The SVG is well-formed XML with one marker fill per study.
    const std::string svg = evident::render_plot(fp, evident::PlotFormat::svg);
    EXPECT_TRUE(well_formed_xml(svg)) << what;
    EXPECT_EQ(count(svg, marker_fill()), k) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Plots, ForestSizes, ::testing::Values(3u, 30u, 100u));

TEST(Forest, SubgroupBlocksAndHollowRowsLayOutWithoutOverlap) {
  ForestPlot p;
  p.title = "Subgroups";
  p.effect_name = "Mean difference";
  p.model_text = "IV, random (REML), 95% CI";
  p.columns = {{"MSC", "Mean"}, {"MSC", "SD"}, {"MSC", "Total"}};
  for (int g = 0; g < 3; ++g) {
    p.rows.push_back({ForestRowKind::heading,
                      fmt::format("Cell source {}: adipose-derived", g),
                      {},
                      kNaN,
                      kNaN,
                      kNaN,
                      kNaN});
    for (int i = 0; i < 4; ++i) {
      const double y = -1.0 + 0.3 * i - 0.2 * g;
      p.rows.push_back({ForestRowKind::study,
                        fmt::format("A rather long study name number {} in group {}", i, g),
                        {"3.1", "1.2", "25"},
                        y,
                        y - 0.8,
                        y + 0.8,
                        10.0 + i,
                        i == 3});
    }
    p.rows.push_back({ForestRowKind::summary, "Subtotal (95% CI)", {}, -0.6, -1.0, -0.2, 30.0});
    p.rows.push_back(
        {ForestRowKind::text, "Heterogeneity: I\u00b2 = 12%", {}, kNaN, kNaN, kNaN, kNaN});
  }
  p.rows.push_back({ForestRowKind::summary, "Total (95% CI)", {}, -0.7, -0.9, -0.5, 100.0});
  p.rows.push_back({ForestRowKind::prediction, "Prediction interval", {}, kNaN, -1.6, 0.2, kNaN});
  p.favours_left = "Favours MSC";
  p.favours_right = "Favours control";
  p.footnotes = {"Heterogeneity: \u03c4\u00b2 = 0.10; Q = 20.00, df = 11 (p = 0.05); I\u00b2 = 45%",
                 "Test for subgroup differences: Q = 1.20, df = 2 (p = 0.55)"};
  const plot::Scene s = plot::layout_forest(p);
  expect_no_overlap(s, "subgroups");
  std::size_t hollow = 0;
  for (const auto& poly : s.polygons)
    hollow += poly.filled ? 0 : 1;
  EXPECT_EQ(hollow, 3u);  // one open square per group
}

TEST(Forest, RatioAxisIsLogarithmicAndIncludesNoEffect) {
  const auto t = tables(8, 3);
  const auto a = analysis_of(t, evident::Measure::OR);
  const ForestPlot fp = evident::forest_plot(a, {}, &t);
  EXPECT_TRUE(fp.log_scale);
  const plot::Scene s = plot::layout_forest(fp);
  // The tick labelled "1" exists (the line of no effect of a ratio).
  EXPECT_TRUE(std::any_of(s.texts.begin(), s.texts.end(),
                          [](const plot::Text& x) { return x.text == "1"; }));
  // Estimates are printed on the natural scale: the pooled OR as text.
  const std::string pooled = fmt::format("{:.2f}", std::exp(a.fit.estimate));
  EXPECT_TRUE(std::any_of(s.texts.begin(), s.texts.end(), [&](const plot::Text& x) {
    return x.text.rfind(pooled + " [", 0) == 0;
  })) << pooled;
}

TEST(Forest, PerArmColumnsAndTotalsComeFromTheTable) {
  const auto t = tables(5, 9);
  const auto a = analysis_of(t, evident::Measure::RR);
  evident::ForestOptions o;
  o.group1 = "MSC";
  o.group2 = "Control";
  const ForestPlot fp = evident::forest_plot(a, o, &t);
  ASSERT_EQ(fp.columns.size(), 4u);
  EXPECT_EQ(fp.columns[0].group, "MSC");
  EXPECT_EQ(fp.columns[1].header, "Total");
  double total1 = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(fp.rows[i].cells[0], t.cell(i, 1));
    EXPECT_EQ(fp.rows[i].cells[1], t.cell(i, 2));
    total1 += std::stod(std::string(t.cell(i, 2)));
  }
  const ForestRow& total = fp.rows[5];
  EXPECT_EQ(total.kind, ForestRowKind::summary);
  EXPECT_EQ(total.cells[1], fmt::format("{:g}", total1));
  EXPECT_EQ(fp.favours_left, "Favours MSC");
  EXPECT_EQ(fp.favours_right, "Favours Control");
}

TEST(Forest, CombinedArmsOfAMultiArmTrialAreShownAsAnalysed) {
  // Two dose arms sharing one control: the row shows the arms combined (sizes added, mean and SD
  // by the Cochrane Handbook's formula) and the control once; a footnote says so.
  evident::StudyTable t("x", {"study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"});
  t.add_row({"Trial", "2", "1", "10", "4", "1.5", "10"}, 2);
  t.add_row({"Trial", "3", "2", "30", "4", "1.5", "10"}, 3);
  t.add_row({"Other", "2.5", "1.2", "15", "3.5", "1.1", "15"}, 4);
  const auto a = analysis_of(t, evident::Measure::MD);
  ASSERT_EQ(a.fit.k, 2u);
  const ForestPlot fp = evident::forest_plot(a, {}, &t);
  const auto combined = evident::combine_arms({10, 2, 1}, {30, 3, 2});
  EXPECT_EQ(fp.rows[0].cells[0], fmt::format("{:.4g}", combined.mean));
  EXPECT_EQ(fp.rows[0].cells[1], fmt::format("{:.4g}", combined.sd));
  EXPECT_EQ(fp.rows[0].cells[2], "40");
  EXPECT_EQ(fp.rows[0].cells[5], "10");
  EXPECT_EQ(fp.rows[2].cells[2], "55");  // the total counts each participant once
  EXPECT_EQ(fp.rows[2].cells[5], "25");
  EXPECT_TRUE(std::any_of(fp.footnotes.begin(), fp.footnotes.end(), [](const std::string& f) {
    return f.find("combined against their shared control: Trial") != std::string::npos;
  }));
}

TEST(Funnel, ContoursAndOpenPointsWithoutOverlap) {
  const auto t = tables(40, 5);
  const auto a = analysis_of(t, evident::Measure::OR);
  for (bool contours : {false, true}) {
    evident::FunnelPlot f = evident::funnel_plot(a, contours);
    f.title = "Funnel plot of a long outcome name that should still fit on the page";
    f.open[0] = f.open[1] = true;
    const plot::Scene s = plot::layout_funnel(f);
    expect_no_overlap(s, contours ? "contour funnel" : "funnel");
    std::size_t open = 0;
    for (const auto& c : s.circles)
      open += c.filled ? 0 : 1;
    EXPECT_EQ(s.circles.size(), 40u);
    EXPECT_EQ(open, 2u);
    EXPECT_TRUE(well_formed_xml(evident::render_plot(f, evident::PlotFormat::svg)));
  }
}

TEST(Scatter, BubbleAndBaujatLabelsNeverOverlap) {
  std::mt19937 rng(11);
  std::normal_distribution<double> z(0.0, 1.0);
  evident::BubblePlot b;
  b.x_label = "Dose (million cells)";
  b.y_label = "Log risk ratio";
  evident::BaujatPlot bj;
  for (int i = 0; i < 100; ++i) {
    b.x.push_back(10.0 * i);
    b.yi.push_back(0.002 * i + 0.3 * z(rng));
    b.weight.push_back(1.0 + (i % 10));
    bj.x.push_back(std::fabs(z(rng)) * 3);
    bj.y.push_back(std::fabs(z(rng)) * 0.1);
    bj.labels.push_back(fmt::format("Study {} et al.", i + 1));
  }
  b.line_x = {0.0, 990.0};
  b.line_y = {0.0, 0.2};
  b.band_lb = {-0.2, 0.0};
  b.band_ub = {0.2, 0.4};
  const plot::Scene sb = plot::layout_bubble(b);
  expect_no_overlap(sb, "bubble");
  EXPECT_EQ(sb.circles.size(), 100u);
  const plot::Scene sj = plot::layout_baujat(bj);
  expect_no_overlap(sj, "baujat");
  EXPECT_EQ(sj.circles.size(), 100u);
  EXPECT_GT(sj.texts.size(), 10u);  // many labels still placed
}

TEST(Axis, TickLabelsReadNaturally) {
  EXPECT_EQ(plot::tick_label(0.05), "0.05");
  EXPECT_EQ(plot::tick_label(1.0), "1");
  EXPECT_EQ(plot::tick_label(250.0), "250");
  EXPECT_EQ(plot::tick_label(0.2), "0.2");
  plot::TextMeasure m;
  // A symmetric ratio axis: 1/x of every tick is a tick.
  const plot::Axis a =
      plot::make_axis(std::log(0.3), std::log(3.5), true, 0.0, true, m, plot::Font{7.5}, 170.0);
  for (double t : a.ticks) {
    EXPECT_TRUE(std::any_of(a.ticks.begin(), a.ticks.end(), [&](double u) {
      return std::fabs(u + t) < 1e-9;
    })) << std::exp(t);
  }
  EXPECT_LE(a.lo, std::log(0.3));
  EXPECT_GE(a.hi, std::log(3.5));
}

TEST(Formats, PngIs300DpiPdfIsPdfAndUnknownExtensionIsAnError) {
  const auto t = tables(4, 1);
  const auto fp = evident::forest_plot(analysis_of(t, evident::Measure::OR), {}, &t);
  const plot::Scene s = plot::layout_forest(fp);
  const std::string png = evident::render_plot(fp, evident::PlotFormat::png);
  ASSERT_GT(png.size(), 100u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto u32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(png[at])) << 24) |
           (std::uint32_t(std::uint8_t(png[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(png[at + 2])) << 8) |
           std::uint32_t(std::uint8_t(png[at + 3]));
  };
  EXPECT_EQ(u32(16), static_cast<std::uint32_t>(std::ceil(s.width * 300.0 / 72.0)));  // IHDR width
  const std::size_t phys = png.find("pHYs");
  ASSERT_NE(phys, std::string::npos);
  EXPECT_EQ(u32(phys + 4), 11811u);  // 300 dpi in pixels per metre
  const std::string pdf = evident::render_plot(fp, evident::PlotFormat::pdf);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");

  EXPECT_EQ(evident::plot_format_for_path("a/b/forest.PNG"), evident::PlotFormat::png);
  EXPECT_EQ(evident::plot_format_for_path("forest.svg"), evident::PlotFormat::svg);
  EXPECT_FALSE(evident::plot_format_for_path("forest.jpg"));
  EXPECT_FALSE(evident::plot_format_for_path("forest"));
  const std::string bad = (std::filesystem::temp_directory_path() / "evident-plot.jpg").string();
  try {
    evident::write_plot(fp, bad);
    ADD_FAILURE() << "no error for .jpg";
  } catch (const evident::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST(Wrap, LongWordsAreCutAndLinesAreLimited) {
  plot::TextMeasure m;
  const plot::Font f{8.0};
  const auto lines =
      plot::wrap(m, "Supercalifragilisticexpialidocious-and-more-and-more text here", f, 60.0, 2);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& l : lines)
    EXPECT_LE(m.width(l, f), 60.0 + 1e-9) << l;
  EXPECT_EQ(lines.back().substr(lines.back().size() - 3), "...");
  EXPECT_EQ(plot::wrap(m, "short", f, 60.0, 2), std::vector<std::string>{"short"});
}

}  // namespace

// Labels and titles from user files in any encoding, with control characters: every SVG is still
// well-formed XML in valid UTF-8 (a browser refuses the file otherwise).
TEST(Plots, LatinOneBytesAndControlCharactersMakeValidSvg) {
  evident::StudyTable t("latin1.csv", {"study", "yi", "vi"});
  t.add_row(std::vector<std::string>{"M\xfcller 2001", "0.3", "0.02"}, 2);
  t.add_row(std::vector<std::string>{std::string("bell\x07\x01 and \x00nul", 15), "0.2", "0.015"},
            3);
  t.add_row(std::vector<std::string>{"surrogate \xed\xa0\x80 and overlong \xc0\xaf", "0.1", "0.03"},
            4);
  evident::AnalysisSpec spec;
  const evident::Analysis a = evident::analyse(t, spec);
  evident::ForestOptions o;
  o.title = "Title \x1b[31m in \xe9t\xe9";
  const std::string svg =
      evident::render_plot(evident::forest_plot(a, o, &t), evident::PlotFormat::svg);
  EXPECT_TRUE(well_formed_xml(svg));
  EXPECT_EQ(evident::detail::clean_text(svg), svg)
      << "the SVG holds bytes that are not clean UTF-8";
  EXPECT_NE(svg.find("M\xef\xbf\xbdller"), std::string::npos);  // U+FFFD in place of the byte
}

// A PNG's size is rounded up to whole pixels at 300 dpi; its last row and column are white like
// the rest of the background, not the grey line of an unpainted edge.
TEST(Plots, PngEdgesAreWhite) {
  const auto t = tables(6, 5);
  const std::string png = evident::render_plot(
      evident::forest_plot(analysis_of(t, evident::Measure::OR), {}, &t), evident::PlotFormat::png);
  struct Reader {
    const std::string& bytes;
    std::size_t at = 0;
  } reader{png};
  cairo_surface_t* image = cairo_image_surface_create_from_png_stream(
      [](void* closure, unsigned char* data, unsigned int length) {
        auto* r = static_cast<Reader*>(closure);
        if (r->at + length > r->bytes.size()) return CAIRO_STATUS_READ_ERROR;
        std::memcpy(data, r->bytes.data() + r->at, length);
        r->at += length;
        return CAIRO_STATUS_SUCCESS;
      },
      &reader);
  ASSERT_EQ(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
  const int w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
  const int stride = cairo_image_surface_get_stride(image);
  const unsigned char* pixels = cairo_image_surface_get_data(image);
  auto white = [&](int x, int y) {
    std::uint32_t p = 0;
    std::memcpy(&p, pixels + y * stride + 4 * x, 4);
    return (p & 0xFFFFFFu) == 0xFFFFFFu;
  };
  int dark = 0;
  for (int x = 0; x < w; ++x)
    dark += white(x, h - 1) ? 0 : 1;
  for (int y = 0; y < h; ++y)
    dark += white(w - 1, y) ? 0 : 1;
  EXPECT_EQ(dark, 0);
  cairo_surface_destroy(image);
}
