// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/cfg_unet.h"

#include "core/checkpoint/state_dict.h"
#include "core/nn/sinusoidal_pos_emb.h"
#include "core/util/error.h"

#include <functional>

namespace ds::nn {

namespace {

namespace F = torch::nn::functional;

// ResnetBlock(dim, dim_out, time_emb_dim, classes_emb_dim): FiLM from cat(time, class).
class CfgResnetBlockImpl : public torch::nn::Module {
public:
    CfgResnetBlockImpl(int64_t dimIn, int64_t dimOut, int64_t condDim) {
        mlp_ = register_module("mlp", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(condDim, dimOut * 2)));
        block1_ = register_module("block1", ConvBlock(dimIn, dimOut, 0.0));
        block2_ = register_module("block2", ConvBlock(dimOut, dimOut, 0.0));
        if (dimIn != dimOut)
            resConv_ = register_module("res_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dimIn, dimOut, 1)));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& c) {
        auto cond = mlp_->forward(torch::cat({t, c}, -1)).unsqueeze(-1).unsqueeze(-1);
        auto scaleShift = cond.chunk(2, 1);
        auto h = block1_->forward(x, std::make_pair(scaleShift[0], scaleShift[1]));
        h = block2_->forward(h);
        return h + (resConv_ ? resConv_->forward(x) : x);
    }

private:
    torch::nn::Sequential mlp_{nullptr};
    ConvBlock block1_{nullptr}, block2_{nullptr};
    torch::nn::Conv2d resConv_{nullptr};
};
TORCH_MODULE(CfgResnetBlock);

// Both attentions: to_qkv (1x1, no bias) split into heads; q scaled by dim_head^-0.5.
class CfgAttentionImpl : public torch::nn::Module {
public:
    CfgAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, bool linear)
        : heads_(heads), scale_(std::pow(double(dimHead), -0.5)), linear_(linear) {
        toQkv_ = register_module("to_qkv",
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, heads * dimHead * 3, 1).bias(false)));
        if (linear)
            toOut_ = register_module(
                "to_out", torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(heads * dimHead, dim, 1)),
                                                RMSNorm(dim)));
        else
            toOutConv_ =
                register_module("to_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(heads * dimHead, dim, 1)));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const auto b = x.size(0), h = x.size(2), w = x.size(3);
        auto qkv = toQkv_->forward(x).chunk(3, 1);
        // 'b (h c) x y -> b h c (x y)'
        auto split = [&](const torch::Tensor& t) { return t.reshape({b, heads_, -1, h * w}); };
        auto q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
        if (linear_) {
            q = q.softmax(-2);
            k = k.softmax(-1);
            q = q * scale_;
            auto context = torch::einsum("bhdn,bhen->bhde", {k, v});
            auto out = torch::einsum("bhde,bhdn->bhen", {context, q});
            return toOut_->forward(out.reshape({b, -1, h, w}));
        }
        q = q * scale_;
        auto sim = torch::einsum("bhdi,bhdj->bhij", {q, k});
        auto attn = sim.softmax(-1);
        auto out = torch::einsum("bhij,bhdj->bhid", {attn, v});
        // 'b h (x y) d -> b (h d) x y'
        out = out.permute({0, 1, 3, 2}).reshape({b, -1, h, w});
        return toOutConv_->forward(out);
    }

private:
    int64_t heads_;
    double scale_;
    bool linear_;
    torch::nn::Conv2d toQkv_{nullptr};
    torch::nn::Sequential toOut_{nullptr};
    torch::nn::Conv2d toOutConv_{nullptr};
};
TORCH_MODULE(CfgAttention);

// PreNorm(dim, fn): fn(RMSNorm(x)); names norm.g, fn.*.
class CfgPreNormImpl : public torch::nn::Module {
public:
    CfgPreNormImpl(int64_t dim, CfgAttention fn) {
        norm_ = register_module("norm", RMSNorm(dim));
        fn_ = register_module("fn", std::move(fn));
    }
    torch::Tensor forward(const torch::Tensor& x) { return fn_->forward(norm_->forward(x)); }

private:
    RMSNorm norm_{nullptr};
    CfgAttention fn_{nullptr};
};
TORCH_MODULE(CfgPreNorm);

