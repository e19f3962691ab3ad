// Diffusion Studio - 2-D particles carried along a flow, drawn up to a chosen time.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/point_cloud_view.h"

#include <QFontMetrics>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace ds::ui {
namespace {

constexpr double kMargin = 0.05;  // of the box's size, around the data
const QColor kTargetColor(235, 140, 40, 150);
const QColor kSourceColor(120, 120, 120, 170);
const QColor kParticleColor(30, 80, 200);
// One colour per class of a conditional toy, none of them the target's orange or the start's grey.
const QColor kClassColors[] = {QColor(31, 119, 180), QColor(214, 39, 40),   QColor(44, 160, 44),  QColor(148, 103, 189),
                               QColor(140, 86, 75),  QColor(227, 119, 194), QColor(23, 190, 207), QColor(188, 189, 34)};
constexpr int kClassColorCount = int(sizeof(kClassColors) / sizeof(kClassColors[0]));

QRectF boxOf(const QVector<QPointF>& points, QRectF box) {
    for (const QPointF& p : points) {
        box = box.isNull() ? QRectF(p, QSizeF(1e-9, 1e-9)) : box.united(QRectF(p, QSizeF(1e-9, 1e-9)));
    }
    return box;
}

}  // namespace

PointCloudView::PointCloudView(QWidget* parent) : QWidget(parent) { setAttribute(Qt::WA_OpaquePaintEvent); }

void PointCloudView::setTrajectory(const QVector<double>& times, const QVector<QVector<QPointF>>& states) {
    times_ = times;
    states_ = states;
    time_ = times_.isEmpty() ? 1.0 : times_.last();
    update();
}

void PointCloudView::setTarget(const QVector<QPointF>& target) {
    target_ = target;
    update();
}

void PointCloudView::setClasses(const QVector<int>& classes) {
    classes_ = classes;
    update();
}

QColor PointCloudView::particleColor(int i) const {
    const int k = i >= 0 && i < classes_.size() ? classes_[i] : -1;
    return k >= 0 && k < kClassColorCount ? kClassColors[k] : kParticleColor;
}

void PointCloudView::clear() {
    classes_.clear();
    times_.clear();
    states_.clear();
    target_.clear();
    update();
}

void PointCloudView::setBounds(const QRectF& bounds) {
    bounds_ = bounds;
    update();
}

QRectF PointCloudView::dataBounds() const {
    QRectF box = boxOf(target_, {});
    for (const auto& s : states_) box = boxOf(s, box);
    return box;
}

void PointCloudView::setTime(double t) {
    if (!times_.isEmpty()) t = std::clamp(t, times_.first(), times_.last());
    if (t == time_) return;
    time_ = t;
    update();
}

QVector<QPointF> PointCloudView::positionsAt(double t) const {
    if (states_.isEmpty()) return {};
    if (t <= times_.first()) return states_.first();
    if (t >= times_.last()) return states_.last();
    // The recorded interval [times_[k-1], times_[k]] that holds t.
    const int k = static_cast<int>(std::upper_bound(times_.begin(), times_.end(), t) - times_.begin());
    const double w = (t - times_[k - 1]) / (times_[k] - times_[k - 1]);
    QVector<QPointF> out(states_[k].size());
    for (int i = 0; i < out.size(); ++i) out[i] = states_[k - 1][i] * (1 - w) + states_[k][i] * w;
    return out;
}

PointCloudView::Mapping PointCloudView::mapping() const {
    Mapping m;
    m.data = bounds_.isValid() ? bounds_ : dataBounds();
    m.data.adjust(-kMargin * m.data.width(), -kMargin * m.data.height(), kMargin * m.data.width(),
                  kMargin * m.data.height());
    const QRectF area = QRectF(rect()).adjusted(4, 4, -4, -4);
    const double scale = std::min(area.width() / m.data.width(), area.height() / m.data.height());
    const QSizeF size(m.data.width() * scale, m.data.height() * scale);
    m.view = QRectF(area.center() - QPointF(size.width() / 2, size.height() / 2), size);
    return m;
}

QPointF PointCloudView::Mapping::operator()(const QPointF& p) const {
    // y up, as in a plot.
    return {view.left() + (p.x() - data.left()) / data.width() * view.width(),
            view.bottom() - (p.y() - data.top()) / data.height() * view.height()};
}

void PointCloudView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    if (states_.isEmpty() && target_.isEmpty()) return;
    painter.setRenderHint(QPainter::Antialiasing);
    const Mapping map = mapping();

    painter.setPen(Qt::NoPen);
    painter.setBrush(kTargetColor);
    for (const QPointF& p : target_) painter.drawEllipse(map(p), 2.5, 2.5);
    if (states_.isEmpty()) return;

    // Paths up to the shown time: the recorded points before it, then the interpolated position.
    const QVector<QPointF> now = positionsAt(time_);
    const int recorded = static_cast<int>(std::upper_bound(times_.begin(), times_.end(), time_) - times_.begin());
    // One path (and pen) per colour: the plain one, or each class's.
    QVector<QPainterPath> paths(kClassColorCount + 1);
    const auto group = [this](int i) {
        const int k = i < classes_.size() ? classes_[i] : -1;
        return k >= 0 && k < kClassColorCount ? k : kClassColorCount;
    };
    for (int i = 0; i < now.size(); ++i) {
        QPainterPath& path = paths[group(i)];
        path.moveTo(map(states_[0][i]));
        for (int k = 1; k < recorded; ++k) path.lineTo(map(states_[k][i]));
        path.lineTo(map(now[i]));
    }
    painter.setBrush(Qt::NoBrush);
    for (int g = 0; g <= kClassColorCount; ++g) {
        if (paths[g].isEmpty()) continue;
        QColor line = g < kClassColorCount ? kClassColors[g] : QColor(70, 110, 200);
        line.setAlpha(60);
        painter.setPen(QPen(line, 1.0));
        painter.drawPath(paths[g]);
    }

    painter.setPen(Qt::NoPen);
    painter.setBrush(kSourceColor);
    for (const QPointF& p : states_[0]) painter.drawEllipse(map(p), 1.5, 1.5);
    for (int i = 0; i < now.size(); ++i) {
        painter.setBrush(particleColor(i));
        painter.drawEllipse(map(now[i]), 2.2, 2.2);
    }
    drawLegend(painter);
}

void PointCloudView::drawLegend(QPainter& painter) const {
    const struct {
        QColor color;
        QString text;
    } entries[] = {{kSourceColor, tr("start (t = 0)")},
                   {classes_.isEmpty() ? kParticleColor : particleColor(0),
                    classes_.isEmpty() ? tr("particles at t") : tr("particles at t (colour: class)")},
                   {kTargetColor, tr("target sample")}};
    const QFontMetrics metrics(font());
    double y = 8 + metrics.ascent();
    for (const auto& e : entries) {
        painter.setPen(Qt::NoPen);
        painter.setBrush(e.color);
        painter.drawEllipse(QPointF(12, y - metrics.ascent() / 2.0 + 1), 3.5, 3.5);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QPointF(20, y), e.text);
        y += metrics.height();
    }
}

}  // namespace ds::ui
