#include "core/overlay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/project_store.h"
#include "core/words.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace loctex::core {
namespace {

cv::Mat load_scaled(const std::filesystem::path& image, int side) {
  cv::Mat bgr = cv::imread(image.string(), cv::IMREAD_COLOR);
  if (bgr.empty())
    throw std::runtime_error("cannot read image " + image.string() + ": missing or not a decodable image");
  return scale_to_side(bgr, side);
}

// Hershey fonts draw ASCII only; anything else would come out as garbage.
std::string ascii_label(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 && (u & 0xC0) == 0x80) continue;  // continuation byte of the '?' already written
    out += (u >= 0x20 && u < 0x7F) ? c : '?';
  }
  return out;
}

void draw_label(cv::Mat& canvas, const std::string& text, int height) {
  cv::rectangle(canvas, cv::Rect(0, 0, canvas.cols, height), cv::Scalar(24, 24, 24), cv::FILLED);
  cv::putText(canvas, ascii_label(text), cv::Point(6, height - 8), cv::FONT_HERSHEY_SIMPLEX, 0.5,
              cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

// Greedy word wrap to `width` pixels in draw_label's font.
std::vector<std::string> wrap_lines(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::string line;
  for (const auto word : split_ascii_whitespace(text)) {
    std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
    int baseline = 0;
    const int w = cv::getTextSize(ascii_label(candidate), cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, &baseline).width;
    if (w > width - 12 && !line.empty()) {
      lines.push_back(line);
      candidate = std::string(word);
    }
    line = std::move(candidate);
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string format_seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", t);
  return buf;
}

// One word's picture without its label, the size of `base`: its heatmap
// blended over the image, and the word's own trace points as the annotator
// drew them.
cv::Mat word_tile(const cv::Mat& base, const Narrative& narrative, const WordHeatmaps& maps, std::size_t word,
                  const HeatmapParams& params, double alpha) {
  cv::Mat out = blend_heatmap(base, maps.map(word), maps.grid, alpha);
  const Word& w = maps.words[word];
  const double from = w.start - params.time_margin, to = w.end + params.time_margin;
  for (const TraceSegment& segment : narrative.traces) {
    std::vector<cv::Point> run;
    auto flush = [&] {
      if (run.size() > 1) {
        cv::polylines(out, run, false, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
        cv::polylines(out, run, false, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
      } else if (run.size() == 1) {
        cv::circle(out, run[0], 2, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
      }
      run.clear();
    };
    for (const TracePoint& p : segment) {
      if (from <= p.t && p.t <= to)
        run.emplace_back(static_cast<int>(std::lround(p.x * base.cols)),
                         static_cast<int>(std::lround(p.y * base.rows)));
      else
        flush();
    }
    flush();
  }
  return out;
}

}  // namespace

cv::Mat scale_to_side(const cv::Mat& image, int side) {
  const double scale = static_cast<double>(side) / std::max(image.cols, image.rows);
  cv::Mat scaled;
  cv::resize(image, scaled,
             cv::Size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(image.rows * scale)))),
             0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return scaled;
}

cv::Mat blend_heatmap(const cv::Mat& image, std::span<const double> map, int grid, double alpha) {
  if (grid < 1 || map.size() != static_cast<std::size_t>(grid) * static_cast<std::size_t>(grid))
    throw std::invalid_argument("heat map of " + std::to_string(map.size()) + " values for a grid of " +
                                std::to_string(grid));
  cv::Mat cells(grid, grid, CV_64F);
  std::copy(map.begin(), map.end(), cells.ptr<double>());
  double peak = 0.0;
  cv::minMaxLoc(cells, nullptr, &peak);
  cv::Mat heat;  // [0, 1] per pixel, bilinear over the cell centres
  cv::resize(cells * (peak > 0.0 ? 1.0 / peak : 0.0), heat, image.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat heat8, colour;
  heat.convertTo(heat8, CV_8U, 255.0);
  cv::applyColorMap(heat8, colour, cv::COLORMAP_TURBO);
  cv::Mat weight;
  cv::Mat weight3;
  heat.convertTo(weight, CV_32F, alpha);
  cv::cvtColor(weight, weight3, cv::COLOR_GRAY2BGR);
  cv::Mat base_f, colour_f, out_f;
  image.convertTo(base_f, CV_32FC3);
  colour.convertTo(colour_f, CV_32FC3);
  out_f = base_f.mul(cv::Scalar::all(1.0) - weight3) + colour_f.mul(weight3);
  cv::Mat out;
  out_f.convertTo(out, CV_8UC3);
  return out;
}

cv::Mat label_tile(const cv::Mat& picture, const std::string& label) {
  cv::Mat canvas(picture.rows + kOverlayLabelHeight, picture.cols, CV_8UC3);
  picture.copyTo(canvas(cv::Rect(0, kOverlayLabelHeight, picture.cols, picture.rows)));
  draw_label(canvas, label, kOverlayLabelHeight);
  return canvas;
}

cv::Mat tile_sheet(const std::string& caption, const std::vector<cv::Mat>& tiles, int columns,
                   int tile_width) {
  if (columns < 1 || tile_width < 1)
    throw std::invalid_argument("a sheet needs at least one column of at least one pixel");
  const int tile_height = tiles.empty() ? 0 : tiles.front().rows;
  for (const cv::Mat& tile : tiles)
    if (tile.cols != tile_width || tile.rows != tile_height)
      throw std::invalid_argument("sheet tiles differ in size: " + std::to_string(tile.cols) + "x" +
                                  std::to_string(tile.rows) + " beside " + std::to_string(tile_width) + "x" +
                                  std::to_string(tile_height));
  const int rows = static_cast<int>((tiles.size() + static_cast<std::size_t>(columns) - 1) /
                                    static_cast<std::size_t>(columns));
  const auto lines = wrap_lines(caption, columns * tile_width);
  const int header =
      kOverlayLabelHeight + static_cast<int>(std::max<std::size_t>(lines.size(), 1) - 1) * kOverlayLineHeight;
  cv::Mat sheet(header + rows * tile_height, columns * tile_width, CV_8UC3, cv::Scalar(40, 40, 40));
  cv::rectangle(sheet, cv::Rect(0, 0, sheet.cols, header), cv::Scalar(24, 24, 24), cv::FILLED);
  for (std::size_t l = 0; l < lines.size(); ++l)
    cv::putText(sheet, ascii_label(lines[l]),
                cv::Point(6, kOverlayLabelHeight - 8 + static_cast<int>(l) * kOverlayLineHeight),
                cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    const int r = static_cast<int>(k) / columns, c = static_cast<int>(k) % columns;
    tiles[k].copyTo(sheet(cv::Rect(c * tile_width, header + r * tile_height, tile_width, tile_height)));
  }
  return sheet;
}

std::vector<unsigned char> encode_png(const cv::Mat& image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png)) throw std::runtime_error("cannot encode PNG");
  return png;
}

// ASCII tests on purpose: std::isalnum depends on the locale.
std::string safe_file_name(std::string name, char replacement) {
  for (char& c : name)
    if (!is_ascii_alnum(c) && c != '_' && c != '-') c = replacement;
  return name;
}

std::string word_overlay_file_name(std::size_t word, const std::string& text) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "%03zu-", word);
  return prefix + safe_file_name(text, '_') + ".png";
}