// Residual(fn): fn(x) + x; names fn.*.
class CfgResidualImpl : public torch::nn::Module {
public:
    explicit CfgResidualImpl(CfgPreNorm fn) { fn_ = register_module("fn", std::move(fn)); }
    torch::Tensor forward(const torch::Tensor& x) { return fn_->forward(x) + x; }

private:
    CfgPreNorm fn_{nullptr};
};
TORCH_MODULE(CfgResidual);

CfgResidual residualAttention(int64_t dim, int64_t heads, int64_t dimHead, bool linear) {
    return CfgResidual(CfgPreNorm(dim, CfgAttention(dim, heads, dimHead, linear)));
}

// Downsample: a 4x4 stride-2 convolution. Upsample: nearest x2 then a 3x3 convolution.
struct Resample {
    std::shared_ptr<torch::nn::Module> module;
    std::function<torch::Tensor(const torch::Tensor&)> forward;
};

Resample conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
    auto c = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding));
    return {c.ptr(), [c](const torch::Tensor& x) mutable { return c->forward(x); }};
}

Resample upsample(int64_t in, int64_t out) {
    auto seq = torch::nn::Sequential(
        torch::nn::Upsample(
            torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
    return {seq.ptr(), [seq](const torch::Tensor& x) mutable { return seq->forward(x); }};
}

struct Stage {
    CfgResnetBlock block1{nullptr}, block2{nullptr};
    CfgResidual attn{nullptr};
    Resample resample;
};

}  // namespace

// The stages, typed, beside the ModuleLists that name them.
struct CfgUnetImpl::ResnetBlockCfg {
    std::vector<Stage> downs, ups;
    CfgResnetBlock mid1{nullptr}, mid2{nullptr}, final{nullptr};
    CfgResidual midAttn{nullptr};
};

void CfgUnetConfig::validate() const {
    if (dim < 1 || numClasses < 1 || channels < 1 || dimMults.empty())
        throw Error("the classifier-free-guidance Unet needs a positive dim, class count, channels and dim_mults");
    for (int m : dimMults)
        if (m < 1) throw Error("dim_mults must be positive");
    if (condDropProb < 0 || condDropProb > 1) throw Error("cond_drop_prob must be in [0, 1]");
    if (attnHeads < 1 || attnDimHead < 1) throw Error("attention heads and head size must be positive");
}

nlohmann::json CfgUnetConfig::toJson() const {
    return {{"dim", dim},
            {"num_classes", numClasses},
            {"cond_drop_prob", condDropProb},
            {"init_dim", resolvedInitDim()},
            {"out_dim", resolvedOutDim()},
            {"dim_mults", dimMults},
            {"channels", channels},
            {"learned_variance", learnedVariance},
            {"attn_dim_head", attnDimHead},
            {"attn_heads", attnHeads}};
}

CfgUnetConfig CfgUnetConfig::fromJson(const nlohmann::json& j) {
    CfgUnetConfig c;
    c.dim = j.at("dim");
    c.numClasses = j.at("num_classes");
    c.condDropProb = j.value("cond_drop_prob", c.condDropProb);
    c.initDim = j.value("init_dim", 0);
    c.outDim = j.value("out_dim", 0);
    c.dimMults = j.at("dim_mults").get<std::vector<int>>();
    c.channels = j.value("channels", c.channels);
    c.learnedVariance = j.value("learned_variance", false);
    c.attnDimHead = j.value("attn_dim_head", c.attnDimHead);
    c.attnHeads = j.value("attn_heads", c.attnHeads);
    return c;
}

CfgUnetConfig CfgUnetConfig::inferFromStateDict(const checkpoint::StateDict& sd) {
    CfgUnetConfig c;
    const auto classes = sd.shape("classes_emb.weight");
    c.numClasses = int(classes[0]);
    c.dim = int(classes[1]);
    const auto init = sd.shape("init_conv.weight");
    c.initDim = int(init[0]);
    c.channels = int(init[1]);
    c.outDim = int(sd.shape("final_conv.weight")[0]);
    c.learnedVariance = c.outDim == 2 * c.channels;
    c.dimMults.clear();
    for (int i = 0;; ++i) {
        const std::string key = "downs." + std::to_string(i) + ".3.weight";
        if (!sd.contains(key)) break;
        c.dimMults.push_back(int(sd.shape(key)[0] / c.dim));
    }
    if (c.dimMults.empty()) throw Error("no down stages (downs.0.3.weight) in the Unet");
    // The middle attention: heads x dim_head = to_qkv's rows / 3; upstream's default split is 4 x 32.
    const int64_t hidden = sd.shape("mid_attn.fn.fn.to_qkv.weight")[0] / 3;
    c.attnHeads = hidden % 32 == 0 ? int(hidden / 32) : 1;
    c.attnDimHead = int(hidden / c.attnHeads);
    return c;
}

CfgUnetImpl::CfgUnetImpl(const CfgUnetConfig& config) : config_(config) {
    config_.validate();
    auto* s = new ResnetBlockCfg;
    stages_.reset(s);
    const int64_t dim = config_.dim, initDim = config_.resolvedInitDim();
    initConv_ = register_module("init_conv",
                                torch::nn::Conv2d(torch::nn::Conv2dOptions(config_.channels, initDim, 7).padding(3)));
    std::vector<int64_t> dims{initDim};
    for (int m : config_.dimMults) dims.push_back(dim * m);
    const int64_t timeDim = dim * 4, classesDim = dim * 4, condDim = timeDim + classesDim;
    timeMlp_ = register_module("time_mlp",
                               torch::nn::Sequential(SinusoidalPosEmb(dim, 10000.0), torch::nn::Linear(dim, timeDim),
                                                     torch::nn::GELU(), torch::nn::Linear(timeDim, timeDim)));
    classesEmb_ = register_module("classes_emb", torch::nn::Embedding(config_.numClasses, dim));
    nullClassesEmb_ = register_parameter("null_classes_emb", torch::randn({dim}));
    classesMlp_ =
        register_module("classes_mlp", torch::nn::Sequential(torch::nn::Linear(dim, classesDim), torch::nn::GELU(),
                                                             torch::nn::Linear(classesDim, classesDim)));
    downs_ = register_module("downs", torch::nn::ModuleList());
    ups_ = register_module("ups", torch::nn::ModuleList());
    const size_t n = dims.size() - 1;
    for (size_t i = 0; i < n; ++i) {
        const int64_t in = dims[i], out = dims[i + 1];
        const bool last = i + 1 == n;
        Stage st{CfgResnetBlock(in, in, condDim), CfgResnetBlock(in, in, condDim), residualAttention(in, 4, 32, true),
                 last ? conv(in, out, 3, 1, 1) : conv(in, out, 4, 2, 1)};
        auto list = torch::nn::ModuleList();
        list->push_back(st.block1);
        list->push_back(st.block2);
        list->push_back(st.attn);
        list->push_back(st.resample.module);
        downs_->push_back(list);
        s->downs.push_back(st);
    }
    const int64_t mid = dims.back();
    s->mid1 = CfgResnetBlock(mid, mid, condDim);
    s->midAttn = residualAttention(mid, config_.attnHeads, config_.attnDimHead, false);
    s->mid2 = CfgResnetBlock(mid, mid, condDim);
    midBlock1_ = register_module("mid_block1", s->mid1);
    midAttn_ = register_module("mid_attn", s->midAttn);
    midBlock2_ = register_module("mid_block2", s->mid2);
    for (size_t k = 0; k < n; ++k) {
        const size_t i = n - 1 - k;
        const int64_t in = dims[i], out = dims[i + 1];
        const bool last = k + 1 == n;
        Stage st{CfgResnetBlock(out + in, out, condDim), CfgResnetBlock(out + in, out, condDim),
                 residualAttention(out, 4, 32, true), last ? conv(out, in, 3, 1, 1) : upsample(out, in)};
        auto list = torch::nn::ModuleList();
        list->push_back(st.block1);
        list->push_back(st.block2);
        list->push_back(st.attn);
        list->push_back(st.resample.module);
        ups_->push_back(list);
        s->ups.push_back(st);
    }
    s->final = CfgResnetBlock(initDim * 2, initDim, condDim);
    finalResBlock_ = register_module("final_res_block", s->final);
    finalConv_ = register_module("final_conv",
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(initDim, config_.resolvedOutDim(), 1)));
}

