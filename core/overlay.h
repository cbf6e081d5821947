#pragma once
// Pictures of per-word heatmaps over their image, for people to look at: the
// demo's output, the app's review view and the trainer's attention previews.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/heatmap.h"
#include "core/narrative.h"

// Declared, not included: users of loctex_core do not get OpenCV's include
// path. The building blocks below take and return cv::Mat; their callers
// include <opencv2/core.hpp> themselves.
namespace cv {
class Mat;
}

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

// ---- building blocks, shared with the trainer's attention overlays --------
// Every picture here is 8-bit BGR, as cv::imread gives.

// Height of the dark band holding a tile's label, and of the first line of a
// sheet's caption; each further caption line adds kOverlayLineHeight.
inline constexpr int kOverlayLabelHeight = 26;
inline constexpr int kOverlayLineHeight = 20;

// `image` scaled so that its longer side is `side` pixels (INTER_AREA when
// shrinking, INTER_LINEAR when enlarging), aspect ratio kept.
cv::Mat scale_to_side(const cv::Mat& image, int side);

// `image` with a grid×grid heat map over the whole of it blended on top: the
// map (row-major, rows down in y, any non-negative scale) divided by its
// maximum, bilinearly upsampled over the cell centres, colour-mapped (turbo)
// and blended in proportion to its heat, up to `alpha` at the hottest cell.
// An all-zero map leaves the image as it is. Same size as `image`. Throws
// std::invalid_argument unless map holds grid² values.
cv::Mat blend_heatmap(const cv::Mat& image, std::span<const double> map, int grid, double alpha);

// `picture` under a band kOverlayLabelHeight high holding `label` (Hershey
// fonts draw ASCII only: other characters are drawn as '?').
cv::Mat label_tile(const cv::Mat& picture, const std::string& label);

// Tiles of one size laid out `columns` to a row, in order, under `caption`
// word-wrapped to the sheet's width (columns × tile_width): kOverlayLabelHeight
// for the first caption line, kOverlayLineHeight for each further one. With
// no tiles, the caption alone. Throws std::invalid_argument for tiles of
// another width or height than the first, or columns or tile_width below 1.
cv::Mat tile_sheet(const std::string& caption, const std::vector<cv::Mat>& tiles, int columns,
                   int tile_width);

// PNG bytes of a picture. Throws std::runtime_error if OpenCV cannot encode it.
std::vector<unsigned char> encode_png(const cv::Mat& image);

// `name` with every byte outside [A-Za-z0-9_-] replaced by `replacement`:
// a file name anywhere.
std::string safe_file_name(std::string name, char replacement = '-');

// The file name of word `word`'s own PNG beside a sheet: "007-circle.png"
// (index zero-padded to three digits, the text made safe with '_').
std::string word_overlay_file_name(std::size_t word, const std::string& text);

// ---- project overlays -----------------------------------------------------

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
