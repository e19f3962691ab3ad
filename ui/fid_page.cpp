// Diffusion Studio - the FID page: Fréchet Inception Distance (and KID) between two image sets.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/fid_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <memory>

#include "core/api/fid.h"
#include "ui/app_settings.h"
#include "ui/file_dialogs.h"
#include "ui/job_runner.h"
#include "ui/job_progress_view.h"
#include "ui/path_field.h"

namespace ds::ui {
namespace {

constexpr int kMaxHistory = 200;
const QString kHistoryKey = QStringLiteral("fid/history");

QString fileName(const QString& path) { return QFileInfo(path).fileName(); }

}  // namespace

FidPage::FidPage(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("fidPage"));
  runner_ = new JobRunner(tr("Computing FID"), this);
  buildUi();
  restoreSettings();
}

FidPage::~FidPage() { saveSettings(); }

void FidPage::buildUi() {
  auto* layout = new QVBoxLayout(this);
  auto* inputs = new QGroupBox(tr("Image sets"), this);
  auto* form = new QFormLayout(inputs);
  const QString statsFilter = tr("FID statistics (*.npz);;All files (*)");
  path1_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"), statsFilter, inputs);
  path1_->setObjectName(QStringLiteral("fidPath1"));
  path1_->setPlaceholderText(tr("reference: a folder of images (e.g. the test set) or an .npz"));
  path2_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"), statsFilter, inputs);
  path2_->setObjectName(QStringLiteral("fidPath2"));
  path2_->setPlaceholderText(tr("generated: a folder of images or an .npz"));
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
  form->addRow(tr("Reference"), path1_);
  form->addRow(tr("Generated"), path2_);
  form->addRow(tr("Dimensions"), dims_);
  form->addRow(tr("Batch size"), batch_);
  form->addRow(tr("Resize"), resize_);
  form->addRow(QString(), kid_);
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

  history_ = new QTableWidget(0, 7, this);
  history_->setObjectName(QStringLiteral("fidHistory"));
  history_->setHorizontalHeaderLabels(
      {tr("When"), tr("Reference"), tr("Generated"), tr("Dims"), tr("FID"), tr("KID"), tr("Images")});
  history_->horizontalHeader()->setStretchLastSection(true);
  history_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  history_->setSelectionBehavior(QAbstractItemView::SelectRows);
  history_->verticalHeader()->setVisible(false);
  layout->addWidget(history_, 1);

  connect(compute_, &QPushButton::clicked, this, &FidPage::compute);
  connect(cancel_, &QPushButton::clicked, runner_, &JobRunner::cancel);
  connect(saveStats_, &QPushButton::clicked, this, [this] {
    const QString out =
        askSavePath(this, tr("Save statistics"), QStringLiteral("fid"), QStringLiteral("stats.npz"), tr("FID statistics (*.npz)"));
    if (!out.isEmpty()) saveStatistics(out);
  });
  connect(runner_, &JobRunner::started, this, [this] {
    compute_->setEnabled(false);
    saveStats_->setEnabled(false);
    cancel_->setEnabled(true);
  });
  connect(runner_, &JobRunner::finished, this, [this](bool ok, bool cancelled, const QString& error) {
    compute_->setEnabled(true);
    saveStats_->setEnabled(true);
    cancel_->setEnabled(false);
    if (cancelled) showMessage(tr("Cancelled."));
    else if (!ok) showMessage(tr("<b>Failed:</b> %1").arg(error.toHtmlEscaped()));
  });
}

void FidPage::setPaths(const QString& first, const QString& second) {
  path1_->setPath(first);
  path2_->setPath(second);
}
void FidPage::setDims(int dims) { dims_->setCurrentIndex(std::max(0, dims_->findData(dims))); }
void FidPage::setWeights(const QString& path) { weights_->setPath(path); }
void FidPage::setKid(bool on) { kid_->setChecked(on); }
QString FidPage::resultText() const { return result_->text(); }
int FidPage::historyRows() const { return history_->rowCount(); }

void FidPage::computeFor(const QString& reference, const QString& generated) {
  setPaths(reference, generated);
  compute();
}

