// Diffusion Studio - the Train page: the training cockpit.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/train_page.h"

#include "core/api/fid.h"
#include "core/api/run_info.h"
#include "core/api/training.h"
#include "core/util/error.h"
#include "ui/app_settings.h"
#include "ui/diffusion_sampler_fields.h"
#include "ui/fid_reference_fields.h"
#include "ui/file_dialogs.h"
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/plot_widget.h"
#include "ui/sampling_widgets.h"
#include "ui/scaled_image_label.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>

#include <cmath>
#include <memory>
#include <tuple>

namespace ds::ui {
namespace {

const QString kFashionMnist = QStringLiteral("fashion-mnist");

QSpinBox* makeSpin(QWidget* parent, const char* name, int lo, int hi, const QString& tip = {}) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setRange(lo, hi);
    s->setToolTip(tip);
    return s;
}

QString joinInts(const std::vector<int>& values) {
    QStringList parts;
    for (int v : values) parts << QString::number(v);
    return parts.join(QLatin1Char(','));
}

std::vector<int> parseInts(const QString& text) {
    std::vector<int> out;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int v = part.trimmed().toInt(&ok);
        if (!ok || v < 1) throw Error("dim multipliers: '" + text.toStdString() + "' is not a list like 1,2,4");
        out.push_back(v);
    }
    if (out.empty()) throw Error("dim multipliers: give at least one, e.g. 1,2,4");
    return out;
}

// "t 0–99": the timestep range of bucket b of n over T timesteps.
QString bucketLabel(int b, int n, qint64 timesteps) {
    const qint64 lo = b * timesteps / n, hi = (b + 1) * timesteps / n - 1;
    return QStringLiteral("t %1–%2").arg(lo).arg(hi);
}

}  // namespace

TrainPage::TrainPage(QWidget* parent)
    : QWidget(parent),
      workerProgram_(QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("diffusion-studio-cli"))) {
    setObjectName(QStringLiteral("trainPage"));
    runner_ = new JobRunner(tr("Training"), this);
    buildUi();
    restoreSettings();
    connect(runner_, &JobRunner::metrics, this, &TrainPage::addMetrics);
    connect(runner_, &JobRunner::preview, this, &TrainPage::addPreview);
    connect(runner_, &JobRunner::fid, this, &TrainPage::addFid);
    connect(runner_, &JobRunner::log, this, &TrainPage::appendLog);
    connect(runner_, &JobRunner::progress, this,
            [this](const api::JobProgress& p) { status_->setText(JobProgressView::describe(p)); });
    connect(runner_, &JobRunner::started, this, &TrainPage::updateButtons);
    connect(runner_, &JobRunner::pausedChanged, this, &TrainPage::updateButtons);
    connect(runner_, &JobRunner::finished, this, [this](bool ok, bool cancelled, const QString& error) {
        if (!ok && !cancelled) appendLog(tr("error: %1").arg(error));
        status_->setText(ok          ? tr("Finished.")
                         : cancelled ? tr("Stopped; the run can be continued.")
                                     : tr("Failed: %1").arg(error));
        updateButtons();
    });
    updateButtons();
}

TrainPage::~TrainPage() { saveSettings(); }

void TrainPage::buildUi() {
    auto* layout = new QHBoxLayout(this);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildForm());
    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    status_ = new QLabel(tr("Choose data and a preset, then Start."), right);
    status_->setObjectName(QStringLiteral("trainStatus"));
    rightLayout->addWidget(status_);
    // The charts scroll when they need more height than there is (the FID row of a run that
    // measures it): the window itself must stay within a laptop's screen.
    auto* chartsScroll = new QScrollArea(right);
    chartsScroll->setObjectName(QStringLiteral("trainChartsScroll"));
    chartsScroll->setWidgetResizable(true);
    chartsScroll->setFrameShape(QFrame::NoFrame);
    chartsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    chartsScroll->setWidget(buildCharts());
    // Charts above, previews below: the bar between them gives either more room.
    auto* chartsAndPreviews = new QSplitter(Qt::Vertical, right);
    chartsAndPreviews->setObjectName(QStringLiteral("trainChartsSplitter"));
    chartsAndPreviews->setChildrenCollapsible(false);
    chartsAndPreviews->addWidget(chartsScroll);
    chartsAndPreviews->addWidget(buildPreviews());
    chartsAndPreviews->setStretchFactor(0, 3);
    chartsAndPreviews->setStretchFactor(1, 2);
    rightLayout->addWidget(chartsAndPreviews, 1);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter);
}

