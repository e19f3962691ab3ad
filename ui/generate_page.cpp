// Diffusion Studio - the Generate page: a grid of samples, or N images into a folder.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/generate_page.h"

#include "core/api/sampling.h"
#include "ui/app_settings.h"
#include "ui/class_condition_fields.h"
#include "ui/diffusion_sampler_fields.h"
#include "ui/file_dialogs.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/qimage_conversion.h"
#include "ui/sampling_widgets.h"
#include "ui/scaled_image_label.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <memory>

namespace ds::ui {
namespace {

constexpr int kFolderBatch = 16;

QString text(const api::ImageMetadata& m, const char* key) {
    return QString::fromStdString(api::metadataValue(m, key));
}

}  // namespace

GeneratePage::GeneratePage(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("generatePage"));
    runner_ = new JobRunner(tr("Generating"), this);
    buildUi();
    restoreSettings();
}

GeneratePage::~GeneratePage() { saveSettings(); }

void GeneratePage::buildUi() {
    auto* layout = new QHBoxLayout(this);
    auto* left = new QVBoxLayout;

    auto* settings = new QGroupBox(tr("Sampling"), this);
    auto* form = new QFormLayout(settings);
    checkpoint_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("checkpoints"),
                                tr("Checkpoints (*.pt *.pth *.tar);;All files (*)"), settings);
    checkpoint_->setObjectName(QStringLiteral("generateCheckpoint"));
    checkpoint_->setPlaceholderText(tr("a checkpoint: ours or a lucidrains model-N.pt"));
    auto spin = [settings](const char* name, int lo, int hi, int value) {
        auto* s = new QSpinBox(settings);
        s->setObjectName(QString::fromLatin1(name));
        s->setRange(lo, hi);
        s->setValue(value);
        return s;
    };
    rows_ = spin("generateRows", 1, 16, 4);
    columns_ = spin("generateColumns", 1, 16, 4);
    seed_ = spin("generateSeed", 0, 2147483647, 0);
    sampler_ = new DiffusionSamplerFields(QStringLiteral("generate"), QString(), false, settings);
    classFields_ = new ClassConditionFields(QStringLiteral("generate"), QString(), settings);
    connect(checkpoint_, &PathField::pathChanged, classFields_, &ClassConditionFields::setCheckpoint);
    weights_ = makeWeightsCombo(settings);
    weights_->setObjectName(QStringLiteral("generateWeights"));
    imageSize_ = makeImageSizeSpin(settings);
    imageSize_->setObjectName(QStringLiteral("generateImageSize"));
    auto* gridRow = new QHBoxLayout;
    gridRow->addWidget(rows_);
    gridRow->addWidget(new QLabel(QStringLiteral("×"), settings));
    gridRow->addWidget(columns_);
    gridRow->addStretch(1);
    form->addRow(tr("Checkpoint"), checkpoint_);
    form->addRow(tr("Grid (rows × columns)"), gridRow);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Sampler"), sampler_);
    classFields_->addRowsTo(form);
    form->addRow(tr("Weights"), weights_);
    form->addRow(tr("Image size"), imageSize_);
    auto* buttons = new QHBoxLayout;
    previewButton_ = new QPushButton(tr("Preview"), settings);
    previewButton_->setObjectName(QStringLiteral("generatePreview"));
    previewButton_->setDefault(true);
    saveButton_ = new QPushButton(tr("Save…"), settings);
    saveButton_->setObjectName(QStringLiteral("generateSave"));
    saveButton_->setEnabled(false);
    buttons->addWidget(previewButton_);
    buttons->addWidget(saveButton_);
    form->addRow(buttons);
    left->addWidget(settings);

    auto* folderBox = new QGroupBox(tr("Images into a folder"), this);
    auto* folderForm = new QFormLayout(folderBox);
    count_ = new QSpinBox(folderBox);
    count_->setObjectName(QStringLiteral("generateCount"));
    count_->setRange(1, 1000000);
    count_->setValue(100);
    count_->setToolTip(tr("For FID, as many images as the test set"));
    folder_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("generated"), {}, folderBox);
    folder_->setObjectName(QStringLiteral("generateFolder"));
    folder_->setPlaceholderText(tr("an empty folder"));
    toFolderButton_ = new QPushButton(tr("Generate into folder"), folderBox);
    toFolderButton_->setObjectName(QStringLiteral("generateToFolder"));
    stopButton_ = new QPushButton(tr("Stop"), folderBox);
    stopButton_->setObjectName(QStringLiteral("generateStop"));
    stopButton_->setToolTip(tr("Stop the preview or the images being written"));
    stopButton_->setEnabled(false);  // only while a job runs
    auto* folderButtons = new QHBoxLayout;
    folderButtons->addWidget(toFolderButton_);
    folderButtons->addWidget(stopButton_);
    folderForm->addRow(tr("Images"), count_);
    folderForm->addRow(tr("Folder"), folder_);
    folderForm->addRow(folderButtons);
    fidReference_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"),
                                  tr("FID statistics (*.npz);;All files (*)"), folderBox);
    fidReference_->setObjectName(QStringLiteral("generateFidReference"));
    fidReference_->setPlaceholderText(tr("test set: a folder of images or an .npz"));
    auto* fidButton = new QPushButton(tr("Compute FID of the folder"), folderBox);
    fidButton->setObjectName(QStringLiteral("generateFid"));
    connect(fidButton, &QPushButton::clicked, this, [this] {
        if (folder_->path().isEmpty() || fidReference_->path().isEmpty())
            return showMessage(tr("Choose the generated folder and a test set first."));
        Q_EMIT fidRequested(fidReference_->path(), folder_->path());
    });
    folderForm->addRow(tr("Test set"), fidReference_);
    folderForm->addRow(fidButton);
    left->addWidget(folderBox);

    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("generateMessage"));
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    left->addWidget(message_);
    left->addStretch(1);

    gridView_ = new QLabel(this);
    gridView_->setObjectName(QStringLiteral("generateGrid"));
    gridView_->setAlignment(Qt::AlignCenter);
    gridView_->setMinimumSize(256, 256);
    gridView_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    gridView_->setStyleSheet(QStringLiteral("background: palette(dark);"));

    auto* leftWidget = new QWidget(this);
    leftWidget->setLayout(left);
    leftWidget->setMaximumWidth(520);
    layout->addWidget(leftWidget);
    layout->addWidget(gridView_, 1);

    connect(previewButton_, &QPushButton::clicked, this, &GeneratePage::preview);
    connect(toFolderButton_, &QPushButton::clicked, this, &GeneratePage::generateToFolder);
    connect(stopButton_, &QPushButton::clicked, runner_, &JobRunner::cancel);
    connect(saveButton_, &QPushButton::clicked, this, [this] {
        const QString path = askSavePath(this, tr("Save grid"), QStringLiteral("exports"), QStringLiteral("grid.png"),
                                         tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        const QString error = saveGrid(path);
        showMessage(error.isEmpty() ? tr("Saved %1").arg(path) : error);
    });
    connect(runner_, &JobRunner::started, this, [this] {
        previewButton_->setEnabled(false);
        toFolderButton_->setEnabled(false);
        stopButton_->setEnabled(true);
    });
    connect(runner_, &JobRunner::finished, this, [this](bool ok, bool cancelled, const QString& error) {
        previewButton_->setEnabled(true);
        toFolderButton_->setEnabled(true);
        stopButton_->setEnabled(false);
        if (cancelled)
            showMessage(writingFolder_ ? tr("Stopped. The folder holds only complete images.") : tr("Stopped."));
        else if (!ok) showMessage(tr("Failed: %1").arg(error));
    });
}

