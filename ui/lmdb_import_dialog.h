// Diffusion Studio - the "Import LSUN LMDB…" dialog.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QString>

class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace ds::ui {

class JobProgressView;
class JobRunner;
class PathField;

// Opens an LSUN LMDB read-only (entry count, size, formats, the first thumbnails), then exports
// it: raw (byte-identical to fyu/lsun's `export`, flat or nested, optionally with the real
// extension) or decoded, resized and centre-cropped to S (PNG or JPEG), with an optional limit or
// train/test split. Progress with ETA, Cancel (only complete files remain; importing again
// resumes), a summary, and one click to use the result as training data or as an FID test set.
// Object names: lmdbSource, lmdbInfo, lmdbThumbnails, lmdbOut, lmdbRaw, lmdbResize, lmdbFlat,
// lmdbRealExt, lmdbSize, lmdbFormat, lmdbLimit, lmdbSplit, lmdbTrain, lmdbTest, lmdbSeed,
// lmdbImport, lmdbCancel, lmdbProgress, lmdbSummary, lmdbUseTraining, lmdbUseFid.
class LmdbImportDialog : public QDialog {
    Q_OBJECT

public:
    explicit LmdbImportDialog(QWidget* parent = nullptr);
    ~LmdbImportDialog() override;

    // Reads the database's summary and thumbnails; returns an error or "".
    QString openDatabase(const QString& directory);
    void setOutput(const QString& directory);
    void setResize(int size, const QString& format);  // size 0: raw export
    void setRawOptions(bool flat, bool realExtension);
    void setSplit(qint64 train, qint64 test, quint64 seed);  // 0, 0: no split
    void setLimit(qint64 limit);

    JobRunner* runner() const { return runner_; }
    QString summary() const;
    int thumbnailCount() const;
    // Where the imported images are: the train/ folder with a split, else the output folder.
    QString trainingFolder() const { return trainingFolder_; }
    QString testFolder() const { return testFolder_; }

public Q_SLOTS:
    void startImport();

Q_SIGNALS:
    void useForTraining(const QString& folder);
    void useForFid(const QString& folder);

private:
    void buildUi();
    void updateModeWidgets();

    PathField* source_ = nullptr;
    QLabel* info_ = nullptr;
    QHBoxLayout* thumbnails_ = nullptr;
    PathField* out_ = nullptr;
    QRadioButton* raw_ = nullptr;
    QRadioButton* resize_ = nullptr;
    QCheckBox* flat_ = nullptr;
    QCheckBox* realExt_ = nullptr;
    QSpinBox* size_ = nullptr;
    QComboBox* format_ = nullptr;
    QSpinBox* limit_ = nullptr;
    QCheckBox* split_ = nullptr;
    QSpinBox* train_ = nullptr;
    QSpinBox* test_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QPushButton* import_ = nullptr;
    QPushButton* cancel_ = nullptr;
    JobProgressView* progress_ = nullptr;
    QLabel* summary_ = nullptr;
    QPushButton* useTraining_ = nullptr;
    QPushButton* useFid_ = nullptr;
    JobRunner* runner_ = nullptr;
    QString trainingFolder_;
    QString testFolder_;
};

}  // namespace ds::ui