torch::Tensor CfgUnetImpl::run(const torch::Tensor& xIn, const torch::Tensor& time, const torch::Tensor& classesEmb) {
    auto& s = *stages_;
    const auto c = classesMlp_->forward(classesEmb);
    auto x = initConv_->forward(xIn);
    const auto r = x.clone();
    const auto t = timeMlp_->forward(time);
    std::vector<torch::Tensor> h;
    for (auto& st : s.downs) {
        x = st.block1->forward(x, t, c);
        h.push_back(x);
        x = st.block2->forward(x, t, c);
        x = st.attn->forward(x);
        h.push_back(x);
        x = st.resample.forward(x);
    }
    x = s.mid1->forward(x, t, c);
    x = s.midAttn->forward(x);
    x = s.mid2->forward(x, t, c);
    for (auto& st : s.ups) {
        x = torch::cat({x, h.back()}, 1);
        h.pop_back();
        x = st.block1->forward(x, t, c);
        x = torch::cat({x, h.back()}, 1);
        h.pop_back();
        x = st.block2->forward(x, t, c);
        x = st.attn->forward(x);
        x = st.resample.forward(x);
    }
    x = torch::cat({x, r}, 1);
    x = s.final->forward(x, t, c);
    return finalConv_->forward(x);
}

torch::Tensor CfgUnetImpl::forward(const torch::Tensor& x, const torch::Tensor& time, const torch::Tensor& classes,
                                   const std::optional<torch::Tensor>& keepClass) {
    if (classes.dim() != 1 || classes.size(0) != x.size(0)) throw Error("the classes must be one label per image");
    auto emb = classesEmb_->forward(classes);
    if (keepClass)
        emb = torch::where(keepClass->unsqueeze(1), emb, nullClassesEmb_.unsqueeze(0).expand({x.size(0), -1}));
    return run(x, time, emb);
}

