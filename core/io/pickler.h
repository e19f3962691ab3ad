// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a PyValue tree as the protocol-2 pickle that torch.save would write for the same
// Python objects: tensors become _rebuild_tensor_v2 calls over storages referenced by
// persistent ids, dicts flagged `ordered` become collections.OrderedDict, bytes use
// _codecs.encode as Python's own protocol-2 pickler does. The storages' bytes are collected for
// the caller to store next to the pickle (<prefix>/data/<key> in a zip archive).
#pragma once
#include "core/io/py_value.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ds::io {

class Pickler {
public:
    // The bytes of one whole storage, kept alive by `owner`. Tensors that view the same CPU
    // storage with the same dtype share one entry (and stay views when loaded), as in torch.save.
    struct Storage {
        std::string key;
        c10::ScalarType dtype = c10::ScalarType::Float;
        const void* data = nullptr;
        uint64_t nbytes = 0;
        torch::Tensor owner;
    };

    // Serializes `value`. Throws ds::Error for what torch.save could not write either: an
    // unsupported dtype or layout, or nesting deeper than Unpickler::kMaxDepth (cycles).
    std::string pickle(const PyValue& value);

    const std::vector<Storage>& storages() const { return storages_; }

private:
    void save(const PyValue& value, int depth);
    void saveInt(int64_t value);
    void saveFloat(double value);
    void saveString(const std::string& utf8);
    void saveBytes(const std::string& bytes);
    void saveGlobal(const std::string& module, const std::string& name);
    void saveSequence(const PyValue& value, int depth);
    void saveDict(const PyValue& value, int depth);
    void saveTensor(const torch::Tensor& tensor);
    const Storage& registerStorage(torch::Tensor& tensor);
    void put(uint8_t opcode) { out_.push_back(static_cast<char>(opcode)); }
    void putLittleEndian(uint64_t value, int size);

    std::string out_;
    std::vector<Storage> storages_;
    std::unordered_map<const void*, size_t> storageIndex_;  // StorageImpl -> storages_ index
};

}  // namespace ds::io
