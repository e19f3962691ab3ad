// SPDX-License-Identifier: GPL-3.0-or-later
// A focused unpickler for what torch.save writes (pickle protocols 2 to 5): containers, scalars,
// strings, OrderedDicts and tensors rebuilt over storages. It is not a Python interpreter: it
// knows a short list of globals (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// friends, torch.*Storage, torch.Size, _codecs.encode) and rejects anything else with a message
// naming the global, so arbitrary pickles can never run code or build unknown objects.
//
// Malformed input (truncation, stack underflow, bad memo index, storage views out of range,
// absurd nesting or cycles) gives a ds::Error naming the source, never a crash.
#pragma once
#include "core/io/py_value.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ds::io {

// A persistent id as torch.save writes it: ('storage', storage_type, key, location, numel), plus
// view metadata (view_key, offset, numel) in the legacy pre-1.6 format.
struct StorageRef {
    struct View {
        std::string key;
        int64_t offset = 0;
        int64_t numel = 0;
    };
    std::string key;
    c10::ScalarType dtype = c10::ScalarType::Float;
    std::string location;  // where it was saved ("cpu", "cuda:0"); loading ignores it
    int64_t numel = 0;
    std::optional<View> view;
};

class Unpickler {
public:
    // Returns the storage for a persistent id: a 1-D contiguous tensor of `dtype` holding
    // `numel` elements (view.numel for a view). Tensors rebuilt over the same returned storage
    // share memory, as they do in Python, so loaders return one tensor per key.
    using StorageLoader = std::function<torch::Tensor(const StorageRef&)>;

    // The deepest nesting accepted; far beyond any checkpoint, low enough that code walking
    // the result recursively is safe.
    static constexpr int kMaxDepth = 1000;

    // Reads from the current position of `in`; `sourceName` (the file) prefixes messages.
    Unpickler(std::istream& in, std::string sourceName, StorageLoader loader = {});
    ~Unpickler();
    Unpickler(const Unpickler&) = delete;
    Unpickler& operator=(const Unpickler&) = delete;

    // Reads one pickle, up to and including its STOP opcode, leaving the stream right after it
    // (the legacy format stores several pickles back to back). Tensors come back on the CPU
    // with requires_grad off.
    PyValuePtr load();

    // The storage element type for a storage class name ("torch.FloatStorage",
    // "torch.cuda.HalfStorage", ...), or nullopt for an unknown name.
    static std::optional<c10::ScalarType> storageDtype(const std::string& qualifiedName);

private:
    void run();
    bool step(uint8_t opcode);

    // Input.
    uint8_t readByte();
    std::string readBytes(uint64_t count);
    uint64_t readUnsigned(int size);
    uint64_t readSignedSize(const char* opcodeName);  // LONG4, BINSTRING
    std::string readLine();
    int64_t readLong(uint64_t size);
    double readFloat();

    // Stack and memo.
    void push(PyValuePtr value);
    PyValuePtr pop();
    PyValuePtr& top();
    std::vector<PyValuePtr> popMark();
    void memoize(uint64_t index);
    void memoGet(uint64_t index);
    PyValuePtr container(PyValuePtr value);

    // Opcodes with more to them.
    void pushGlobal(const std::string& module, const std::string& name);
    void setItems(std::vector<PyValuePtr> items, PyValue& dict);
    void appendItems(std::vector<PyValuePtr> items, PyValue& list);
    void build();
    PyValuePtr call(const PyValue& callable, const PyValue& args, int depth = 0);
    PyValuePtr persistentLoad(const PyValue& pid);
    PyValuePtr rebuildTensor(const std::vector<PyValuePtr>& args);

    // Cleanup.
    void checkResult(const PyValuePtr& result);
    void dismantle(const std::unordered_map<const PyValue*, int>* keep);

    [[noreturn]] void corrupt(const std::string& what) const;
    [[noreturn]] void unsupported(const std::string& what) const;

    std::istream& in_;
    std::string name_;
    StorageLoader loader_;
    uint64_t remaining_ = 0;
    uint64_t position_ = 0;
    std::vector<PyValuePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PyValuePtr> memo_;
    std::vector<PyValuePtr> containers_;  // every container made, to break them up safely
    bool stopped_ = false;
};

}  // namespace ds::io