QWidget* TrainPage::buildForm() {
    // The settings scroll; the run's buttons and log stay below them, always in view (a first-time
    // user on a 1366x768 screen must not have to find Start).
    auto* column = new QWidget(this);
    column->setMinimumWidth(350);
    column->setMaximumWidth(440);
    auto* columnLayout = new QVBoxLayout(column);
    columnLayout->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(column);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* panel = new QWidget(scroll);
    auto* layout = new QVBoxLayout(panel);

    auto* dataBox = new QGroupBox(tr("Data"), panel);
    auto* dataForm = new QFormLayout(dataBox);
    data_ = new QComboBox(dataBox);
    data_->setObjectName(QStringLiteral("trainData"));
    data_->addItem(tr("Fashion-MNIST (built in)"), kFashionMnist);
    data_->addItem(tr("A folder of images or an LSUN LMDB"), QStringLiteral("folder"));
    dataPath_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("data"), {}, dataBox);
    dataPath_->setObjectName(QStringLiteral("trainDataPath"));
    dataPath_->setPlaceholderText(tr("images (searched recursively) or an LMDB (data.mdb)"));
    auto* importLmdb = new QPushButton(tr("Import LSUN LMDB…"), dataBox);
    importLmdb->setObjectName(QStringLiteral("trainImportLmdb"));
    connect(importLmdb, &QPushButton::clicked, this, &TrainPage::importLmdbRequested);
    dataForm->addRow(tr("Source"), data_);
    dataForm->addRow(tr("Folder"), dataPath_);
    dataForm->addRow(QString(), importLmdb);
    connect(data_, &QComboBox::currentIndexChanged, this,
            [this] { dataPath_->setEnabled(data_->currentData() != kFashionMnist); });
    dataPath_->setEnabled(false);
    layout->addWidget(dataBox);

    auto* modelBox = new QGroupBox(tr("Model"), panel);
    auto* modelForm = new QFormLayout(modelBox);
    preset_ = new QComboBox(modelBox);
    preset_->setObjectName(QStringLiteral("trainPreset"));
    preset_->addItem(tr("tiny (CPU, minutes)"), QStringLiteral("tiny"));
    preset_->addItem(tr("lsun64 (lucidrains' LSUN recipe)"), QStringLiteral("lsun64"));
    preset_->addItem(tr("lsun128 (lucidrains' LSUN recipe)"), QStringLiteral("lsun128"));
    preset_->addItem(tr("cfm-tiny (flow matching, CPU minutes)"), QStringLiteral("cfm-tiny"));
    preset_->addItem(tr("cfm-seed (g4vrel/CFM's recipe)"), QStringLiteral("cfm-seed"));
    // The longest names would set the whole form's width (and squeeze the charts): the closed box
    // shows about 20 characters, the open list every name in full.
    preset_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    preset_->setMinimumContentsLength(20);
    flowPath_ = makeFlowPathCombo(modelBox);
    flowPath_->setObjectName(QStringLiteral("trainFlowPath"));
    imageSize_ =
        makeSpin(modelBox, "trainImageSize", 8, 512, tr("Training images are resized and centre-cropped to this size"));
    imageSize_->setSingleStep(8);
    channels_ = new QComboBox(modelBox);
    channels_->setObjectName(QStringLiteral("trainChannels"));
    channels_->addItem(tr("1 (grayscale)"), 1);
    channels_->addItem(tr("3 (RGB)"), 3);
    dim_ = makeSpin(modelBox, "trainDim", 4, 512, tr("U-Net base width"));
    dimMults_ = new QLineEdit(modelBox);
    dimMults_->setObjectName(QStringLiteral("trainDimMults"));
    dimMults_->setToolTip(tr("Width multiplier of each U-Net stage, e.g. 1,2,4"));
    modelForm->addRow(tr("Preset"), preset_);
    modelForm->addRow(tr("Flow path"), flowPath_);
    modelForm->addRow(tr("Image size"), imageSize_);
    modelForm->addRow(tr("Channels"), channels_);
    modelForm->addRow(tr("Width (dim)"), dim_);
    modelForm->addRow(tr("Stage multipliers"), dimMults_);
    // Class-conditional: diffusion with lucidrains' classifier-free guidance Unet, flows with a
    // class embedding and a null class; labels from the data.
    conditional_ = new QCheckBox(tr("Class-conditional (classifier-free guidance)"), modelBox);
    conditional_->setObjectName(QStringLiteral("trainConditional"));
    conditional_->setToolTip(
        tr("Train on the data's labels (Fashion-MNIST's ten classes, or one sub-folder per class): diffusion "
           "with lucidrains' class-conditional Unet (classifier_free_guidance.py), flows with a class embedding "
           "and a null class. Previews show one row per class; the Generate page and the Explorer then pick a "
           "class and a guidance scale."));
    condDropProb_ = new QDoubleSpinBox(modelBox);
    condDropProb_->setObjectName(QStringLiteral("trainCondDropProb"));
    condDropProb_->setRange(0.0, 0.99);
    condDropProb_->setSingleStep(0.05);
    condDropProb_->setDecimals(2);
    condDropProb_->setToolTip(
        tr("How often a label is replaced by the null class while training (cond_drop_prob): "
           "what classifier-free guidance pushes away from"));
    modelForm->addRow(QString(), conditional_);
    modelForm->addRow(tr("Label dropout"), condDropProb_);
    connect(conditional_, &QCheckBox::toggled, condDropProb_, &QWidget::setEnabled);
    connect(preset_, &QComboBox::activated, this, [this] { applyPreset(preset_->currentData().toString()); });
    layout->addWidget(modelBox);

    auto* optBox = new QGroupBox(tr("Optimisation"), panel);
    auto* optForm = new QFormLayout(optBox);
    steps_ = makeSpin(optBox, "trainSteps", 1, 10000000, tr("Total optimizer steps"));
    batch_ = makeSpin(optBox, "trainBatch", 1, 4096, tr("Images per step"));
    lr_ = new QDoubleSpinBox(optBox);
    lr_->setObjectName(QStringLiteral("trainLr"));
    lr_->setDecimals(6);
    lr_->setRange(1e-6, 1.0);
    lr_->setSingleStep(1e-5);
    lrSchedule_ = new QComboBox(optBox);
    lrSchedule_->setObjectName(QStringLiteral("trainLrSchedule"));
    lrSchedule_->addItem(tr("constant"), QStringLiteral("constant"));
    lrSchedule_->addItem(tr("warm-up + linear decay"), QStringLiteral("linear"));
    lrSchedule_->addItem(tr("cosine"), QStringLiteral("cosine"));
    warmup_ = makeSpin(optBox, "trainWarmup", 0, 1000000, tr("Learning-rate warm-up steps"));
    ema_ = new QDoubleSpinBox(optBox);
    ema_->setObjectName(QStringLiteral("trainEma"));
    ema_->setDecimals(5);
    ema_->setRange(0.0, 0.99999);
    ema_->setSingleStep(0.001);
    sampleEvery_ = makeSpin(optBox, "trainSampleEvery", 0, 1000000, tr("A preview grid (EMA weights) every K steps"));
    sampleEvery_->setSpecialValueText(tr("never"));
    sampleCount_ = makeSpin(optBox, "trainSampleCount", 1, 1024, tr("Images in each preview grid"));
    previewSampler_ = new DiffusionSamplerFields(QStringLiteral("trainPreview"), QString(), true, optBox);
    previewSampler_->setToolTip(
        tr("How previews are sampled: a fast solver takes seconds where DDIM-250 takes minutes "
           "(flow-matching runs use their ODE solver with these steps)"));
    saveEvery_ = makeSpin(optBox, "trainSaveEvery", 1, 1000000, tr("A checkpoint every K steps"));
    seed_ = makeSpin(optBox, "trainSeed", 0, 2147483647, tr("The same seed repeats the same run"));
    processes_ = makeSpin(optBox, "trainProcesses", 1, 256,
                          tr("Data-parallel training processes on this machine; the batch size is per process"));
    optForm->addRow(tr("Steps"), steps_);
    optForm->addRow(tr("Batch size"), batch_);
    optForm->addRow(tr("Learning rate"), lr_);
    optForm->addRow(tr("Schedule"), lrSchedule_);
    optForm->addRow(tr("Warm-up steps"), warmup_);
    optForm->addRow(tr("EMA decay"), ema_);
    optForm->addRow(tr("Preview every"), sampleEvery_);
    optForm->addRow(tr("Preview images"), sampleCount_);
    optForm->addRow(tr("Preview sampler"), previewSampler_);
    optForm->addRow(tr("Checkpoint every"), saveEvery_);
    optForm->addRow(tr("Seed"), seed_);
    optForm->addRow(tr("Processes"), processes_);
    layout->addWidget(optBox);

    // FID during training: every K steps the EMA weights' samples against a reference set.
    auto* fidBox = new QGroupBox(tr("Sample quality (FID)"), panel);
    auto* fidForm = new QFormLayout(fidBox);
    fidEvery_ =
        makeSpin(fidBox, "trainFidEvery", 0, 10000000,
                 tr("Every K steps the EMA weights sample the images below with the preview sampler and their FID "
                    "against the reference goes to metrics.jsonl; checkpoints/best.pt keeps the lowest"));
    fidEvery_->setSpecialValueText(tr("never"));
    fidSamples_ = makeSpin(fidBox, "trainFidSamples", 2, 1000000, tr("Images per measurement: FID needs thousands"));
    fid_ = new FidReferenceFields(QStringLiteral("train"), false, fidBox);
    fidForm->addRow(tr("FID every"), fidEvery_);
    fidForm->addRow(tr("FID images"), fidSamples_);
    fidForm->addRow(tr("Reference"), fid_->referenceBox());
    fidForm->addRow(QString(), fid_->pathField());
    fidForm->addRow(tr("Features"), fid_->featuresBox());
    fidKid_ = new QCheckBox(tr("Also KID"), fidBox);
    fidKid_->setObjectName(QStringLiteral("trainFidKid"));
    fidKid_->setToolTip(
        tr("Kernel inception distance (torch-fidelity's) in the same features, charted beside the FID; "
           "needs the reference's images (a folder or a built-in set), not an .npz"));
    fidForm->addRow(QString(), fidKid_);
    const auto updateFidFields = [this] {
        const bool on = fidEvery_->value() > 0;
        fidSamples_->setEnabled(on);
        fidKid_->setEnabled(on);
        fid_->setEnabled(on);
    };
    connect(fidEvery_, &QSpinBox::valueChanged, this, updateFidFields);
    updateFidFields();
    layout->addWidget(fidBox);

    auto* runBox = new QGroupBox(tr("Run"), column);
    auto* runLayout = new QVBoxLayout(runBox);
    runDir_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("runs"), {}, runBox);
    runDir_->setObjectName(QStringLiteral("trainRunDir"));
    runDir_->setToolTip(tr("The run directory: config, metrics, checkpoints and previews"));
    runLayout->addWidget(runDir_);
    auto* buttons = new QGridLayout;
    start_ = new QPushButton(tr("Start"), runBox);
    start_->setObjectName(QStringLiteral("trainStart"));
    pause_ = new QPushButton(tr("Pause"), runBox);
    pause_->setObjectName(QStringLiteral("trainPause"));
    stop_ = new QPushButton(tr("Stop"), runBox);
    stop_->setObjectName(QStringLiteral("trainStop"));
    stop_->setToolTip(tr("Saves a checkpoint and stops; Continue goes on from it"));
    openRun_ = new QPushButton(tr("Open run…"), runBox);
    openRun_->setObjectName(QStringLiteral("trainOpenRun"));
    continue_ = new QPushButton(tr("Continue"), runBox);
    continue_->setObjectName(QStringLiteral("trainContinue"));
    overlay_ = new QPushButton(tr("Overlay run…"), runBox);
    overlay_->setObjectName(QStringLiteral("trainOverlay"));
    overlay_->setToolTip(tr("Add another run's curves to the charts"));
    buttons->addWidget(start_, 0, 0);
    buttons->addWidget(pause_, 0, 1);
    buttons->addWidget(stop_, 0, 2);
    buttons->addWidget(openRun_, 1, 0);
    buttons->addWidget(continue_, 1, 1);
    buttons->addWidget(overlay_, 1, 2);
    runLayout->addLayout(buttons);
    layout->addStretch(1);

    log_ = new QPlainTextEdit(column);
    log_->setObjectName(QStringLiteral("trainLog"));
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(500);
    log_->setMinimumHeight(60);
    log_->setMaximumHeight(110);
    scroll->setWidget(panel);
    columnLayout->addWidget(scroll, 1);
    columnLayout->addWidget(runBox);
    columnLayout->addWidget(log_);

    connect(start_, &QPushButton::clicked, this, &TrainPage::start);
    connect(pause_, &QPushButton::clicked, this, &TrainPage::togglePause);
    connect(stop_, &QPushButton::clicked, this, &TrainPage::stop);
    connect(continue_, &QPushButton::clicked, this, &TrainPage::continueRun);
    connect(openRun_, &QPushButton::clicked, this, [this] {
        const QString dir = askFolder(this, tr("Open a run directory"), QStringLiteral("runs"));
        if (dir.isEmpty()) return;
        const QString error = openRun(dir);
        if (!error.isEmpty()) appendLog(error);
    });
    connect(overlay_, &QPushButton::clicked, this, [this] {
        const QString dir = askFolder(this, tr("Overlay a run"), QStringLiteral("runs"));
        if (dir.isEmpty()) return;
        const QString error = overlayRun(dir);
        if (!error.isEmpty()) appendLog(error);
    });
    return column;
}

