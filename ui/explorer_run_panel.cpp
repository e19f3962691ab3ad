// Diffusion Studio - one sampler run of the Sampler Explorer: its settings, filmstrip and large view.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/explorer_run_panel.h"

#include "core/api/sampling.h"
#include "ui/app_settings.h"
#include "ui/class_condition_fields.h"
#include "ui/diffusion_sampler_fields.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/sampling_widgets.h"
#include "ui/scaled_image_label.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ds::ui {
namespace {

constexpr int kThumb = 64;

// One filmstrip cell: x_t above x0, scaled up without smoothing (the images are tiny).
QIcon thumbnail(const ExplorerFrame& f) {
    const QImage pair = TrajectoryFrameSet::framePair(f);
    const QImage scaled = pair.scaled(kThumb, 2 * kThumb, Qt::KeepAspectRatio, Qt::FastTransformation);
    return QIcon(QPixmap::fromImage(scaled));
}

}  // namespace

ExplorerRunPanel::ExplorerRunPanel(const QString& id, const QString& title, QWidget* parent)
    : QWidget(parent), id_(id) {
    runner_ = new JobRunner(tr("Sampling %1").arg(title), this);
    buildUi(title);
    restoreSettings();
    connect(runner_, &JobRunner::frames, this, &ExplorerRunPanel::addFrames);
}

ExplorerRunPanel::~ExplorerRunPanel() { saveSettings(); }

void ExplorerRunPanel::buildUi(const QString& title) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* box = new QGroupBox(title, this);
    auto* form = new QFormLayout(box);
    checkpoint_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("checkpoints"),
                                tr("Checkpoints (*.pt *.pth *.tar);;All files (*)"), box);
    checkpoint_->setObjectName(QStringLiteral("explorerCheckpoint") + id_);
    checkpoint_->setPlaceholderText(tr("a checkpoint: ours or a lucidrains model-N.pt"));
    sampler_ = new DiffusionSamplerFields(QStringLiteral("explorer"), id_, false, box);
    classFields_ = new ClassConditionFields(QStringLiteral("explorer"), id_, box);
    connect(checkpoint_, &PathField::pathChanged, classFields_, &ClassConditionFields::setCheckpoint);
    weights_ = makeWeightsCombo(box);
    weights_->setObjectName(QStringLiteral("explorerWeights") + id_);
    imageSize_ = makeImageSizeSpin(box);
    imageSize_->setObjectName(QStringLiteral("explorerImageSize") + id_);
    initNoise_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("tensors"),
                               tr("PyTorch files (*.pt *.pth);;All files (*)"), box);
    initNoise_->setObjectName(QStringLiteral("explorerInitNoise") + id_);
    initNoise_->setPlaceholderText(tr("optional: x_T from a PyTorch file (N, C, H, W)"));
    form->addRow(tr("Checkpoint"), checkpoint_);
    form->addRow(tr("Sampler"), sampler_);
    classFields_->addRowsTo(form);
    auto* row = new QHBoxLayout;
    row->addWidget(weights_);
    row->addWidget(new QLabel(tr("Image size"), box));
    row->addWidget(imageSize_);
    row->addStretch(1);
    form->addRow(tr("Weights"), row);
    form->addRow(tr("Initial noise"), initNoise_);
    layout->addWidget(box);

    filmstrip_ = new QListWidget(this);
    filmstrip_->setObjectName(QStringLiteral("explorerFilmstrip") + id_);
    filmstrip_->setViewMode(QListView::IconMode);
    filmstrip_->setFlow(QListView::LeftToRight);
    filmstrip_->setWrapping(false);
    filmstrip_->setMovement(QListView::Static);
    filmstrip_->setIconSize(QSize(kThumb, 2 * kThumb + 4));
    filmstrip_->setFixedHeight(2 * kThumb + 48);
    filmstrip_->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    connect(filmstrip_, &QListWidget::currentRowChanged, this, [this](int frame) {
        if (frame >= 0 && frame != shown_) Q_EMIT frameClicked(frame);
    });
    layout->addWidget(filmstrip_);

    auto* large = new QHBoxLayout;
    auto makeLarge = [this](const QString& name, const QString& tip) {
        auto* label = new QLabel(this);
        label->setObjectName(name + id_);
        label->setAlignment(Qt::AlignCenter);
        label->setMinimumSize(128, 128);
        label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
        label->setToolTip(tip);
        label->setStyleSheet(QStringLiteral("background: palette(dark);"));
        return label;
    };
    largeXt_ = makeLarge(QStringLiteral("explorerLargeXt"), tr("x_t: the sampler's state"));
    largeX0_ = makeLarge(QStringLiteral("explorerLargeX0"), tr("x̂₀: the model's prediction of the clean image"));
    large->addWidget(largeXt_);
    large->addWidget(largeX0_);
    layout->addLayout(large, 1);
    caption_ = new QLabel(this);
    caption_->setObjectName(QStringLiteral("explorerCaption") + id_);
    caption_->setAlignment(Qt::AlignCenter);
    layout->addWidget(caption_);
}

