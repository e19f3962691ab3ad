// Diffusion Studio - the "Import LSUN LMDB…" dialog.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/lmdb_import_dialog.h"

#include "core/api/lmdb_import.h"
#include "ui/app_settings.h"
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/qimage_conversion.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <memory>

namespace ds::ui {
namespace {

constexpr int kThumbnails = 8;
constexpr int kThumbnailSize = 96;

QSpinBox* makeCount(QWidget* parent, const char* name, int max) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setRange(0, max);
    return s;
}

}  // namespace

LmdbImportDialog::LmdbImportDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("lmdbImportDialog"));
    setWindowTitle(tr("Import LSUN LMDB"));
    runner_ = new JobRunner(tr("Importing LMDB"), this);
    buildUi();
    updateModeWidgets();
    resize(760, 640);
}

LmdbImportDialog::~LmdbImportDialog() = default;

void LmdbImportDialog::buildUi() {
    auto* layout = new QVBoxLayout(this);

    auto* sourceBox = new QGroupBox(tr("Database"), this);
    auto* sourceLayout = new QVBoxLayout(sourceBox);
    source_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("lmdb"), {}, sourceBox);
    source_->setObjectName(QStringLiteral("lmdbSource"));
    source_->setPlaceholderText(tr("an LMDB directory (data.mdb, lock.mdb), e.g. cat or bedroom_train_lmdb"));
    info_ = new QLabel(sourceBox);
    info_->setObjectName(QStringLiteral("lmdbInfo"));
    info_->setWordWrap(true);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* thumbs = new QWidget(sourceBox);
    thumbs->setObjectName(QStringLiteral("lmdbThumbnails"));
    thumbnails_ = new QHBoxLayout(thumbs);
    thumbnails_->setContentsMargins(0, 0, 0, 0);
    thumbnails_->addStretch(1);
    thumbs->setMinimumHeight(kThumbnailSize + 4);
    sourceLayout->addWidget(source_);
    sourceLayout->addWidget(info_);
    sourceLayout->addWidget(thumbs);
    layout->addWidget(sourceBox);
    connect(source_, &PathField::pathChanged, this, [this](const QString& path) {
        if (api::looksLikeLmdb(path.toStdString())) openDatabase(path);
    });

    auto* modeBox = new QGroupBox(tr("Export"), this);
    auto* modeForm = new QFormLayout(modeBox);
    raw_ = new QRadioButton(tr("Raw: the stored bytes, named as fyu/lsun's export names them"), modeBox);
    raw_->setObjectName(QStringLiteral("lmdbRaw"));
    raw_->setChecked(true);
    flat_ = new QCheckBox(tr("Flat (<out>/<key>.webp, like --flat)"), modeBox);
    flat_->setObjectName(QStringLiteral("lmdbFlat"));
    flat_->setChecked(true);
    realExt_ = new QCheckBox(tr("Use the real extension (.jpg, .webp) instead of fyu/lsun's .webp"), modeBox);
    realExt_->setObjectName(QStringLiteral("lmdbRealExt"));
    resize_ = new QRadioButton(tr("Resized: shorter side to S, centre crop S×S"), modeBox);
    resize_->setObjectName(QStringLiteral("lmdbResize"));
    size_ = makeCount(modeBox, "lmdbSize", 4096);
    size_->setMinimum(8);
    size_->setValue(64);
    format_ = new QComboBox(modeBox);
    format_->setObjectName(QStringLiteral("lmdbFormat"));
    format_->addItem(QStringLiteral("PNG"), QStringLiteral("png"));
    format_->addItem(QStringLiteral("JPEG"), QStringLiteral("jpg"));
    auto* sizeRow = new QHBoxLayout;
    sizeRow->addWidget(size_);
    sizeRow->addWidget(format_);
    sizeRow->addStretch(1);
    limit_ = makeCount(modeBox, "lmdbLimit", 100000000);
    limit_->setSpecialValueText(tr("all"));
    split_ = new QCheckBox(tr("Split into train/ and test/ (random, from the seed)"), modeBox);
    split_->setObjectName(QStringLiteral("lmdbSplit"));
    train_ = makeCount(modeBox, "lmdbTrain", 100000000);
    train_->setValue(5000);
    test_ = makeCount(modeBox, "lmdbTest", 100000000);
    test_->setValue(302);
    seed_ = makeCount(modeBox, "lmdbSeed", 2147483647);
    auto* splitRow = new QHBoxLayout;
    splitRow->addWidget(new QLabel(tr("train"), modeBox));
    splitRow->addWidget(train_);
    splitRow->addWidget(new QLabel(tr("test"), modeBox));
    splitRow->addWidget(test_);
    splitRow->addWidget(new QLabel(tr("seed"), modeBox));
    splitRow->addWidget(seed_);
    splitRow->addStretch(1);
    modeForm->addRow(raw_);
    modeForm->addRow(QString(), flat_);
    modeForm->addRow(QString(), realExt_);
    modeForm->addRow(resize_);
    modeForm->addRow(tr("Size and format"), sizeRow);
    modeForm->addRow(tr("Limit"), limit_);
    modeForm->addRow(split_);
    modeForm->addRow(QString(), splitRow);
    layout->addWidget(modeBox);
    for (QAbstractButton* b : std::initializer_list<QAbstractButton*>{raw_, resize_, split_})
        connect(b, &QAbstractButton::toggled, this, &LmdbImportDialog::updateModeWidgets);

    auto* outRow = new QFormLayout;
    out_ = new PathField(PathField::Mode::OpenFolder, QStringLiteral("imports"), {}, this);
    out_->setObjectName(QStringLiteral("lmdbOut"));
    out_->setPlaceholderText(tr("output folder (created when missing)"));
    outRow->addRow(tr("Output"), out_);
    layout->addLayout(outRow);

    auto* run = new QHBoxLayout;
    import_ = new QPushButton(tr("Import"), this);
    import_->setObjectName(QStringLiteral("lmdbImport"));
    cancel_ = new QPushButton(tr("Cancel import"), this);
    cancel_->setObjectName(QStringLiteral("lmdbCancel"));
    cancel_->setEnabled(false);
    progress_ = new JobProgressView(QStringLiteral("lmdb"), this);
    progress_->follow(runner_);
    run->addWidget(import_);
    run->addWidget(cancel_);
    run->addWidget(progress_, 1);
    layout->addLayout(run);

    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("lmdbSummary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    useTraining_ = buttons->addButton(tr("Use as training data"), QDialogButtonBox::ActionRole);
    useTraining_->setObjectName(QStringLiteral("lmdbUseTraining"));
    useFid_ = buttons->addButton(tr("Use as FID test set"), QDialogButtonBox::ActionRole);
    useFid_->setObjectName(QStringLiteral("lmdbUseFid"));
    useTraining_->setEnabled(false);
    useFid_->setEnabled(false);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(useTraining_, &QPushButton::clicked, this, [this] {
        Q_EMIT useForTraining(trainingFolder_);
        accept();
    });
    connect(useFid_, &QPushButton::clicked, this, [this] {
        Q_EMIT useForFid(testFolder_);
        accept();
    });
    connect(import_, &QPushButton::clicked, this, &LmdbImportDialog::startImport);
    connect(cancel_, &QPushButton::clicked, runner_, &JobRunner::cancel);
}

