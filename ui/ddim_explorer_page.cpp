// Diffusion Studio - the DDIM explorer: watch a sampler denoise, step by step.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/ddim_explorer_page.h"

#include <QCheckBox>
#include <QDir>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QPainter>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <QWheelEvent>

#include "ui/file_dialogs.h"
#include "ui/explorer_run_panel.h"
#include "ui/job_runner.h"

namespace ds::ui {
namespace {

constexpr int kPlayIntervalMs = 120;

// Writes a PNG through QSaveFile: a complete file or none.
QString savePng(const QImage& image, const QString& path) {
  if (image.isNull()) return QObject::tr("nothing to export yet");
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit())
    return QObject::tr("%1: could not save (%2)").arg(path, file.errorString());
  return {};
}

// Side by side when comparing: run A left, run B right.
QImage sideBySide(const QList<QImage>& images) {
  int w = 0, h = 0;
  for (const QImage& i : images) {
    w += i.width() + 8;
    h = std::max(h, i.height());
  }
  QImage out(std::max(0, w - 8), h, QImage::Format_RGB888);
  out.fill(Qt::black);
  QPainter p(&out);
  int x = 0;
  for (const QImage& i : images) {
    p.drawImage(x, 0, i);
    x += i.width() + 8;
  }
  return out;
}

}  // namespace

DdimExplorerPage::DdimExplorerPage(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("explorerPage"));
  setFocusPolicy(Qt::StrongFocus);
  buildUi();
}

void DdimExplorerPage::buildUi() {
  auto* layout = new QVBoxLayout(this);

  auto* top = new QHBoxLayout;
  seed_ = new QSpinBox(this);
  seed_->setObjectName(QStringLiteral("explorerSeed"));
  seed_->setRange(0, 2147483647);
  count_ = new QSpinBox(this);
  count_->setObjectName(QStringLiteral("explorerCount"));
  count_->setRange(1, 64);
  count_->setValue(4);
  count_->setToolTip(tr("Images in the batch (shown as a grid in every frame)"));
  run_ = new QPushButton(tr("Run"), this);
  run_->setObjectName(QStringLiteral("explorerRun"));
  run_->setDefault(true);
  stop_ = new QPushButton(tr("Stop"), this);
  stop_->setObjectName(QStringLiteral("explorerStop"));
  compare_ = new QCheckBox(tr("Compare with a second run"), this);
  compare_->setObjectName(QStringLiteral("explorerCompare"));
  top->addWidget(new QLabel(tr("Seed"), this));
  top->addWidget(seed_);
  top->addWidget(new QLabel(tr("Images"), this));
  top->addWidget(count_);
  top->addWidget(run_);
  top->addWidget(stop_);
  top->addSpacing(16);
  top->addWidget(compare_);
  top->addStretch(1);
  layout->addLayout(top);

  auto* splitter = new QSplitter(Qt::Horizontal, this);
  a_ = new ExplorerRunPanel(QStringLiteral("A"), tr("Run A"), splitter);
  a_->setObjectName(QStringLiteral("explorerPanelA"));
  b_ = new ExplorerRunPanel(QStringLiteral("B"), tr("Run B"), splitter);
  b_->setObjectName(QStringLiteral("explorerPanelB"));
  splitter->addWidget(a_);
  splitter->addWidget(b_);
  layout->addWidget(splitter, 1);

  auto* scrub = new QHBoxLayout;
  play_ = new QPushButton(tr("Play"), this);
  play_->setObjectName(QStringLiteral("explorerPlay"));
  play_->setCheckable(true);
  slider_ = new QSlider(Qt::Horizontal, this);
  slider_->setObjectName(QStringLiteral("explorerSlider"));
  slider_->setRange(0, 0);
  slider_->setPageStep(5);
  auto* exportFrameButton = new QPushButton(tr("Export frame…"), this);
  exportFrameButton->setObjectName(QStringLiteral("explorerExportFrame"));
  auto* exportStripButton = new QPushButton(tr("Export strip…"), this);
  exportStripButton->setObjectName(QStringLiteral("explorerExportStrip"));
  auto* exportAllButton = new QPushButton(tr("Export all frames…"), this);
  exportAllButton->setObjectName(QStringLiteral("explorerExportAll"));
  scrub->addWidget(play_);
  scrub->addWidget(slider_, 1);
  scrub->addWidget(exportFrameButton);
  scrub->addWidget(exportStripButton);
  scrub->addWidget(exportAllButton);
  exportButtons_ = {exportFrameButton, exportStripButton, exportAllButton};
  layout->addLayout(scrub);

  message_ = new QLabel(this);
  message_->setObjectName(QStringLiteral("explorerMessage"));
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(message_);

  playTimer_ = new QTimer(this);
  playTimer_->setInterval(kPlayIntervalMs);
  connect(playTimer_, &QTimer::timeout, this, [this] {
    if (slider_->value() >= slider_->maximum()) setCurrentFrame(0);
    else setCurrentFrame(slider_->value() + 1);
  });

  connect(run_, &QPushButton::clicked, this, &DdimExplorerPage::run);
  connect(stop_, &QPushButton::clicked, this, &DdimExplorerPage::stop);
  connect(play_, &QPushButton::clicked, this, &DdimExplorerPage::togglePlay);
  connect(compare_, &QCheckBox::toggled, this, &DdimExplorerPage::setCompare);
  connect(slider_, &QSlider::valueChanged, this, [this](int v) {
    for (ExplorerRunPanel* p : {a_, b_}) p->showFrame(v);
  });
  for (ExplorerRunPanel* p : {a_, b_}) {
    connect(p, &ExplorerRunPanel::framesAdded, this, [this] { updateSliderRange(); });
    connect(p->runner(), &JobRunner::started, this, &DdimExplorerPage::updateButtons);
    connect(p, &ExplorerRunPanel::frameClicked, this, &DdimExplorerPage::setCurrentFrame);
    connect(p->runner(), &JobRunner::finished, this, [this, p](bool ok, bool cancelled, const QString& error) {
      if (!ok && !cancelled) showMessage(tr("%1 failed: %2").arg(p->runner()->name(), error));
      else if (cancelled) showMessage(tr("%1 stopped.").arg(p->runner()->name()));
      else showMessage(tr("%1 finished: %2 frames.").arg(p->runner()->name()).arg(p->frames().size()));
      updateButtons();
    });
  }
  const QString png = tr("PNG images (*.png)");
  connect(exportFrameButton, &QPushButton::clicked, this, [this, png] {
    reportExport(askSavePath(this, tr("Export frame"), QStringLiteral("exports"), QStringLiteral("frame.png"), png),
                 &DdimExplorerPage::exportFrame);
  });
  connect(exportStripButton, &QPushButton::clicked, this, [this, png] {
    reportExport(askSavePath(this, tr("Export strip"), QStringLiteral("exports"), QStringLiteral("strip.png"), png),
                 &DdimExplorerPage::exportStrip);
  });
  connect(exportAllButton, &QPushButton::clicked, this, [this] {
    reportExport(askFolder(this, tr("Export all frames into"), QStringLiteral("exports")), &DdimExplorerPage::exportAllFrames);
  });
  setCompare(false);
}

