// Diffusion Studio - flow matching's trajectory page: configurations side by side along t.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/trajectory_page.h"

#include "core/api/flow_toy.h"
#include "core/api/sampling.h"
#include "core/api/solver_sweep.h"
#include "ui/app_settings.h"
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"
#include "ui/nfe_quality_chart.h"
#include "ui/path_field.h"
#include "ui/qimage_conversion.h"
#include "ui/sampling_widgets.h"
#include "ui/staged_job_sink.h"
#include "ui/trajectory_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <map>
#include <mutex>
#include <optional>

namespace ds::ui {
namespace {

constexpr int kMaxConfigurations = 4;
constexpr int kSliderSteps = 1000;  // the time slider's resolution
constexpr int kPlaySeconds = 3;     // Play runs t from 0 to 1 in this time
constexpr int kPlayTickMs = 30;
// The target combo's entry for the 8 Gaussians labelled by mode: the core's 8gaussians target with
// conditional = true.
const QString kLabelledTarget = QStringLiteral("8gaussians-classes");

QVector<QPointF> toPoints(const api::PointCloud& cloud) {
    QVector<QPointF> points(static_cast<int>(cloud.size()));
    for (int i = 0; i < points.size(); ++i) points[i] = QPointF(cloud.xy[2 * i], cloud.xy[2 * i + 1]);
    return points;
}

TrajectoryOutcome toyOutcome(const api::FlowToyTrajectory& t, const api::PointCloud& target) {
    TrajectoryOutcome o;
    o.classes = QVector<int>(t.classes.begin(), t.classes.end());
    o.times = QVector<double>(t.times.begin(), t.times.end());
    for (const auto& c : t.clouds) o.clouds.append(toPoints(c));
    o.target = toPoints(target);
    o.nfe = t.nfe;
    o.seconds = t.wallSeconds;
    o.straightness = t.straightness;
    o.energyDistance = t.energyDistance;
    return o;
}

// The image job's sink: one bar over all configurations, and the current run's frames.
class FrameCollectingSink : public StagedJobSink {
public:
    using StagedJobSink::StagedJobSink;
    bool wantsFrames() const override { return true; }
    void onFrame(const api::TrajectoryFrame& f) override {
        times.append(f.time);
        frames.append(toQImage(f.xt));
    }
    QVector<double> times;
    QVector<QImage> frames;
};

// A configuration as the job thread sees it: plain values, no widgets.
struct RunSpec {
    api::FlowToyConfig toy;
    api::FlowToySolve solve;
};

}  // namespace

// Filled by the job thread, read by the UI thread when reports arrive (under the mutex).
struct TrajectoryPage::Shared {
    std::mutex mutex;
    std::map<int, TrajectoryOutcome> ready;  // configuration -> outcome, not yet shown
    std::optional<api::SolverSweepResult> sweep;
    // Trained toys, by everything that shapes them: a second run with the same path reuses them.
    std::map<std::string, std::shared_ptr<api::FlowToy>> toys;

    void store(int index, TrajectoryOutcome outcome) {
        std::lock_guard lock(mutex);
        ready[index] = std::move(outcome);
    }

    std::map<int, TrajectoryOutcome> take() {
        std::lock_guard lock(mutex);
        return std::exchange(ready, {});
    }

    static std::string keyOf(const api::FlowToyConfig& c) {
        return c.source + "|" + c.target + "|" + c.path + "|" + std::to_string(c.sigma) + "|" +
               std::to_string(c.hidden) + "|" + std::to_string(c.trainSteps) + "|" + std::to_string(c.batchSize) + "|" +
               std::to_string(c.seed) + "|" + (c.conditional ? "classes " + std::to_string(c.condDropProb) : "");
    }

    bool has(const api::FlowToyConfig& config) {
        std::lock_guard lock(mutex);
        return toys.count(keyOf(config)) > 0;
    }

