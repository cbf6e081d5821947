#pragma once
// The training preview: on a fixed set of validation samples, the image with
// the model's attention for the selected word beside that word's trace
// heatmap (trainer::render_attention_row, as `loctex-train overlays` draws
// it), refreshed as previews arrive during training, with a slider to go back
// through earlier steps' previews.

#include <QImage>
#include <QWidget>

#include <utility>
#include <vector>

#include "trainer/attention_overlay.h"

class QComboBox;
class QLabel;
class QSlider;

namespace loctex::ui {

class AttentionPreview : public QWidget {
  Q_OBJECT

 public:
  // Previews kept; older ones are dropped (each holds its samples' pixels).
  static constexpr int kMaxPreviews = 200;

  explicit AttentionPreview(QWidget* parent = nullptr);

  // A new preview at `step`. The view follows the newest one unless the
  // slider was moved back to an earlier step.
  void addPreview(qint64 step, std::vector<trainer::AttentionSample> samples);
  void clear();
  int count() const { return static_cast<int>(m_previews.size()); }
  // Shows preview `index` (0 the oldest kept).
  void showPreview(int index);
  // The sample and word (an index into the sample's traced words) shown.
  void setSample(int index);
  void setWord(int index);
  qint64 shownStep() const;
  int shownPreview() const { return m_shown; }
  const QImage& image() const { return m_image; }

  QSize sizeHint() const override { return {420, 520}; }

 private:
  void render();

  std::vector<std::pair<qint64, std::vector<trainer::AttentionSample>>> m_previews;
  int m_shown = -1;
  QSlider* m_history;
  QLabel* m_step;
  QComboBox* m_sample;
  QComboBox* m_word;
  QLabel* m_picture;
  QImage m_image;
};

}  // namespace loctex::ui