QWidget* TrainPage::buildCharts() {
    auto* charts = new QWidget(this);
    auto* grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    lossPlot_ = new PlotWidget(tr("Loss"), tr("loss"), charts);
    lossPlot_->setObjectName(QStringLiteral("trainLossPlot"));
    lossPlot_->setSmoothing(0.98);
    lossPlot_->setBandVisible(true);
    lrPlot_ = new PlotWidget(tr("Learning rate"), tr("lr"), charts);
    lrPlot_->setObjectName(QStringLiteral("trainLrPlot"));
    lrPlot_->setSmoothing(0.0);
    lrPlot_->setControlsVisible(false);
    speedPlot_ = new PlotWidget(tr("Throughput"), tr("images/s"), charts);
    speedPlot_->setObjectName(QStringLiteral("trainSpeedPlot"));
    speedPlot_->setSmoothing(0.9);
    speedPlot_->setControlsVisible(false);
    bucketPlot_ = new PlotWidget(tr("Loss by timestep"), tr("loss"), charts);
    bucketPlot_->setObjectName(QStringLiteral("trainBucketPlot"));
    bucketPlot_->setSmoothing(0.99);
    bucketPlot_->setLogY(true);
    // Ten curves: smoothed lines only (raw and band would triple what every redraw paints).
    bucketPlot_->setRawVisible(false);
    bucketPlot_->setBandVisible(false);
    // Ten named curves: a column beside the chart, where their names fit.
    bucketPlot_->chart()->legend()->setAlignment(Qt::AlignRight);
    bucketPlot_->setToolTip(
        tr("The mean loss within each tenth of the timesteps: the batch loss mixes easy and hard "
           "timesteps, so these curves show progress the mean hides"));
    // FID (or a classifier's FD) against step and against training time; shown once a run has one.
    fidPlot_ = new PlotWidget(tr("FID"), tr("FID / FD"), charts);
    fidPlot_->setObjectName(QStringLiteral("trainFidPlot"));
    fidTimePlot_ = new PlotWidget(tr("FID against training time"), tr("FID / FD"), charts);
    fidTimePlot_->setObjectName(QStringLiteral("trainFidTimePlot"));
    fidTimePlot_->setXLabel(tr("minutes of training"));
    kidPlot_ = new PlotWidget(tr("KID"), tr("KID"), charts);
    kidPlot_->setObjectName(QStringLiteral("trainKidPlot"));
    kidTimePlot_ = new PlotWidget(tr("KID against training time"), tr("KID"), charts);
    kidTimePlot_->setObjectName(QStringLiteral("trainKidTimePlot"));
    kidTimePlot_->setXLabel(tr("minutes of training"));
    for (PlotWidget* plot : {fidPlot_, fidTimePlot_, kidPlot_, kidTimePlot_}) {
        plot->setSmoothing(0.0);
        plot->setBandVisible(false);
        plot->setControlsVisible(false);
        plot->setToolTip(
            tr("The FID of the EMA weights' samples at each measurement; the marked point is the lowest, "
               "whose weights checkpoints/best.pt holds"));
    }
    for (PlotWidget* plot : {kidPlot_, kidTimePlot_})
        plot->setToolTip(
            tr("KID (torch-fidelity's, the mean over subsets) of the same samples in the same features: "
               "unbiased, so it compares across sample counts where FID does not"));
    grid->addWidget(lossPlot_, 0, 0);
    grid->addWidget(bucketPlot_, 0, 1);
    grid->addWidget(lrPlot_, 1, 0);
    grid->addWidget(speedPlot_, 1, 1);
    // FID and KID share a row as two tabs (a fourth row of charts would push the window past a
    // laptop's screen); the KID tab exists while the run has KID, the bar only then.
    qualityTabs_ = new QTabWidget(charts);
    qualityTabs_->setObjectName(QStringLiteral("trainQualityTabs"));
    qualityTabs_->setTabBarAutoHide(true);
    qualityTabs_->setDocumentMode(true);
    // Room for the legend (runs, best.pt) and readable axis labels under the tab bar; the charts
    // scroll rather than squeeze it.
    qualityTabs_->setMinimumHeight(290);
    const auto pairPage = [this](PlotWidget* left, PlotWidget* right) {
        auto* page = new QWidget(qualityTabs_);
        auto* row = new QHBoxLayout(page);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(left);
        row->addWidget(right);
        return page;
    };
    qualityTabs_->addTab(pairPage(fidPlot_, fidTimePlot_), tr("FID"));
    kidPage_ = pairPage(kidPlot_, kidTimePlot_);
    kidPage_->hide();
    qualityTabs_->setVisible(false);
    grid->addWidget(lossPlot_, 0, 0);
    grid->addWidget(bucketPlot_, 0, 1);
    grid->addWidget(lrPlot_, 1, 0);
    grid->addWidget(speedPlot_, 1, 1);
    grid->addWidget(qualityTabs_, 2, 0, 1, 2);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 2);
    grid->setRowStretch(2, 2);
    return charts;
}

