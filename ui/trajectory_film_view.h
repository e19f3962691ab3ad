// Diffusion Studio - the images of one flow sampling run along t: a filmstrip and a large view.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QImage>
#include <QVector>
#include <QWidget>

class QLabel;
class QListWidget;

namespace ds::ui {

// One thumbnail per recorded time (the batch grid of x_t) in a strip; the frame at the shared
// time slider is highlighted and shown large. Object names: <prefix>Strip, <prefix>Large.
class TrajectoryFilmView : public QWidget {
    Q_OBJECT

public:
    explicit TrajectoryFilmView(const QString& objectNamePrefix, QWidget* parent = nullptr);

    void setFrames(const QVector<double>& times, const QVector<QImage>& frames);
    void clear();
    int frameCount() const { return static_cast<int>(frames_.size()); }

    // Shows the last frame recorded at or before t.
    void setTime(double t);
    int shownFrame() const { return shown_; }
    QImage shownImage() const;
    static int frameAt(const QVector<double>& times, double t);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showLarge();

    QVector<double> times_;
    QVector<QImage> frames_;
    QListWidget* strip_ = nullptr;
    QLabel* large_ = nullptr;
    int shown_ = -1;
};

}  // namespace ds::ui
