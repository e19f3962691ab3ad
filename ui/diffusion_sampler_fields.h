// Diffusion Studio - the sampler of a diffusion checkpoint and its options, as every page that
// samples one offers them: the Explorer's runs, the Generate page, the Train page's previews.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/diffusion_solver.h"
#include "core/api/image_file.h"

#include <QString>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSettings;
class QSpinBox;

namespace ds::api {
struct SampleRequest;
}

namespace ds::ui {

// DDIM (with eta), DDPM, DPM-Solver++, DPM-Solver and UniPC; for the ODE solvers their order,
// method (DPM-Solver: multistep, singlestep, adaptive), step spacing, UniPC's variant and the
// correction of x0. Fields that do not apply to the chosen sampler are disabled. Object names:
// prefix + Sampler, Steps, Eta, Order, Method, Skip, Variant, ClipX0 + suffix (e.g.
// "generateSteps", "explorerStepsA").
// With `previewOnly` (the Train page) the sampler and steps only: previews use the solvers'
// default options.
class DiffusionSamplerFields : public QWidget {
    Q_OBJECT

public:
    DiffusionSamplerFields(const QString& namePrefix, const QString& nameSuffix, bool previewOnly,
                           QWidget* parent = nullptr);

    api::DiffusionSampler sampler() const;
    int steps() const;
    double eta() const;
    api::SolverOptions solverOptions() const;
    void setSampler(api::DiffusionSampler sampler);
    void setSteps(int steps);
    void setEta(double eta);
    void setSolverOptions(const api::SolverOptions& options);
    // Off for flow-matching runs, whose previews take the ODE solver's steps only.
    void setSamplerChoiceEnabled(bool on);

    // The request's sampler, steps (0 for DDPM: all timesteps), eta (DDIM only) and options.
    void applyTo(api::SampleRequest& request) const;
    // From a sample PNG's metadata (ds.sampler, ds.steps, ds.eta, ds.order, ...): what is there.
    void restoreFrom(const api::ImageMetadata& metadata);
    // QSettings keys below the current group: sampler, steps, eta, order, method, skip, variant, clipX0.
    void save(QSettings& settings) const;
    void restore(QSettings& settings, api::DiffusionSampler defaultSampler, int defaultSteps);

Q_SIGNALS:
    void changed();

private:
    void updateEnabled();

    QComboBox* sampler_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QDoubleSpinBox* eta_ = nullptr;
    QSpinBox* order_ = nullptr;
    QComboBox* method_ = nullptr;
    QComboBox* skip_ = nullptr;
    QComboBox* variant_ = nullptr;
    QComboBox* clip_ = nullptr;
    QWidget* solverRow_ = nullptr;
    bool previewOnly_ = false;
    bool samplerChoice_ = true;
};

}  // namespace ds::ui