    // The trained toy for `config`: reused when trained before, else trained now (job thread).
    std::shared_ptr<api::FlowToy> toy(const api::FlowToyConfig& config, api::JobSink& sink, const StopToken& stop) {
        const std::string key = keyOf(config);
        {
            std::lock_guard lock(mutex);
            if (auto it = toys.find(key); it != toys.end()) return it->second;
        }
        auto trained = std::make_shared<api::FlowToy>(config);
        sink.onLog("training the 2-D toy: " + config.source + " -> " + config.target +
                   (config.conditional ? " (by class)" : "") + ", path " + config.path);
        trained->train(sink, stop);
        std::lock_guard lock(mutex);
        toys[key] = trained;
        return trained;
    }
};

TrajectoryPage::TrajectoryPage(QWidget* parent) : QWidget(parent), shared_(std::make_shared<Shared>()) {
    setObjectName(QStringLiteral("trajectoryPage"));
    runner_ = new JobRunner(tr("Trajectories"), this);
    buildUi();
    restoreSettings();
    connect(runner_, &JobRunner::progress, this, &TrajectoryPage::collectResults);
    connect(runner_, &JobRunner::finished, this, &TrajectoryPage::finishJob);
}

TrajectoryPage::~TrajectoryPage() { saveSettings(); }

QWidget* TrajectoryPage::buildSourceBox() {
    auto* box = new QGroupBox(tr("What to sample"), this);
    auto* layout = new QVBoxLayout(box);
    auto* top = new QHBoxLayout;
    mode_ = new QComboBox(box);
    mode_->setObjectName(QStringLiteral("trajectoryMode"));
    mode_->addItem(tr("2-D toy (trains in seconds)"), QStringLiteral("toy"));
    mode_->addItem(tr("Images from a flow-matching checkpoint"), QStringLiteral("images"));
    seed_ = new QSpinBox(box);
    seed_->setObjectName(QStringLiteral("trajectorySeed"));
    seed_->setRange(0, 1 << 30);
    count_ = new QSpinBox(box);
    count_->setObjectName(QStringLiteral("trajectoryCount"));
    count_->setRange(1, kMaxConfigurations);
    count_->setValue(2);
    top->addWidget(mode_);
    top->addWidget(new QLabel(tr("Seed"), box));
    top->addWidget(seed_);
    top->addWidget(new QLabel(tr("Configurations"), box));
    top->addWidget(count_);
    top->addStretch(1);
    layout->addLayout(top);

    sourceStack_ = new QStackedWidget(box);
    auto* toy = new QWidget(sourceStack_);
    auto* toyRow = new QHBoxLayout(toy);
    toyRow->setContentsMargins(0, 0, 0, 0);
    source_ = new QComboBox(toy);
    source_->setObjectName(QStringLiteral("trajectorySource"));
    source_->addItem(tr("8 Gaussians"), QStringLiteral("8gaussians"));
    source_->addItem(tr("Gaussian"), QStringLiteral("gaussian"));
    target_ = new QComboBox(toy);
    target_->setObjectName(QStringLiteral("trajectoryTarget"));
    target_->addItem(tr("Two moons"), QStringLiteral("moons"));
    target_->addItem(tr("8 Gaussians"), QStringLiteral("8gaussians"));
    target_->addItem(tr("8 Gaussians, labelled by mode"), kLabelledTarget);
    target_->setItemData(target_->count() - 1,
                         tr("Each point's class is the Gaussian it came from: the toy learns one field per class "
                            "and an unconditional one, and guidance steers particles to a chosen class"),
                         Qt::ToolTipRole);
    trainSteps_ = new QSpinBox(toy);
    trainSteps_->setObjectName(QStringLiteral("trajectoryTrainSteps"));
    trainSteps_->setRange(0, 100000);
    trainSteps_->setSingleStep(500);
    trainSteps_->setValue(1500);
    points_ = new QSpinBox(toy);
    points_->setObjectName(QStringLiteral("trajectoryPoints"));
    points_->setRange(8, 4096);
    points_->setValue(256);
    toyRow->addWidget(new QLabel(tr("From"), toy));
    toyRow->addWidget(source_);
    toyRow->addWidget(new QLabel(tr("to"), toy));
    toyRow->addWidget(target_);
    toyRow->addWidget(new QLabel(tr("Training steps"), toy));
    toyRow->addWidget(trainSteps_);
    toyRow->addWidget(new QLabel(tr("Points"), toy));
    toyRow->addWidget(points_);
    condition_ = new QWidget(toy);
    auto* conditionRow = new QHBoxLayout(condition_);
    conditionRow->setContentsMargins(0, 0, 0, 0);
    class_ = new QComboBox(condition_);
    class_->setObjectName(QStringLiteral("trajectoryClass"));
    class_->addItem(tr("All classes"), api::kToyEveryClass);
    class_->setItemData(0, tr("Particle i is steered to class i mod 8: every class in one picture"), Qt::ToolTipRole);
    for (int k = 0; k < 8; ++k) class_->addItem(tr("Class %1").arg(k), k);
    class_->addItem(tr("No class (unconditional)"), api::kToyNullClass);
    guidance_ = new QDoubleSpinBox(condition_);
    guidance_->setObjectName(QStringLiteral("trajectoryGuidance"));
    guidance_->setRange(0.0, 8.0);
    guidance_->setSingleStep(0.5);
    guidance_->setDecimals(1);
    guidance_->setValue(1.0);
    guidance_->setToolTip(
        tr("Classifier-free guidance scale W: v = v(x, t, no class) + W (v(x, t, class) - v(x, t, "
           "no class)). 1: the class's own field; 0: the unconditional field; above 1: pushed "
           "further towards the class"));
    conditionRow->addWidget(new QLabel(tr("Class"), condition_));
    conditionRow->addWidget(class_);
    conditionRow->addWidget(new QLabel(tr("Guidance"), condition_));
    conditionRow->addWidget(guidance_);
    toyRow->addWidget(condition_);
    toyRow->addStretch(1);

    auto* images = new QWidget(sourceStack_);
    auto* imageRow = new QHBoxLayout(images);
    imageRow->setContentsMargins(0, 0, 0, 0);
    checkpoint_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("checkpoints"),
                                tr("Checkpoints (*.pt *.pth *.tar);;All files (*)"), images);
    checkpoint_->setObjectName(QStringLiteral("trajectoryCheckpoint"));
    checkpoint_->setPlaceholderText(tr("a flow-matching checkpoint: ours or g4vrel/CFM's .tar"));
    images_ = new QSpinBox(images);
    images_->setObjectName(QStringLiteral("trajectoryImages"));
    images_->setRange(1, 64);
    images_->setValue(4);
    imageRow->addWidget(new QLabel(tr("Checkpoint"), images));
    imageRow->addWidget(checkpoint_, 1);
    imageSize_ = makeImageSizeSpin(images);
    imageSize_->setObjectName(QStringLiteral("trajectoryImageSize"));
    groups_ = new QSpinBox(images);
    groups_->setObjectName(QStringLiteral("trajectoryGroups"));
    groups_->setRange(0, 512);
    groups_->setSpecialValueText(tr("recorded"));
    groups_->setToolTip(tr("GroupNorm groups of g4vrel/CFM's U-Net: its .tar files do not record them (it used 32)"));
    imageRow->addWidget(new QLabel(tr("Images"), images));
    imageRow->addWidget(images_);
    imageRow->addWidget(new QLabel(tr("Image size"), images));
    imageRow->addWidget(imageSize_);
    imageRow->addWidget(new QLabel(tr("Groups"), images));
    imageRow->addWidget(groups_);
    sourceStack_->addWidget(toy);
    sourceStack_->addWidget(images);
    layout->addWidget(sourceStack_);
    connect(mode_, &QComboBox::currentIndexChanged, this, [this] { setImageMode(imageMode()); });
    connect(target_, &QComboBox::currentIndexChanged, this, &TrajectoryPage::updateConditionFields);
    connect(class_, &QComboBox::currentIndexChanged, this, &TrajectoryPage::updateConditionFields);
    connect(class_, &QComboBox::currentIndexChanged, this, &TrajectoryPage::redrawForCondition);
    connect(guidance_, &QDoubleSpinBox::valueChanged, this, &TrajectoryPage::redrawForCondition);
    connect(count_, &QSpinBox::valueChanged, this, &TrajectoryPage::setConfigurationCount);
    return box;
}