void LmdbImportDialog::updateModeWidgets() {
    const bool raw = raw_->isChecked();
    flat_->setEnabled(raw);
    realExt_->setEnabled(raw);
    size_->setEnabled(!raw);
    format_->setEnabled(!raw);
    train_->setEnabled(split_->isChecked());
    test_->setEnabled(split_->isChecked());
    seed_->setEnabled(split_->isChecked());
    limit_->setEnabled(!split_->isChecked());
}

QString LmdbImportDialog::openDatabase(const QString& directory) {
    if (source_->path() != directory) {
        const QSignalBlocker block(source_);
        source_->setPath(directory);
    }
    while (thumbnails_->count() > 1) delete thumbnails_->takeAt(0)->widget();
    api::LmdbInfo info;
    try {
        api::LmdbInspectOptions options;
        options.thumbnails = kThumbnails;
        options.thumbnailSize = kThumbnailSize;
        info = api::inspectLmdb(directory.toStdString(), options);
    } catch (const std::exception& e) {
        info_->setText(QString::fromUtf8(e.what()));
        return info_->text();
    }
    QStringList formats;
    for (const auto& [format, count] : info.formats)
        formats << QStringLiteral("%1 %2").arg(QString::fromStdString(format)).arg(count);
    info_->setText(tr("%1 entries · %2 · formats of the first %3: %4")
                       .arg(QLocale().toString(info.entries))
                       .arg(QLocale().formattedDataSize(info.fileBytes))
                       .arg(info.sampledEntries)
                       .arg(formats.join(QStringLiteral(", "))));
    for (const auto& t : info.thumbnails) {
        auto* label = new QLabel;
        label->setFixedSize(kThumbnailSize, kThumbnailSize);
        label->setAlignment(Qt::AlignCenter);
        label->setToolTip(
            QStringLiteral("%1\n%2 %3×%4%5")
                .arg(QString::fromStdString(t.key), QString::fromStdString(t.format))
                .arg(t.width)
                .arg(t.height)
                .arg(t.problem.empty() ? QString() : QStringLiteral("\n") + QString::fromStdString(t.problem)));
        if (!t.image.empty()) label->setPixmap(QPixmap::fromImage(toQImage(t.image)));
        else label->setText(tr("(unreadable)"));
        thumbnails_->insertWidget(thumbnails_->count() - 1, label);
    }
    if (out_->path().isEmpty()) out_->setPath(directory + QStringLiteral("-images"));
    rememberFolder(QStringLiteral("lmdb"), directory);
    return {};
}