void FidPage::compute() {
  if (runner_->isRunning()) return;
  if (path1_->path().isEmpty() || path2_->path().isEmpty()) return showMessage(tr("Choose two folders or statistics files."));
  api::FidRequest r;
  r.path1 = path1_->path().toStdString();
  r.path2 = path2_->path().toStdString();
  r.dims = dims_->currentData().toInt();
  r.batchSize = batch_->value();
  r.kid = kid_->isChecked();
  r.resize = resize_->value();
  r.weightsSetting = weights_->path().toStdString();
  saveSettings();
  showMessage(tr("Computing…"));
  auto result = std::make_shared<api::FidResult>();
  auto connection = std::make_shared<QMetaObject::Connection>();
  const QString p1 = path1_->path(), p2 = path2_->path();
  *connection = connect(runner_, &JobRunner::finished, this, [this, result, connection, p1, p2](bool ok) {
    disconnect(*connection);
    if (!ok) return;
    const auto& f = *result;
    lastFid_ = f.fid;
    QString html = tr("<p style='font-size:large'><b>FID %1</b>").arg(f.fid, 0, 'f', 4);
    if (f.hasKid) html += tr(" · KID %1 ± %2").arg(f.kid, 0, 'f', 5).arg(f.kidStd, 0, 'f', 5);
    html += QStringLiteral("</p>");
    html += tr("<p>%1 (%2 images) vs %3 (%4 images) · %5 dims · %6 · %7 s</p>")
                .arg(fileName(p1).toHtmlEscaped())
                .arg(f.count1)
                .arg(fileName(p2).toHtmlEscaped())
                .arg(f.count2)
                .arg(f.dims)
                .arg(QString::fromStdString(f.resizeMode).toHtmlEscaped())
                .arg(f.seconds, 0, 'f', 1);
    for (const auto& w : f.warnings) html += QStringLiteral("<p>⚠ %1</p>").arg(QString::fromStdString(w).toHtmlEscaped());
    showMessage(html);
    QJsonObject row{{QStringLiteral("when"), QDateTime::currentDateTime().toString(Qt::ISODate)},
                    {QStringLiteral("path1"), p1},
                    {QStringLiteral("path2"), p2},
                    {QStringLiteral("dims"), f.dims},
                    {QStringLiteral("fid"), f.fid},
                    {QStringLiteral("images"), QStringLiteral("%1 / %2").arg(f.count1).arg(f.count2)}};
    if (f.hasKid) row[QStringLiteral("kid")] = f.kid;
    addHistory(row);
  });
  runner_->start([r, result](api::JobSink& sink, const StopToken& stop, const PauseGate&) { *result = api::runFid(r, sink, stop); });
}

void FidPage::saveStatistics(const QString& output) {
  if (runner_->isRunning()) return;
  if (path1_->path().isEmpty()) return showMessage(tr("Choose the reference folder first."));
  api::FidRequest r;
  r.path1 = path1_->path().toStdString();
  r.dims = dims_->currentData().toInt();
  r.batchSize = batch_->value();
  r.resize = resize_->value();
  r.weightsSetting = weights_->path().toStdString();
  auto connection = std::make_shared<QMetaObject::Connection>();
  *connection = connect(runner_, &JobRunner::finished, this, [this, connection, output](bool ok) {
    disconnect(*connection);
    if (ok) showMessage(tr("Saved statistics to %1").arg(output.toHtmlEscaped()));
  });
  runner_->start([r, out = output.toStdString()](api::JobSink& sink, const StopToken& stop, const PauseGate&) {
    api::saveFidStats(r, out, sink, stop);
  });
}

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
    const QString kid = row.contains(QStringLiteral("kid")) ? QString::number(row.value(QStringLiteral("kid")).toDouble(), 'f', 5) : QString();
    const QStringList cells{row.value(QStringLiteral("when")).toString().replace(QLatin1Char('T'), QLatin1Char(' ')),
                            fileName(row.value(QStringLiteral("path1")).toString()),
                            fileName(row.value(QStringLiteral("path2")).toString()),
                            QString::number(row.value(QStringLiteral("dims")).toInt()),
                            QString::number(row.value(QStringLiteral("fid")).toDouble(), 'f', 4),
                            kid,
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
  s.setValue(QStringLiteral("path2"), path2_->path());
  s.setValue(QStringLiteral("dims"), dims_->currentData());
  s.setValue(QStringLiteral("batch"), batch_->value());
  s.setValue(QStringLiteral("kid"), kid_->isChecked());
  s.setValue(QStringLiteral("resize"), resize_->value());
  s.setValue(QStringLiteral("weights"), weights_->path());
}

void FidPage::restoreSettings() {
  QSettings s = appSettings();
  historyRows_ = QJsonDocument::fromJson(s.value(kHistoryKey).toString().toUtf8()).array();
  s.beginGroup(QStringLiteral("fid"));
  setPaths(s.value(QStringLiteral("path1")).toString(), s.value(QStringLiteral("path2")).toString());
  setDims(s.value(QStringLiteral("dims"), 2048).toInt());
  batch_->setValue(s.value(QStringLiteral("batch"), 50).toInt());
  kid_->setChecked(s.value(QStringLiteral("kid"), false).toBool());
  resize_->setValue(s.value(QStringLiteral("resize"), 0).toInt());
  weights_->setPath(s.value(QStringLiteral("weights")).toString());
  showHistory();
}

}  // namespace ds::ui
