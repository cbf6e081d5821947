#pragma once
// Inspect a trained model: open a checkpoint (or a run folder, its latest)
// on a data set's validation or training samples, browse the samples, and
// (up to a count, from the split's start) for each see every traced word's
// attention beside its trace, the words
// sorted by disagreement (KL, largest first) with their pointing hits and
// misses; export the shown overlay as a PNG. The model runs off the GUI
// thread (trainer::inspect_run, as `loctex-train overlays` uses it).

#include <QString>
#include <QWidget>

#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

#include "core/narrative.h"
#include "trainer/attention_overlay.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace loctex::ui {

class InspectView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kTileSide = 256;

  explicit InspectView(QWidget* parent = nullptr);
  ~InspectView() override;  // waits for a model still running

  void setRun(const QString& run);
  void setDataset(const QString& shards);
  // Runs the model on the chosen split; opened() or failed() follows.
  void open();
  // Runs the model on one narrative that is not in a data set (the one under
  // review in the app, with its image file), built as its training set was
  // (trainer::inspect_narrative); opened() or failed() follows.
  void openNarrative(const core::Narrative& narrative, const std::filesystem::path& image_file);
  bool busy() const { return m_busy; }
  const std::optional<trainer::Inspection>& inspection() const { return m_inspection; }

  // Sample `index`; its words sorted by KL, largest first, the first shown.
  void showSample(int index);
  // Row `row` of the word table (in KL order).
  void showWord(int row);
  // The word shown, as an index into the sample's words; -1 for none.
  int shownWord() const { return m_word; }
  // Writes the shown overlay (attention | trace of the word) as a PNG,
  // atomically; false, with the reason in message(), if it cannot.
  bool exportPng(const QString& path);

 Q_SIGNALS:
  void opened();
  void failed(QString message);
  void message(QString text);

 private:
  void finishOpen(trainer::Inspection inspection);
  // Runs `inspect` off the GUI thread, then finishOpen() or failed().
  void runInBackground(std::function<trainer::Inspection()> inspect);

  QLineEdit* m_run;
  QLineEdit* m_dataset;
  QComboBox* m_split;
  QSpinBox* m_count;
  QPushButton* m_open;
  QLabel* m_summary;
  QListWidget* m_samples;
  QTableWidget* m_words;
  QLabel* m_picture;
  QPushButton* m_export;
  std::optional<trainer::Inspection> m_inspection;
  int m_sample = -1;
  int m_word = -1;
  bool m_busy = false;
  std::thread m_thread;
};

}  // namespace loctex::ui