void TrajectoryPage::buildUi() {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildSourceBox());

    auto* buttons = new QHBoxLayout;
    run_ = new QPushButton(tr("Run"), this);
    run_->setObjectName(QStringLiteral("trajectoryRun"));
    sweep_ = new QPushButton(tr("NFE vs quality"), this);
    sweep_->setObjectName(QStringLiteral("trajectorySweep"));
    sweep_->setToolTip(tr("Run every solver at several step counts and compare each with a tight dopri5 solution"));
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setObjectName(QStringLiteral("trajectoryStop"));
    stop_->setEnabled(false);
    progress_ = new JobProgressView(QStringLiteral("trajectory"), this);
    progress_->follow(runner_);
    buttons->addWidget(run_);
    buttons->addWidget(sweep_);
    buttons->addWidget(stop_);
    buttons->addWidget(progress_, 1);
    layout->addLayout(buttons);

    tabs_ = new QTabWidget(this);
    tabs_->setObjectName(QStringLiteral("trajectoryTabs"));
    auto* trajectories = new QWidget(tabs_);
    auto* trajectoriesLayout = new QVBoxLayout(trajectories);
    auto* row = new QHBoxLayout;
    for (int i = 0; i < kMaxConfigurations; ++i) {
        panels_.append(new TrajectoryPanel(i, trajectories));
        row->addWidget(panels_.last(), 1);
    }
    trajectoriesLayout->addLayout(row, 1);
    auto* timeRow = new QHBoxLayout;
    play_ = new QPushButton(tr("Play"), trajectories);
    play_->setObjectName(QStringLiteral("trajectoryPlay"));
    time_ = new QSlider(Qt::Horizontal, trajectories);
    time_->setObjectName(QStringLiteral("trajectoryTime"));
    time_->setRange(0, kSliderSteps);
    time_->setValue(kSliderSteps);
    timeLabel_ = new QLabel(trajectories);
    timeLabel_->setObjectName(QStringLiteral("trajectoryTimeLabel"));
    timeLabel_->setMinimumWidth(90);
    timeRow->addWidget(play_);
    timeRow->addWidget(new QLabel(tr("t"), trajectories));
    timeRow->addWidget(time_, 1);
    timeRow->addWidget(timeLabel_);
    trajectoriesLayout->addLayout(timeRow);
    tabs_->addTab(trajectories, tr("Trajectories"));

    auto* sweep = new QWidget(tabs_);
    auto* sweepLayout = new QVBoxLayout(sweep);
    chart_ = new NfeQualityChart(sweep);
    sweepSummary_ = new QLabel(sweep);
    sweepSummary_->setObjectName(QStringLiteral("trajectorySweepSummary"));
    sweepSummary_->setWordWrap(true);
    sweepLayout->addWidget(chart_, 1);
    sweepLayout->addWidget(sweepSummary_);
    tabs_->addTab(sweep, tr("NFE vs quality"));
    layout->addWidget(tabs_, 1);

    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("trajectoryMessage"));
    message_->setWordWrap(true);
    layout->addWidget(message_);

    playTimer_ = new QTimer(this);
    playTimer_->setInterval(kPlayTickMs);
    connect(playTimer_, &QTimer::timeout, this, [this] {
        const int next = time_->value() + kSliderSteps * kPlayTickMs / (1000 * kPlaySeconds);
        time_->setValue(std::min(next, kSliderSteps));
        if (next >= kSliderSteps) togglePlay();
    });
    connect(play_, &QPushButton::clicked, this, &TrajectoryPage::togglePlay);
    updatePlayButton();
    connect(time_, &QSlider::valueChanged, this, [this](int value) {
        const double t = double(value) / kSliderSteps;
        timeLabel_->setText(QStringLiteral("t = %1").arg(t, 0, 'f', 3));
        for (auto* p : panels_) p->setTime(t);
    });
    connect(run_, &QPushButton::clicked, this, [this] {
        const QString error = run();
        if (!error.isEmpty()) showMessage(error);
    });
    connect(sweep_, &QPushButton::clicked, this, [this] {
        const QString error = runSweep();
        if (!error.isEmpty()) showMessage(error);
    });
    connect(stop_, &QPushButton::clicked, this, &TrajectoryPage::stop);
    timeLabel_->setText(QStringLiteral("t = 1.000"));
    updateConditionFields();
    setImageMode(false);
    setConfigurationCount(count_->value());
}

