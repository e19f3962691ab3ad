// Diffusion Studio - the Sampler Explorer: watch a sampler denoise, step by step.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sampler_explorer_page.h"

#include "core/api/fid.h"
#include "core/api/solver_sweep.h"
#include "ui/explorer_run_panel.h"
#include "ui/fid_reference_fields.h"
#include "ui/file_dialogs.h"
#include "ui/job_runner.h"
#include "ui/nfe_quality_chart.h"
#include "ui/path_field.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QSaveFile>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <memory>
#include <mutex>

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

SamplerExplorerPage::SamplerExplorerPage(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("explorerPage"));
    setFocusPolicy(Qt::StrongFocus);
    buildUi();
}

void SamplerExplorerPage::buildUi() {
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
    matchNoise_ = new QCheckBox(tr("Match noise levels"), this);
    matchNoise_->setObjectName(QStringLiteral("explorerMatchNoise"));
    matchNoise_->setChecked(true);
    matchNoise_->setToolTip(
        tr("The shorter run shows its frame nearest in noise level (alpha-bar) to the longer run's, "
           "so runs of different samplers and step counts line up"));
    top->addWidget(new QLabel(tr("Seed"), this));
    top->addWidget(seed_);
    top->addWidget(new QLabel(tr("Images"), this));
    top->addWidget(count_);
    top->addWidget(run_);
    top->addWidget(stop_);
    top->addSpacing(16);
    top->addWidget(compare_);
    top->addWidget(matchNoise_);
    top->addStretch(1);
    layout->addLayout(top);

    tabs_ = new QTabWidget(this);
    tabs_->setObjectName(QStringLiteral("explorerTabs"));
    auto* stepsTab = new QWidget(tabs_);
    auto* stepsLayout = new QVBoxLayout(stepsTab);
    stepsLayout->setContentsMargins(0, 0, 0, 0);
    auto* splitter = new QSplitter(Qt::Horizontal, stepsTab);
    a_ = new ExplorerRunPanel(QStringLiteral("A"), tr("Run A"), splitter);
    a_->setObjectName(QStringLiteral("explorerPanelA"));
    b_ = new ExplorerRunPanel(QStringLiteral("B"), tr("Run B"), splitter);
    b_->setObjectName(QStringLiteral("explorerPanelB"));
    splitter->addWidget(a_);
    splitter->addWidget(b_);
    stepsLayout->addWidget(splitter, 1);

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
    stepsLayout->addLayout(scrub);
    tabs_->addTab(stepsTab, tr("Steps"));
    tabs_->addTab(buildSweepTab(), tr("NFE vs quality"));
    layout->addWidget(tabs_, 1);

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

    connect(run_, &QPushButton::clicked, this, &SamplerExplorerPage::run);
    connect(stop_, &QPushButton::clicked, this, &SamplerExplorerPage::stop);
    connect(play_, &QPushButton::clicked, this, &SamplerExplorerPage::togglePlay);
    connect(compare_, &QCheckBox::toggled, this, &SamplerExplorerPage::setCompare);
    connect(matchNoise_, &QCheckBox::toggled, this, &SamplerExplorerPage::setMatchNoise);
    connect(slider_, &QSlider::valueChanged, this, &SamplerExplorerPage::showFrames);
    for (ExplorerRunPanel* p : {a_, b_}) {
        connect(p, &ExplorerRunPanel::framesAdded, this, [this] { updateSliderRange(); });
        connect(p->runner(), &JobRunner::started, this, &SamplerExplorerPage::updateButtons);
        connect(p, &ExplorerRunPanel::frameClicked, this, &SamplerExplorerPage::setCurrentFrame);
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
                     &SamplerExplorerPage::exportFrame);
    });
    connect(exportStripButton, &QPushButton::clicked, this, [this, png] {
        reportExport(askSavePath(this, tr("Export strip"), QStringLiteral("exports"), QStringLiteral("strip.png"), png),
                     &SamplerExplorerPage::exportStrip);
    });
    connect(exportAllButton, &QPushButton::clicked, this, [this] {
        reportExport(askFolder(this, tr("Export all frames into"), QStringLiteral("exports")),
                     &SamplerExplorerPage::exportAllFrames);
    });
    setCompare(false);
}

void SamplerExplorerPage::setCompare(bool on) {
    if (compare_->isChecked() != on) compare_->setChecked(on);
    b_->setVisible(on);
    matchNoise_->setEnabled(on);
    updateSliderRange();
}

