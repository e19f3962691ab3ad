// Diffusion Studio - the FID page's nearest neighbours.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/neighbours_panel.h"

#include "core/api/fid.h"
#include "core/api/neighbours.h"
#include "ui/app_settings.h"
#include "ui/file_dialogs.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/qimage_conversion.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ds::ui {

NeighboursPanel::NeighboursPanel(JobRunner* runner, FillSets fillSets, QWidget* parent)
    : QWidget(parent), runner_(runner), fillSets_(std::move(fillSets)) {
    setObjectName(QStringLiteral("neighboursPanel"));
    auto* layout = new QVBoxLayout(this);

    auto* inputs = new QHBoxLayout;
    trainingKind_ = new QComboBox(this);
    trainingKind_->setObjectName(QStringLiteral("neighboursTrainingKind"));
    trainingKind_->addItem(tr("Training folder"), QString());
    trainingKind_->addItem(tr("Fashion-MNIST training set (built in)"), QStringLiteral("fashion-mnist-train"));
    trainingKind_->addItem(tr("Fashion-MNIST test set (built in)"), QStringLiteral("fashion-mnist-test"));
    trainingKind_->setToolTip(
        tr("The images the model learnt from: each generated image is shown beside the ones "
           "closest to it"));
    training_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("fid"), {}, this);
    training_->setObjectName(QStringLiteral("neighboursTraining"));
    training_->setPlaceholderText(tr("the training images: a folder"));
    k_ = new QSpinBox(this);
    k_->setObjectName(QStringLiteral("neighboursK"));
    k_->setRange(1, 20);
    k_->setValue(3);
    k_->setPrefix(tr("k = "));
    k_->setToolTip(tr("Training images shown per generated image"));
    space_ = new QComboBox(this);
    space_->setObjectName(QStringLiteral("neighboursSpace"));
    space_->addItem(tr("in the features above"), false);
    space_->addItem(tr("in pixels"), true);
    space_->setToolTip(
        tr("Distances between the feature network's features (as the FID uses them), or between "
           "the pixels themselves (exact copies, shifted ones differ)"));
    rows_ = new QSpinBox(this);
    rows_->setObjectName(QStringLiteral("neighboursRows"));
    rows_->setRange(0, 100000);
    rows_->setValue(32);
    rows_->setSpecialValueText(tr("all rows"));
    rows_->setSuffix(tr(" rows"));
    rows_->setToolTip(tr("Generated images on the sheet, the closest to a training image first"));
    inputs->addWidget(trainingKind_);
    inputs->addWidget(training_, 3);
    inputs->addWidget(k_);
    inputs->addWidget(space_);
    inputs->addWidget(rows_);
    inputs->addStretch(1);
    layout->addLayout(inputs);

    auto* actions = new QHBoxLayout;
    find_ = new QPushButton(tr("Find nearest"), this);
    find_->setObjectName(QStringLiteral("neighboursFind"));
    find_->setToolTip(
        tr("For every image of the Generated folder above, its k nearest training images, "
           "sorted by distance: the images most likely memorised first"));
    export_ = new QPushButton(tr("Export PNG…"), this);
    export_->setObjectName(QStringLiteral("neighboursExport"));
    export_->setEnabled(false);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("neighboursSummary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    actions->addWidget(find_);
    actions->addWidget(export_);
    actions->addWidget(summary_, 1);
    layout->addLayout(actions);

    sheet_ = new QLabel(this);
    sheet_->setObjectName(QStringLiteral("neighboursSheet"));
    sheet_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    scroll_ = new QScrollArea(this);
    scroll_->setWidget(sheet_);
    scroll_->setWidgetResizable(false);
    layout->addWidget(scroll_, 1);

    connect(trainingKind_, &QComboBox::currentIndexChanged, this, [this] { updateTrainingField(); });
    connect(find_, &QPushButton::clicked, this, &NeighboursPanel::find);
    connect(export_, &QPushButton::clicked, this, [this] {
        const QString out = askSavePath(this, tr("Export the neighbour sheet"), QStringLiteral("neighbours"),
                                        QStringLiteral("neighbours.png"), tr("PNG images (*.png)"));
        if (out.isEmpty()) return;
        const QString error = exportSheet(out);
        summary_->setText(error.isEmpty() ? tr("Saved %1").arg(QDir::toNativeSeparators(out)) : error);
    });
    connect(runner_, &JobRunner::started, this, [this] {
        find_->setEnabled(false);
        export_->setEnabled(false);
    });
    connect(runner_, &JobRunner::finished, this, [this] {
        find_->setEnabled(true);
        export_->setEnabled(hasSheet());
    });
    restoreSettings();
}

