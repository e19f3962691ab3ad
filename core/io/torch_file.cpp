// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/torch_file.h"

#include "core/io/pickler.h"
#include "core/io/unpickler.h"
#include "core/io/zip_archive_reader.h"
#include "core/io/zip_archive_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <unordered_map>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

namespace ds::io {

namespace fs = std::filesystem;

namespace {

enum class Format { Zip, Legacy, Tar, Unknown };

// The first bytes tell the formats apart: a zip local header, a pickle PROTO opcode (the legacy
// format starts with a pickled magic number), or the tar archives of PyTorch < 0.4.
Format sniff(std::istream& in, uint64_t size) {
    char head[512] = {};
    const auto count = static_cast<size_t>(std::min<uint64_t>(size, sizeof head));
    in.seekg(0);
    in.read(head, static_cast<std::streamsize>(count));
    in.clear();
    in.seekg(0);
    if (count >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return Format::Zip;
    if (count >= 2 && static_cast<uint8_t>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5) return Format::Legacy;
    if (count >= 262 && std::memcmp(head + 257, "ustar", 5) == 0) return Format::Tar;
    return Format::Unknown;
}

uint64_t streamSize(std::istream& in) {
    in.seekg(0, std::ios::end);
    const auto end = in.tellg();
    in.seekg(0);
    return end < 0 ? 0 : static_cast<uint64_t>(end);
}

// numel * element size, refusing overflow.
uint64_t storageBytes(const std::string& name, int64_t numel, c10::ScalarType dtype) {
    const uint64_t itemSize = c10::elementSize(dtype);
    if (numel < 0 || static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / itemSize)
        throw fileError(name, "corrupt file (bad storage size)");
    return static_cast<uint64_t>(numel) * itemSize;
}

// --- zip format: <prefix>/data.pkl, whose persistent ids name <prefix>/data/<key> ---

PyValuePtr loadZip(ZipArchiveReader& zip, const std::string& name) {
    const auto pickleName = zip.findBySuffix("data.pkl");
    if (!pickleName) throw fileError(name, "not a PyTorch file (zip archive without data.pkl)");
    const std::string prefix = pickleName->substr(0, pickleName->size() - std::strlen("data.pkl"));

    std::unordered_map<std::string, torch::Tensor> storages;
    auto loadStorage = [&](const StorageRef& ref) {
        const auto found = storages.find(ref.key);
        if (found != storages.end()) {
            if (found->second.scalar_type() != ref.dtype || found->second.numel() != ref.numel)
                throw fileError(name, "corrupt file (storage " + ref.key + " used with two types)");
            return found->second;
        }
        const std::string entry = prefix + "data/" + ref.key;
        if (!zip.contains(entry))
            throw fileError(name, "incomplete PyTorch file (missing tensor data '" + entry + "')");
        const uint64_t bytes = storageBytes(name, ref.numel, ref.dtype);
        if (zip.size(entry) != bytes)  // sizes in the zip directory were checked against the file
            throw fileError(name, "corrupt file (tensor data '" + entry + "' holds " + std::to_string(zip.size(entry)) +
                                      " bytes, expected " + std::to_string(bytes) + ")");
        torch::Tensor storage = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
        zip.readInto(entry, storage.data_ptr(), bytes);
        storages.emplace(ref.key, storage);
        return storage;
    };

    std::istringstream pickle(zip.read(*pickleName));
    return Unpickler(pickle, name, loadStorage).load();
}

// --- legacy format (torch/serialization.py, _legacy_save) ---
// Pickles back to back: magic number, protocol version, sys_info, the object (persistent ids
// ('storage', type, root_key, location, numel, view_metadata)), the list of storage keys; then
// per key an int64 element count and the raw little-endian bytes.

// The magic number 0x1950a86a20f9469cfc6c as a LONG1, the only thing the first pickle may hold.
// Compared as bytes: PyValue ints stop at 64 bits.
void checkLegacyMagic(std::istream& in, const std::string& name) {
    static const unsigned char magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
    char head[11];
    in.read(head, 2);  // PROTO n
    if (in.gcount() != 2) throw fileError(name, "not a PyTorch file (too short)");
    if (in.peek() == 0x95) in.read(head, 9);  // protocol 4+ FRAME and its length
    char body[sizeof magic];
    in.read(body, sizeof body);
    if (in.gcount() != static_cast<std::streamsize>(sizeof body) || std::memcmp(body, magic, sizeof magic) != 0)
        throw fileError(name, "not a PyTorch file (a pickle without PyTorch's magic number)");
}

void checkLegacyHeader(std::istream& in, const std::string& name) {
    checkLegacyMagic(in, name);
    const auto version = Unpickler(in, name).load();
    if (!version->is(PyValue::Kind::Int) || version->intValue != 1001)
        throw fileError(name, "unsupported legacy PyTorch file (unknown protocol version)");
    const auto sysInfo = Unpickler(in, name).load();
    const PyValue* littleEndian = sysInfo->is(PyValue::Kind::Dict) ? sysInfo->find("little_endian") : nullptr;
    if (littleEndian && littleEndian->is(PyValue::Kind::Bool) && !littleEndian->boolValue)
        throw fileError(name, "unsupported legacy PyTorch file (saved on a big-endian machine)");
}

PyValuePtr loadLegacy(std::istream& in, const std::string& name, uint64_t fileSize) {
    checkLegacyHeader(in, name);

    // Storages are created while unpickling and filled from the data that follows the pickles;
    // views of a root storage (legacy view metadata) share its memory.
    struct Root {
        torch::Tensor tensor;
        bool filled = false;
    };
    std::unordered_map<std::string, Root> roots;
    auto loadStorage = [&](const StorageRef& ref) {
        auto found = roots.find(ref.key);
        if (found == roots.end()) {
            if (storageBytes(name, ref.numel, ref.dtype) > fileSize)
                throw fileError(name, "truncated or corrupt file (storage " + ref.key + " is larger than the file)");
            Root root{torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype))};
            found = roots.emplace(ref.key, root).first;
        } else if (found->second.tensor.scalar_type() != ref.dtype || found->second.tensor.numel() != ref.numel) {
            throw fileError(name, "corrupt file (storage " + ref.key + " used with two types)");
        }
        const torch::Tensor& root = found->second.tensor;
        return ref.view ? root.narrow(0, ref.view->offset, ref.view->numel) : root;
    };
    PyValuePtr result = Unpickler(in, name, loadStorage).load();