void TrajectoryPage::setImageMode(bool images) {
    mode_->setCurrentIndex(images ? 1 : 0);
    sourceStack_->setCurrentIndex(images ? 1 : 0);
    for (auto* p : panels_) {
        p->setImageMode(images);
        p->clearResult();
    }
}

bool TrajectoryPage::imageMode() const { return mode_->currentData().toString() == QLatin1String("images"); }

void TrajectoryPage::setConfigurationCount(int count) {
    count = std::clamp(count, 1, kMaxConfigurations);
    count_->setValue(count);
    for (int i = 0; i < panels_.size(); ++i) panels_[i]->setVisible(i < count);
}

int TrajectoryPage::configurationCount() const { return count_->value(); }

void TrajectoryPage::openCheckpoint(const QString& path) {
    checkpoint_->setPath(path);
    setImageMode(true);
}

void TrajectoryPage::setTime(double t) {
    time_->setValue(static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * kSliderSteps)));
}
double TrajectoryPage::time() const { return double(time_->value()) / kSliderSteps; }
QString TrajectoryPage::message() const { return message_->text(); }

void TrajectoryPage::showMessage(const QString& text) { message_->setText(text); }

bool TrajectoryPage::conditionalTarget() const { return target_->currentData().toString() == kLabelledTarget; }