NeighboursPanel::~NeighboursPanel() { saveSettings(); }

void NeighboursPanel::setTraining(const QString& training) {
    const int builtin = trainingKind_->findData(training);
    trainingKind_->setCurrentIndex(training.isEmpty() ? 0 : std::max(0, builtin));
    if (builtin <= 0) training_->setPath(training);
    updateTrainingField();
}

QString NeighboursPanel::training() const {
    const QString builtin = trainingKind_->currentData().toString();
    return builtin.isEmpty() ? training_->path() : builtin;
}

void NeighboursPanel::setK(int k) { k_->setValue(k); }
void NeighboursPanel::setPixelSpace(bool pixels) { space_->setCurrentIndex(pixels ? 1 : 0); }
QString NeighboursPanel::summaryText() const { return summary_->text(); }
bool NeighboursPanel::hasSheet() const { return result_ && !result_->sheet.empty(); }

void NeighboursPanel::updateTrainingField() {
    training_->setVisible(trainingKind_->currentData().toString().isEmpty());
}

void NeighboursPanel::find() {
    if (runner_->isRunning()) return;
    auto request = std::make_shared<api::NeighboursRequest>();
    const QString error = fillSets_(request->sets);
    if (!error.isEmpty()) return summary_->setText(error);
    if (training().isEmpty()) return summary_->setText(tr("Choose the training images."));
    request->sets.path2 = training().toStdString();
    request->k = k_->value();
    request->space = space_->currentData().toBool() ? api::NeighbourSpace::Pixels : api::NeighbourSpace::Features;
    request->sheetRows = rows_->value();
    request->sheetWidth = std::max(200, scroll_->viewport()->width() - 4);  // rows side by side, no sideways scrolling
    saveSettings();
    auto result = std::make_shared<api::NeighboursResult>();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(
        runner_, &JobRunner::finished, this,
        [this, result, request, connection](bool ok, bool cancelled, const QString& failure) {
            disconnect(*connection);
            if (!ok) {
                summary_->setText(cancelled ? tr("Cancelled.") : failure);
                return;
            }
            result_ = result;
            request_ = request;
            const QImage image = toQImage(result->sheet);
            sheet_->setPixmap(QPixmap::fromImage(image));
            sheet_->resize(image.size());
            export_->setEnabled(true);
            const auto& closest = result->rows.front().neighbours.front();
            summary_->setText(tr("%1 generated against %2 training images, %3, %4 s. Closest: %5 at %6 from %7.")
                                  .arg(result->generatedCount)
                                  .arg(result->trainingCount)
                                  .arg(QString::fromStdString(result->spaceLabel))
                                  .arg(result->seconds, 0, 'f', 1)
                                  .arg(QFileInfo(QString::fromStdString(result->rows.front().name)).fileName())
                                  .arg(closest.distance, 0, 'g', 4)
                                  .arg(QFileInfo(QString::fromStdString(closest.name)).fileName()));
        });
    summary_->setText(tr("Searching…"));
    runner_->setName(tr("Finding nearest neighbours"));
    runner_->start([request, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::findNeighbours(*request, sink, stop);
    });
}

QString NeighboursPanel::exportSheet(const QString& path) {
    if (!hasSheet()) return tr("Find the neighbours first.");
    try {
        api::saveNeighbourSheet(*result_, *request_, path.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

void NeighboursPanel::saveSettings() const {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("neighbours"));
    s.setValue(QStringLiteral("training"), training());
    s.setValue(QStringLiteral("k"), k_->value());
    s.setValue(QStringLiteral("pixels"), space_->currentData().toBool());
    s.setValue(QStringLiteral("rows"), rows_->value());
}

void NeighboursPanel::restoreSettings() {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("neighbours"));
    setTraining(s.value(QStringLiteral("training")).toString());
    k_->setValue(s.value(QStringLiteral("k"), 3).toInt());
    setPixelSpace(s.value(QStringLiteral("pixels"), false).toBool());
    rows_->setValue(s.value(QStringLiteral("rows"), 32).toInt());
}

}  // namespace ds::ui
