// SPDX-License-Identifier: GPL-3.0-or-later
// A conditional probability path of flow matching: given a source sample x0 (noise, t = 0), a
// target sample x1 (data, t = 1), a time t and Gaussian noise eps, the point x_t on the path
// and the velocity u_t that the network learns to predict. The family follows torchcfm's
// definitions; "ot" is g4vrel/CFM's path (Lipman et al.'s OT path with sigma_min).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ds::flow {

struct PathPoint {
    torch::Tensor xt;
    torch::Tensor ut;
};

// Which rows of the two minibatches a coupling pairs: pair k is (x0[rows0[k]], x1[rows1[k]]).
// Undefined index tensors: the rows as they are (the independent coupling). Anything that
// travels with x1 (a class-conditional batch's labels) is picked with rows1.
struct Coupling {
    torch::Tensor rows0;
    torch::Tensor rows1;

    static torch::Tensor pick(const torch::Tensor& x, const torch::Tensor& rows) {
        return rows.defined() ? x.index_select(0, rows.to(x.device())) : x;
    }
};

class ProbabilityPath {
public:
    virtual ~ProbabilityPath() = default;

    virtual std::string name() const = 0;

    // x_t and u_t for the pairs (x0[i], x1[i]) at times t[i]; t: (B), eps like x0 (paths
    // without noise ignore it).
    virtual PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                         const torch::Tensor& eps) const = 0;

    // Pairs the batch before the path is sampled: OT-CFM and SB-CFM draw the pairs from a
    // transport plan between the two minibatches; the others keep the independent coupling.
    virtual Coupling pairing(const torch::Tensor& x0, const torch::Tensor& x1, at::Generator& gen) const;
    // The paired batches: (x0, x1) picked by pairing().
    std::pair<torch::Tensor, torch::Tensor> couple(const torch::Tensor& x0, const torch::Tensor& x1,
                                                   at::Generator& gen) const;

    // "ot" (g4vrel/CFM's), "icfm", "otcfm", "sbcfm", "vp", "target"; sigma: the path's sigma
    // (sigma_min for "ot" and "target"). Throws ds::Error for other names.
    static std::unique_ptr<ProbabilityPath> make(const std::string& name, double sigma);
    static std::vector<std::string> names();

protected:
    // t (B) shaped to broadcast against x (B, ...).
    static torch::Tensor expand(const torch::Tensor& t, const torch::Tensor& x);
};

}  // namespace ds::flow