void LmdbImportDialog::setOutput(const QString& directory) { out_->setPath(directory); }

void LmdbImportDialog::setResize(int size, const QString& format) {
    (size > 0 ? resize_ : raw_)->setChecked(true);
    if (size > 0) size_->setValue(size);
    format_->setCurrentIndex(std::max(0, format_->findData(format)));
}

void LmdbImportDialog::setRawOptions(bool flat, bool realExtension) {
    flat_->setChecked(flat);
    realExt_->setChecked(realExtension);
}

void LmdbImportDialog::setSplit(qint64 train, qint64 test, quint64 seed) {
    split_->setChecked(train > 0 || test > 0);
    train_->setValue(static_cast<int>(train));
    test_->setValue(static_cast<int>(test));
    seed_->setValue(static_cast<int>(seed));
}

void LmdbImportDialog::setLimit(qint64 limit) { limit_->setValue(static_cast<int>(limit)); }

QString LmdbImportDialog::summary() const { return summary_->text(); }

int LmdbImportDialog::thumbnailCount() const { return thumbnails_->count() - 1; }

void LmdbImportDialog::startImport() {
    if (runner_->isRunning()) return;
    if (source_->path().isEmpty() || out_->path().isEmpty()) {
        summary_->setText(tr("Choose the database and an output folder."));
        return;
    }
    api::LmdbImportRequest r;
    r.dbDir = source_->path().toStdString();
    r.outDir = out_->path().toStdString();
    r.flat = flat_->isChecked();
    r.realExtension = realExt_->isChecked();
    r.size = resize_->isChecked() ? size_->value() : 0;
    r.format = format_->currentData().toString().toStdString();
    if (split_->isChecked()) {
        r.splitTrain = train_->value();
        r.splitTest = test_->value();
        r.seed = static_cast<uint64_t>(seed_->value());
    } else {
        r.limit = limit_->value();
    }
    auto result = std::make_shared<api::LmdbImportResult>();
    import_->setEnabled(false);
    cancel_->setEnabled(true);
    useTraining_->setEnabled(false);
    useFid_->setEnabled(false);
    summary_->setText(tr("Importing…"));
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(
        runner_, &JobRunner::finished, this, [this, result, connection](bool ok, bool cancelled, const QString& error) {
            disconnect(*connection);
            import_->setEnabled(true);
            cancel_->setEnabled(false);
            if (cancelled) {
                summary_->setText(tr("Cancelled. Only complete files were kept; Import again resumes."));
                return;
            }
            if (!ok) {
                summary_->setText(tr("Failed: %1").arg(error));
                return;
            }
            const auto& x = *result;
            QString text =
                tr("%1 written, %2 already there, %3 corrupt entries skipped, %4 keys refused · %5 s (%6 images/s).")
                    .arg(x.written)
                    .arg(x.skippedExisting)
                    .arg(x.corrupt)
                    .arg(x.refusedKeys)
                    .arg(x.seconds, 0, 'f', 1)
                    .arg(x.imagesPerSecond, 0, 'f', 0);
            if (!x.trainDir.empty())
                text += tr(" train/: %1 images, test/: %2 images.").arg(x.trainImages).arg(x.testImages);
            if (!x.reportFile.empty()) text += tr(" Report: %1").arg(QString::fromStdString(x.reportFile));
            summary_->setText(text);
            trainingFolder_ = QString::fromStdString(x.trainDir.empty() ? x.outDir : x.trainDir);
            testFolder_ = QString::fromStdString(x.testDir.empty() ? x.outDir : x.testDir);
            useTraining_->setEnabled(true);
            useFid_->setEnabled(true);
        });
    runner_->start([r, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::runLmdbImport(r, sink, stop);
    });
}

}  // namespace ds::ui