void TrajectoryPage::updateConditionFields() {
    condition_->setVisible(conditionalTarget());
    guidance_->setEnabled(class_->currentData().toInt() != api::kToyNullClass);  // no class: nothing to guide to
}

// Class and scale shape only the sampling of the trained toys: when the panels show results and
// every shown configuration's toy is trained, run again (no training, milliseconds). During a job
// (which read the class and scale when it started), once it ends. A toy that still needs training
// waits for Run.
void TrajectoryPage::redrawForCondition() {
    if (imageMode() || !conditionalTarget()) return;
    if (runner_->isRunning()) {
        redrawPending_ = true;
        return;
    }
    bool shown = false;
    for (int i = 0; i < configurationCount(); ++i) shown = shown || panels_[i]->hasResult();
    if (!shown) return;
    for (int i = 0; i < configurationCount(); ++i) {
        if (!shared_->has(toyConfig(i))) {
            showMessage(tr("Run trains the toys for these settings; the class and guidance then redraw at once."));
            return;
        }
    }
    const int tab = tabs_->currentIndex();  // a redraw need not leave the NFE vs quality tab
    if (const QString error = run(); !error.isEmpty()) showMessage(error);
    tabs_->setCurrentIndex(tab);
}

QString TrajectoryPage::whyNotStartable() const {
    if (runner_->isRunning()) return tr("A job is running: stop it first.");
    if (imageMode() && checkpoint_->path().isEmpty()) return tr("Choose a flow-matching checkpoint first.");
    return {};
}

