// Diffusion Studio - the FID page: Fréchet Inception Distance (and KID) between two image sets.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/fid_page.h"

#include "core/api/feature_network.h"
#include "core/api/fid.h"
#include "ui/app_settings.h"
#include "ui/file_dialogs.h"
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"
#include "ui/neighbours_panel.h"
#include "ui/path_field.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <memory>

namespace ds::ui {
namespace {

constexpr int kMaxHistory = 200;
const QString kHistoryKey = QStringLiteral("fid/history");

QString fileName(const QString& path) { return QFileInfo(path).fileName(); }

const QString kInception = QStringLiteral("inception");
const QString kFashionMnist = QStringLiteral("fashion-mnist");
const QString kClassifierFile = QStringLiteral("file");

bool isBuiltin(const QString& path) {
    for (const auto& b : api::builtinFidReferences())
        if (path == QString::fromStdString(b.name)) return true;
    return false;
}

// A history cell or card line naming a path or a built-in set.
QString shownName(const QString& path) { return isBuiltin(path) ? path : fileName(path); }

}  // namespace

FidPage::FidPage(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("fidPage"));
    runner_ = new JobRunner(tr("Computing FID"), this);
    buildUi();
    restoreSettings();
}

FidPage::~FidPage() { saveSettings(); }

void FidPage::buildUi() {
    // The form and the result card above, the history and the neighbour sheet below, in a
    // splitter: on a laptop's screen the sheet gets room by dragging it up.
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("fidSplitter"));
    splitter->setChildrenCollapsible(false);
    auto* top = new QWidget;
    auto* layout = new QVBoxLayout(top);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* inputs = new QGroupBox(tr("Image sets"), this);
    auto* form = new QFormLayout(inputs);
    const QString statsFilter = tr("FID statistics (*.npz);;All files (*)");
    referenceKind_ = new QComboBox(inputs);
    referenceKind_->setObjectName(QStringLiteral("fidReferenceKind"));
    referenceKind_->addItem(tr("Folder or statistics file"), QString());
    for (const auto& b : api::builtinFidReferences()) {
        const QString name = QString::fromStdString(b.name);
        const QString title =
            name == QStringLiteral("fashion-mnist-test")    ? tr("Fashion-MNIST test set (built in, 10,000)")
            : name == QStringLiteral("fashion-mnist-train") ? tr("Fashion-MNIST training set (built in, 60,000)")
                                                            : name;
        referenceKind_->addItem(title, name);
        referenceKind_->setItemData(referenceKind_->count() - 1, QString::fromStdString(b.description),
                                    Qt::ToolTipRole);
    }
    referenceKind_->setToolTip(
        tr("A folder or an .npz, or Fashion-MNIST's own images exactly as the built-in training "
           "data delivers them (28×28 padded to 32×32); their statistics are cached per feature network"));
    path1_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"), statsFilter, inputs);
    path1_->setObjectName(QStringLiteral("fidPath1"));
    path1_->setPlaceholderText(tr("reference: a folder of images (e.g. the test set) or an .npz"));
    path2_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"), statsFilter, inputs);
    path2_->setObjectName(QStringLiteral("fidPath2"));
    path2_->setPlaceholderText(tr("generated: a folder of images or an .npz"));
    features_ = new QComboBox(inputs);
    features_->setObjectName(QStringLiteral("fidFeatures"));
    features_->addItem(tr("Inception (pytorch-fid): FID"), kInception);
    features_->addItem(tr("Fashion-MNIST classifier (offline): FD"), kFashionMnist);
    features_->addItem(tr("Classifier file…"), kClassifierFile);
    features_->setToolTip(
        tr("The network whose features are compared. Without pytorch-fid's Inception weights, a "
           "classifier trained on Fashion-MNIST gives a Fréchet distance in its own 128-d features "
           "(FD, not comparable with published FIDs)"));
    classifierFile_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("classifiers"),
                                    tr("Feature classifiers (*.pt);;All files (*)"), inputs);
    classifierFile_->setObjectName(QStringLiteral("fidClassifierFile"));
    classifierFile_->setPlaceholderText(tr("a classifier written by train-classifier"));
    featuresStatus_ = new QLabel(inputs);
    featuresStatus_->setObjectName(QStringLiteral("fidFeaturesStatus"));
    featuresStatus_->setWordWrap(true);
    featuresStatus_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    trainClassifier_ = new QPushButton(tr("Train…"), inputs);
    trainClassifier_->setObjectName(QStringLiteral("fidTrainClassifier"));
    trainClassifier_->setToolTip(
        tr("Train the Fashion-MNIST classifier on the 60,000 training images (a few minutes "
           "on a CPU), as diffusion-studio-cli train-classifier --data fashion-mnist does"));
    dims_ = new QComboBox(inputs);
    dims_->setObjectName(QStringLiteral("fidDims"));
    for (int d : {2048, 768, 192, 64}) dims_->addItem(QString::number(d), d);
    dims_->setToolTip(tr("The Inception block whose features are compared; 2048 is the standard FID"));
    batch_ = new QSpinBox(inputs);
    batch_->setObjectName(QStringLiteral("fidBatch"));
    batch_->setRange(1, 1000);
    batch_->setValue(50);
    kid_ = new QCheckBox(tr("Also compute KID (kernel inception distance)"), inputs);
    kid_->setObjectName(QStringLiteral("fidKid"));
    prdc_ = new QCheckBox(tr("Also precision/recall and density/coverage"), inputs);
    prdc_->setObjectName(QStringLiteral("fidPrdc"));
    prdc_->setToolTip(
        tr("Fidelity and diversity apart, in the same features: precision and recall as torch-fidelity "
           "computes them (k = 3), density and coverage as clovaai's prdc (k = 5); the generated set "
           "against the reference. Needs two folders or built-in sets."));
    resize_ = new QSpinBox(inputs);
    resize_->setObjectName(QStringLiteral("fidResize"));
    resize_->setRange(0, 1024);
    resize_->setSpecialValueText(tr("no (all images of a folder share one size)"));
    resize_->setToolTip(tr("Resize every image to S×S first, for folders of mixed sizes"));
    weights_ = new PathField(PathField::Mode::OpenFile, QStringLiteral("weights"),
                             tr("Inception weights (*.pth *.pt);;All files (*)"), inputs);
    weights_->setObjectName(QStringLiteral("fidWeights"));
    weights_->setPlaceholderText(QString::fromStdString(api::defaultInceptionWeightsPath()));
    weights_->setToolTip(tr("pytorch-fid's pt_inception-2015-12-05-6726825d.pth, from %1")
                             .arg(QString::fromStdString(api::inceptionWeightsDownloadUrl())));
    auto* reference = new QHBoxLayout;
    reference->addWidget(referenceKind_);
    reference->addWidget(path1_, 1);
    auto* featureChoice = new QHBoxLayout;
    featureChoice->addWidget(features_);
    featureChoice->addWidget(classifierFile_, 1);
    auto* featureState = new QHBoxLayout;
    featureState->addWidget(featuresStatus_, 1);
    featureState->addWidget(trainClassifier_);
    form->addRow(tr("Reference"), reference);
    form->addRow(tr("Generated"), path2_);
    form->addRow(tr("Features"), featureChoice);
    form->addRow(QString(), featureState);
    form->addRow(tr("Dimensions"), dims_);
    form->addRow(tr("Batch size"), batch_);
    form->addRow(tr("Resize"), resize_);
    form->addRow(QString(), kid_);
    form->addRow(QString(), prdc_);
    form->addRow(tr("Inception weights"), weights_);
    layout->addWidget(inputs);

    auto* actions = new QHBoxLayout;
    compute_ = new QPushButton(tr("Compute"), this);
    compute_->setObjectName(QStringLiteral("fidCompute"));
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("fidCancel"));
    cancel_->setEnabled(false);
    saveStats_ = new QPushButton(tr("Save statistics of the reference…"), this);
    saveStats_->setObjectName(QStringLiteral("fidSaveStats"));
    progress_ = new JobProgressView(QStringLiteral("fid"), this);
    progress_->follow(runner_);
    actions->addWidget(compute_);
    actions->addWidget(cancel_);
    actions->addWidget(saveStats_);
    actions->addWidget(progress_, 1);
    layout->addLayout(actions);

    result_ = new QLabel(this);
    result_->setObjectName(QStringLiteral("fidResult"));
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_->setFrameShape(QFrame::StyledPanel);
    result_->setMinimumHeight(90);
    result_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    result_->setMargin(8);
    layout->addWidget(result_);

    history_ = new QTableWidget(0, 9, this);
    history_->setObjectName(QStringLiteral("fidHistory"));
    history_->setHorizontalHeaderLabels({tr("When"), tr("Reference"), tr("Generated"), tr("Features"), tr("Dims"),
                                         tr("FID / FD"), tr("KID"), tr("P · R · D · C"), tr("Images")});
    history_->horizontalHeader()->setStretchLastSection(true);
    history_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    history_->setSelectionBehavior(QAbstractItemView::SelectRows);
    history_->verticalHeader()->setVisible(false);
    neighbours_ = new NeighboursPanel(
        runner_,
        [this](api::FidRequest& r) {
            if (path2_->path().isEmpty()) return tr("Choose the generated images above (Generated).");
            if (features().isEmpty()) return tr("Choose a classifier file.");
            fillRequest(r);
            r.path1 = path2_->path().toStdString();
            return QString();
        },
        this);
    tabs_ = new QTabWidget(this);
    tabs_->setObjectName(QStringLiteral("fidTabs"));
    tabs_->addTab(history_, tr("History"));
    tabs_->addTab(neighbours_, tr("Nearest neighbours"));
    tabs_->setTabToolTip(1, tr("Each generated image beside its closest training images: memorisation"));
    auto* topScroll = new QScrollArea(splitter);
    topScroll->setObjectName(QStringLiteral("fidFormScroll"));
    topScroll->setWidgetResizable(true);
    topScroll->setFrameShape(QFrame::NoFrame);
    topScroll->setWidget(top);
    splitter->addWidget(topScroll);
    splitter->addWidget(tabs_);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({top->sizeHint().height(), 200});
    auto* pageLayout = new QVBoxLayout(this);
    pageLayout->addWidget(splitter);

    connect(compute_, &QPushButton::clicked, this, &FidPage::compute);
    connect(trainClassifier_, &QPushButton::clicked, this, &FidPage::trainClassifier);
    connect(features_, &QComboBox::currentIndexChanged, this, [this] { updateFeatureFields(); });
    connect(classifierFile_, &PathField::pathChanged, this, [this] { updateFeatureFields(); });
    connect(weights_, &PathField::pathChanged, this, [this] { updateFeatureFields(); });
    connect(referenceKind_, &QComboBox::currentIndexChanged, this, [this] { updateReferenceField(); });
    connect(cancel_, &QPushButton::clicked, runner_, &JobRunner::cancel);
    connect(saveStats_, &QPushButton::clicked, this, [this] {
        const QString out = askSavePath(this, tr("Save statistics"), QStringLiteral("fid"), QStringLiteral("stats.npz"),
                                        tr("FID statistics (*.npz)"));
        if (!out.isEmpty()) saveStatistics(out);
    });
    connect(runner_, &JobRunner::started, this, [this] {
        compute_->setEnabled(false);
        saveStats_->setEnabled(false);
        trainClassifier_->setEnabled(false);
        cancel_->setEnabled(true);
    });
    connect(runner_, &JobRunner::finished, this, [this](bool ok, bool cancelled, const QString& error) {
        compute_->setEnabled(true);
        saveStats_->setEnabled(true);
        trainClassifier_->setEnabled(true);
        cancel_->setEnabled(false);
        if (cancelled) showMessage(tr("Cancelled."));
        else if (!ok) showMessage(tr("<b>Failed:</b> %1").arg(error.toHtmlEscaped()));
    });
}

