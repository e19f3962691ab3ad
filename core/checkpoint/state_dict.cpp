// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/checkpoint/state_dict.h"

#include "core/util/error.h"
#include "core/util/tuple_text.h"

#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace ds::checkpoint {

namespace {

std::string joinFirst(const std::vector<std::string>& items, size_t n) {
    std::ostringstream os;
    for (size_t i = 0; i < items.size() && i < n; ++i) os << (i ? ", " : "") << items[i];
    if (items.size() > n) os << " and " << (items.size() - n) << " more";
    return os.str();
}

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

StateDict StateDict::fromPyDict(const io::PyValue& dict) {
    StateDict sd;
    for (const auto& [key, value] : dict.asDict()) {
        if (key->is(io::PyValue::Kind::String) && value->is(io::PyValue::Kind::Tensor))
            sd.add(key->asString(), value->asTensor());
    }
    return sd;
}

StateDict StateDict::fromModule(const torch::nn::Module& module, const std::string& prefix) {
    StateDict sd;
    // torch orders a state_dict per module: own parameters, own buffers, then children.
    // Our modules keep buffers only at the top level (GaussianDiffusion), so buffers first
    // matches upstream files there, and parameters-only children follow in order.
    for (const auto& b : module.named_buffers(/*recurse=*/false)) sd.add(prefix + b.key(), b.value());
    for (const auto& p : module.named_parameters(/*recurse=*/true)) sd.add(prefix + p.key(), p.value());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) {
        if (!sd.contains(prefix + b.key())) sd.add(prefix + b.key(), b.value());
    }
    return sd;
}

StateDict StateDict::withPrefix(const std::string& prefix) const {
    StateDict sd;
    for (const auto& [name, t] : entries_)
        if (startsWith(name, prefix)) sd.add(name.substr(prefix.size()), t);
    return sd;
}

StateDict StateDict::withoutWrapperPrefixes() const {
    StateDict sd;
    for (auto [name, t] : entries_) {
        for (bool stripped = true; stripped;) {
            stripped = false;
            for (const char* p : {"_orig_mod.", "module."}) {
                if (startsWith(name, p)) {
                    name = name.substr(std::string(p).size());
                    stripped = true;
                }
            }
        }
        sd.add(name, t);
    }
    return sd;
}

bool StateDict::contains(const std::string& name) const { return find(name) != nullptr; }

const torch::Tensor* StateDict::find(const std::string& name) const {
    for (const auto& [n, t] : entries_)
        if (n == name) return &t;
    return nullptr;
}

const torch::Tensor& StateDict::at(const std::string& name) const {
    if (const auto* t = find(name)) return *t;
    throw Error("missing tensor '" + name + "'");
}

std::vector<int64_t> StateDict::shape(const std::string& name) const { return at(name).sizes().vec(); }

void StateDict::add(std::string name, torch::Tensor tensor) {
    entries_.emplace_back(std::move(name), std::move(tensor));
}

void StateDict::loadInto(torch::nn::Module& module, const std::string& what) const {
    std::unordered_map<std::string, const torch::Tensor*> byName;
    for (const auto& [n, t] : entries_) byName[n] = &t;

    std::vector<std::string> missing, mismatched;
    std::unordered_set<std::string> used;
    std::vector<std::pair<torch::Tensor, const torch::Tensor*>> copies;
    auto plan = [&](const std::string& name, torch::Tensor& target) {
        auto it = byName.find(name);
        if (it == byName.end()) return missing.push_back(name);
        used.insert(name);
        if (it->second->sizes() != target.sizes())
            return mismatched.push_back(name + " " + tupleText(it->second->sizes()) + " vs " +
                                        tupleText(target.sizes()));
        copies.emplace_back(target, it->second);
    };
    for (auto& p : module.named_parameters(true)) plan(p.key(), p.value());
    for (auto& b : module.named_buffers(true)) plan(b.key(), b.value());

    std::vector<std::string> unexpected;
    for (const auto& [n, t] : entries_)
        if (!used.count(n)) unexpected.push_back(n);

    if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
        std::ostringstream os;
        os << what << " does not match the architecture:";
        if (!missing.empty()) os << " missing " << joinFirst(missing, 3) << ";";
        if (!mismatched.empty()) os << " shape mismatch " << joinFirst(mismatched, 3) << ";";
        if (!unexpected.empty()) os << " unexpected " << joinFirst(unexpected, 3) << ";";
        std::string msg = os.str();
        msg.pop_back();
        throw Error(msg);
    }
    torch::NoGradGuard noGrad;
    for (auto& [target, source] : copies) target.copy_(source->to(target.device(), target.scalar_type()));
}

io::PyValuePtr StateDict::toPyDict() const {
    auto dict = io::PyValue::dict(/*ordered=*/true);
    for (const auto& [name, t] : entries_)
        dict->set(name, io::PyValue::tensor(t.detach().to(torch::kCPU).contiguous()));
    return dict;
}

}  // namespace ds::checkpoint
