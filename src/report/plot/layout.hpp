#pragma once
// Laying out each kind of plot into a Scene (internal; tests use it to check the geometry).

#include "evident/report/plot.hpp"
#include "report/plot/scene.hpp"

namespace evident::plot {

[[nodiscard]] Scene layout_forest(const ForestPlot& plot);
[[nodiscard]] Scene layout_funnel(const FunnelPlot& plot);
[[nodiscard]] Scene layout_bubble(const BubblePlot& plot);
[[nodiscard]] Scene layout_baujat(const BaujatPlot& plot);
[[nodiscard]] Scene layout_sequential(const SequentialPlot& plot);

}  // namespace evident::plot