void ExplorerRunPanel::setCheckpoint(const QString& path) { checkpoint_->setPath(path); }
void ExplorerRunPanel::setSampler(api::DiffusionSampler sampler) { sampler_->setSampler(sampler); }
void ExplorerRunPanel::setSteps(int steps) { sampler_->setSteps(steps); }
void ExplorerRunPanel::setEta(double eta) { sampler_->setEta(eta); }
void ExplorerRunPanel::setSolverOptions(const api::SolverOptions& options) { sampler_->setSolverOptions(options); }
void ExplorerRunPanel::setWeights(const QString& weights) { selectWeights(weights_, weights); }
void ExplorerRunPanel::setInitialNoise(const QString& path) { initNoise_->setPath(path); }
void ExplorerRunPanel::setImageSize(int size) { imageSize_->setValue(size); }

QString ExplorerRunPanel::run(quint64 seed, int count) {
    if (runner_->isRunning()) return tr("%1 is still running").arg(runner_->name());
    if (checkpoint_->path().isEmpty()) return tr("Choose a checkpoint first.");
    const api::SampleRequest r = request(seed, count);
    addRecentFile(QStringLiteral("recent/checkpoints"), checkpoint_->path());
    frames_.clear();
    filmstrip_->clear();
    shown_ = -1;
    updateLargeView();
    saveSettings();
    runner_->start(
        [r](api::JobSink& sink, const StopToken& stop, const PauseGate&) { api::runSampling(r, sink, stop); },
        /*wantsFrames=*/true);
    return {};
}

api::SampleRequest ExplorerRunPanel::request(quint64 seed, int count) const {
    api::SampleRequest r;
    r.checkpoint = checkpoint_->path().toStdString();
    sampler_->applyTo(r);
    classFields_->applyTo(r);
    r.seed = seed;
    r.num = count;
    r.batchSize = count;  // one batch: one trajectory per frame
    r.weights = weightsOf(weights_);
    r.imageSize = imageSize_->value();
    r.initNoisePath = initNoise_->path().toStdString();
    return r;
}

void ExplorerRunPanel::addFrames(const QVector<api::TrajectoryFrame>& batch) {
    for (const auto& f : batch) {
        const ExplorerFrame frame = ExplorerFrame::fromCore(f);
        frames_.append(frame);
        auto* item = new QListWidgetItem(thumbnail(frame), QString::number(frame.step), filmstrip_);
        item->setToolTip(frame.caption());
    }
    Q_EMIT framesAdded(frames_.size());
}

void ExplorerRunPanel::showFrame(int index) {
    if (frames_.isEmpty()) return;
    shown_ = std::clamp(index, 0, frames_.size() - 1);
    {
        const QSignalBlocker block(filmstrip_);
        filmstrip_->setCurrentRow(shown_);
    }
    filmstrip_->scrollToItem(filmstrip_->item(shown_));
    updateLargeView();
}

QImage ExplorerRunPanel::shownXt() const { return shown_ >= 0 ? frames_.at(shown_).xt : QImage(); }
QImage ExplorerRunPanel::shownX0() const { return shown_ >= 0 ? frames_.at(shown_).x0 : QImage(); }
QString ExplorerRunPanel::caption() const { return caption_->text(); }

void ExplorerRunPanel::updateLargeView() {
    showScaledImage(largeXt_, shownXt());
    showScaledImage(largeX0_, shownX0());
    caption_->setText(shown_ >= 0 ? frames_.at(shown_).caption() : QString());
}

void ExplorerRunPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    updateLargeView();
}

void ExplorerRunPanel::saveSettings() const {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("explorer/") + id_);
    s.setValue(QStringLiteral("checkpoint"), checkpoint_->path());
    sampler_->save(s);
    classFields_->save(s);
    s.setValue(QStringLiteral("weights"), weights_->currentData());
    s.setValue(QStringLiteral("imageSize"), imageSize_->value());
}

void ExplorerRunPanel::restoreSettings() {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("explorer/") + id_);
    setCheckpoint(s.value(QStringLiteral("checkpoint")).toString());
    sampler_->restore(s, api::DiffusionSampler::DpmSolverPlusPlus, 20);
    classFields_->restore(s);
    setWeights(s.value(QStringLiteral("weights")).toString());
    setImageSize(s.value(QStringLiteral("imageSize"), 0).toInt());
}

}  // namespace ds::ui
