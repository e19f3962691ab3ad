// Diffusion Studio - the images of one flow sampling run along t: a filmstrip and a large view.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/trajectory_film_view.h"

#include "ui/scaled_image_label.h"

#include <QLabel>
#include <QListWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace ds::ui {
namespace {

constexpr int kThumb = 56;

}  // namespace

TrajectoryFilmView::TrajectoryFilmView(const QString& objectNamePrefix, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    large_ = new QLabel(this);
    large_->setObjectName(objectNamePrefix + QStringLiteral("Large"));
    large_->setAlignment(Qt::AlignCenter);
    large_->setMinimumSize(128, 128);
    large_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    strip_ = new QListWidget(this);
    strip_->setObjectName(objectNamePrefix + QStringLiteral("Strip"));
    strip_->setViewMode(QListView::IconMode);
    strip_->setFlow(QListView::LeftToRight);
    strip_->setWrapping(false);
    strip_->setMovement(QListView::Static);
    strip_->setIconSize(QSize(kThumb, kThumb));
    strip_->setFixedHeight(kThumb + 40);
    strip_->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    strip_->setSelectionMode(QAbstractItemView::SingleSelection);
    strip_->setFocusPolicy(Qt::NoFocus);  // the page's slider drives it
    layout->addWidget(large_, 1);
    layout->addWidget(strip_);
}

void TrajectoryFilmView::setFrames(const QVector<double>& times, const QVector<QImage>& frames) {
    // One time per frame (a 2-D result has times and no frames).
    const int n = static_cast<int>(std::min(times.size(), frames.size()));
    times_ = times.mid(0, n);
    frames_ = frames.mid(0, n);
    strip_->clear();
    for (int i = 0; i < frames_.size(); ++i) {
        const QImage thumb = frames_[i].scaled(kThumb, kThumb, Qt::KeepAspectRatio, Qt::FastTransformation);
        strip_->addItem(
            new QListWidgetItem(QIcon(QPixmap::fromImage(thumb)), QStringLiteral("t=%1").arg(times_[i], 0, 'f', 2)));
    }
    shown_ = -1;
    setTime(times_.isEmpty() ? 0.0 : times_.last());
}

void TrajectoryFilmView::clear() { setFrames({}, {}); }

int TrajectoryFilmView::frameAt(const QVector<double>& times, double t) {
    if (times.isEmpty()) return -1;
    // A little slack: the slider's t is rounded to thousandths.
    const auto after = std::upper_bound(times.begin(), times.end(), t + 1e-9);
    return std::max(0, static_cast<int>(after - times.begin()) - 1);
}

void TrajectoryFilmView::setTime(double t) {
    const int frame = frameAt(times_, t);
    if (frame == shown_) return;
    shown_ = frame;
    if (frame >= 0) {
        strip_->setCurrentRow(frame);
        strip_->scrollToItem(strip_->item(frame));
    }
    showLarge();
}

QImage TrajectoryFilmView::shownImage() const { return shown_ >= 0 ? frames_[shown_] : QImage(); }

void TrajectoryFilmView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    showLarge();
}

void TrajectoryFilmView::showLarge() { showScaledImage(large_, shownImage()); }

}  // namespace ds::ui