void DdimExplorerPage::setCompare(bool on) {
  if (compare_->isChecked() != on) compare_->setChecked(on);
  b_->setVisible(on);
  updateSliderRange();
}

void DdimExplorerPage::openCheckpoint(const QString& path) { a_->setCheckpoint(path); }

QList<ExplorerRunPanel*> DdimExplorerPage::activePanels() const {
  if (compare_->isChecked()) return {a_, b_};
  return {a_};
}

void DdimExplorerPage::run() {
  playTimer_->stop();
  play_->setChecked(false);
  for (ExplorerRunPanel* p : activePanels()) {
    const QString error = p->run(static_cast<quint64>(seed_->value()), count_->value());
    if (!error.isEmpty()) {
      showMessage(error);
      return;
    }
  }
  showMessage(tr("Sampling…"));
  slider_->setRange(0, 0);
  updateButtons();
}

void DdimExplorerPage::updateButtons() {
  bool running = false;
  for (ExplorerRunPanel* p : {a_, b_}) running = running || p->runner()->isRunning();
  stop_->setEnabled(running);
  const int frames = frameCount();
  play_->setEnabled(frames > 1);
  for (QPushButton* b : exportButtons_) b->setEnabled(frames > 0);
}

void DdimExplorerPage::stop() {
  for (ExplorerRunPanel* p : {a_, b_}) p->runner()->cancel();
}

void DdimExplorerPage::togglePlay() {
  if (playTimer_->isActive()) {
    playTimer_->stop();
    play_->setChecked(false);
    play_->setText(tr("Play"));
  } else if (frameCount() > 1) {
    playTimer_->start();
    play_->setChecked(true);
    play_->setText(tr("Pause"));
  } else {
    play_->setChecked(false);
  }
}

