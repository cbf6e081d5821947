#include "core/overlay.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/project_store.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace loctex::core {
namespace {

cv::Mat load_scaled(const std::filesystem::path& image, int side) {
  cv::Mat bgr = cv::imread(image.string(), cv::IMREAD_COLOR);
  if (bgr.empty())
    throw std::runtime_error("cannot read image " + image.string() + ": missing or not a decodable image");
  const double scale = static_cast<double>(side) / std::max(bgr.cols, bgr.rows);
  cv::Mat scaled;
  cv::resize(bgr, scaled,
             cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(bgr.rows * scale)))),
             0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return scaled;
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

// Bytes outside [A-Za-z0-9_-] replaced, so the result is a file name
// anywhere. ASCII tests on purpose: std::isalnum depends on the locale.
std::string safe_name(std::string name, char replacement) {
  for (char& c : name)
    if (!is_ascii_alnum(c) && c != '_' && c != '-') c = replacement;
  return name;
}

std::string format_seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", t);
  return buf;
}

// One word's picture without its label, the size of `base`.
cv::Mat word_tile(const cv::Mat& base, const Narrative& narrative, const WordHeatmaps& maps, std::size_t word,
                  const HeatmapParams& params, double alpha) {
  const auto values = maps.map(word);
  cv::Mat grid(maps.grid, maps.grid, CV_64F);
  std::copy(values.begin(), values.end(), grid.ptr<double>());
  double peak = 0.0;
  cv::minMaxLoc(grid, nullptr, &peak);
  cv::Mat heat;  // [0, 1] per pixel, bilinear over the cell centres
  cv::resize(grid * (peak > 0.0 ? 1.0 / peak : 0.0), heat, base.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat heat8, colour;
  heat.convertTo(heat8, CV_8U, 255.0);
  cv::applyColorMap(heat8, colour, cv::COLORMAP_TURBO);
  cv::Mat weight;
  cv::Mat weight3;
  heat.convertTo(weight, CV_32F, alpha);
  cv::cvtColor(weight, weight3, cv::COLOR_GRAY2BGR);
  cv::Mat base_f, colour_f, out_f;
  base.convertTo(base_f, CV_32FC3);
  colour.convertTo(colour_f, CV_32FC3);
  out_f = base_f.mul(cv::Scalar::all(1.0) - weight3) + colour_f.mul(weight3);
  cv::Mat out;
  out_f.convertTo(out, CV_8UC3);

  // The word's own trace points, as the annotator drew them.
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

std::vector<unsigned char> encode_png(const cv::Mat& image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png)) throw std::runtime_error("cannot encode PNG");
  return png;
}

constexpr int kLabelHeight = 26;
constexpr int kLineHeight = 20;  // each further line of a wrapped caption

}  // namespace

std::vector<unsigned char> render_word_overlay(const std::filesystem::path& image, const Narrative& narrative,
                                               const WordHeatmaps& maps, std::size_t word,
                                               const HeatmapParams& params, const OverlayStyle& style) {
  if (word >= maps.words.size()) throw std::out_of_range("word " + std::to_string(word) + " out of range");
  const cv::Mat base = load_scaled(image, style.tile_side);
  const cv::Mat tile = word_tile(base, narrative, maps, word, params, style.alpha);
  cv::Mat canvas(tile.rows + kLabelHeight, tile.cols, CV_8UC3);
  tile.copyTo(canvas(cv::Rect(0, kLabelHeight, tile.cols, tile.rows)));
  const Word& w = maps.words[word];
  draw_label(canvas, w.text + "  " + format_seconds(w.start) + "-" + format_seconds(w.end) + " s",
             kLabelHeight);
  return encode_png(canvas);
}

std::vector<unsigned char> render_overlay_sheet(const std::filesystem::path& image,
                                                const Narrative& narrative, const WordHeatmaps& maps,
                                                const HeatmapParams& params, const OverlayStyle& style) {
  const cv::Mat base = load_scaled(image, style.tile_side);
  std::vector<std::size_t> traced;
  for (std::size_t w = 0; w < maps.words.size(); ++w)
    if (maps.has_trace[w]) traced.push_back(w);
  const int columns = std::max(
      1, std::min<int>(style.sheet_columns, static_cast<int>(std::max<std::size_t>(1, traced.size()))));
  const int rows = static_cast<int>((traced.size() + static_cast<std::size_t>(columns) - 1) /
                                    static_cast<std::size_t>(columns));
  const int cell_h = base.rows + kLabelHeight;
  const auto caption = wrap_lines(narrative.caption, columns * base.cols);
  const int header =
      kLabelHeight + static_cast<int>(std::max<std::size_t>(caption.size(), 1) - 1) * kLineHeight;
  cv::Mat sheet(header + rows * cell_h, columns * base.cols, CV_8UC3, cv::Scalar(40, 40, 40));
  cv::rectangle(sheet, cv::Rect(0, 0, sheet.cols, header), cv::Scalar(24, 24, 24), cv::FILLED);
  for (std::size_t l = 0; l < caption.size(); ++l)
    cv::putText(sheet, ascii_label(caption[l]),
                cv::Point(6, kLabelHeight - 8 + static_cast<int>(l) * kLineHeight), cv::FONT_HERSHEY_SIMPLEX,
                0.5, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  for (std::size_t k = 0; k < traced.size(); ++k) {
    const int r = static_cast<int>(k) / columns, c = static_cast<int>(k) % columns;
    cv::Mat cell = sheet(cv::Rect(c * base.cols, header + r * cell_h, base.cols, cell_h));
    word_tile(base, narrative, maps, traced[k], params, style.alpha)
        .copyTo(cell(cv::Rect(0, kLabelHeight, base.cols, base.rows)));
    draw_label(cell, maps.words[traced[k]].text, kLabelHeight);
  }
  return encode_png(sheet);
}

std::string overlay_folder_name(const Narrative& narrative) {
  return safe_name(
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
        char prefix[32];
        std::snprintf(prefix, sizeof prefix, "%03zu-", w);
        pngs.emplace_back(
            prefix + safe_name(maps.words[w].text, '_') + ".png",
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