void FidPage::setPaths(const QString& first, const QString& second) {
    const int builtin = isBuiltin(first) ? referenceKind_->findData(first) : -1;
    referenceKind_->setCurrentIndex(std::max(0, builtin));
    if (builtin < 0) path1_->setPath(first);
    path2_->setPath(second);
    updateReferenceField();
}

QString FidPage::referencePath() const {
    const QString builtin = referenceKind_->currentData().toString();
    return builtin.isEmpty() ? path1_->path() : builtin;
}

void FidPage::setFeatures(const QString& features) {
    if (features == kInception || features.isEmpty()) {
        features_->setCurrentIndex(features_->findData(kInception));
    } else if (features == kFashionMnist) {
        features_->setCurrentIndex(features_->findData(kFashionMnist));
    } else {
        classifierFile_->setPath(features);
        features_->setCurrentIndex(features_->findData(kClassifierFile));
    }
    updateFeatureFields();
}

QString FidPage::features() const {
    const QString kind = features_->currentData().toString();
    return kind == kClassifierFile ? classifierFile_->path() : kind;
}

void FidPage::updateReferenceField() { path1_->setEnabled(referenceKind_->currentIndex() == 0); }

void FidPage::updateFeatureFields() {
    const QString kind = features_->currentData().toString();
    const bool inception = kind == kInception;
    dims_->setEnabled(inception);
    weights_->setEnabled(inception);
    classifierFile_->setVisible(kind == kClassifierFile);
    trainClassifier_->setVisible(kind == kFashionMnist);
    if (inception) {
        try {
            const QString found = QString::fromStdString(api::findInceptionWeights({}, weights_->path().toStdString()));
            featuresStatus_->setText(tr("Inception weights: %1").arg(found.toHtmlEscaped()));
        } catch (const std::exception&) {
            featuresStatus_->setText(
                tr("pytorch-fid's Inception weights are not on this computer (download them from %1 "
                   "into %2), or choose the Fashion-MNIST classifier, which works offline.")
                    .arg(QString::fromStdString(api::inceptionWeightsDownloadUrl()).toHtmlEscaped(),
                         QFileInfo(QString::fromStdString(api::defaultInceptionWeightsPath())).path().toHtmlEscaped()));
        }
        return;
    }
    const QString file =
        kind == kFashionMnist ? QString::fromStdString(api::defaultClassifierPath()) : classifierFile_->path();
    if (kind == kFashionMnist) trainClassifier_->setText(QFileInfo::exists(file) ? tr("Retrain…") : tr("Train…"));
    if (file.isEmpty()) return featuresStatus_->setText(tr("Choose a classifier file."));
    if (!QFileInfo::exists(file)) {
        featuresStatus_->setText(
            kind == kFashionMnist
                ? tr("Not trained yet: Train… makes it (a few minutes on a CPU) at %1.").arg(file.toHtmlEscaped())
                : tr("%1 does not exist.").arg(file.toHtmlEscaped()));
        return;
    }
    try {
        const auto info = api::inspectClassifier(file.toStdString());
        featuresStatus_->setText(tr("%1: test accuracy %2 % on %3 images (%4)")
                                     .arg(QString::fromStdString(info.label).toHtmlEscaped())
                                     .arg(100.0 * info.testAccuracy, 0, 'f', 2)
                                     .arg(info.testImages)
                                     .arg(QDir::toNativeSeparators(file).toHtmlEscaped()));
        featuresStatus_->setToolTip(QString::fromStdString(info.featureSpace + "\n" + info.architecture));
    } catch (const std::exception& e) {
        featuresStatus_->setText(tr("Not a usable classifier: %1").arg(QString::fromUtf8(e.what()).toHtmlEscaped()));
    }
}
void FidPage::setDims(int dims) { dims_->setCurrentIndex(std::max(0, dims_->findData(dims))); }
void FidPage::setWeights(const QString& path) { weights_->setPath(path); }
void FidPage::setKid(bool on) { kid_->setChecked(on); }
void FidPage::setPrdc(bool on) { prdc_->setChecked(on); }
QString FidPage::resultText() const { return result_->text(); }
int FidPage::historyRows() const { return history_->rowCount(); }