QWidget* TrainPage::buildPreviews() {
    auto* box = new QGroupBox(tr("Samples (EMA weights)"), this);
    auto* layout = new QVBoxLayout(box);
    preview_ = new QLabel(box);
    preview_->setObjectName(QStringLiteral("trainPreview"));
    preview_->setAlignment(Qt::AlignCenter);
    preview_->setMinimumHeight(140);
    preview_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    auto* row = new QHBoxLayout;
    previewSlider_ = new QSlider(Qt::Horizontal, box);
    previewSlider_->setObjectName(QStringLiteral("trainPreviewSlider"));
    previewSlider_->setRange(0, 0);
    previewCaption_ = new QLabel(box);
    previewCaption_->setMinimumWidth(90);
    row->addWidget(previewSlider_, 1);
    row->addWidget(previewCaption_);
    layout->addWidget(preview_, 1);
    layout->addLayout(row);
    connect(previewSlider_, &QSlider::valueChanged, this, &TrainPage::showPreview);
    return box;
}

void TrainPage::selectPreset(const QString& name) {
    preset_->setCurrentIndex(std::max(0, preset_->findData(name)));
    applyPreset(name);
}

void TrainPage::applyPreset(const QString& name) {
    auto form = api::trainFormForPreset(name.toStdString());
    // Keep the chosen data: a preset describes the model and the optimisation.
    form.data = data_->currentData() == kFashionMnist ? kFashionMnist.toStdString() : dataPath_->path().toStdString();
    setFormConfig(form);
}