namespace {

api::SampleRequest requestFrom(const PathField* checkpoint, const DiffusionSamplerFields* sampler,
                               const ClassConditionFields* classes, const QComboBox* weights, const QSpinBox* seed,
                               const QSpinBox* imageSize) {
    api::SampleRequest r;
    r.checkpoint = checkpoint->path().toStdString();
    sampler->applyTo(r);
    classes->applyTo(r);
    r.weights = weightsOf(weights);
    r.seed = static_cast<uint64_t>(seed->value());
    r.imageSize = imageSize->value();
    return r;
}

}  // namespace

void GeneratePage::preview() {
    if (checkpoint_->path().isEmpty()) return showMessage(tr("Choose a checkpoint first."));
    api::SampleRequest r = requestFrom(checkpoint_, sampler_, classFields_, weights_, seed_, imageSize_);
    r.num = rows_->value() * columns_->value();
    r.batchSize = std::min(r.num, 64);
    r.gridColumns = columns_->value();
    addRecentFile(QStringLiteral("recent/checkpoints"), checkpoint_->path());
    saveSettings();
    auto result = std::make_shared<api::SampleResult>();
    const QString checkpointPath = QFileInfo(checkpoint_->path()).absoluteFilePath();
    const int rows = rows_->value(), columns = columns_->value();
    runner_->setName(tr("Generating a %1×%2 grid").arg(rows).arg(columns));
    writingFolder_ = false;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(runner_, &JobRunner::finished, this,
                          [this, result, connection, checkpointPath, rows, columns](bool ok, bool, const QString&) {
                              disconnect(*connection);
                              if (!ok) return;
                              grid_ = toQImage(result->grid);
                              metadata_ = result->gridMetadata;
                              // What the app needs to restore the page from this PNG.
                              metadata_.emplace_back("ds.checkpoint_path", checkpointPath.toStdString());
                              metadata_.emplace_back("ds.grid_rows", std::to_string(rows));
                              metadata_.emplace_back("ds.grid_columns", std::to_string(columns));
                              saveButton_->setEnabled(true);
                              showGrid();
                              showMessage(tr("%1 images in %2 s").arg(result->images).arg(result->seconds, 0, 'f', 1));
                          });
    runner_->start([r, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::runSampling(r, sink, stop);
    });
}

