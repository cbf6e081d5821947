#include "ui/inspect_view.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMetaObject>
#include <QPixmap>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <numeric>
#include <string_view>
#include <vector>

#include "core/atomic_file.h"
#include "ui/background_task.h"

namespace loctex::ui {
namespace {

// The sample's words, most disagreeing first (KL, largest first; ties in caption order).
std::vector<std::size_t> by_disagreement(const trainer::AttentionSample& sample) {
  std::vector<std::size_t> order(sample.words.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sample.words[a].kl > sample.words[b].kl; });
  return order;
}

core::OverlayStyle tile_style() {
  core::OverlayStyle style;
  style.tile_side = InspectView::kTileSide;
  return style;
}

}  // namespace

InspectView::InspectView(QWidget* parent)
    : QWidget(parent),
      m_run(new QLineEdit),
      m_dataset(new QLineEdit),
      m_split(new QComboBox),
      m_count(new QSpinBox),
      m_open(new QPushButton(tr("Open"))),
      m_summary(new QLabel),
      m_samples(new QListWidget),
      m_words(new QTableWidget(0, 3)),
      m_picture(new QLabel),
      m_export(new QPushButton(tr("Export PNG..."))) {
  m_run->setObjectName("inspect-run");
  m_run->setPlaceholderText(tr("a run folder (its latest checkpoint) or a checkpoint file"));
  m_dataset->setObjectName("inspect-dataset");
  m_dataset->setPlaceholderText(tr("the run's own data set"));
  m_split->addItem(tr("validation"), "val");
  m_split->addItem(tr("training"), "train");
  m_open->setObjectName("inspect-open");
  m_count->setObjectName("inspect-count");
  m_count->setRange(1, 2000);  // each sample's pixels and maps stay in memory (~0.3 MB at 160 px)
  m_count->setValue(200);
  m_count->setPrefix(tr("up to "));
  m_samples->setObjectName("inspect-samples");
  m_words->setObjectName("inspect-words");
  m_words->setHorizontalHeaderLabels({tr("Word"), tr("KL (nats)"), tr("Pointing")});
  m_words->horizontalHeader()->setStretchLastSection(true);
  m_words->verticalHeader()->hide();
  m_words->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_words->setSelectionMode(QAbstractItemView::SingleSelection);
  m_words->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_picture->setObjectName("inspect-image");
  m_picture->setAlignment(Qt::AlignCenter);
  m_picture->setMinimumSize(2 * kTileSide, kTileSide);
  m_export->setObjectName("inspect-export");
  m_export->setEnabled(false);

  auto* form = new QFormLayout;
  auto* browse = new QPushButton(tr("Browse..."));
  auto* run_row = new QHBoxLayout;
  run_row->addWidget(m_run, 1);
  run_row->addWidget(browse);
  form->addRow(tr("Model"), run_row);
  form->addRow(tr("Data set"), m_dataset);
  auto* split_row = new QHBoxLayout;
  split_row->addWidget(m_split);
  split_row->addWidget(m_count);
  split_row->addWidget(m_open);
  split_row->addStretch(1);
  form->addRow(tr("Samples"), split_row);
  form->addRow(m_summary);
  auto* lists = new QVBoxLayout;
  lists->addLayout(form);
  lists->addWidget(m_samples, 1);
  lists->addWidget(m_words, 1);
  auto* left = new QWidget;
  left->setLayout(lists);
  left->setMinimumWidth(400);
  left->setMaximumWidth(480);
  m_summary->setWordWrap(true);
  auto* right = new QVBoxLayout;
  right->addWidget(m_picture, 1);
  right->addWidget(m_export, 0, Qt::AlignRight);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(left);
  layout->addLayout(right, 1);

  connect(browse, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("A training run"), m_run->text());
    if (!folder.isEmpty()) m_run->setText(folder);
  });
  connect(m_open, &QPushButton::clicked, this, &InspectView::open);
  connect(m_samples, &QListWidget::currentRowChanged, this, &InspectView::showSample);
  connect(m_words, &QTableWidget::currentCellChanged, this, [this](int row) { showWord(row); });
  connect(m_export, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export overlay"), {}, tr("PNG (*.png)"));
    if (!path.isEmpty()) exportPng(path);
  });
}

InspectView::~InspectView() {
  if (m_thread.joinable()) m_thread.join();
}

void InspectView::setRun(const QString& run) { m_run->setText(run); }
void InspectView::setDataset(const QString& shards) { m_dataset->setText(shards); }

void InspectView::open() {
  if (m_busy || m_run->text().isEmpty()) return;
  trainer::InspectRequest request;
  request.run = m_run->text().toStdString();
  request.shards = m_dataset->text().toStdString();
  request.split = m_split->currentData().toString().toStdString();
  request.max_samples = m_count->value();
  Q_EMIT message(tr("Running the model on the %1 samples...").arg(m_split->currentText()));
  runInBackground([request] { return trainer::inspect_run(request); });
}

