#pragma once
// The conclusion of a trial sequential analysis in words, shared by the text renderer and the
// review report (internal to the report layer). Never stronger than the boundaries allow.

#include <string>

#include "evident/methods/trial_sequential.hpp"

namespace evident::detail {

// One or two sentences: what the monitoring boundaries say, and what would settle it.
std::string sequential_conclusion(const SequentialResult& r);

// "O'Brien-Fleming" or "Pocock".
std::string spending_words(SpendingFunction f);

}  // namespace evident::detail
