#include "ui/train_view.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

#include "ui/attention_preview.h"
#include "ui/dataset_build.h"
#include "ui/training_run.h"

namespace loctex::ui {
namespace {

double monotonic_seconds() {
  static QElapsedTimer clock = [] {
    QElapsedTimer t;
    t.start();
    return t;
  }();
  return static_cast<double>(clock.nsecsElapsed()) * 1e-9;
}

QChart* make_chart(const QString& title) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  auto* x = new QValueAxis;
  x->setTitleText(QObject::tr("step"));
  x->setLabelFormat("%d");
  auto* y = new QValueAxis;
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  return chart;
}

// A folder field with a Browse button.
QWidget* folder_field(QLineEdit* edit, const QString& caption) {
  auto* row = new QWidget;
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(edit, 1);
  auto* browse = new QToolButton;
  browse->setText(QObject::tr("Browse..."));
  QObject::connect(browse, &QToolButton::clicked, edit, [edit, caption] {
    const QString folder = QFileDialog::getExistingDirectory(edit, caption, edit->text());
    if (!folder.isEmpty()) edit->setText(folder);
  });
  layout->addWidget(browse);
  return row;
}

}  // namespace

TrainView::TrainView(QWidget* parent)
    : QWidget(parent),
      m_run(new TrainingRun(this)),
      m_build(new DatasetBuild(this)),
      m_build_button(new QPushButton(tr("Build from Project"))),
      m_build_progress(new QProgressBar),
      m_dataset(new QLineEdit),
      m_output(new QLineEdit),
      m_resume(new QCheckBox(tr("Continue the run in this folder"))),
      m_steps(new QSpinBox),
      m_batch(new QSpinBox),
      m_image_size(new QComboBox),
      m_width(new QComboBox),
      m_trace(new QCheckBox(tr("Trace attention (LocTex)"))),
      m_icmlm(new QCheckBox(tr("Masked words (ICMLM)"))),
      m_itm(new QCheckBox(tr("Image-text matching (Park && Han)"))),
      m_preview_every(new QSpinBox),
      m_eval_every(new QSpinBox),
      m_start(new QPushButton(tr("Start"))),
      m_pause(new QPushButton(tr("Pause"))),
      m_stop(new QPushButton(tr("Stop"))),
      m_progress(new QLabel),
      m_loss_chart(make_chart(tr("Loss terms"))),
      m_lr_chart(make_chart(tr("Learning rate"))),
      m_speed_chart(make_chart(tr("Samples a second"))),
      m_eval_chart(make_chart(tr("Validation: retrieval R@K and pointing"))),
      m_preview(new AttentionPreview) {
  const trainer::TrainConfig defaults;
  m_dataset->setObjectName("train-dataset");
  m_dataset->setPlaceholderText(tr("a loctex-build-dataset output folder"));
  m_output->setObjectName("train-output");
  m_output->setPlaceholderText(tr("where checkpoints and metrics.jsonl go"));
  m_steps->setRange(1, 10'000'000);
  m_steps->setValue(static_cast<int>(defaults.optim.steps));
  m_batch->setRange(2, 4096);
  m_batch->setValue(static_cast<int>(defaults.optim.batch_size));
  for (const int side : {64, 96, 128, 160, 224}) m_image_size->addItem(QString::number(side), side);
  m_image_size->setCurrentIndex(m_image_size->findData(defaults.model.image_size));
  for (const double width : {0.125, 0.25, 0.5, 1.0}) m_width->addItem(QString::number(width), width);
  m_width->setCurrentIndex(m_width->findData(defaults.model.width));
  m_trace->setChecked(defaults.objectives.trace_attention > 0);
  m_icmlm->setChecked(defaults.objectives.icmlm > 0);
  m_itm->setChecked(defaults.objectives.itm > 0);
  m_progress->setObjectName("train-progress");
  m_preview_every->setObjectName("train-preview-every");
  m_preview_every->setRange(0, 1'000'000);
  m_preview_every->setValue(50);
  m_preview_every->setSpecialValueText(tr("never"));
  m_eval_every->setObjectName("train-eval-every");
  m_eval_every->setRange(0, 1'000'000);
  m_eval_every->setValue(100);
  m_eval_every->setSpecialValueText(tr("never"));
  m_steps->setObjectName("train-steps");
  m_batch->setObjectName("train-batch");
  m_image_size->setObjectName("train-image-size");
  m_width->setObjectName("train-width");
  m_start->setObjectName("train-start");
  m_pause->setObjectName("train-pause");
  m_stop->setObjectName("train-stop");
  // The last data set and output folder, as a researcher comes back to them.
  m_dataset->setText(QSettings().value("train/dataset").toString());
  m_output->setText(QSettings().value("train/output").toString());

  auto* form = new QFormLayout;
  form->addRow(tr("Data set"), folder_field(m_dataset, tr("A built data set")));
  m_build_button->setObjectName("train-build");
  m_build_button->setToolTip(tr("Build a data set of the open project's done and accepted narratives"));
  m_build_progress->setObjectName("train-build-progress");
  m_build_progress->setVisible(false);
  auto* build_row = new QHBoxLayout;
  build_row->addWidget(m_build_button);
  build_row->addWidget(m_build_progress, 1);
  form->addRow(QString(), build_row);
  form->addRow(tr("Output"), folder_field(m_output, tr("The run's folder")));
  form->addRow(QString(), m_resume);
  form->addRow(tr("Steps"), m_steps);
  form->addRow(tr("Batch size"), m_batch);
  form->addRow(tr("Image size"), m_image_size);
  form->addRow(tr("Backbone width"), m_width);
  auto* objectives = new QVBoxLayout;
  for (QCheckBox* box : {m_trace, m_icmlm, m_itm}) objectives->addWidget(box);
  form->addRow(tr("Objectives"), objectives);
  form->addRow(tr("Preview every"), m_preview_every);
  form->addRow(tr("Evaluate every"), m_eval_every);
  auto* buttons = new QHBoxLayout;
  for (QPushButton* button : {m_start, m_pause, m_stop}) buttons->addWidget(button);
  form->addRow(buttons);
  form->addRow(m_progress);
  auto* settings = new QWidget;
  settings->setLayout(form);
  settings->setMaximumWidth(380);

  auto* charts = new QGridLayout;
  int row = 0;
  for (QChart* chart : {m_loss_chart, m_eval_chart, m_lr_chart, m_speed_chart}) {
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    // The losses and the evaluations get the room; rate and speed a strip each.
    view->setMinimumHeight(row < 2 ? 190 : 150);
    charts->setRowStretch(row, row < 2 ? 3 : 2);
    charts->addWidget(view, row++, 0);
  }
  // One line each: the title names it, and the room goes to the axes.
  m_eval_chart->legend()->setAlignment(Qt::AlignRight);  // six short names, one under another
  for (QChart* strip : {m_lr_chart, m_speed_chart}) {
    strip->legend()->hide();
    strip->axes(Qt::Horizontal).value(0)->setTitleVisible(false);
  }
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(settings);
  layout->addLayout(charts, 1);
  layout->addWidget(m_preview);

  connect(m_build_button, &QPushButton::clicked, this, &TrainView::buildFromProject);
  connect(m_build, &DatasetBuild::progress, this, [this](quint64 done, quint64 total) {
    // Records can be counted before they are read; otherwise a busy bar.
    m_build_progress->setRange(0, total > 0 ? static_cast<int>(total) : 0);
    m_build_progress->setValue(static_cast<int>(done));
  });
  connect(m_build, &DatasetBuild::finished, this, [this](const pipeline::BuildSummary& summary) {
    m_build_progress->setRange(0, 1);
    m_build_progress->setValue(1);
    setDataset(QString::fromStdString(summary.output.string()));
    Q_EMIT message(tr("Built %1: %2 training and %3 validation samples; %4 skipped, %5 narratives not done "
                      "or accepted left out%6")
                       .arg(QString::fromStdString(summary.output.string()))
                       .arg(summary.train_samples)
                       .arg(summary.val_samples)
                       .arg(summary.skipped)
                       .arg(summary.excluded)
                       .arg(summary.val_samples == 0
                                ? tr(". No validation sample: training will neither evaluate nor preview")
                                : QString()));
    updateButtons();
  });
  connect(m_build, &DatasetBuild::failed, this, [this](const QString& why) {
    m_build_progress->setVisible(false);
    Q_EMIT message(tr("Building the data set failed: %1").arg(why));
    updateButtons();
  });
  connect(m_start, &QPushButton::clicked, this, &TrainView::start);
  connect(m_pause, &QPushButton::clicked, this, &TrainView::togglePause);
  connect(m_stop, &QPushButton::clicked, this, &TrainView::stop);
  connect(m_run, &TrainingRun::stateChanged, this, &TrainView::updateButtons);
  connect(m_run, &TrainingRun::started, this, [this](qint64 start_step, qint64 total) {
    m_start_step = start_step;
    m_started_at = monotonic_seconds();
    m_progress->setText(tr("Step %1 of %2").arg(start_step).arg(total));
  });
  connect(m_run, &TrainingRun::progress, this, &TrainView::showMetrics);
  connect(m_run, &TrainingRun::preview, m_preview, &AttentionPreview::addPreview);
  connect(m_run, &TrainingRun::evaluated, this, &TrainView::showEvaluation);
  connect(m_run, &TrainingRun::paused, this,
          [this](qint64 step) { Q_EMIT message(tr("Paused after step %1").arg(step)); });
  connect(m_run, &TrainingRun::finished, this, [this](const trainer::TrainSummary& summary) {
    const QString checkpoint = QString::fromStdString(summary.checkpoint.string());
    Q_EMIT message(summary.finished
                       ? tr("Training finished at step %1; checkpoint %2").arg(summary.steps).arg(checkpoint)
                       : tr("Training stopped at step %1; checkpoint %2").arg(summary.steps).arg(checkpoint));
  });
  connect(m_run, &TrainingRun::failed, this,
          [this](const QString& why) { Q_EMIT message(tr("Training failed: %1").arg(why)); });
  updateButtons();
}