void SamplerExplorerPage::setMatchNoise(bool on) {
    if (matchNoise_->isChecked() != on) matchNoise_->setChecked(on);
    showFrames(slider_->value());
}

void SamplerExplorerPage::showFrames(int index) {
    const auto panels = activePanels();
    ExplorerRunPanel* leader = panels.first();
    for (ExplorerRunPanel* p : panels)
        if (p->frames().size() > leader->frames().size()) leader = p;
    leader->showFrame(index);
    for (ExplorerRunPanel* p : panels) {
        if (p == leader) continue;
        const int shown = leader->shownFrame();
        if (matchNoise_->isChecked() && shown >= 0 && !p->frames().isEmpty())
            p->showFrame(p->frames().nearestByNoise(leader->frames().at(shown).alphaCumprod));
        else p->showFrame(index);
    }
}

void SamplerExplorerPage::openCheckpoint(const QString& path) { a_->setCheckpoint(path); }

QList<ExplorerRunPanel*> SamplerExplorerPage::activePanels() const {
    if (compare_->isChecked()) return {a_, b_};
    return {a_};
}

void SamplerExplorerPage::run() {
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

void SamplerExplorerPage::updateButtons() {
    bool running = sweepRunner_->isRunning();
    for (ExplorerRunPanel* p : {a_, b_}) running = running || p->runner()->isRunning();
    stop_->setEnabled(running);
    const int frames = frameCount();
    play_->setEnabled(frames > 1);
    for (QPushButton* b : exportButtons_) b->setEnabled(frames > 0);
}

void SamplerExplorerPage::stop() {
    for (ExplorerRunPanel* p : {a_, b_}) p->runner()->cancel();
    sweepRunner_->cancel();
}

void SamplerExplorerPage::togglePlay() {
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

int SamplerExplorerPage::frameCount() const {
    int n = 0;
    for (ExplorerRunPanel* p : activePanels()) n = std::max(n, p->frames().size());
    return n;
}

int SamplerExplorerPage::currentFrame() const { return slider_->value(); }

void SamplerExplorerPage::setCurrentFrame(int index) { slider_->setValue(index); }

void SamplerExplorerPage::updateSliderRange() {
    const int n = frameCount();
    const bool followLatest = slider_->value() == slider_->maximum();
    slider_->setRange(0, std::max(0, n - 1));
    // While frames stream in, the view follows the newest unless the user scrubbed back.
    if (followLatest) slider_->setValue(slider_->maximum());
    // A run still streaming shows its newest frame until it reaches the slider (the slider's value
    // may not change while the longer run already set its range).
    showFrames(slider_->value());
    updateButtons();
}

void SamplerExplorerPage::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
    case Qt::Key_Left: setCurrentFrame(currentFrame() - 1); return;
    case Qt::Key_Right: setCurrentFrame(currentFrame() + 1); return;
    case Qt::Key_Home: setCurrentFrame(0); return;
    case Qt::Key_End: setCurrentFrame(frameCount() - 1); return;
    case Qt::Key_Space: togglePlay(); return;
    default: QWidget::keyPressEvent(event);
    }
}

void SamplerExplorerPage::wheelEvent(QWheelEvent* event) {
    const int delta = event->angleDelta().y();
    if (delta == 0) return QWidget::wheelEvent(event);
    setCurrentFrame(currentFrame() + (delta < 0 ? 1 : -1));
    event->accept();
}

void SamplerExplorerPage::showMessage(const QString& text) { message_->setText(text); }

void SamplerExplorerPage::reportExport(const QString& target,
                                       QString (SamplerExplorerPage::*exporter)(const QString&) const) {
    if (target.isEmpty()) return;  // the dialog was cancelled
    const QString error = (this->*exporter)(target);
    showMessage(error.isEmpty() ? tr("Saved %1").arg(target) : error);
}

QString SamplerExplorerPage::exportFrame(const QString& path) const {
    QList<QImage> images;
    for (ExplorerRunPanel* p : activePanels())
        if (p->shownFrame() >= 0) images << TrajectoryFrameSet::framePair(p->frames().at(p->shownFrame()));
    if (images.isEmpty()) return tr("nothing to export yet");
    return savePng(images.size() == 1 ? images.first() : sideBySide(images), path);
}

