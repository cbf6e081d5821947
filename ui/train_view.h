#pragma once
// Live training in the app: the run's settings over the trainer's defaults
// (which train on a laptop CPU): a built data set, an output folder, the
// objectives and the model size; start, pause, resume and stop; live charts
// of every loss term, the learning rate and samples a second, with the step
// and the time left; validation retrieval and pointing at each evaluation;
// and the attention preview every N steps.

#include <QMap>
#include <QString>
#include <QWidget>

#include <cstdint>

#include "trainer/config.h"
#include "trainer/train.h"

class QCheckBox;
class QChart;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace loctex::ui {

class AttentionPreview;
class DatasetBuild;
class TrainingRun;

class TrainView : public QWidget {
  Q_OBJECT

 public:
  explicit TrainView(QWidget* parent = nullptr);

  TrainingRun* run() const { return m_run; }
  AttentionPreview* preview() const { return m_preview; }
  // The config the form describes, over the trainer's defaults.
  trainer::TrainConfig config() const;
  void setDataset(const QString& shards);
  // The open project, which "Build from Project" makes a data set of (into
  // PROJECT/datasets/YYYYMMDD-HHMMSS); empty: none.
  void setProject(const QString& folder);
  DatasetBuild* build() const { return m_build; }
  void setOutput(const QString& folder);
  // A chart's line by name: "loss" (the weighted sum) and each objective's
  // term on the loss chart, "lr", "samples/s", and the evaluations' "R@1
  // i→t", "R@5 i→t", "R@10 i→t" (image to text), "R@1 t→i", "pointing" and
  // "chance" (pointing's); nullptr before its first point.
  QLineSeries* series(const QString& name) const { return m_series.value(name); }
  QString progressText() const;

 public Q_SLOTS:
  void start();
  void togglePause();
  void stop();
  // Builds a data set of the project's done and accepted narratives with the
  // builder's defaults but 10% validation, its progress shown; the data set
  // field then names it.
  void buildFromProject();

 Q_SIGNALS:
  // What the window's status bar should say.
  void message(QString text);

 private:
  void addPoint(QChart* chart, const QString& name, double step, double value);
  void showMetrics(const trainer::StepMetrics& metrics, qint64 total_steps);
  void showEvaluation(const trainer::EvalPoint& point);
  void updateButtons();

  TrainingRun* m_run;
  DatasetBuild* m_build;
  QString m_project;
  QPushButton* m_build_button;
  QProgressBar* m_build_progress;
  QLineEdit* m_dataset;
  QLineEdit* m_output;
  QCheckBox* m_resume;
  QSpinBox* m_steps;
  QSpinBox* m_batch;
  QComboBox* m_image_size;
  QComboBox* m_width;
  QCheckBox* m_trace;
  QCheckBox* m_icmlm;
  QCheckBox* m_itm;
  QSpinBox* m_preview_every;
  QSpinBox* m_eval_every;
  QPushButton* m_start;
  QPushButton* m_pause;
  QPushButton* m_stop;
  QLabel* m_progress;
  QChart* m_loss_chart;
  QChart* m_lr_chart;
  QChart* m_speed_chart;
  QChart* m_eval_chart;
  QMap<QString, QLineSeries*> m_series;
  AttentionPreview* m_preview;
  std::int64_t m_start_step = 0;
  double m_started_at = 0;  // seconds on a monotonic clock, for the ETA
};

}  // namespace loctex::ui