    const auto keys = Unpickler(in, name).load();
    if (!keys->is(PyValue::Kind::List)) throw fileError(name, "corrupt file (bad storage key list)");
    for (const auto& keyValue : keys->items) {
        if (!keyValue->is(PyValue::Kind::String)) throw fileError(name, "corrupt file (bad storage key list)");
        auto root = roots.find(keyValue->text);
        if (root == roots.end())
            throw fileError(name, "corrupt file (data for unknown storage " + keyValue->text + ")");
        torch::Tensor& tensor = root->second.tensor;
        int64_t numel = 0;
        in.read(reinterpret_cast<char*>(&numel), sizeof numel);  // little-endian hosts only
        if (in.gcount() != sizeof numel) throw fileError(name, "truncated file (storage data missing)");
        if (numel != tensor.numel())
            throw fileError(name, "corrupt file (storage " + keyValue->text + " has the wrong size)");
        const auto bytes = static_cast<std::streamsize>(tensor.nbytes());
        in.read(static_cast<char*>(tensor.data_ptr()), bytes);
        if (in.gcount() != bytes) throw fileError(name, "truncated file (storage data cut short)");
        root->second.filled = true;
    }
    for (const auto& [key, root] : roots)
        if (!root.filled) throw fileError(name, "corrupt file (storage " + key + " has no data)");
    return result;
}

// --- after loading ---

// Moves every tensor to `device`, one copy per storage so that views keep sharing memory.
void moveTensors(PyValue& value, torch::Device device, std::unordered_map<const void*, torch::Tensor>& moved) {
    if (value.is(PyValue::Kind::Tensor)) {
        torch::Tensor& t = value.tensorValue;
        if (t.device() == device) return;
        const void* impl = t.storage().unsafeGetStorageImpl();
        auto found = moved.find(impl);
        if (found == moved.end()) {
            torch::Tensor whole = torch::empty({0}, t.options()).set_(t.storage());
            found = moved.emplace(impl, whole.to(device)).first;
        }
        t = found->second.as_strided(t.sizes(), t.strides(), t.storage_offset());
        return;
    }
    for (auto& item : value.items) moveTensors(*item, device, moved);
    for (auto& [key, item] : value.entries) moveTensors(*item, device, moved);
}

PyValuePtr loadStream(std::unique_ptr<std::istream> in, const std::string& name, torch::Device device) {
    const uint64_t size = streamSize(*in);
    if (size == 0) throw fileError(name, "not a PyTorch file (empty file)");
    PyValuePtr result;
    switch (sniff(*in, size)) {
    case Format::Zip: {
        ZipArchiveReader zip = ZipArchiveReader::fromStream(std::move(in), name);
        result = loadZip(zip, name);
        break;
    }
    case Format::Legacy: result = loadLegacy(*in, name, size); break;
    case Format::Tar: throw fileError(name, "unsupported PyTorch file (tar format of PyTorch < 0.4)");
    case Format::Unknown: throw fileError(name, "not a PyTorch file (neither a zip archive nor a pickle)");
    }
    if (device != torch::Device(torch::kCPU)) {
        std::unordered_map<const void*, torch::Tensor> moved;
        moveTensors(*result, device, moved);
    }
    return result;
}

// --- saving ---

// torch.save names the archive's top folder after the file ("model-1.pt" -> "model-1/").
std::string archivePrefix(const std::string& path) {
    const std::string stem = fs::path(path).stem().string();
    const bool plain = !stem.empty() && std::all_of(stem.begin(), stem.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    return plain ? stem : "archive";
}

void writeArchive(const std::string& file, const std::string& prefix, const std::string& pickle, const Pickler& pickler,
                  const TorchSaveOptions& options) {
    ZipArchiveWriter zip(file);
    zip.setForceZip64(options.forceZip64);
    zip.addRecord(prefix + "/data.pkl", pickle);
    for (const auto& storage : pickler.storages())
        zip.addRecord(prefix + "/data/" + storage.key, storage.data, storage.nbytes);
    zip.addRecord(prefix + "/version", "3\n");  // the format version torch 1.6-2.x writes
    zip.finish();
}

}  // namespace

PyValuePtr loadTorchFile(const std::string& path, torch::Device device) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw fileError(path, "is a directory, not a PyTorch file");
    auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*in) throw fileError(path, std::string("cannot open for reading: ") + std::strerror(errno));
    return loadStream(std::move(in), path, device);
}

PyValuePtr loadTorchBytes(std::string bytes, const std::string& name, torch::Device device) {
    return loadStream(std::make_unique<std::istringstream>(std::move(bytes)), name, device);
}

torch::Tensor loadSingleTensor(const std::string& path, torch::Device device) {
    const PyValuePtr value = loadTorchFile(path, device);
    if (!value->is(PyValue::Kind::Tensor))
        throw fileError(path, std::string("expected a single tensor, found ") + value->kindName());
    return value->tensorValue;
}

void saveTorchFile(const std::string& path, const PyValuePtr& value, const TorchSaveOptions& options) {
    if (!value) throw fileError(path, "cannot save: no value");
    Pickler pickler;
    std::string pickle;
    try {
        pickle = pickler.pickle(*value);
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }

    replaceFileAtomically(path, [&](const std::string& temporary) {
        writeArchive(temporary, archivePrefix(path), pickle, pickler, options);
    });
}

}  // namespace ds::io