int DdimExplorerPage::frameCount() const {
  int n = 0;
  for (ExplorerRunPanel* p : activePanels()) n = std::max(n, p->frames().size());
  return n;
}

int DdimExplorerPage::currentFrame() const { return slider_->value(); }

void DdimExplorerPage::setCurrentFrame(int index) { slider_->setValue(index); }

void DdimExplorerPage::updateSliderRange() {
  const int n = frameCount();
  const bool followLatest = slider_->value() == slider_->maximum();
  slider_->setRange(0, std::max(0, n - 1));
  // While frames stream in, the view follows the newest unless the user scrubbed back.
  if (followLatest) slider_->setValue(slider_->maximum());
  // A run still streaming shows its newest frame until it reaches the slider (the slider's value
  // may not change while the longer run already set its range).
  for (ExplorerRunPanel* p : activePanels())
    if (p->shownFrame() != std::min(slider_->value(), p->frames().size() - 1)) p->showFrame(slider_->value());
  updateButtons();
}

void DdimExplorerPage::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_Left: setCurrentFrame(currentFrame() - 1); return;
    case Qt::Key_Right: setCurrentFrame(currentFrame() + 1); return;
    case Qt::Key_Home: setCurrentFrame(0); return;
    case Qt::Key_End: setCurrentFrame(frameCount() - 1); return;
    case Qt::Key_Space: togglePlay(); return;
    default: QWidget::keyPressEvent(event);
  }
}

void DdimExplorerPage::wheelEvent(QWheelEvent* event) {
  const int delta = event->angleDelta().y();
  if (delta == 0) return QWidget::wheelEvent(event);
  setCurrentFrame(currentFrame() + (delta < 0 ? 1 : -1));
  event->accept();
}

void DdimExplorerPage::showMessage(const QString& text) { message_->setText(text); }

void DdimExplorerPage::reportExport(const QString& target, QString (DdimExplorerPage::*exporter)(const QString&) const) {
  if (target.isEmpty()) return;  // the dialog was cancelled
  const QString error = (this->*exporter)(target);
  showMessage(error.isEmpty() ? tr("Saved %1").arg(target) : error);
}

QString DdimExplorerPage::exportFrame(const QString& path) const {
  QList<QImage> images;
  for (ExplorerRunPanel* p : activePanels())
    if (p->shownFrame() >= 0) images << DenoiseFrameSet::framePair(p->frames().at(p->shownFrame()));
  if (images.isEmpty()) return tr("nothing to export yet");
  return savePng(images.size() == 1 ? images.first() : sideBySide(images), path);
}

QString DdimExplorerPage::exportStrip(const QString& path) const {
  QList<QImage> strips;
  for (ExplorerRunPanel* p : activePanels())
    if (!p->frames().isEmpty()) strips << p->frames().strip();
  if (strips.isEmpty()) return tr("nothing to export yet");
  if (strips.size() == 1) return savePng(strips.first(), path);
  // Compared runs: one strip above the other.
  QImage out(std::max(strips[0].width(), strips[1].width()), strips[0].height() + 8 + strips[1].height(),
             QImage::Format_RGB888);
  out.fill(Qt::black);
  QPainter p(&out);
  p.drawImage(0, 0, strips[0]);
  p.drawImage(0, strips[0].height() + 8, strips[1]);
  p.end();
  return savePng(out, path);
}

QString DdimExplorerPage::exportAllFrames(const QString& folder) const {
  if (frameCount() == 0) return tr("nothing to export yet");
  const QDir dir(folder);
  if (!dir.exists() && !QDir().mkpath(folder)) return tr("%1: cannot create the folder").arg(folder);
  for (ExplorerRunPanel* p : activePanels()) {
    const QString prefix = activePanels().size() > 1 ? p->objectName().right(1) + QLatin1Char('-') : QString();
    for (int i = 0; i < p->frames().size(); ++i) {
      const ExplorerFrame& f = p->frames().at(i);
      const QString base = prefix + QStringLiteral("%1").arg(i, 4, 10, QLatin1Char('0'));
      QString error = savePng(f.xt, dir.filePath(base + QStringLiteral("-xt.png")));
      if (error.isEmpty() && !f.x0.isNull()) error = savePng(f.x0, dir.filePath(base + QStringLiteral("-x0.png")));
      if (!error.isEmpty()) return error;
    }
  }
  return {};
}

}  // namespace ds::ui