torch::Tensor CfgUnetImpl::forwardNull(const torch::Tensor& x, const torch::Tensor& time,
                                       const torch::Tensor& classes) {
    return forward(x, time, classes,
                   torch::zeros({x.size(0)}, torch::TensorOptions().dtype(torch::kBool).device(x.device())));
}

std::pair<torch::Tensor, torch::Tensor> CfgUnetImpl::forwardWithCondScale(const torch::Tensor& x,
                                                                          const torch::Tensor& time,
                                                                          const torch::Tensor& classes,
                                                                          const GuidanceOptions& g) {
    if (g.condScale == 1.0) return {forward(x, time, classes), torch::Tensor()};
    // Upstream calls the network twice; here the class and the null class are one batch of 2B
    // (the same outputs up to float rounding: every layer works per image), so guidance costs one larger call.
    const int64_t b = x.size(0);
    const auto keep = torch::cat({torch::ones({b}, torch::kBool), torch::zeros({b}, torch::kBool)}).to(x.device());
    const auto both = forward(torch::cat({x, x}), torch::cat({time, time}), torch::cat({classes, classes}), keep);
    const auto logits = both.slice(0, 0, b), null = both.slice(0, b);
    return {guidedOutput(logits, null, g), null};
}

torch::Tensor guidedOutput(const torch::Tensor& logits, const torch::Tensor& null, const GuidanceOptions& g) {
    auto update = logits - null;
    if (g.removeParallelComponent) {
        // project(update, logits): per sample, flattened, in float64 (upstream's), each part cast back.
        const auto u = update.flatten(1).to(torch::kDouble), y = logits.flatten(1).to(torch::kDouble);
        const auto unit = F::normalize(y, F::NormalizeFuncOptions().dim(-1));
        const auto parallel = (u * unit).sum(-1, true) * unit;
        const auto orthogonal = u - parallel;
        update = orthogonal.to(logits.scalar_type()).view_as(logits) +
                 parallel.to(logits.scalar_type()).view_as(logits) * g.keepParallelFrac;
    }
    auto scaled = logits + update * (g.condScale - 1.0);
    if (g.rescaledPhi == 0.0) return scaled;
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < scaled.dim(); ++d) dims.push_back(d);
    const auto stdOf = [&dims](const torch::Tensor& t) { return t.std(dims, /*unbiased=*/true, /*keepdim=*/true); };
    auto rescaled = scaled * (stdOf(logits) / stdOf(scaled));
    return rescaled * g.rescaledPhi + scaled * (1.0 - g.rescaledPhi);
}

}  // namespace ds::nn