void TrainPage::setFormConfig(const api::TrainForm& c) {
    base_ = c;
    const QString source = QString::fromStdString(c.data);
    if (source == kFashionMnist) {
        data_->setCurrentIndex(0);
    } else {
        data_->setCurrentIndex(1);
        dataPath_->setPath(source);
    }
    dataPath_->setEnabled(source != kFashionMnist);
    preset_->setCurrentIndex(std::max(0, preset_->findData(QString::fromStdString(c.preset))));
    flowPath_->setCurrentIndex(std::max(0, flowPath_->findData(QString::fromStdString(c.flowPath))));
    flowPath_->setEnabled(c.isFlow());
    imageSize_->setValue(c.imageSize);
    channels_->setCurrentIndex(std::max(0, channels_->findData(c.channels)));
    dim_->setValue(c.width);
    dimMults_->setText(joinInts(c.stages));
    steps_->setValue(static_cast<int>(std::min<int64_t>(c.steps, steps_->maximum())));
    batch_->setValue(c.batchSize);
    processes_->setValue(c.processes);
    lr_->setValue(c.lr);
    lrSchedule_->setCurrentIndex(std::max(0, lrSchedule_->findData(QString::fromStdString(c.lrSchedule))));
    warmup_->setValue(static_cast<int>(c.warmupSteps));
    ema_->setValue(c.emaDecay);
    sampleEvery_->setValue(static_cast<int>(c.sampleEvery));
    sampleCount_->setValue(c.sampleCount);
    previewSampler_->setSampler(c.sampleSampler);
    previewSampler_->setSteps(c.sampleSteps);
    previewSampler_->setSamplerChoiceEnabled(!c.isFlow());
    saveEvery_->setValue(static_cast<int>(c.saveEvery));
    seed_->setValue(static_cast<int>(c.seed));
    fidEvery_->setValue(static_cast<int>(std::min<int64_t>(c.fidEvery, fidEvery_->maximum())));
    fidSamples_->setValue(c.fidSamples);
    fidKid_->setChecked(c.fidKid);
    conditional_->setChecked(c.conditional);
    condDropProb_->setValue(c.condDropProb);
    condDropProb_->setEnabled(c.conditional);
    if (!c.fidReference.empty()) fid_->setReference(QString::fromStdString(c.fidReference));
    fid_->setFeatures(QString::fromStdString(c.fidFeatures));
}