api::FlowToyConfig TrajectoryPage::toyConfig(int panel) const {
    api::FlowToyConfig c;
    c.source = source_->currentData().toString().toStdString();
    c.conditional = conditionalTarget();
    c.target = c.conditional ? std::string("8gaussians") : target_->currentData().toString().toStdString();
    c.path = panels_[panel]->path().toStdString();
    c.trainSteps = trainSteps_->value();
    c.seed = static_cast<uint64_t>(seed_->value());
    return c;
}

void TrajectoryPage::setRunning(bool running) {
    run_->setEnabled(!running);
    sweep_->setEnabled(!running);
    stop_->setEnabled(running);
}

api::SampleRequest TrajectoryPage::imageRequest() const {
    api::SampleRequest r;
    r.checkpoint = checkpoint_->path().toStdString();
    r.seed = static_cast<uint64_t>(seed_->value());
    r.num = r.batchSize = images_->value();
    r.imageSize = imageSize_->value();
    r.groups = groups_->value();
    return r;
}

QString TrajectoryPage::run() {
    if (const QString why = whyNotStartable(); !why.isEmpty()) return why;
    const int n = configurationCount();
    QVector<RunSpec> specs;
    for (int i = 0; i < n; ++i) {
        panels_[i]->clearResult();
        RunSpec s;
        s.toy = toyConfig(i);
        s.solve = panels_[i]->solve();
        if (s.toy.conditional) {
            s.solve.classLabel = class_->currentData().toInt();
            s.solve.guidanceScale = guidance_->value();
        }
        specs.append(s);
    }
    updatePlayButton();
    const int points = points_->value();
    const auto seed = static_cast<uint64_t>(seed_->value());
    const bool withImages = imageMode();
    auto shared = shared_;
    const api::SampleRequest sample = imageRequest();
    const QString condition = conditionText();
    runner_->start(
        [=](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
            FrameCollectingSink staged(sink, static_cast<int>(specs.size()));
            for (int i = 0; i < specs.size(); ++i) {
                staged.beginStage(i);
                TrajectoryOutcome o;
                try {
                    if (withImages) {
                        api::SampleRequest r = sample;
                        r.solver = specs[i].solve.solver;
                        r.steps = specs[i].solve.solver == "dopri5" ? 0 : specs[i].solve.steps;
                        r.atol = specs[i].solve.atol;
                        r.rtol = specs[i].solve.rtol;
                        staged.times.clear();
                        staged.frames.clear();
                        const auto result = api::runSampling(r, staged, stop);
                        o.times = staged.times;
                        o.frames = staged.frames;
                        o.nfe = result.nfe;
                        o.seconds = result.seconds;
                        o.straightness = result.straightness;
                    } else {
                        const auto toy = shared->toy(specs[i].toy, staged, stop);
                        o = toyOutcome(toy->sample(specs[i].solve, points, seed), toy->targetSamples(points, seed));
                        if (specs[i].toy.conditional) o.condition = condition;
                    }
                } catch (const Cancelled&) {
                    throw;
                } catch (const std::exception& e) {
                    o.error = QString::fromUtf8(e.what());
                }
                shared->store(i, std::move(o));
            }
            staged.finish();
        },
        withImages);
    setRunning(true);
    tabs_->setCurrentIndex(0);
    showMessage(tr("Running %n configuration(s)…", nullptr, n));
    return {};
}

QString TrajectoryPage::conditionText() const {
    if (!conditionalTarget()) return {};
    const int k = class_->currentData().toInt();
    if (k == api::kToyNullClass) return tr("no class");
    return tr("%1 · guidance %2")
        .arg(k == api::kToyEveryClass ? tr("all classes") : tr("class %1").arg(k))
        .arg(guidance_->value(), 0, 'f', 1);
}

