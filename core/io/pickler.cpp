// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/pickler.h"

#include "core/io/pickle_opcodes.h"
#include "core/io/unpickler.h"
#include "core/util/error.h"

#include <cstring>
#include <limits>

namespace ds::io {

using namespace pickle;

namespace {

constexpr uint8_t kProtocol = 2;  // torch.save's default, readable by every Python 3

// The storage class torch.save names for each dtype.
const char* storageClass(c10::ScalarType dtype) {
    switch (dtype) {
    case c10::ScalarType::Float: return "FloatStorage";
    case c10::ScalarType::Double: return "DoubleStorage";
    case c10::ScalarType::Half: return "HalfStorage";
    case c10::ScalarType::BFloat16: return "BFloat16Storage";
    case c10::ScalarType::Long: return "LongStorage";
    case c10::ScalarType::Int: return "IntStorage";
    case c10::ScalarType::Short: return "ShortStorage";
    case c10::ScalarType::Char: return "CharStorage";
    case c10::ScalarType::Byte: return "ByteStorage";
    case c10::ScalarType::Bool: return "BoolStorage";
    default: return nullptr;
    }
}

// Bytes travel as text with one code point per byte (latin-1), encoded as UTF-8.
std::string utf8FromLatin1(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

}  // namespace

std::string Pickler::pickle(const PyValue& value) {
    out_.clear();
    storages_.clear();
    storageIndex_.clear();
    put(PROTO);
    put(kProtocol);
    save(value, 0);
    put(STOP);
    return std::move(out_);
}

void Pickler::putLittleEndian(uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void Pickler::save(const PyValue& value, int depth) {
    if (depth > Unpickler::kMaxDepth) throw Error("cannot save: Python value nested too deeply (or recursive)");
    switch (value.kind) {
    case PyValue::Kind::None: put(NONE); break;
    case PyValue::Kind::Bool: put(value.boolValue ? NEWTRUE : NEWFALSE); break;
    case PyValue::Kind::Int: saveInt(value.intValue); break;
    case PyValue::Kind::Float: saveFloat(value.floatValue); break;
    case PyValue::Kind::String: saveString(value.text); break;
    case PyValue::Kind::Bytes: saveBytes(value.text); break;
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple: saveSequence(value, depth); break;
    case PyValue::Kind::Dict: saveDict(value, depth); break;
    case PyValue::Kind::Tensor: saveTensor(value.tensorValue); break;
    case PyValue::Kind::Global: {
        const auto dot = value.text.rfind('.');
        if (dot == std::string::npos) throw Error("cannot save: bad global name " + value.text);
        saveGlobal(value.text.substr(0, dot), value.text.substr(dot + 1));
        break;
    }
    }
}

// The shortest encoding, as Python's pickler chooses it.
void Pickler::saveInt(int64_t value) {
    if (value >= 0 && value <= 0xFF) {
        put(BININT1);
        putLittleEndian(static_cast<uint64_t>(value), 1);
    } else if (value >= 0 && value <= 0xFFFF) {
        put(BININT2);
        putLittleEndian(static_cast<uint64_t>(value), 2);
    } else if (value >= std::numeric_limits<int32_t>::min() && value <= std::numeric_limits<int32_t>::max()) {
        put(BININT);
        putLittleEndian(static_cast<uint32_t>(static_cast<int32_t>(value)), 4);
    } else {
        // LONG1: minimal little-endian two's complement.
        uint64_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        int size = 8;
        while (size > 1) {
            const uint8_t topByte = (bits >> (8 * (size - 1))) & 0xFF;
            const uint8_t nextSign = (bits >> (8 * (size - 2) + 7)) & 1;
            if ((topByte == 0x00 && nextSign == 0) || (topByte == 0xFF && nextSign == 1)) --size;
            else break;
        }
        put(LONG1);
        put(static_cast<uint8_t>(size));
        putLittleEndian(bits, size);
    }
}

void Pickler::saveFloat(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put(BINFLOAT);
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void Pickler::saveString(const std::string& utf8) {
    if (utf8.size() > 0xFFFFFFFFu) throw Error("cannot save: string longer than 4 GiB");
    put(BINUNICODE);
    putLittleEndian(utf8.size(), 4);
    out_ += utf8;
}

// _codecs.encode(text, 'latin1'): what Python 3 writes for bytes at protocol 2.
void Pickler::saveBytes(const std::string& bytes) {
    saveGlobal("_codecs", "encode");
    put(MARK);
    saveString(utf8FromLatin1(bytes));
    saveString("latin1");
    put(TUPLE);
    put(REDUCE);
}

void Pickler::saveGlobal(const std::string& module, const std::string& name) {
    put(GLOBAL);
    out_ += module + "\n" + name + "\n";
}

void Pickler::saveSequence(const PyValue& value, int depth) {
    const bool isTuple = value.kind == PyValue::Kind::Tuple;
    if (value.items.empty()) {
        put(isTuple ? EMPTY_TUPLE : EMPTY_LIST);
        return;
    }
    if (!isTuple) put(EMPTY_LIST);
    put(MARK);
    for (const auto& item : value.items) {
        if (!item) throw Error("cannot save: null list item");
        save(*item, depth + 1);
    }
    put(isTuple ? TUPLE : APPENDS);
}

void Pickler::saveDict(const PyValue& value, int depth) {
    if (value.ordered) {  // OrderedDict(), then items: how Python reduces an OrderedDict
        saveGlobal("collections", "OrderedDict");
        put(EMPTY_TUPLE);
        put(REDUCE);
    } else {
        put(EMPTY_DICT);
    }
    if (value.entries.empty()) return;
    put(MARK);
    for (const auto& [key, item] : value.entries) {
        if (!key || !item) throw Error("cannot save: null dict key or value");
        save(*key, depth + 1);
        save(*item, depth + 1);
    }
    put(SETITEMS);
}

// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()), with the
// storage as the persistent id ('storage', torch.XStorage, key, 'cpu', numel).
void Pickler::saveTensor(const torch::Tensor& original) {
    if (!original.defined()) throw Error("cannot save: undefined tensor");
    if (original.layout() != torch::kStrided || original.is_quantized())
        throw Error("cannot save: only dense tensors are supported");
    torch::Tensor tensor = original;
    if (!storageClass(tensor.scalar_type()))
        throw Error(std::string("cannot save: unsupported tensor dtype ") + c10::toString(tensor.scalar_type()));
    const Storage& storage = registerStorage(tensor);

    saveGlobal("torch._utils", "_rebuild_tensor_v2");
    put(MARK);
    put(MARK);
    saveString("storage");
    saveGlobal("torch", storageClass(storage.dtype));
    saveString(storage.key);
    saveString("cpu");
    saveInt(static_cast<int64_t>(storage.nbytes / c10::elementSize(storage.dtype)));
    put(TUPLE);
    put(BINPERSID);
    saveInt(tensor.storage_offset());
    put(MARK);
    for (int64_t s : tensor.sizes()) saveInt(s);
    put(TUPLE);
    put(MARK);
    for (int64_t s : tensor.strides()) saveInt(s);
    put(TUPLE);
    put(tensor.requires_grad() ? NEWTRUE : NEWFALSE);
    saveGlobal("collections", "OrderedDict");
    put(EMPTY_TUPLE);
    put(REDUCE);
    put(TUPLE);
    put(REDUCE);
}

// Finds or adds the storage behind `tensor`. When the tensor cannot be written as a view of
// its own storage (another device, a storage shared with another dtype, negative-view bits),
// it is replaced by a contiguous CPU copy with a storage of its own.
const Pickler::Storage& Pickler::registerStorage(torch::Tensor& tensor) {
    if (!tensor.device().is_cpu() || tensor.is_neg() || tensor.is_conj())
        tensor = tensor.to(torch::kCPU).resolve_conj().resolve_neg().contiguous();

    const size_t itemSize = c10::elementSize(tensor.scalar_type());
    const void* impl = tensor.storage().unsafeGetStorageImpl();
    auto found = storageIndex_.find(impl);
    const bool reusable = found != storageIndex_.end() && storages_[found->second].dtype == tensor.scalar_type();
    if (reusable) return storages_[found->second];
    if (found != storageIndex_.end() || tensor.storage().nbytes() % itemSize != 0) {
        tensor = tensor.clone(at::MemoryFormat::Contiguous);
        impl = tensor.storage().unsafeGetStorageImpl();
    }

    Storage storage;
    storage.key = std::to_string(storages_.size());
    storage.dtype = tensor.scalar_type();
    storage.data = tensor.storage().data();
    storage.nbytes = tensor.storage().nbytes();
    storage.owner = tensor;
    storageIndex_.emplace(impl, storages_.size());
    storages_.push_back(std::move(storage));
    return storages_.back();
}

}  // namespace ds::io