api::TrainForm TrainPage::formConfig() const {
    api::TrainForm c = base_;
    c.preset = preset_->currentData().toString().toStdString();
    if (data_->currentData() == kFashionMnist) {
        c.data = kFashionMnist.toStdString();
    } else {
        if (dataPath_->path().isEmpty()) throw Error("choose a folder of images (or Fashion-MNIST)");
        c.data = dataPath_->path().toStdString();
    }
    c.imageSize = imageSize_->value();
    c.channels = channels_->currentData().toInt();
    c.width = dim_->value();
    c.stages = parseInts(dimMults_->text());
    if (c.isFlow()) c.flowPath = flowPath_->currentData().toString().toStdString();
    c.steps = steps_->value();
    c.batchSize = batch_->value();
    c.processes = processes_->value();
    c.lr = lr_->value();
    c.lrSchedule = lrSchedule_->currentData().toString().toStdString();
    c.warmupSteps = warmup_->value();
    c.emaDecay = ema_->value();
    c.sampleEvery = sampleEvery_->value();
    c.sampleCount = sampleCount_->value();
    c.sampleSteps = previewSampler_->steps();
    if (!c.isFlow()) c.sampleSampler = previewSampler_->sampler();
    c.saveEvery = saveEvery_->value();
    c.seed = static_cast<uint64_t>(seed_->value());
    c.fidEvery = fidEvery_->value();
    c.fidSamples = fidSamples_->value();
    c.fidKid = fidKid_->isChecked();
    c.conditional = conditional_->isChecked();
    c.condDropProb = condDropProb_->value();
    c.fidReference = fid_->reference().toStdString();
    c.fidFeatures = fid_->features().toStdString();
    return api::resolveTrainForm(c);
}

void TrainPage::setRunDirectory(const QString& path) { runDir_->setPath(path); }

void TrainPage::setDataFolder(const QString& path) {
    data_->setCurrentIndex(data_->findData(QStringLiteral("folder")));
    dataPath_->setPath(path);
    dataPath_->setEnabled(true);
}