void GeneratePage::generateToFolder() {
    if (checkpoint_->path().isEmpty()) return showMessage(tr("Choose a checkpoint first."));
    if (folder_->path().isEmpty()) return showMessage(tr("Choose an output folder first."));
    api::SampleRequest r = requestFrom(checkpoint_, sampler_, classFields_, weights_, seed_, imageSize_);
    r.num = count_->value();
    r.batchSize = std::min(r.num, kFolderBatch);
    r.outDir = folder_->path().toStdString();
    saveSettings();
    runner_->setName(tr("Generating %1 images").arg(r.num));
    writingFolder_ = true;
    const QString folder = folder_->path();
    const int count = r.num;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection =
        connect(runner_, &JobRunner::finished, this, [this, connection, folder, count](bool ok, bool, const QString&) {
            disconnect(*connection);
            if (ok) showMessage(tr("Wrote %1 images into %2").arg(count).arg(folder));
        });
    runner_->start(
        [r](api::JobSink& sink, const StopToken& stop, const PauseGate&) { api::runSampling(r, sink, stop); });
}

QString GeneratePage::saveGrid(const QString& path) {
    if (grid_.isNull()) return tr("Preview a grid first.");
    try {
        api::writeImagePng(path.toStdString(), fromQImage(grid_), metadata_);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

void GeneratePage::setCheckpoint(const QString& path) { checkpoint_->setPath(path); }
void GeneratePage::setGridSize(int rows, int columns) {
    rows_->setValue(rows);
    columns_->setValue(columns);
}
void GeneratePage::setSeed(quint64 seed) { seed_->setValue(static_cast<int>(seed)); }
void GeneratePage::setImageSize(int size) { imageSize_->setValue(size); }

void GeneratePage::restoreFrom(const api::ImageMetadata& m) {
    bool ok = false;
    const int seed = text(m, "ds.seed").toInt(&ok);
    if (ok) seed_->setValue(seed);
    sampler_->restoreFrom(m);
    classFields_->restoreFrom(m);
    selectWeights(weights_, text(m, "ds.weights"));
    const int rows = text(m, "ds.grid_rows").toInt(&ok);
    if (ok) rows_->setValue(rows);
    const int columns = text(m, "ds.grid_columns").toInt(&ok);
    if (ok) columns_->setValue(columns);
    const int imageSize = text(m, "ds.image_size").toInt(&ok);
    if (ok) imageSize_->setValue(imageSize);
    const QString checkpoint = text(m, "ds.checkpoint_path");
    if (!checkpoint.isEmpty()) checkpoint_->setPath(checkpoint);
}

void GeneratePage::showGrid() {
    if (grid_.isNull()) return;
    showScaledImage(gridView_, grid_);
}

void GeneratePage::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    showGrid();
}

void GeneratePage::showMessage(const QString& text) { message_->setText(text); }

void GeneratePage::saveSettings() const {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("generate"));
    s.setValue(QStringLiteral("checkpoint"), checkpoint_->path());
    s.setValue(QStringLiteral("rows"), rows_->value());
    s.setValue(QStringLiteral("columns"), columns_->value());
    s.setValue(QStringLiteral("seed"), seed_->value());
    sampler_->save(s);
    classFields_->save(s);
    s.setValue(QStringLiteral("weights"), weights_->currentData());
    s.setValue(QStringLiteral("count"), count_->value());
    s.setValue(QStringLiteral("folder"), folder_->path());
    s.setValue(QStringLiteral("imageSize"), imageSize_->value());
    s.setValue(QStringLiteral("fidReference"), fidReference_->path());
}

void GeneratePage::restoreSettings() {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("generate"));
    checkpoint_->setPath(s.value(QStringLiteral("checkpoint")).toString());
    rows_->setValue(s.value(QStringLiteral("rows"), 4).toInt());
    columns_->setValue(s.value(QStringLiteral("columns"), 4).toInt());
    seed_->setValue(s.value(QStringLiteral("seed"), 0).toInt());
    sampler_->restore(s, api::DiffusionSampler::DpmSolverPlusPlus, 20);
    classFields_->restore(s);
    selectWeights(weights_, s.value(QStringLiteral("weights")).toString());
    count_->setValue(s.value(QStringLiteral("count"), 100).toInt());
    folder_->setPath(s.value(QStringLiteral("folder")).toString());
    imageSize_->setValue(s.value(QStringLiteral("imageSize"), 0).toInt());
    fidReference_->setPath(s.value(QStringLiteral("fidReference")).toString());
}

}  // namespace ds::ui
