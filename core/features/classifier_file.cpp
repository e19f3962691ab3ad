// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/features/classifier_file.h"

#include "core/checkpoint/py_json.h"
#include "core/data/image_decode.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

#include <cstdlib>
#include <filesystem>

namespace ds::features {

using io::PyValue;
using io::PyValuePtr;

const char* const kClassifierInputConvention =
    "each image decoded to 8-bit RGB as pytorch-fid's PIL convert('RGB') gives it (gray replicated, alpha "
    "dropped, 16-bit scaled to 8), then gray by BT.601 (OpenCV's RGB2GRAY; gray stays exact), then resized to "
    "the input size (OpenCV INTER_AREA when shrinking, bilinear when enlarging; a non-square image is "
    "stretched), then pixel / 255. The built-in Fashion-MNIST sets enter as the Train page's data: 28x28 "
    "padded with 2 black pixels to 32x32, then that conversion (32x32 -> 28x28 by INTER_AREA).";

std::string defaultClassifierPath(const std::string& dataset) {
    namespace fs = std::filesystem;
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".cache";
    return (base / "diffusion-studio" / "features" / (dataset + "-classifier.pt")).string();
}

std::string ClassifierRecord::label() const {
    return dataset + " classifier, " + std::to_string(config.featureDim) + "-d";
}

std::string ClassifierFile::featureSpaceId() const { return record.label() + " (sha256 " + sha256.substr(0, 16) + ")"; }

namespace {

// Python floats as 0-d float64 tensors, throughout a tree. torch.load(weights_only=True) of
// PyTorch 1.13 (Debian 12's) rejects a pickled float (BINFLOAT, "Unsupported operand 71"); a
// tensor it rebuilds. float(t) or t.item() gives the number back in Python.
PyValuePtr floatsAsTensors(const PyValuePtr& v) {
    switch (v->kind) {
    case PyValue::Kind::Float: return PyValue::tensor(torch::tensor(v->floatValue, torch::kDouble));
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple:
        for (auto& item : v->items) item = floatsAsTensors(item);
        return v;
    case PyValue::Kind::Dict:
        for (auto& entry : v->entries) entry.second = floatsAsTensors(entry.second);
        return v;
    default: return v;
    }
}

// The reverse, for the plain parts read back (files written before floats became tensors hold
// Python floats: both read).
nlohmann::json plainJson(const PyValue& v) {
    if (v.is(PyValue::Kind::Tensor) && v.asTensor().dim() == 0 && v.asTensor().is_floating_point())
        return v.asTensor().item<double>();
    if (v.is(PyValue::Kind::Dict)) {
        auto obj = nlohmann::json::object();
        for (const auto& [k, val] : v.asDict()) obj[k->asString()] = plainJson(*val);
        return obj;
    }
    if (v.is(PyValue::Kind::List) || v.is(PyValue::Kind::Tuple)) {
        auto arr = nlohmann::json::array();
        for (const auto& item : v.asSequence()) arr.push_back(plainJson(*item));
        return arr;
    }
    return checkpoint::toJson(v);
}

}  // namespace

void writeClassifierFile(const std::string& path, FeatureClassifier& net, const ClassifierRecord& record) {
    const auto& config = net->config();
    auto root = PyValue::dict(false);
    root->set("format", PyValue::str(kClassifierFormat));
    root->set("version", PyValue::integer(kClassifierFormatVersion));
    root->set("dataset", PyValue::str(record.dataset));
    root->set("name", PyValue::str(record.label()));
    auto architecture = checkpoint::fromJson(config.toJson());
    architecture->set("description", PyValue::str(config.describe()));
    root->set("architecture", architecture);
    root->set("input", checkpoint::fromJson({{"channels", config.inputChannels},
                                             {"size", config.inputSize},
                                             {"scale", "pixel / 255"},
                                             {"mean", config.inputMean},
                                             {"std", config.inputStd},
                                             {"conversion", kClassifierInputConvention}}));
    root->set("feature_dim", PyValue::integer(config.featureDim));
    root->set("feature_layer", PyValue::str("embed: the ReLU after Linear(..., " + std::to_string(config.featureDim) +
                                            "), the input of the classifier head"));
    root->set("classes", checkpoint::fromJson(record.classes));
    root->set("test_accuracy", PyValue::real(record.testAccuracy));
    root->set("test_images", PyValue::integer(record.testImages));
    root->set("training", checkpoint::fromJson(record.training));
    floatsAsTensors(root);
    root->set("state_dict", checkpoint::StateDict::fromModule(*net).toPyDict());
    io::saveTorchFile(path, root);
}

namespace {

const PyValue& entry(const PyValue& root, const char* key, PyValue::Kind kind) {
    const PyValue* v = root.find(key);
    if (!v) throw Error(std::string("no '") + key + "' entry");
    if (!v->is(kind))
        throw Error(std::string("'") + key + "' is a " + v->kindName() + ", expected a " + PyValue::kindName(kind));
    return *v;
}

}  // namespace

ClassifierFile readClassifierFile(const std::string& path) {
    ClassifierFile file;
    file.path = path;
    std::string bytes;
    {
        const auto data = data::readFileBytes(path);  // throws "path: problem" when missing
        bytes.assign(data.begin(), data.end());
    }
    file.sha256 = sha256Hex(bytes);
    const auto root = io::loadTorchBytes(std::move(bytes), path);
    try {
        if (!root->is(PyValue::Kind::Dict)) throw Error("not a feature classifier (not a dict)");
        const PyValue* format = root->find("format");
        if (!format || !format->is(PyValue::Kind::String) || format->asString() != kClassifierFormat)
            throw Error("not a feature classifier (no format '" + std::string(kClassifierFormat) +
                        "'; train one with `diffusion-studio-cli train-classifier`)");
        const int64_t version = entry(*root, "version", PyValue::Kind::Int).asInt();
        if (version != kClassifierFormatVersion)
            throw Error("feature classifier version " + std::to_string(version) + " (this program reads version " +
                        std::to_string(kClassifierFormatVersion) + ")");
        auto& r = file.record;
        r.dataset = entry(*root, "dataset", PyValue::Kind::String).asString();
        r.config = ClassifierConfig::fromJson(plainJson(entry(*root, "architecture", PyValue::Kind::Dict)));
        if (entry(*root, "feature_dim", PyValue::Kind::Int).asInt() != r.config.featureDim)
            throw Error("feature_dim does not match the architecture's");
        for (const auto& name : entry(*root, "classes", PyValue::Kind::List).asList())
            r.classes.push_back(name->asString());
        if (const PyValue* a = root->find("test_accuracy")) {
            const auto value = plainJson(*a);
            if (!value.is_number()) throw Error("'test_accuracy' is not a number");
            r.testAccuracy = value.get<double>();
        }
        if (const PyValue* n = root->find("test_images"); n && n->is(PyValue::Kind::Int)) r.testImages = n->asInt();
        if (const PyValue* t = root->find("training"); t && t->is(PyValue::Kind::Dict)) r.training = plainJson(*t);
        file.weights = checkpoint::StateDict::fromPyDict(entry(*root, "state_dict", PyValue::Kind::Dict));
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
    return file;
}

FeatureClassifier buildClassifier(const ClassifierFile& file, torch::Device device) {
    FeatureClassifier net(file.record.config);
    try {
        file.weights.loadInto(*net, "the classifier's weights");
    } catch (const Error& e) {
        throw fileError(file.path, e.what());
    }
    net->eval();
    net->to(device);
    return net;
}

}  // namespace ds::features
