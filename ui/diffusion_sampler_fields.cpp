// Diffusion Studio - the sampler of a diffusion checkpoint and its options.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/diffusion_sampler_fields.h"

#include "core/api/sampling.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ds::ui {
namespace {

using api::DiffusionSampler;

// A combo box of one of core/api's closed sets: shown names, the CLI's names as item data.
template <typename E, size_t N>
QComboBox* enumCombo(QWidget* parent, const api::names::Table<E, N>& table, const QList<QString>& shown) {
    auto* combo = new QComboBox(parent);
    for (size_t i = 0; i < N; ++i) combo->addItem(shown.value(int(i)), QString::fromLatin1(table[i].second));
    return combo;
}

template <typename E, size_t N>
E enumOf(const QComboBox* combo, const api::names::Table<E, N>& table, E fallback) {
    return api::names::parse(table, combo->currentData().toString().toStdString()).value_or(fallback);
}

template <typename E, size_t N>
void selectEnum(QComboBox* combo, const api::names::Table<E, N>& table, E value) {
    const int index = combo->findData(QString::fromLatin1(api::names::nameOf(table, value)));
    if (index >= 0) combo->setCurrentIndex(index);
}

QString text(const api::ImageMetadata& m, const char* key) {
    return QString::fromStdString(api::metadataValue(m, key));
}

}  // namespace

DiffusionSamplerFields::DiffusionSamplerFields(const QString& prefix, const QString& suffix, bool previewOnly,
                                               QWidget* parent)
    : QWidget(parent), previewOnly_(previewOnly) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    sampler_ = new QComboBox(this);
    sampler_->setObjectName(prefix + QStringLiteral("Sampler") + suffix);
    // The fast solvers first: they need 10-20 evaluations where DDIM needs 50-250.
    sampler_->addItem(tr("DPM-Solver++"), QStringLiteral("dpm-solver++"));
    sampler_->addItem(tr("UniPC"), QStringLiteral("unipc"));
    sampler_->addItem(tr("DPM-Solver"), QStringLiteral("dpm-solver"));
    sampler_->addItem(tr("DDIM"), QStringLiteral("ddim"));
    sampler_->addItem(tr("DDPM (all timesteps)"), QStringLiteral("ddpm"));
    sampler_->setToolTip(tr("DPM-Solver++ and UniPC sample in 10-20 model evaluations; DDIM needs 50-250"));
    steps_ = new QSpinBox(this);
    steps_->setObjectName(prefix + QStringLiteral("Steps") + suffix);
    steps_->setRange(1, 1000);
    steps_->setValue(20);
    steps_->setToolTip(tr("DDIM steps; for the ODE solvers, model evaluations"));
    eta_ = new QDoubleSpinBox(this);
    eta_->setObjectName(prefix + QStringLiteral("Eta") + suffix);
    eta_->setRange(0.0, 1.0);
    eta_->setSingleStep(0.1);
    eta_->setDecimals(2);
    eta_->setToolTip(tr("DDIM's eta: 0 is deterministic, 1 as noisy as DDPM"));
    row->addWidget(sampler_);
    row->addWidget(new QLabel(tr("Steps"), this));
    row->addWidget(steps_);
    if (!previewOnly) {
        row->addWidget(new QLabel(tr("eta"), this));
        row->addWidget(eta_);
    } else {
        eta_->hide();
    }
    row->addStretch(1);
    layout->addLayout(row);

    // Two short rows rather than one long one: two Explorer runs side by side fit a 1366-pixel screen.
    solverRow_ = new QWidget(this);
    auto* solver = new QGridLayout(solverRow_);
    solver->setContentsMargins(0, 0, 0, 0);
    order_ = new QSpinBox(solverRow_);
    order_->setObjectName(prefix + QStringLiteral("Order") + suffix);
    order_->setRange(1, 3);
    order_->setValue(2);
    order_->setToolTip(tr("Solver order: 2 for DPM-Solver++ (2M), 3 for DPM-Solver's singlestep and for UniPC"));
    method_ = enumCombo(solverRow_, api::names::kMethods,
                        {tr("multistep"), tr("singlestep"), tr("singlestep, fixed order"), tr("adaptive")});
    method_->setObjectName(prefix + QStringLiteral("Method") + suffix);
    method_->setToolTip(tr("DPM-Solver's method; adaptive chooses its own steps"));
    skip_ = enumCombo(solverRow_, api::names::kSpacings, {tr("time-uniform"), tr("logSNR"), tr("time-quadratic")});
    skip_->setObjectName(prefix + QStringLiteral("Skip") + suffix);
    skip_->setToolTip(tr("The spacing of the time steps"));
    variant_ = enumCombo(solverRow_, api::names::kUniPCVariants, {tr("bh1"), tr("bh2")});
    variant_->setObjectName(prefix + QStringLiteral("Variant") + suffix);
    variant_->setCurrentIndex(1);
    variant_->setToolTip(tr("UniPC's B(h): bh1 for very few steps, bh2 otherwise"));
    clip_ = enumCombo(solverRow_, api::names::kX0Corrections,
                      {tr("x̂₀ as predicted"), tr("x̂₀ clipped"), tr("x̂₀ thresholded")});
    clip_->setObjectName(prefix + QStringLiteral("ClipX0") + suffix);
    clip_->setToolTip(
        tr("Clip each predicted x̂₀ to [-1, 1] (as lucidrains' DDIM) or threshold it dynamically (Imagen)"));
    for (QComboBox* c : {method_, skip_, variant_, clip_}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(8);
    }
    auto* orderRow = new QHBoxLayout;
    orderRow->addWidget(new QLabel(tr("Order"), solverRow_));
    orderRow->addWidget(order_);
    solver->addLayout(orderRow, 0, 0);
    solver->addWidget(method_, 0, 1);
    solver->addWidget(skip_, 0, 2);
    solver->addWidget(variant_, 1, 1);
    solver->addWidget(clip_, 1, 2);
    solver->setColumnStretch(3, 1);
    layout->addWidget(solverRow_);
    solverRow_->setVisible(!previewOnly);

    for (QComboBox* c : {sampler_, method_, skip_, variant_, clip_})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            updateEnabled();
            Q_EMIT changed();
        });
    for (QSpinBox* s : {steps_, order_}) connect(s, &QSpinBox::valueChanged, this, &DiffusionSamplerFields::changed);
    connect(eta_, &QDoubleSpinBox::valueChanged, this, &DiffusionSamplerFields::changed);
    updateEnabled();
}