QString SamplerExplorerPage::exportStrip(const QString& path) const {
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

QString SamplerExplorerPage::exportAllFrames(const QString& folder) const {
    if (frameCount() == 0) return tr("nothing to export yet");
    const QDir dir(folder);
    if (!dir.exists() && !QDir().mkpath(folder)) return tr("%1: cannot create the folder").arg(folder);
    for (ExplorerRunPanel* p : activePanels()) {
        const QString prefix = activePanels().size() > 1 ? p->objectName().right(1) + QLatin1Char('-') : QString();
        for (int i = 0; i < p->frames().size(); ++i) {
            const ExplorerFrame& f = p->frames().at(i);
            const QString base = prefix + QStringLiteral("%1").arg(i, 4, 10, QLatin1Char('0'));
            QString error = savePng(f.xt, dir.filePath(base + QStringLiteral("-xt.png")));
            if (error.isEmpty() && !f.x0.isNull())
                error = savePng(f.x0, dir.filePath(base + QStringLiteral("-x0.png")));
            if (!error.isEmpty()) return error;
        }
    }
    return {};
}

QWidget* SamplerExplorerPage::buildSweepTab() {
    auto* tab = new QWidget(this);
    auto* layout = new QVBoxLayout(tab);
    auto* form = new QHBoxLayout;
    sweep_ = new QPushButton(tr("Run sweep"), tab);
    sweep_->setObjectName(QStringLiteral("explorerSweep"));
    sweep_->setToolTip(
        tr("Every chosen sampler at every step count from run A's x_T, each compared with a converged "
           "solution of the same ODE (DPM-Solver++ 3M with many steps)"));
    form->addWidget(sweep_);
    const QList<QPair<QString, QString>> samplers{{tr("DDIM"), QStringLiteral("ddim")},
                                                  {tr("DPM-Solver++ 2M"), QStringLiteral("dpm-solver++2m")},
                                                  {tr("DPM-Solver++ 3M"), QStringLiteral("dpm-solver++3m")},
                                                  {tr("UniPC-3"), QStringLiteral("unipc3")},
                                                  {tr("DPM-Solver 3S"), QStringLiteral("dpm-solver3s")}};
    for (const auto& [label, name] : samplers) {
        auto* box = new QCheckBox(label, tab);
        box->setObjectName(QStringLiteral("explorerSweep_") + name);
        box->setProperty("sampler", name);
        box->setChecked(name != QLatin1String("dpm-solver3s"));
        sweepSamplers_ << box;
        form->addWidget(box);
    }
    form->addStretch(1);
    layout->addLayout(form);
    auto* numbers = new QFormLayout;
    sweepSteps_ = new QLineEdit(QStringLiteral("5,10,20,50,100"), tab);
    sweepSteps_->setObjectName(QStringLiteral("explorerSweepSteps"));
    sweepSteps_->setToolTip(tr("Step counts, separated by commas"));
    sweepReferenceSteps_ = new QSpinBox(tab);
    sweepReferenceSteps_->setObjectName(QStringLiteral("explorerSweepReferenceSteps"));
    sweepReferenceSteps_->setRange(3, 10000);
    sweepReferenceSteps_->setValue(1000);
    sweepReferenceSteps_->setToolTip(tr("Steps of the DPM-Solver++ 3M reference solution"));
    numbers->addRow(tr("Steps"), sweepSteps_);
    numbers->addRow(tr("Reference steps"), sweepReferenceSteps_);
    // FID against NFE: each run's images against a reference set, in a chosen feature network.
    sweepFid_ = new FidReferenceFields(QStringLiteral("explorerSweep"), true, tab);
    sweepFidImages_ = new QSpinBox(tab);
    sweepFidImages_->setObjectName(QStringLiteral("explorerSweepFidImages"));
    sweepFidImages_->setRange(2, 50000);
    sweepFidImages_->setValue(1000);
    sweepFidImages_->setToolTip(
        tr("Images of every run when an FID is measured (instead of the image count above); "
           "FID needs hundreds or thousands"));
    auto* fidRow = new QHBoxLayout;
    fidRow->addWidget(sweepFid_->referenceBox());
    fidRow->addWidget(sweepFid_->pathField(), 1);
    fidRow->addWidget(sweepFid_->featuresBox());
    fidRow->addWidget(new QLabel(tr("Images"), tab));
    fidRow->addWidget(sweepFidImages_);
    numbers->addRow(tr("FID against"), fidRow);
    const auto updateFidFields = [this] {
        sweepFid_->featuresBox()->setEnabled(sweepFid_->hasReference());
        sweepFidImages_->setEnabled(sweepFid_->hasReference());
    };
    connect(sweepFid_, &FidReferenceFields::referenceKindChanged, this, updateFidFields);
    updateFidFields();
    layout->addLayout(numbers);
    auto* charts = new QHBoxLayout;
    chart_ = new NfeQualityChart(tab);
    chart_->setErrorAxisTitle(tr("RMS distance to the converged solution"));
    charts->addWidget(chart_, 1);
    fidChart_ = new NfeQualityChart(tab);
    fidChart_->setObjectName(QStringLiteral("explorerSweepFidChart"));
    fidChart_->setVisible(false);
    charts->addWidget(fidChart_, 1);
    layout->addLayout(charts, 1);
    sweepSummary_ = new QLabel(tab);
    sweepSummary_->setObjectName(QStringLiteral("explorerSweepSummary"));
    sweepSummary_->setWordWrap(true);
    layout->addWidget(sweepSummary_);
    sweepRunner_ = new JobRunner(tr("NFE vs quality"), this);
    connect(sweep_, &QPushButton::clicked, this, [this] {
        const QString error = runSweep();
        if (!error.isEmpty()) showMessage(error);
    });
    connect(sweepRunner_, &JobRunner::started, this, [this] {
        sweep_->setEnabled(false);
        updateButtons();
    });
    connect(sweepRunner_, &JobRunner::finished, this, &SamplerExplorerPage::updateButtons);
    return tab;
}

QString SamplerExplorerPage::runSweep() {
    if (sweepRunner_->isRunning()) return tr("The sweep is still running");
    if (a_->checkpointField()->path().isEmpty()) return tr("Choose a checkpoint for run A first.");
    api::SolverSweepRequest request;
    request.diffusionSamplers.clear();
    for (QCheckBox* box : sweepSamplers_)
        if (box->isChecked()) request.diffusionSamplers.push_back(box->property("sampler").toString().toStdString());
    if (request.diffusionSamplers.empty()) return tr("Choose at least one sampler.");
    request.diffusionSteps.clear();
    for (const QString& part : sweepSteps_->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int steps = part.trimmed().toInt(&ok);
        if (!ok || steps < 1) return tr("Steps: whole numbers of at least 1, separated by commas.");
        request.diffusionSteps.push_back(steps);
    }
    if (request.diffusionSteps.empty()) return tr("Give at least one step count.");
    request.referenceSteps = sweepReferenceSteps_->value();
    int images = count_->value();
    if (sweepFid_->hasReference()) {
        api::FidRequest fid;
        fid.path2 = sweepFid_->reference().toStdString();
        if (fid.path2.empty()) return tr("Choose the FID reference: a folder of images or a statistics file.");
        fid.features = sweepFid_->features().toStdString();
        request.fid = fid;
        images = sweepFidImages_->value();
        request.batchSize = 100;  // the runs' memory stays that of 100 images
    }
    const api::SampleRequest sample = a_->request(static_cast<quint64>(seed_->value()), images);
    chart_->clear();
    fidChart_->clear();
    fidChart_->setVisible(request.fid.has_value());
    sweepSummary_->clear();
    tabs_->setCurrentIndex(1);
    auto result = std::make_shared<api::SolverSweepResult>();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(
        sweepRunner_, &JobRunner::finished, this,
        [this, result, connection](bool ok, bool cancelled, const QString& error) {
            disconnect(*connection);
            sweep_->setEnabled(true);
            if (!ok)
                return showMessage(cancelled ? tr("The sweep was stopped.") : tr("The sweep failed: %1").arg(error));
            chart_->setResult(*result);
            if (!result->fidLabel.empty()) fidChart_->setResult(*result, NfeQualityChart::Metric::Fid);
            sweepSummary_->setText(tr("Errors against %1 (%2 evaluations, %3 s); runs: %4.")
                                       .arg(QString::fromStdString(result->reference))
                                       .arg(result->referenceNfe)
                                       .arg(result->referenceSeconds, 0, 'f', 1)
                                       .arg(result->points.size()) +
                                   (result->fidLabel.empty() ? QString()
                                                             : tr(" %1 of every run against %2 on the right.")
                                                                   .arg(QString::fromStdString(result->fidLabel),
                                                                        QString::fromStdString(result->fidReference))));
            showMessage(tr("The sweep finished."));
        });
    sweepRunner_->start([sample, request, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::runSolverSweep(sample, request, sink, stop);
    });
    showMessage(tr("Running every sampler at every step count…"));
    return {};
}

}  // namespace ds::ui
