#include "ui/attention_preview.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <exception>

namespace loctex::ui {

AttentionPreview::AttentionPreview(QWidget* parent)
    : QWidget(parent),
      m_history(new QSlider(Qt::Horizontal)),
      m_step(new QLabel),
      m_sample(new QComboBox),
      m_word(new QComboBox),
      m_picture(new QLabel) {
  m_history->setObjectName("preview-history");
  m_sample->setObjectName("preview-sample");
  m_word->setObjectName("preview-word");
  m_picture->setObjectName("preview-image");
  m_picture->setAlignment(Qt::AlignCenter);
  m_history->setEnabled(false);
  auto* choices = new QHBoxLayout;
  choices->addWidget(m_sample, 1);
  choices->addWidget(m_word, 1);
  auto* history = new QHBoxLayout;
  history->addWidget(m_history, 1);
  history->addWidget(m_step);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(tr("<b>Attention against traces</b> (validation samples)")));
  layout->addLayout(choices);
  layout->addWidget(m_picture, 1);
  layout->addLayout(history);
  connect(m_history, &QSlider::valueChanged, this, &AttentionPreview::showPreview);
  connect(m_sample, &QComboBox::currentIndexChanged, this, &AttentionPreview::setSample);
  connect(m_word, &QComboBox::currentIndexChanged, this, &AttentionPreview::render);
  m_step->setText(tr("no preview yet"));
}

void AttentionPreview::addPreview(qint64 step, std::vector<trainer::AttentionSample> samples) {
  const bool following = m_shown < 0 || m_shown == count() - 1;
  m_previews.emplace_back(step, std::move(samples));
  if (count() > kMaxPreviews) {
    m_previews.erase(m_previews.begin());
    if (m_shown > 0) --m_shown;
  }
  {
    const QSignalBlocker block(m_history);
    m_history->setRange(0, count() - 1);
    m_history->setEnabled(count() > 1);
  }
  showPreview(following ? count() - 1 : m_shown);
}

void AttentionPreview::clear() {
  m_previews.clear();
  m_shown = -1;
  const QSignalBlocker block_history(m_history), block_sample(m_sample), block_word(m_word);
  m_history->setRange(0, 0);
  m_history->setEnabled(false);
  m_sample->clear();
  m_word->clear();
  m_picture->clear();
  m_image = QImage();
  m_step->setText(tr("no preview yet"));
}

void AttentionPreview::showPreview(int index) {
  if (index < 0 || index >= count()) return;
  m_shown = index;
  {
    const QSignalBlocker block(m_history);
    m_history->setValue(index);
  }
  m_step->setText(tr("step %1").arg(m_previews[static_cast<std::size_t>(index)].first));
  // The same samples every time: the list is filled once, the choice kept.
  const auto& samples = m_previews[static_cast<std::size_t>(index)].second;
  if (m_sample->count() != static_cast<int>(samples.size())) {
    const QSignalBlocker block(m_sample);
    m_sample->clear();
    for (const auto& s : samples) m_sample->addItem(QString::fromStdString(s.key));
    m_sample->setCurrentIndex(0);
    setSample(0);
    return;
  }
  render();
}

void AttentionPreview::setSample(int index) {
  if (m_shown < 0) return;
  const auto& samples = m_previews[static_cast<std::size_t>(m_shown)].second;
  if (index < 0 || index >= static_cast<int>(samples.size())) return;
  {
    const QSignalBlocker block_sample(m_sample), block_word(m_word);
    m_sample->setCurrentIndex(index);
    m_word->clear();
    for (const auto& w : samples[static_cast<std::size_t>(index)].words)
      m_word->addItem(QString::fromStdString(w.text));
    m_word->setCurrentIndex(m_word->count() > 0 ? 0 : -1);
  }
  render();
}

void AttentionPreview::setWord(int index) {
  if (index < 0 || index >= m_word->count()) return;
  m_word->setCurrentIndex(index);  // renders
}

qint64 AttentionPreview::shownStep() const {
  return m_shown < 0 ? -1 : m_previews[static_cast<std::size_t>(m_shown)].first;
}

void AttentionPreview::render() {
  if (m_shown < 0) return;
  const auto& samples = m_previews[static_cast<std::size_t>(m_shown)].second;
  const int s = m_sample->currentIndex(), w = m_word->currentIndex();
  if (s < 0 || s >= static_cast<int>(samples.size()) || w < 0) {
    m_picture->clear();
    m_image = QImage();
    return;
  }
  core::OverlayStyle style;
  style.tile_side = 192;
  try {
    const auto png = trainer::render_attention_row(samples[static_cast<std::size_t>(s)],
                                                   static_cast<std::size_t>(w), style);
    m_image = QImage::fromData(png.data(), static_cast<int>(png.size()), "PNG");
  } catch (const std::exception& e) {
    m_image = QImage();
    m_picture->setText(QString::fromStdString(e.what()));
    return;
  }
  m_picture->setPixmap(QPixmap::fromImage(m_image));
}

}  // namespace loctex::ui
