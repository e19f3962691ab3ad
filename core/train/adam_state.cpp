// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/adam_state.h"

#include "core/util/error.h"

namespace ds::train {

namespace {

using io::PyValue;

std::string keyOf(const torch::Tensor& param) { return c10::guts::to_string(param.unsafeGetTensorImpl()); }

const std::vector<torch::Tensor>& onlyGroupParams(torch::optim::Adam& optimizer) {
    if (optimizer.param_groups().size() != 1) throw Error("only single-group Adam optimizers are supported");
    return optimizer.param_groups()[0].params();
}

}  // namespace

io::PyValuePtr adamStateDict(torch::optim::Adam& optimizer) {
    const auto& params = onlyGroupParams(optimizer);
    auto& options = static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options());
    auto state = PyValue::dict(false);
    for (size_t i = 0; i < params.size(); ++i) {
        auto it = optimizer.state().find(keyOf(params[i]));
        if (it == optimizer.state().end()) continue;
        const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
        auto entry = PyValue::dict(false);
        // PyTorch 1.13 keeps `step` as a float tensor.
        entry->set("step", PyValue::tensor(torch::tensor(static_cast<float>(s.step()))));
        entry->set("exp_avg", PyValue::tensor(s.exp_avg().detach().cpu().contiguous()));
        entry->set("exp_avg_sq", PyValue::tensor(s.exp_avg_sq().detach().cpu().contiguous()));
        state->set(PyValue::integer(static_cast<int64_t>(i)), entry);
    }
    auto group = PyValue::dict(false);
    group->set("lr", PyValue::real(options.lr()));
    group->set("betas", PyValue::tuple({PyValue::real(std::get<0>(options.betas())),
                                        PyValue::real(std::get<1>(options.betas()))}));
    group->set("eps", PyValue::real(options.eps()));
    group->set("weight_decay", PyValue::real(options.weight_decay()));
    group->set("amsgrad", PyValue::boolean(options.amsgrad()));
    group->set("maximize", PyValue::boolean(false));
    group->set("foreach", PyValue::none());
    group->set("capturable", PyValue::boolean(false));
    group->set("differentiable", PyValue::boolean(false));
    group->set("fused", PyValue::none());
    auto ids = PyValue::list();
    for (size_t i = 0; i < params.size(); ++i) ids->append(PyValue::integer(static_cast<int64_t>(i)));
    group->set("params", ids);
    auto dict = PyValue::dict(false);
    dict->set("state", state);
    dict->set("param_groups", PyValue::list({group}));
    return dict;
}

void loadAdamStateDict(torch::optim::Adam& optimizer, const io::PyValue& dict) {
    const auto& params = onlyGroupParams(optimizer);
    const auto& groups = dict.at("param_groups").asSequence();
    if (groups.size() != 1 || groups[0]->at("params").asSequence().size() != params.size())
        throw Error("the optimizer state does not match the model's parameters");
    optimizer.state().clear();
    for (const auto& [key, value] : dict.at("state").asDict()) {
        const int64_t i = key->asInt();
        if (i < 0 || i >= static_cast<int64_t>(params.size())) throw Error("optimizer state for an unknown parameter");
        const auto& p = params[static_cast<size_t>(i)];
        auto s = std::make_unique<torch::optim::AdamParamState>();
        const auto& step = value->at("step");
        s->step(step.is(PyValue::Kind::Tensor) ? static_cast<int64_t>(step.asTensor().item<double>()) : step.asInt());
        auto expAvg = value->at("exp_avg").asTensor();
        auto expAvgSq = value->at("exp_avg_sq").asTensor();
        if (expAvg.sizes() != p.sizes() || expAvgSq.sizes() != p.sizes())
            throw Error("optimizer state shape does not match parameter " + std::to_string(i));
        s->exp_avg(expAvg.to(p.device(), p.scalar_type()).clone());
        s->exp_avg_sq(expAvgSq.to(p.device(), p.scalar_type()).clone());
        optimizer.state()[keyOf(p)] = std::move(s);
    }
}

}  // namespace ds::train