void FidPage::computeFor(const QString& reference, const QString& generated) {
    setPaths(reference, generated);
    compute();
}

void FidPage::fillRequest(api::FidRequest& r) const {
    r.path1 = referencePath().toStdString();
    r.features = features().toStdString();
    r.dims = features_->currentData().toString() == kInception ? dims_->currentData().toInt() : 0;
    r.batchSize = batch_->value();
    r.resize = resize_->value();
    r.weightsSetting = weights_->path().toStdString();
}

void FidPage::compute() {
    if (runner_->isRunning()) return;
    if (referencePath().isEmpty() || path2_->path().isEmpty())
        return showMessage(tr("Choose two folders or statistics files."));
    if (features().isEmpty()) return showMessage(tr("Choose a classifier file."));
    api::FidRequest r;
    fillRequest(r);
    // The engine's first set is the generated one (precision/recall and density/coverage are
    // not symmetric; FID is): the page's reference goes second.
    r.path2 = r.path1;
    r.path1 = path2_->path().toStdString();
    r.kid = kid_->isChecked();
    r.prdc = prdc_->isChecked();
    saveSettings();
    runner_->setName(tr("Computing FID"));
    showMessage(tr("Computing…"));
    auto result = std::make_shared<api::FidResult>();
    auto connection = std::make_shared<QMetaObject::Connection>();
    const QString p1 = referencePath(), p2 = path2_->path();
    *connection = connect(runner_, &JobRunner::finished, this, [this, result, connection, p1, p2](bool ok) {
        disconnect(*connection);
        if (!ok) return;
        const auto& f = *result;
        lastFid_ = f.fid;
        const QString space = QString::fromStdString(f.featureSpace);
        QString html;
        if (f.inception) {
            html = tr("<p style='font-size:large'><b>FID %1</b>").arg(f.fid, 0, 'f', 4);
            if (f.hasKid) html += tr(" · KID %1 ± %2").arg(f.kid, 0, 'f', 5).arg(f.kidStd, 0, 'f', 5);
        } else {
            html = tr("<p style='font-size:large'><b>FD %1</b> (Fréchet distance in the features of the %2)")
                       .arg(f.fid, 0, 'f', 4)
                       .arg(space.toHtmlEscaped());
            if (f.hasKid) html += tr(" · KD %1 ± %2").arg(f.kid, 0, 'f', 5).arg(f.kidStd, 0, 'f', 5);
        }
        html += QStringLiteral("</p>");
        if (f.hasPrdc) {
            const auto& m = f.prdc;
            html +=
                tr("<p style='font-size:large'>Precision <b>%1</b> · Recall <b>%2</b> · Density <b>%3</b> · "
                   "Coverage <b>%4</b></p><p>Precision and recall: torch-fidelity's (k = %5); density and coverage: "
                   "clovaai's prdc (k = %6). Precision and density measure fidelity (generated images near real ones), "
                   "recall and coverage diversity (real images reached by generated ones).</p>")
                    .arg(m.precision, 0, 'f', 4)
                    .arg(m.recall, 0, 'f', 4)
                    .arg(m.density, 0, 'f', 4)
                    .arg(m.coverage, 0, 'f', 4)
                    .arg(m.neighbourhood)
                    .arg(m.nearestK);
        }
        if (!f.inception && f.classifierAccuracy >= 0)
            html += tr("<p>Classifier: test accuracy %1 %, %2</p>")
                        .arg(100.0 * f.classifierAccuracy, 0, 'f', 2)
                        .arg(QDir::toNativeSeparators(QString::fromStdString(f.weightsPath)).toHtmlEscaped());
        html += tr("<p>%1 (%2 images) vs %3 (%4 images) · %5 dims · %6 · %7 s</p>")
                    .arg(shownName(p1).toHtmlEscaped())
                    .arg(f.count2)
                    .arg(shownName(p2).toHtmlEscaped())
                    .arg(f.count1)
                    .arg(f.dims)
                    .arg(QString::fromStdString(f.resizeMode).toHtmlEscaped())
                    .arg(f.seconds, 0, 'f', 1);
        for (const auto& w : f.warnings)
            html += QStringLiteral("<p>⚠ %1</p>").arg(QString::fromStdString(w).toHtmlEscaped());
        showMessage(html);
        QJsonObject row{{QStringLiteral("when"), QDateTime::currentDateTime().toString(Qt::ISODate)},
                        {QStringLiteral("path1"), p1},
                        {QStringLiteral("path2"), p2},
                        {QStringLiteral("dims"), f.dims},
                        {QStringLiteral("features"), space},
                        {QStringLiteral("fid"), f.fid},
                        {QStringLiteral("images"), QStringLiteral("%1 / %2").arg(f.count2).arg(f.count1)}};
        if (f.hasKid) row[QStringLiteral("kid")] = f.kid;
        if (f.hasPrdc)
            row[QStringLiteral("prdc")] = QJsonArray{f.prdc.precision, f.prdc.recall, f.prdc.density, f.prdc.coverage};
        addHistory(row);
    });
    runner_->start([r, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::runFid(r, sink, stop);
    });
}