api::DiffusionSampler DiffusionSamplerFields::sampler() const {
    return enumOf(sampler_, api::names::kSamplers, DiffusionSampler::DpmSolverPlusPlus);
}
int DiffusionSamplerFields::steps() const { return steps_->value(); }
double DiffusionSamplerFields::eta() const { return eta_->value(); }

api::SolverOptions DiffusionSamplerFields::solverOptions() const {
    api::SolverOptions o;
    if (previewOnly_) return o;  // previews: the solvers' defaults
    o.order = order_->value();
    o.method = enumOf(method_, api::names::kMethods, api::SolverMethod::Multistep);
    o.spacing = enumOf(skip_, api::names::kSpacings, api::StepSpacing::TimeUniform);
    o.unipcVariant = enumOf(variant_, api::names::kUniPCVariants, api::UniPCVariant::Bh2);
    o.x0Correction = enumOf(clip_, api::names::kX0Corrections, api::X0Correction::None);
    if (sampler() == DiffusionSampler::UniPC) o.method = api::SolverMethod::Multistep;
    if (sampler() == DiffusionSampler::DpmSolver) o.x0Correction = api::X0Correction::None;  // noise predictions
    if (o.method == api::SolverMethod::Adaptive) o.order = std::max(2, o.order);
    return o;
}

void DiffusionSamplerFields::setSampler(api::DiffusionSampler sampler) {
    selectEnum(sampler_, api::names::kSamplers, sampler);
}
void DiffusionSamplerFields::setSteps(int steps) { steps_->setValue(steps); }
void DiffusionSamplerFields::setEta(double eta) { eta_->setValue(eta); }

void DiffusionSamplerFields::setSolverOptions(const api::SolverOptions& o) {
    order_->setValue(o.order);
    selectEnum(method_, api::names::kMethods, o.method);
    selectEnum(skip_, api::names::kSpacings, o.spacing);
    selectEnum(variant_, api::names::kUniPCVariants, o.unipcVariant);
    selectEnum(clip_, api::names::kX0Corrections, o.x0Correction);
}