QString TrajectoryPage::runSweep() {
    if (const QString why = whyNotStartable(); !why.isEmpty()) return why;
    const api::FlowToyConfig toy = toyConfig(0);  // the first configuration's path
    // A conditional toy's sweep runs in the field the panels show: the chosen class and scale.
    const int classLabel = toy.conditional ? class_->currentData().toInt() : api::kToyNullClass;
    const double scale = guidance_->value();
    const api::SampleRequest r = imageRequest();
    const int points = points_->value();
    const bool withImages = imageMode();
    auto shared = shared_;
    {
        std::lock_guard lock(shared->mutex);
        shared->sweep.reset();
    }
    chart_->clear();
    sweepSummary_->clear();
    runner_->start([=](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        const api::SolverSweepRequest request;
        api::SolverSweepResult result;
        StagedJobSink staged(sink, withImages ? 1 : 2);  // toy: training (or the kept model), then the sweep
        if (withImages) {
            result = api::runSolverSweep(r, request, staged, stop);
        } else {
            staged.beginStage(0);
            const auto trained = shared->toy(toy, staged, stop);
            staged.beginStage(1);
            result = trained->sweepSolvers(request, points, toy.seed, staged, stop, classLabel, scale);
        }
        staged.finish();
        std::lock_guard lock(shared->mutex);
        shared->sweep = std::move(result);
    });
    setRunning(true);
    tabs_->setCurrentIndex(1);
    showMessage(tr("Running every solver at several step counts…"));
    return {};
}

void TrajectoryPage::stop() { runner_->cancel(); }

void TrajectoryPage::updatePlayButton() {
    bool any = false;
    for (auto* p : panels_) any = any || p->hasResult();
    play_->setEnabled(any);  // nothing to play before a result
    if (!any && playTimer_->isActive()) togglePlay();
}

void TrajectoryPage::togglePlay() {
    if (playTimer_->isActive()) {
        playTimer_->stop();
        play_->setText(tr("Play"));
        return;
    }
    if (time_->value() >= kSliderSteps) time_->setValue(0);
    playTimer_->start();
    play_->setText(tr("Pause"));
}

void TrajectoryPage::collectResults() {
    const auto ready = shared_->take();
    if (ready.empty()) return;
    for (const auto& [index, outcome] : ready) panels_[index]->setResult(outcome);
    updatePlayButton();
    shareCloudBounds();
    for (auto* p : panels_) p->setTime(time());
}

// One coordinate box for every shown configuration, so that their clouds compare.
void TrajectoryPage::shareCloudBounds() {
    QRectF box;
    for (int i = 0; i < configurationCount(); ++i) {
        if (panels_[i]->hasResult() && !imageMode())
            box = box.isNull() ? panels_[i]->cloudBounds() : box.united(panels_[i]->cloudBounds());
    }
    for (auto* p : panels_) p->setCloudBounds(box);
}

void TrajectoryPage::finishJob(bool ok, bool cancelled, const QString& error) {
    collectResults();
    std::optional<api::SolverSweepResult> sweep;
    {
        std::lock_guard lock(shared_->mutex);
        sweep = std::exchange(shared_->sweep, std::nullopt);
    }
    if (sweep) {
        chart_->setResult(*sweep);
        sweepSummary_->setText(tr("%n run(s); the reference (dopri5, tolerance 1e-7) took %1 evaluations and %2 s. "
                                  "Error: root mean square over all coordinates of the final state.",
                                  nullptr, static_cast<int>(sweep->points.size()))
                                   .arg(sweep->referenceNfe)
                                   .arg(sweep->referenceSeconds, 0, 'f', 2));
    }
    setRunning(false);
    if (std::exchange(redrawPending_, false) && !cancelled) {
        // After this slot: the runner finishes its own bookkeeping first.
        QTimer::singleShot(0, this, &TrajectoryPage::redrawForCondition);
    }
    if (cancelled) {
        showMessage(tr("Stopped."));
    } else if (!ok) {
        showMessage(error);
    } else {
        QStringList failures;
        for (int i = 0; i < configurationCount(); ++i) {
            const QString stats = panels_[i]->statsText();
            if (!panels_[i]->hasResult() && !stats.isEmpty())
                failures << tr("configuration %1: %2").arg(i + 1).arg(stats);
        }
        showMessage(failures.isEmpty() ? tr("Done.") : failures.join(QLatin1Char('\n')));
    }
}