void FidPage::saveStatistics(const QString& output) {
    if (runner_->isRunning()) return;
    if (referencePath().isEmpty()) return showMessage(tr("Choose the reference folder first."));
    if (features().isEmpty()) return showMessage(tr("Choose a classifier file."));
    api::FidRequest r;
    fillRequest(r);
    runner_->setName(tr("Computing FID"));
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(runner_, &JobRunner::finished, this, [this, connection, output](bool ok) {
        disconnect(*connection);
        if (ok) showMessage(tr("Saved statistics to %1").arg(output.toHtmlEscaped()));
    });
    runner_->start([r, out = output.toStdString()](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        api::saveFidStats(r, out, sink, stop);
    });
}

void FidPage::trainClassifier() {
    if (runner_->isRunning()) return;
    auto result = std::make_shared<api::ClassifierTrainResult>();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(runner_, &JobRunner::finished, this, [this, result, connection](bool ok) {
        disconnect(*connection);
        updateFeatureFields();
        if (!ok) return;
        showMessage(tr("<p>Trained the %1: test accuracy <b>%2 %</b> on %3 images, %4 s.</p><p>%5</p>")
                        .arg(QString::fromStdString(result->featureSpace).toHtmlEscaped())
                        .arg(100.0 * result->testAccuracy, 0, 'f', 2)
                        .arg(result->testImages)
                        .arg(result->seconds, 0, 'f', 0)
                        .arg(QDir::toNativeSeparators(QString::fromStdString(result->path)).toHtmlEscaped()));
    });
    showMessage(tr("Training the Fashion-MNIST classifier…"));
    runner_->setName(tr("Training the Fashion-MNIST classifier"));
    runner_->start([result](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
        *result = api::trainClassifier(api::ClassifierTrainRequest{}, sink, stop);
    });
}