trainer::TrainConfig TrainView::config() const {
  trainer::TrainConfig config;
  config.data.shards = m_dataset->text().toStdString();
  config.output = m_output->text().toStdString();
  config.optim.steps = m_steps->value();
  config.optim.batch_size = m_batch->value();
  config.optim.warmup_steps = std::min<std::int64_t>(config.optim.warmup_steps, config.optim.steps / 4);
  config.model.image_size = m_image_size->currentData().toInt();
  config.model.width = m_width->currentData().toDouble();
  config.objectives.trace_attention = m_trace->isChecked() ? 1.0 : 0.0;
  config.objectives.icmlm = m_icmlm->isChecked() ? 1.0 : 0.0;
  config.objectives.itm = m_itm->isChecked() ? 1.0 : 0.0;
  return config;
}

void TrainView::setDataset(const QString& shards) { m_dataset->setText(shards); }

void TrainView::setProject(const QString& folder) {
  m_project = folder;
  updateButtons();
}

void TrainView::buildFromProject() {
  if (m_project.isEmpty() || m_build->running() || m_run->active()) return;
  pipeline::BuildOptions options;
  options.inputs = {m_project.toStdString()};
  options.output = QDir(m_project)
                       .filePath("datasets/" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss"))
                       .toStdString();
  options.val_fraction = 0.1;  // small projects still get validation samples to evaluate on
  m_build_progress->setRange(0, 0);
  m_build_progress->setVisible(true);
  m_build->start(options);
  Q_EMIT message(tr("Building a data set of the project..."));
  updateButtons();
}
void TrainView::setOutput(const QString& folder) { m_output->setText(folder); }
QString TrainView::progressText() const { return m_progress->text(); }

void TrainView::start() {
  if (m_run->active()) return;
  if (m_dataset->text().isEmpty() || m_output->text().isEmpty()) {
    Q_EMIT message(tr("Choose a built data set and an output folder first"));
    return;
  }
  QSettings().setValue("train/dataset", m_dataset->text());
  QSettings().setValue("train/output", m_output->text());
  for (QChart* chart : {m_loss_chart, m_eval_chart, m_lr_chart, m_speed_chart}) chart->removeAllSeries();
  m_series.clear();
  m_preview->clear();
  m_run->setPreview(m_preview_every->value(), 4);
  m_run->setEvaluation(m_eval_every->value());
  m_run->start(config(), m_resume->isChecked());
  Q_EMIT message(tr("Training..."));
}

void TrainView::togglePause() {
  if (m_run->state() == TrainingRun::State::paused)
    m_run->resume();
  else
    m_run->pause();
}

void TrainView::stop() {
  if (m_run->active()) Q_EMIT message(tr("Stopping after this step; a checkpoint is written"));
  m_run->stop();
}

void TrainView::addPoint(QChart* chart, const QString& name, double step, double value) {
  if (!std::isfinite(value)) return;
  QLineSeries* line = m_series.value(name);
  if (!line) {
    line = new QLineSeries;
    line->setName(name);
    chart->addSeries(line);
    for (QAbstractAxis* axis : chart->axes()) line->attachAxis(axis);
    m_series.insert(name, line);
  }
  line->append(step, value);
  // Both axes follow the data, with a little room above and below.
  auto* x = qobject_cast<QValueAxis*>(chart->axes(Qt::Horizontal).value(0));
  auto* y = qobject_cast<QValueAxis*>(chart->axes(Qt::Vertical).value(0));
  double low = value, high = value, first = step;
  for (QAbstractSeries* s : chart->series())
    for (const QPointF& p : static_cast<QLineSeries*>(s)->points()) {
      low = std::min(low, p.y());
      high = std::max(high, p.y());
      first = std::min(first, p.x());
    }
  const double pad = high > low ? (high - low) * 0.05 : std::max(std::abs(high) * 0.05, 1e-6);
  x->setRange(first, std::max(step, first + 1));
  // Rates read against their whole range, so chance and the model compare.
  if (chart == m_eval_chart)
    y->setRange(0, 1);
  else
    y->setRange(low - pad, high + pad);
}

void TrainView::showMetrics(const trainer::StepMetrics& metrics, qint64 total_steps) {
  const auto step = static_cast<double>(metrics.step);
  addPoint(m_loss_chart, QStringLiteral("loss"), step, metrics.loss);
  for (const auto& [name, value] : metrics.terms)
    addPoint(m_loss_chart, QString::fromStdString(name), step, value);
  addPoint(m_lr_chart, QStringLiteral("lr"), step, metrics.lr);
  addPoint(m_speed_chart, QStringLiteral("samples/s"), step, metrics.samples_per_second);
  const double elapsed = monotonic_seconds() - m_started_at;
  const auto done = metrics.step - m_start_step;
  QString text = tr("Step %1 of %2 \u00b7 loss %3 \u00b7 %4 samples/s")
                     .arg(metrics.step)
                     .arg(total_steps)
                     .arg(metrics.loss, 0, 'f', 3)
                     .arg(metrics.samples_per_second, 0, 'f', 0);
  if (done > 0 && metrics.step < total_steps) {
    const double left = elapsed / static_cast<double>(done) * static_cast<double>(total_steps - metrics.step);
    text += tr(" \u00b7 ETA %1 s").arg(left, 0, 'f', 0);
  }
  m_progress->setText(text);
}

void TrainView::showEvaluation(const trainer::EvalPoint& point) {
  const auto step = static_cast<double>(point.step);
  addPoint(m_eval_chart, QStringLiteral("R@1 i\u2192t"), step, point.image_to_text_r1);
  addPoint(m_eval_chart, QStringLiteral("R@5 i\u2192t"), step, point.image_to_text_r5);
  addPoint(m_eval_chart, QStringLiteral("R@10 i\u2192t"), step, point.image_to_text_r10);
  addPoint(m_eval_chart, QStringLiteral("R@1 t\u2192i"), step, point.text_to_image_r1);
  addPoint(m_eval_chart, QStringLiteral("pointing"), step, point.pointing_accuracy);
  addPoint(m_eval_chart, QStringLiteral("chance"), step, point.chance_pointing);
  Q_EMIT message(tr("Step %1: R@1 %2 (chance %3), pointing %4 (chance %5), %6 validation pairs")
                     .arg(point.step)
                     .arg(point.image_to_text_r1, 0, 'f', 3)
                     .arg(point.chance_r1, 0, 'f', 3)
                     .arg(point.pointing_accuracy, 0, 'f', 3)
                     .arg(point.chance_pointing, 0, 'f', 3)
                     .arg(point.pairs));
}

void TrainView::updateButtons() {
  const auto state = m_run->state();
  const bool active = m_run->active();
  const bool building = m_build->running();
  m_start->setEnabled(!active && !building);
  m_build_button->setEnabled(!m_project.isEmpty() && !active && !building);
  m_pause->setEnabled(state == TrainingRun::State::running || state == TrainingRun::State::paused);
  m_pause->setText(state == TrainingRun::State::paused ? tr("Resume") : tr("Pause"));
  m_stop->setEnabled(active && state != TrainingRun::State::stopping);
  for (QWidget* field : std::initializer_list<QWidget*>{m_dataset, m_output, m_resume, m_steps, m_batch,
                                                        m_image_size, m_width, m_trace, m_icmlm, m_itm})
    field->setEnabled(!active);
}

}  // namespace loctex::ui