QString TrainPage::defaultRunDirectory() {
    return QDir(QDir::homePath())
        .filePath(QStringLiteral("diffusion-studio/runs/") +
                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
}

void TrainPage::resetCurrentSeries(const QString& label) {
    for (PlotWidget* plot : {lossPlot_, lrPlot_, speedPlot_, bucketPlot_}) plot->clear();
    lossId_ = lossPlot_->addSeries(label);
    lrId_ = lrPlot_->addSeries(label);
    speedId_ = speedPlot_->addSeries(label);
    bucketIds_.clear();
    const int buckets = 10;
    const qint64 timesteps = base_.timesteps;
    for (int b = 0; b < buckets; ++b) bucketIds_ << bucketPlot_->addSeries(bucketLabel(b, buckets, timesteps));
    for (PlotWidget* plot : {fidPlot_, fidTimePlot_, kidPlot_, kidTimePlot_}) plot->clear();
    if (qualityTabs_->count() > 1) qualityTabs_->removeTab(1);
    kidPage_->hide();
    qualityTabs_->setVisible(false);
    fidId_ = fidPlot_->addSeries(label);
    fidTimeId_ = fidTimePlot_->addSeries(label);
    kidId_ = kidPlot_->addSeries(label);
    kidTimeId_ = kidTimePlot_->addSeries(label);
    fidBestIds_ = {fidPlot_->addSeries(tr("best.pt")), fidTimePlot_->addSeries(tr("best.pt"))};
    // Measurements are points in time: marked; the best one (a single point) as a larger mark.
    for (auto [plot, id, size] :
         {std::tuple{fidPlot_, fidId_, 6.0}, std::tuple{fidTimePlot_, fidTimeId_, 6.0},
          std::tuple{kidPlot_, kidId_, 6.0}, std::tuple{kidTimePlot_, kidTimeId_, 6.0},
          std::tuple{fidPlot_, fidBestIds_.first, 12.0}, std::tuple{fidTimePlot_, fidBestIds_.second, 12.0}}) {
        plot->smoothedSeries(id)->setPointsVisible(true);
        plot->smoothedSeries(id)->setMarkerSize(size);
    }
    bestFid_.reset();
    previews_.clear();
    previewSlider_->setRange(0, 0);
    preview_->clear();
    previewCaption_->clear();
}

void TrainPage::start() {
    if (runner_->isRunning()) return;
    api::TrainForm config;
    try {
        config = formConfig();
    } catch (const std::exception& e) {
        status_->setText(tr("Cannot start: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    if (runDir_->path().isEmpty() || QFileInfo::exists(QDir(runDir_->path()).filePath(QStringLiteral("config.json"))))
        runDir_->setPath(defaultRunDirectory());
    const QString runDir = runDir_->path();
    base_ = config;
    openedRun_ = runDir;
    saveSettings();
    resetCurrentSeries(QFileInfo(runDir).fileName());
    addRecentFile(QStringLiteral("recent/runs"), runDir);
    log_->clear();
    runner_->setName(tr("Training %1").arg(QFileInfo(runDir).fileName()));
    runningProcesses_ = processes_->value();
    if (runningProcesses_ > 1) {
        appendLog(tr("%1 processes; images/s counts all of them").arg(runningProcesses_));
        const api::TrainingProcesses ranks{workerProgram_.toStdString(), runningProcesses_};
        runner_->start(
            [config, dir = runDir.toStdString(), ranks](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
                api::startTrainingProcesses(config, dir, ranks, sink, stop);
            });
        return;
    }
    runner_->start(
        [config, dir = runDir.toStdString()](api::JobSink& sink, const StopToken& stop, const PauseGate& pause) {
            api::startTraining(config, dir, sink, stop, &pause);
        });
}

void TrainPage::continueRun() {
    if (runner_->isRunning() || openedRun_.isEmpty()) return;
    if (!api::isRunDirectory(openedRun_.toStdString())) {
        status_->setText(tr("%1 is not a run directory").arg(openedRun_));
        return;
    }
    // A step total changed in the form becomes the run's new total.
    const int64_t total = steps_->value() != base_.steps ? steps_->value() : 0;
    runner_->setName(tr("Training %1").arg(QFileInfo(openedRun_).fileName()));
    runningProcesses_ = processes_->value();
    if (runningProcesses_ > 1) {
        const api::TrainingProcesses ranks{workerProgram_.toStdString(), runningProcesses_};
        runner_->start([dir = openedRun_.toStdString(), total, ranks](api::JobSink& sink, const StopToken& stop,
                                                                      const PauseGate&) {
            api::resumeTrainingProcesses(dir, total, ranks, sink, stop);
        });
        return;
    }
    runner_->start(
        [dir = openedRun_.toStdString(), total](api::JobSink& sink, const StopToken& stop, const PauseGate& pause) {
            api::resumeTraining(dir, total, sink, stop, &pause);
        });
}

void TrainPage::setProcesses(int count) { processes_->setValue(count); }

void TrainPage::togglePause() { runner_->setPaused(!runner_->isPaused()); }

void TrainPage::stop() { runner_->cancel(); }

QString TrainPage::openRun(const QString& path) {
    api::RunInfo info;
    api::TrainForm config;
    try {
        info = api::inspectRun(path.toStdString());
        config = api::trainFormFromConfig(info.config);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    setFormConfig(config);
    runDir_->setPath(path);
    openedRun_ = path;
    addRecentFile(QStringLiteral("recent/runs"), path);
    resetCurrentSeries(QFileInfo(path).fileName());
    addMetrics(QVector<api::TrainMetrics>(info.metrics.begin(), info.metrics.end()));
    for (const auto& f : info.fids) addFid(f);
    for (const auto& [step, file] : info.samples) {
        double seconds = -1;
        for (const auto& [s, secs] : info.previewSeconds)
            if (s == step) seconds = secs;
        addPreview(step, QImage(QString::fromStdString(file)), seconds);
    }
    const qint64 last = info.checkpoints.empty() ? 0 : info.checkpoints.back().first;
    status_->setText(tr("Opened %1: checkpoint at step %2 of %3.").arg(path).arg(last).arg(info.totalSteps));
    updateButtons();
    return {};
}

QString TrainPage::overlayRun(const QString& path) {
    api::RunInfo info;
    try {
        info = api::inspectRun(path.toStdString());
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    const QString name = QFileInfo(path).fileName();
    QVector<QPointF> loss, lr, speed;
    for (const auto& m : info.metrics) {
        loss << QPointF(double(m.step), m.loss);
        lr << QPointF(double(m.step), m.lr);
        speed << QPointF(double(m.step), m.imagesPerSecond);
    }
    lossPlot_->setPoints(lossPlot_->addSeries(name), loss);
    lrPlot_->setPoints(lrPlot_->addSeries(name), lr);
    speedPlot_->setPoints(speedPlot_->addSeries(name), speed);
    if (!info.fids.empty()) {
        QVector<QPointF> byStep, byTime, kidByStep, kidByTime;
        for (const auto& f : info.fids) {
            byStep << QPointF(double(f.step), f.value);
            byTime << QPointF(f.wallSeconds / 60.0, f.value);
            if (f.hasKid) {
                kidByStep << QPointF(double(f.step), f.kid);
                kidByTime << QPointF(f.wallSeconds / 60.0, f.kid);
            }
        }
        fidPlot_->setPoints(fidPlot_->addSeries(name), byStep);
        fidTimePlot_->setPoints(fidTimePlot_->addSeries(name), byTime);
        showFidPlots(QString::fromStdString(info.fids.front().label));
        if (!kidByStep.isEmpty()) {
            kidPlot_->setPoints(kidPlot_->addSeries(name), kidByStep);
            kidTimePlot_->setPoints(kidTimePlot_->addSeries(name), kidByTime);
            showKidPlots();
        }
    }
    return {};
}

void TrainPage::addMetrics(const QVector<api::TrainMetrics>& batch) {
    if (lossId_ < 0) resetCurrentSeries(tr("this run"));
    QVector<QPointF> loss, lr, speed;
    QVector<QVector<QPointF>> buckets(bucketIds_.size());
    for (const auto& m : batch) {
        const double x = double(m.step);
        loss << QPointF(x, m.loss);
        lr << QPointF(x, m.lr);
        if (m.imagesPerSecond > 0) speed << QPointF(x, m.imagesPerSecond);
        for (int b = 0; b < std::min<int>(buckets.size(), int(m.lossByTimestep.size())); ++b)
            if (std::isfinite(m.lossByTimestep[b])) buckets[b] << QPointF(x, m.lossByTimestep[b]);
    }
    lossPlot_->appendPoints(lossId_, loss);
    lrPlot_->appendPoints(lrId_, lr);
    speedPlot_->appendPoints(speedId_, speed);
    for (int b = 0; b < buckets.size(); ++b) bucketPlot_->appendPoints(bucketIds_[b], buckets[b]);
}

void TrainPage::showFidPlots(const QString& label) {
    qualityTabs_->setVisible(true);
    for (PlotWidget* plot : {fidPlot_, fidTimePlot_}) {
        // The time chart's title stays short: the label (a classifier's name) is on the step chart.
        plot->chart()->setTitle(plot == fidPlot_ ? label : tr("The same against training time"));
    }
}

void TrainPage::addFid(const api::TrainFid& f) {
    if (fidId_ < 0) resetCurrentSeries(tr("this run"));
    fidPlot_->appendPoint(fidId_, double(f.step), f.value);
    fidTimePlot_->appendPoint(fidTimeId_, f.wallSeconds / 60.0, f.value);
    if (!bestFid_ || f.value < bestFid_->value) {
        bestFid_ = f;
        fidPlot_->setPoints(fidBestIds_.first, {QPointF(double(f.step), f.value)});
        fidTimePlot_->setPoints(fidBestIds_.second, {QPointF(f.wallSeconds / 60.0, f.value)});
    }
    showFidPlots(QString::fromStdString(f.label));
    if (f.hasKid) {
        kidPlot_->appendPoint(kidId_, double(f.step), f.kid);
        kidTimePlot_->appendPoint(kidTimeId_, f.wallSeconds / 60.0, f.kid);
        showKidPlots();
    }
}

void TrainPage::showKidPlots() {
    if (qualityTabs_->count() < 2) qualityTabs_->addTab(kidPage_, tr("KID"));
}

std::optional<api::TrainFid> TrainPage::bestFid() const { return bestFid_; }

void TrainPage::addPreview(qint64 step, const QImage& grid, double seconds) {
    if (grid.isNull()) return;
    previews_.append({step, grid, seconds});
    const bool atEnd = previewSlider_->value() == previewSlider_->maximum();
    previewSlider_->setRange(0, static_cast<int>(previews_.size()) - 1);
    if (atEnd || previews_.size() == 1) previewSlider_->setValue(previewSlider_->maximum());
    showPreview(previewSlider_->value());
}

void TrainPage::showPreview(int index) {
    if (index < 0 || index >= previews_.size()) return;
    const auto& p = previews_.at(index);
    showScaledImage(preview_, p.grid);
    // What the preview cost next to training: a slow preview sampler shows here first.
    previewCaption_->setText(p.seconds >= 0 ? tr("step %1 · sampled in %2 s").arg(p.step).arg(p.seconds, 0, 'f', 1)
                                            : tr("step %1").arg(p.step));
}

void TrainPage::updateButtons() {
    const bool running = runner_->isRunning();
    start_->setEnabled(!running);
    openRun_->setEnabled(!running);
    continue_->setEnabled(!running && !openedRun_.isEmpty());
    // The ranks of a multi-process run wait for each other with a timeout: they cannot pause.
    pause_->setEnabled(running && runningProcesses_ == 1);
    stop_->setEnabled(running);
    pause_->setText(runner_->isPaused() ? tr("Resume") : tr("Pause"));
}

void TrainPage::appendLog(const QString& line) { log_->appendPlainText(line); }

void TrainPage::saveSettings() const {
    QSettings s = appSettings();
    try {
        s.setValue(QStringLiteral("train/config"), QString::fromStdString(formConfig().base.dump()));
    } catch (const std::exception&) {
        // An incomplete form is not worth keeping.
    }
}

void TrainPage::restoreSettings() {
    const QString saved = appSettings().value(QStringLiteral("train/config")).toString();
    if (!saved.isEmpty()) {
        try {
            setFormConfig(api::trainFormFromConfig(nlohmann::json::parse(saved.toStdString())));
            return;
        } catch (const std::exception&) {
            // A config of an older format: start from the default preset.
        }
    }
    selectPreset(QStringLiteral("tiny"));
}

}  // namespace ds::ui