namespace {

// "0.81 · 0.62 · 0.95 · 0.70" from a history row's [precision, recall, density, coverage].
QString prdcCell(const QJsonArray& values) {
    QStringList parts;
    for (const auto& v : values) parts << QString::number(v.toDouble(), 'f', 2);
    return parts.join(QStringLiteral(" · "));
}

}  // namespace

void FidPage::addHistory(const QJsonObject& row) {
    historyRows_.prepend(row);
    while (historyRows_.size() > kMaxHistory) historyRows_.removeLast();
    appSettings().setValue(kHistoryKey, QString::fromUtf8(QJsonDocument(historyRows_).toJson(QJsonDocument::Compact)));
    showHistory();
}

void FidPage::showHistory() {
    history_->setRowCount(static_cast<int>(historyRows_.size()));
    for (int i = 0; i < historyRows_.size(); ++i) {
        const QJsonObject row = historyRows_.at(i).toObject();
        const QString kid = row.contains(QStringLiteral("kid"))
                                ? QString::number(row.value(QStringLiteral("kid")).toDouble(), 'f', 5)
                                : QString();
        const QStringList cells{
            row.value(QStringLiteral("when")).toString().replace(QLatin1Char('T'), QLatin1Char(' ')),
            shownName(row.value(QStringLiteral("path1")).toString()),
            shownName(row.value(QStringLiteral("path2")).toString()),
            row.value(QStringLiteral("features")).toString(QStringLiteral("Inception")),
            QString::number(row.value(QStringLiteral("dims")).toInt()),
            QString::number(row.value(QStringLiteral("fid")).toDouble(), 'f', 4),
            kid,
            prdcCell(row.value(QStringLiteral("prdc")).toArray()),
            row.value(QStringLiteral("images")).toString()};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells.at(c));
            if (c == 1) item->setToolTip(row.value(QStringLiteral("path1")).toString());
            if (c == 2) item->setToolTip(row.value(QStringLiteral("path2")).toString());
            history_->setItem(i, c, item);
        }
    }
    history_->resizeColumnsToContents();
}