void TrajectoryPage::saveSettings() const {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("trajectory"));
    s.setValue(QStringLiteral("mode"), mode_->currentData());
    s.setValue(QStringLiteral("source"), source_->currentData());
    s.setValue(QStringLiteral("target"), target_->currentData());
    s.setValue(QStringLiteral("trainSteps"), trainSteps_->value());
    s.setValue(QStringLiteral("points"), points_->value());
    s.setValue(QStringLiteral("class"), class_->currentData());
    s.setValue(QStringLiteral("guidance"), guidance_->value());
    s.setValue(QStringLiteral("checkpoint"), checkpoint_->path());
    s.setValue(QStringLiteral("images"), images_->value());
    s.setValue(QStringLiteral("imageSize"), imageSize_->value());
    s.setValue(QStringLiteral("groups"), groups_->value());
    s.setValue(QStringLiteral("seed"), seed_->value());
    s.setValue(QStringLiteral("count"), count_->value());
    for (int i = 0; i < panels_.size(); ++i) {
        const QString key = QStringLiteral("config%1/").arg(i);
        s.setValue(key + QStringLiteral("path"), panels_[i]->path());
        s.setValue(key + QStringLiteral("solver"), panels_[i]->solver());
        s.setValue(key + QStringLiteral("steps"), panels_[i]->steps());
        s.setValue(key + QStringLiteral("tolerance"), panels_[i]->tolerance());
    }
}

void TrajectoryPage::restoreSettings() {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("trajectory"));
    const auto select = [](QComboBox* box, const QVariant& value) {
        box->setCurrentIndex(std::max(0, box->findData(value)));
    };
    select(source_, s.value(QStringLiteral("source"), QStringLiteral("8gaussians")));
    select(target_, s.value(QStringLiteral("target"), QStringLiteral("moons")));
    trainSteps_->setValue(s.value(QStringLiteral("trainSteps"), 1500).toInt());
    points_->setValue(s.value(QStringLiteral("points"), 256).toInt());
    select(class_, s.value(QStringLiteral("class"), api::kToyEveryClass));
    guidance_->setValue(s.value(QStringLiteral("guidance"), 1.0).toDouble());
    checkpoint_->setPath(s.value(QStringLiteral("checkpoint")).toString());
    images_->setValue(s.value(QStringLiteral("images"), 4).toInt());
    imageSize_->setValue(s.value(QStringLiteral("imageSize"), 0).toInt());
    groups_->setValue(s.value(QStringLiteral("groups"), 0).toInt());
    seed_->setValue(s.value(QStringLiteral("seed"), 0).toInt());
    // The first visit compares the two teaching examples: OT-CFM and I-CFM, Euler with few steps.
    const QString defaults[kMaxConfigurations][2] = {{QStringLiteral("otcfm"), QStringLiteral("euler")},
                                                     {QStringLiteral("icfm"), QStringLiteral("euler")},
                                                     {QStringLiteral("otcfm"), QStringLiteral("dopri5")},
                                                     {QStringLiteral("icfm"), QStringLiteral("dopri5")}};
    for (int i = 0; i < panels_.size(); ++i) {
        const QString key = QStringLiteral("config%1/").arg(i);
        panels_[i]->setConfiguration(s.value(key + QStringLiteral("path"), defaults[i][0]).toString(),
                                     s.value(key + QStringLiteral("solver"), defaults[i][1]).toString(),
                                     s.value(key + QStringLiteral("steps"), 8).toInt(),
                                     s.value(key + QStringLiteral("tolerance"), 1e-5).toDouble());
    }
    setConfigurationCount(s.value(QStringLiteral("count"), 2).toInt());
    setImageMode(s.value(QStringLiteral("mode")).toString() == QLatin1String("images"));
}

}  // namespace ds::ui