std::vector<unsigned char> render_word_overlay(const std::filesystem::path& image, const Narrative& narrative,
                                               const WordHeatmaps& maps, std::size_t word,
                                               const HeatmapParams& params, const OverlayStyle& style) {
  if (word >= maps.words.size()) throw std::out_of_range("word " + std::to_string(word) + " out of range");
  const cv::Mat base = load_scaled(image, style.tile_side);
  const Word& w = maps.words[word];
  return encode_png(label_tile(word_tile(base, narrative, maps, word, params, style.alpha),
                               w.text + "  " + format_seconds(w.start) + "-" + format_seconds(w.end) + " s"));
}

std::vector<unsigned char> render_overlay_sheet(const std::filesystem::path& image,
                                                const Narrative& narrative, const WordHeatmaps& maps,
                                                const HeatmapParams& params, const OverlayStyle& style) {
  const cv::Mat base = load_scaled(image, style.tile_side);
  std::vector<cv::Mat> tiles;
  for (std::size_t w = 0; w < maps.words.size(); ++w)
    if (maps.has_trace[w])
      tiles.push_back(
          label_tile(word_tile(base, narrative, maps, w, params, style.alpha), maps.words[w].text));
  const int columns = std::max(
      1, std::min<int>(style.sheet_columns, static_cast<int>(std::max<std::size_t>(1, tiles.size()))));
  return encode_png(tile_sheet(narrative.caption, tiles, columns, base.cols));
}

std::string overlay_folder_name(const Narrative& narrative) {
  return safe_file_name(
      narrative.dataset_id + "_" + narrative.image_id + "_" + std::to_string(narrative.annotator_id), '-');
}

ProjectOverlayReport write_project_overlays(const ProjectStore& store, const std::filesystem::path& out,
                                            const ProjectOverlayOptions& options) {
  validate(options.heatmap);
  ProjectOverlayReport report;
  const auto entries = store.list_narratives();
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const NarrativeEntry& entry = entries[k];
    // Render everything in memory first: a narrative whose image or trace
    // cannot be rendered is skipped, but a failed write (a full disk) is not
    // a bad input and propagates.
    std::vector<std::pair<std::string, std::vector<unsigned char>>> pngs;
    std::string folder_name;
    try {
      if (!entry.image_file) throw std::runtime_error("the project has no image file for it");
      const Narrative narrative = store.load_narrative(entry.id);
      const auto maps = render_word_heatmaps(narrative, options.heatmap);
      // The id keeps two narratives whose names sanitise alike apart.
      folder_name = std::to_string(entry.id) + "-" + overlay_folder_name(narrative);
      pngs.emplace_back("sheet.png", render_overlay_sheet(*entry.image_file, narrative, maps, options.heatmap,
                                                          options.style));
      for (std::size_t w = 0; options.per_word && w < maps.words.size(); ++w) {
        if (!maps.has_trace[w]) continue;
        pngs.emplace_back(
            word_overlay_file_name(w, maps.words[w].text),
            render_word_overlay(*entry.image_file, narrative, maps, w, options.heatmap, options.style));
      }
    } catch (const std::exception& e) {
      report.skipped.push_back(entry.dataset_id + "/" + entry.image_id + "/" +
                               std::to_string(entry.annotator_id) + ": " + e.what());
      pngs.clear();
    }
    for (const auto& [name, png] : pngs)
      write_file_atomically(out / folder_name / name,
                            std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    report.files += pngs.size();
    if (!pngs.empty()) ++report.narratives;
    if (options.progress) options.progress(k + 1, entries.size());
  }
  return report;
}

}  // namespace loctex::core