void FidPage::showMessage(const QString& html) { result_->setText(html); }

void FidPage::saveSettings() const {
    QSettings s = appSettings();
    s.beginGroup(QStringLiteral("fid"));
    s.setValue(QStringLiteral("path1"), path1_->path());
    s.setValue(QStringLiteral("reference"), referenceKind_->currentData().toString());
    s.setValue(QStringLiteral("features"), features_->currentData().toString());
    s.setValue(QStringLiteral("classifierFile"), classifierFile_->path());
    s.setValue(QStringLiteral("path2"), path2_->path());
    s.setValue(QStringLiteral("dims"), dims_->currentData());
    s.setValue(QStringLiteral("batch"), batch_->value());
    s.setValue(QStringLiteral("kid"), kid_->isChecked());
    s.setValue(QStringLiteral("prdc"), prdc_->isChecked());
    s.setValue(QStringLiteral("resize"), resize_->value());
    s.setValue(QStringLiteral("weights"), weights_->path());
}

void FidPage::restoreSettings() {
    QSettings s = appSettings();
    historyRows_ = QJsonDocument::fromJson(s.value(kHistoryKey).toString().toUtf8()).array();
    s.beginGroup(QStringLiteral("fid"));
    setPaths(s.value(QStringLiteral("path1")).toString(), s.value(QStringLiteral("path2")).toString());
    const QString reference = s.value(QStringLiteral("reference")).toString();
    if (!reference.isEmpty()) setPaths(reference, path2_->path());
    classifierFile_->setPath(s.value(QStringLiteral("classifierFile")).toString());
    features_->setCurrentIndex(
        std::max(0, features_->findData(s.value(QStringLiteral("features"), kInception).toString())));
    setDims(s.value(QStringLiteral("dims"), 2048).toInt());
    batch_->setValue(s.value(QStringLiteral("batch"), 50).toInt());
    kid_->setChecked(s.value(QStringLiteral("kid"), false).toBool());
    prdc_->setChecked(s.value(QStringLiteral("prdc"), false).toBool());
    resize_->setValue(s.value(QStringLiteral("resize"), 0).toInt());
    weights_->setPath(s.value(QStringLiteral("weights")).toString());
    updateFeatureFields();
    updateReferenceField();
    showHistory();
}

}  // namespace ds::ui