void InspectView::openNarrative(const core::Narrative& narrative, const std::filesystem::path& image_file) {
  if (m_busy) return;
  if (m_run->text().isEmpty()) {
    Q_EMIT message(tr("Choose a model (a run folder) in Inspect first"));
    return;
  }
  trainer::InspectRequest request;
  request.run = m_run->text().toStdString();
  // The one-sample data set is built in a folder of this process's own.
  const auto work = std::filesystem::temp_directory_path() /
                    ("loctex-inspect-" + std::to_string(QCoreApplication::applicationPid()));
  Q_EMIT message(
      tr("Running the model on %1/%2...")
          .arg(QString::fromStdString(narrative.dataset_id), QString::fromStdString(narrative.image_id)));
  runInBackground([request, narrative, image_file, work] {
    // The folder goes whether the inspection succeeds or not.
    struct RemoveWhenDone {
      std::filesystem::path folder;
      ~RemoveWhenDone() {
        std::error_code ignored;
        std::filesystem::remove_all(folder, ignored);
      }
    } cleanup{work};
    return trainer::inspect_narrative(request, narrative, image_file, work);
  });
}

void InspectView::runInBackground(std::function<trainer::Inspection()> inspect) {
  if (m_thread.joinable()) m_thread.join();
  m_busy = true;
  m_open->setEnabled(false);
  run_in_background<trainer::Inspection>(
      m_thread, this, std::move(inspect),
      [this](trainer::Inspection inspection) { finishOpen(std::move(inspection)); },
      [this](QString why) {
        m_busy = false;
        m_open->setEnabled(true);
        Q_EMIT message(tr("Cannot inspect: %1").arg(why));
        Q_EMIT failed(why);
      });
}

void InspectView::finishOpen(trainer::Inspection inspection) {
  m_busy = false;
  m_open->setEnabled(true);
  m_inspection = std::move(inspection);
  std::size_t words = 0, hits = 0;
  {
    const QSignalBlocker block(m_samples);
    m_samples->clear();
    for (const auto& sample : m_inspection->samples) {
      std::size_t sample_hits = 0;
      double kl = 0;
      for (const auto& w : sample.words) {
        sample_hits += w.hit ? 1 : 0;
        kl += w.kl;
      }
      words += sample.words.size();
      hits += sample_hits;
      m_samples->addItem(
          tr("%1 \u00b7 %2/%3 hits \u00b7 mean KL %4")
              .arg(QString::fromStdString(sample.key))
              .arg(sample_hits)
              .arg(sample.words.size())
              .arg(sample.words.empty() ? 0.0 : kl / static_cast<double>(sample.words.size()), 0, 'f', 2));
    }
  }
  m_summary->setText(tr("Step %1 (%2): %3 samples, pointing %4 of %5 words")
                         .arg(m_inspection->step)
                         .arg(QString::fromStdString(m_inspection->checkpoint.filename().string()))
                         .arg(m_inspection->samples.size())
                         .arg(hits)
                         .arg(words));
  m_sample = -1;
  if (!m_inspection->samples.empty()) m_samples->setCurrentRow(0);
  Q_EMIT message(tr("Inspecting %1").arg(QString::fromStdString(m_inspection->checkpoint.string())));
  Q_EMIT opened();
}

void InspectView::showSample(int index) {
  if (!m_inspection || index < 0 || index >= static_cast<int>(m_inspection->samples.size())) return;
  m_sample = index;
  const auto& sample = m_inspection->samples[static_cast<std::size_t>(index)];
  {
    const QSignalBlocker block(m_words);
    m_words->setRowCount(0);
    for (const std::size_t w : by_disagreement(sample)) {
      const auto& word = sample.words[w];
      const int row = m_words->rowCount();
      m_words->insertRow(row);
      auto* text = new QTableWidgetItem(QString::fromStdString(word.text));
      text->setData(Qt::UserRole, static_cast<int>(w));
      m_words->setItem(row, 0, text);
      m_words->setItem(row, 1, new QTableWidgetItem(QString::number(word.kl, 'f', 3)));
      m_words->setItem(row, 2, new QTableWidgetItem(word.hit ? tr("hit") : tr("miss")));
    }
  }
  m_words->resizeColumnsToContents();
  m_word = -1;
  if (m_words->rowCount() > 0) {
    m_words->setCurrentCell(0, 0);
    showWord(0);
  } else {
    m_picture->setText(tr("No traced word in this sample"));
    m_export->setEnabled(false);
  }
}

void InspectView::showWord(int row) {
  if (!m_inspection || m_sample < 0 || row < 0 || row >= m_words->rowCount()) return;
  m_word = m_words->item(row, 0)->data(Qt::UserRole).toInt();
  // An exception must not leave a slot: it would end the app.
  try {
    const auto png = trainer::render_attention_row(m_inspection->samples[static_cast<std::size_t>(m_sample)],
                                                   static_cast<std::size_t>(m_word), tile_style());
    QPixmap pixmap;
    pixmap.loadFromData(png.data(), static_cast<uint>(png.size()), "PNG");
    m_picture->setPixmap(pixmap);
    m_export->setEnabled(true);
  } catch (const std::exception& e) {
    m_picture->setText(tr("Cannot draw this word: %1").arg(QString::fromStdString(e.what())));
    m_export->setEnabled(false);
  }
}

bool InspectView::exportPng(const QString& path) {
  if (!m_inspection || m_sample < 0 || m_word < 0) return false;
  try {
    const auto png = trainer::render_attention_row(m_inspection->samples[static_cast<std::size_t>(m_sample)],
                                                   static_cast<std::size_t>(m_word), tile_style());
    core::write_file_atomically(path.toStdString(),
                                std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  } catch (const std::exception& e) {
    Q_EMIT message(tr("Cannot export: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  Q_EMIT message(tr("Exported %1").arg(path));
  return true;
}

}  // namespace loctex::ui
