#pragma once
// The colour of words marked for checking (forced alignment's doubtful
// words) wherever they are drawn: amber, light enough for dark text, saying
// "look at this" rather than "wrong".

#include <QColor>

namespace loctex::ui {

inline QColor flag_color() { return {255, 214, 140}; }

}  // namespace loctex::ui