void DiffusionSamplerFields::setSamplerChoiceEnabled(bool on) {
    samplerChoice_ = on;
    updateEnabled();
}

void DiffusionSamplerFields::applyTo(api::SampleRequest& r) const {
    r.sampler = sampler();
    r.steps = r.sampler == DiffusionSampler::Ddpm ? 0 : steps_->value();
    r.eta = r.sampler == DiffusionSampler::Ddim ? eta_->value() : 0.0;
    r.solverOptions = solverOptions();
}

void DiffusionSamplerFields::restoreFrom(const api::ImageMetadata& m) {
    if (const auto s = api::names::parse(api::names::kSamplers, api::metadataValue(m, "ds.sampler"))) setSampler(*s);
    bool ok = false;
    const int steps = text(m, "ds.steps").toInt(&ok);
    if (ok && sampler() != DiffusionSampler::Ddpm) steps_->setValue(steps);
    const double eta = text(m, "ds.eta").toDouble(&ok);
    if (ok && sampler() == DiffusionSampler::Ddim) eta_->setValue(eta);
    const int order = text(m, "ds.order").toInt(&ok);
    if (ok) order_->setValue(order);
    if (const auto v = api::names::parse(api::names::kMethods, api::metadataValue(m, "ds.method")))
        selectEnum(method_, api::names::kMethods, *v);
    if (const auto v = api::names::parse(api::names::kSpacings, api::metadataValue(m, "ds.skip")))
        selectEnum(skip_, api::names::kSpacings, *v);
    if (const auto v = api::names::parse(api::names::kUniPCVariants, api::metadataValue(m, "ds.unipc_variant")))
        selectEnum(variant_, api::names::kUniPCVariants, *v);
    if (const auto v = api::names::parse(api::names::kX0Corrections, api::metadataValue(m, "ds.clip_x0")))
        selectEnum(clip_, api::names::kX0Corrections, *v);
}

void DiffusionSamplerFields::save(QSettings& s) const {
    s.setValue(QStringLiteral("sampler"), sampler_->currentData());
    s.setValue(QStringLiteral("steps"), steps_->value());
    s.setValue(QStringLiteral("eta"), eta_->value());
    s.setValue(QStringLiteral("order"), order_->value());
    s.setValue(QStringLiteral("method"), method_->currentData());
    s.setValue(QStringLiteral("skip"), skip_->currentData());
    s.setValue(QStringLiteral("variant"), variant_->currentData());
    s.setValue(QStringLiteral("clipX0"), clip_->currentData());
}

void DiffusionSamplerFields::restore(QSettings& s, api::DiffusionSampler defaultSampler, int defaultSteps) {
    const auto select = [&s](QComboBox* combo, const char* key) {
        const int index = combo->findData(s.value(QString::fromLatin1(key)));
        if (index >= 0) combo->setCurrentIndex(index);
    };
    setSampler(defaultSampler);
    select(sampler_, "sampler");
    steps_->setValue(s.value(QStringLiteral("steps"), defaultSteps).toInt());
    eta_->setValue(s.value(QStringLiteral("eta"), 0.0).toDouble());
    order_->setValue(s.value(QStringLiteral("order"), 2).toInt());
    select(method_, "method");
    select(skip_, "skip");
    select(variant_, "variant");
    select(clip_, "clipX0");
}

void DiffusionSamplerFields::updateEnabled() {
    const auto s = sampler();
    const bool ode = api::isOdeSolver(s);
    const bool adaptive =
        ode && s != DiffusionSampler::UniPC && method_->currentData().toString() == QLatin1String("adaptive");
    sampler_->setEnabled(samplerChoice_);
    steps_->setEnabled(!samplerChoice_ || (s != DiffusionSampler::Ddpm && !adaptive));
    eta_->setEnabled(s == DiffusionSampler::Ddim);
    solverRow_->setEnabled(ode);
    method_->setEnabled(ode && s != DiffusionSampler::UniPC);
    variant_->setEnabled(s == DiffusionSampler::UniPC);
    clip_->setEnabled(s == DiffusionSampler::DpmSolverPlusPlus || s == DiffusionSampler::UniPC);
}

}  // namespace ds::ui
