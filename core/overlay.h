#pragma once
// Pictures of per-word heatmaps over their image, for people to look at: the
// demo's output, the app's review view and the trainer's attention previews.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/heatmap.h"
#include "core/narrative.h"

#include <functional>

namespace loctex::core {

struct OverlayStyle {
  int tile_side = 320;  // longer side of one word's picture, in pixels
  double alpha = 0.65;  // opacity of the hottest cell
  int sheet_columns = 4;
};

// PNG bytes: `image` (any format OpenCV reads) scaled to style.tile_side,
// word `word`'s heatmap bilinearly upsampled, colour-mapped and blended over
// it in proportion to its heat, the word's own trace drawn as a line, and the
// word and its time span as a label. Throws std::runtime_error naming the
// image if it cannot be read.
std::vector<unsigned char> render_word_overlay(const std::filesystem::path& image, const Narrative& narrative,
                                               const WordHeatmaps& maps, std::size_t word,
                                               const HeatmapParams& params, const OverlayStyle& style = {});

// Every word with a trace, one tile each in caption order, on one PNG sheet
// under the caption.
std::vector<unsigned char> render_overlay_sheet(const std::filesystem::path& image,
                                                const Narrative& narrative, const WordHeatmaps& maps,
                                                const HeatmapParams& params, const OverlayStyle& style = {});

// A file-name-safe folder name for a narrative: dataset, image and annotator
// ids with every byte outside [A-Za-z0-9_-] replaced by '-'.
std::string overlay_folder_name(const Narrative& narrative);

class ProjectStore;

struct ProjectOverlayOptions {
  HeatmapParams heatmap;
  OverlayStyle style;
  bool per_word = false;  // also one PNG per traced word, beside the sheet
  // Called after each narrative with (done, total).
  std::function<void(std::size_t, std::size_t)> progress;
};

struct ProjectOverlayReport {
  std::size_t narratives = 0;        // rendered
  std::size_t files = 0;             // PNGs written
  std::vector<std::string> skipped;  // "dataset/image/annotator: reason", one per narrative not rendered
};

// For each narrative of the project, OUT/<id>-<overlay_folder_name>/sheet.png
// and, with per_word, OUT/<id>-<name>/NNN-<word>.png; every file is written
// atomically. A narrative whose image is missing or unreadable is skipped and
// reported; the others are still rendered. A file that cannot be written
// throws std::runtime_error naming it.
ProjectOverlayReport write_project_overlays(const ProjectStore& store, const std::filesystem::path& out,
                                            const ProjectOverlayOptions& options);

}  // namespace loctex::core
