#pragma once
// The text renderer's pieces, one file per result (internal to the report layer; the renderer
// itself is text/text.cpp).

#include <iosfwd>

#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"

namespace evident::detail {

void render_text(const Analysis& a, std::ostream& out);
void render_text(const MetaRegAnalysis& a, std::ostream& out);
void render_text(const SubgroupAnalysis& a, std::ostream& out);
void render_text(const InfluenceAnalysis& a, std::ostream& out);
void render_text(const BiasAnalysis& a, std::ostream& out);
void render_text(const SequentialResult& a, std::ostream& out);
void render_text(const MultilevelAnalysis& a, std::ostream& out);

}  // namespace evident::detail
