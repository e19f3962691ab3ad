// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/unpickler.h"

#include "core/io/pickle_opcodes.h"
#include "core/util/error.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace ds::io {

using namespace pickle;

namespace {

constexpr int kHighestProtocol = 5;
constexpr size_t kMaxLine = 1024;
constexpr size_t kMaxTensorDims = 64;

// The globals torch.save emits for the values this project reads. Anything else is refused.
const std::unordered_set<std::string>& knownGlobals() {
    static const std::unordered_set<std::string> names = {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
        "torch._tensor.Tensor",
        "torch.Tensor",
        "torch.nn.parameter.Parameter",
        "torch.Size",
        "_codecs.encode",
        "builtins.bytes",
        "__builtin__.bytes",
    };
    return names;
}

bool isText(const PyValue& v) { return v.kind == PyValue::Kind::String || v.kind == PyValue::Kind::Bytes; }

// Python 3 pickles bytes at protocol 2 as _codecs.encode(text, 'latin1'), the text holding one
// code point per byte: decode the UTF-8 back to those bytes.
std::optional<std::string> latin1FromUtf8(const std::string& utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
            const unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3Fu);
            if (code > 0xFF) return std::nullopt;
            out.push_back(static_cast<char>(code));
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace

Unpickler::Unpickler(std::istream& in, std::string sourceName, StorageLoader loader)
    : in_(in), name_(std::move(sourceName)), loader_(std::move(loader)) {
    // Knowing how much input is left lets every length field be checked before allocating.
    const auto start = in_.tellg();
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    in_.seekg(start);
    if (start < 0 || end < 0 || end < start) throw fileError(name_, "cannot read the pickle");
    remaining_ = static_cast<uint64_t>(end - start);
}

Unpickler::~Unpickler() { dismantle(nullptr); }

std::optional<c10::ScalarType> Unpickler::storageDtype(const std::string& qualifiedName) {
    static const std::unordered_map<std::string, c10::ScalarType> types = {
        {"FloatStorage", c10::ScalarType::Float},  {"DoubleStorage", c10::ScalarType::Double},
        {"HalfStorage", c10::ScalarType::Half},    {"BFloat16Storage", c10::ScalarType::BFloat16},
        {"LongStorage", c10::ScalarType::Long},    {"IntStorage", c10::ScalarType::Int},
        {"ShortStorage", c10::ScalarType::Short},  {"CharStorage", c10::ScalarType::Char},
        {"ByteStorage", c10::ScalarType::Byte},    {"BoolStorage", c10::ScalarType::Bool},
        {"UntypedStorage", c10::ScalarType::Byte},
    };
    // torch.FloatStorage, torch.cuda.FloatStorage (legacy GPU saves), torch.storage.UntypedStorage.
    for (const char* prefix : {"torch.", "torch.cuda.", "torch.storage."}) {
        const std::string p(prefix);
        if (qualifiedName.compare(0, p.size(), p) != 0) continue;
        const auto it = types.find(qualifiedName.substr(p.size()));
        if (it != types.end()) return it->second;
    }
    return std::nullopt;
}

void Unpickler::corrupt(const std::string& what) const {
    throw fileError(name_, "corrupt pickle (" + what + " at byte " + std::to_string(position_) + ")");
}

void Unpickler::unsupported(const std::string& what) const {
    throw fileError(name_, "unsupported pickle content: " + what);
}

PyValuePtr Unpickler::load() {
    stack_.clear();
    marks_.clear();
    memo_.clear();
    stopped_ = false;
    try {
        run();
        PyValuePtr result = pop();
        checkResult(result);
        return result;
    } catch (const Error&) {
        dismantle(nullptr);
        throw;
    } catch (const c10::Error& e) {
        dismantle(nullptr);
        throw fileError(name_, std::string("invalid tensor in pickle (") + e.what_without_backtrace() + ")");
    } catch (const std::bad_alloc&) {
        dismantle(nullptr);
        throw fileError(name_, "out of memory while reading the pickle");
    }
}

void Unpickler::run() {
    while (!stopped_) {
        const uint8_t opcode = readByte();
        if (!step(opcode)) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", opcode);
            unsupported(std::string("opcode ") + hex + " at byte " + std::to_string(position_ - 1));
        }
    }
}

// Executes one opcode; false when it is not one this reader knows.
bool Unpickler::step(uint8_t opcode) {
    switch (opcode) {
    case PROTO: {
        const uint8_t protocol = readByte();
        if (protocol > kHighestProtocol) unsupported("pickle protocol " + std::to_string(protocol));
        return true;
    }
    case FRAME: readUnsigned(8); return true;  // framing only groups opcodes: nothing to do
    case STOP: stopped_ = true; return true;
    case MARK: marks_.push_back(stack_.size()); return true;
    case POP: pop(); return true;
    case POP_MARK: popMark(); return true;
    case DUP: push(top()); return true;

    case NONE: push(PyValue::none()); return true;
    case NEWTRUE: push(PyValue::boolean(true)); return true;
    case NEWFALSE: push(PyValue::boolean(false)); return true;
    case BININT: push(PyValue::integer(static_cast<int32_t>(readUnsigned(4)))); return true;
    case BININT1: push(PyValue::integer(static_cast<int64_t>(readUnsigned(1)))); return true;
    case BININT2: push(PyValue::integer(static_cast<int64_t>(readUnsigned(2)))); return true;
    case LONG1: push(PyValue::integer(readLong(readUnsigned(1)))); return true;
    case LONG4: push(PyValue::integer(readLong(readSignedSize("LONG4")))); return true;
    case BINFLOAT: push(PyValue::real(readFloat())); return true;

    // Python 2 str (BINSTRING) comes back as text, as torch.load's encoding='utf-8' does.
    case SHORT_BINUNICODE:
    case SHORT_BINSTRING: push(PyValue::str(readBytes(readUnsigned(1)))); return true;
    case BINUNICODE: push(PyValue::str(readBytes(readUnsigned(4)))); return true;
    case BINSTRING: push(PyValue::str(readBytes(readSignedSize("BINSTRING")))); return true;
    case BINUNICODE8: push(PyValue::str(readBytes(readUnsigned(8)))); return true;
    case SHORT_BINBYTES: push(PyValue::bytes(readBytes(readUnsigned(1)))); return true;
    case BINBYTES: push(PyValue::bytes(readBytes(readUnsigned(4)))); return true;
    case BINBYTES8:
    case BYTEARRAY8: push(PyValue::bytes(readBytes(readUnsigned(8)))); return true;

    case EMPTY_DICT: push(container(PyValue::dict(false))); return true;
    case EMPTY_LIST: push(container(PyValue::list())); return true;
    case EMPTY_TUPLE: push(container(PyValue::tuple())); return true;
    case DICT: {
        auto dict = container(PyValue::dict(false));
        setItems(popMark(), *dict);
        push(dict);
        return true;
    }
    case LIST: push(container(PyValue::list(popMark()))); return true;
    case TUPLE: push(container(PyValue::tuple(popMark()))); return true;
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
        std::vector<PyValuePtr> items(opcode - TUPLE1 + 1);
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
        push(container(PyValue::tuple(std::move(items))));
        return true;
    }
    case APPEND: {
        auto item = pop();
        appendItems({item}, *top());
        return true;
    }
    case APPENDS: {
        auto items = popMark();
        appendItems(std::move(items), *top());
        return true;
    }
    case SETITEM: {
        auto value = pop();
        auto key = pop();
        setItems({key, value}, *top());
        return true;
    }
    case SETITEMS: {
        auto items = popMark();
        setItems(std::move(items), *top());
        return true;
    }

    case BINPUT: memoize(readUnsigned(1)); return true;
    case LONG_BINPUT: memoize(readUnsigned(4)); return true;
    case MEMOIZE: memoize(memo_.size()); return true;
    case BINGET: memoGet(readUnsigned(1)); return true;
    case LONG_BINGET: memoGet(readUnsigned(4)); return true;

    case GLOBAL: {
        const std::string module = readLine();
        const std::string name = readLine();
        pushGlobal(module, name);
        return true;
    }
    case STACK_GLOBAL: {
        const auto name = pop();
        const auto module = pop();
        if (module->kind != PyValue::Kind::String || name->kind != PyValue::Kind::String)
            corrupt("STACK_GLOBAL without strings");
        pushGlobal(module->text, name->text);
        return true;
    }
    case REDUCE:
    case NEWOBJ: {  // cls.__new__(cls, *args) equals cls(*args) for the classes we know
        const auto args = pop();
        const auto callable = pop();
        push(call(*callable, *args));
        return true;
    }
    case BUILD: build(); return true;
    case BINPERSID: {
        const auto pid = pop();
        push(persistentLoad(*pid));
        return true;
    }
    default: return false;
    }
}

// --- input ---

uint8_t Unpickler::readByte() {
    if (remaining_ < 1) throw fileError(name_, "truncated pickle (ends without STOP)");
    const int c = in_.get();
    if (c == std::char_traits<char>::eof()) throw fileError(name_, "read error in pickle");
    --remaining_;
    ++position_;
    return static_cast<uint8_t>(c);
}

std::string Unpickler::readBytes(uint64_t count) {
    if (count > remaining_)
        throw fileError(name_, "truncated pickle (a " + std::to_string(count) + "-byte field runs past the end)");
    std::string data(count, '\0');
    in_.read(data.data(), static_cast<std::streamsize>(count));
    if (static_cast<uint64_t>(in_.gcount()) != count) throw fileError(name_, "read error in pickle");
    remaining_ -= count;
    position_ += count;
    return data;
}

uint64_t Unpickler::readUnsigned(int size) {
    const std::string bytes = readBytes(static_cast<uint64_t>(size));
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
    return value;
}

// The signed 4-byte length that LONG4 and BINSTRING carry; negative is corrupt.
uint64_t Unpickler::readSignedSize(const char* opcodeName) {
    const auto size = static_cast<int32_t>(readUnsigned(4));
    if (size < 0) corrupt(std::string("negative ") + opcodeName + " size");
    return static_cast<uint64_t>(size);
}

std::string Unpickler::readLine() {
    std::string line;
    for (;;) {
        const char c = static_cast<char>(readByte());
        if (c == '\n') return line;
        if (line.size() >= kMaxLine) corrupt("overlong GLOBAL name");
        line.push_back(c);
    }
}

// LONG1/LONG4: little-endian two's complement of any length; only int64 values are accepted.
int64_t Unpickler::readLong(uint64_t size) {
    const std::string bytes = readBytes(size);
    if (size == 0) return 0;
    const bool negative = static_cast<uint8_t>(bytes.back()) & 0x80;
    // Bytes beyond the eighth must only repeat the sign.
    for (uint64_t i = 8; i < size; ++i)
        if (static_cast<uint8_t>(bytes[i]) != (negative ? 0xFF : 0x00)) unsupported("integer larger than 64 bits");
    uint64_t value = negative ? ~uint64_t{0} : 0;
    const uint64_t used = std::min<uint64_t>(size, 8);
    for (uint64_t i = 0; i < used; ++i) {
        value &= ~(uint64_t{0xFF} << (8 * i));
        value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    }
    if (size > 8 && (((value >> 63) != 0) != negative)) unsupported("integer larger than 64 bits");
    int64_t result;
    std::memcpy(&result, &value, sizeof result);
    return result;
}

double Unpickler::readFloat() {
    const std::string bytes = readBytes(8);  // big-endian IEEE 754
    uint64_t bits = 0;
    for (char b : bytes) bits = (bits << 8) | static_cast<uint8_t>(b);
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

// --- stack and memo ---

// Like CPython, a MARK hides what lies below it: opcodes cannot pop past the innermost mark.
void Unpickler::push(PyValuePtr value) { stack_.push_back(std::move(value)); }

PyValuePtr Unpickler::pop() {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) corrupt("stack underflow");
    PyValuePtr value = std::move(stack_.back());
    stack_.pop_back();
    return value;
}

PyValuePtr& Unpickler::top() {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) corrupt("stack underflow");
    return stack_.back();
}

std::vector<PyValuePtr> Unpickler::popMark() {
    if (marks_.empty()) corrupt("missing MARK");
    const size_t start = marks_.back();
    marks_.pop_back();
    std::vector<PyValuePtr> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(start)),
                                  std::make_move_iterator(stack_.end()));
    stack_.resize(start);
    return items;
}

void Unpickler::memoize(uint64_t index) { memo_[index] = top(); }

void Unpickler::memoGet(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) corrupt("memo index " + std::to_string(index) + " was never stored");
    push(it->second);
}

PyValuePtr Unpickler::container(PyValuePtr value) {
    containers_.push_back(value);
    return value;
}

// --- opcodes with semantics ---

void Unpickler::pushGlobal(const std::string& module, const std::string& name) {
    const std::string qualified = module + "." + name;
    if (!knownGlobals().count(qualified) && !storageDtype(qualified)) unsupported("global " + qualified);
    push(PyValue::global(qualified));
}

void Unpickler::setItems(std::vector<PyValuePtr> items, PyValue& dict) {
    if (dict.kind != PyValue::Kind::Dict) corrupt(std::string("SETITEM on a ") + dict.kindName());
    if (items.size() % 2 != 0) corrupt("odd number of SETITEMS values");
    // Appending without a duplicate search keeps loading linear; torch.save never repeats keys.
    for (size_t i = 0; i < items.size(); i += 2)
        dict.entries.emplace_back(std::move(items[i]), std::move(items[i + 1]));
}

void Unpickler::appendItems(std::vector<PyValuePtr> items, PyValue& list) {
    if (list.kind != PyValue::Kind::List) corrupt(std::string("APPEND to a ") + list.kindName());
    for (auto& item : items) list.items.push_back(std::move(item));
}

// BUILD sets an object's state. torch.save only does it for the `_metadata` attribute of
// state_dict OrderedDicts (module versions), which loading has no use for.
void Unpickler::build() {
    const auto state = pop();
    const PyValue& object = *top();
    if (object.kind != PyValue::Kind::Dict && object.kind != PyValue::Kind::Tensor)
        unsupported(std::string("BUILD on a ") + object.kindName());
}

PyValuePtr Unpickler::call(const PyValue& callable, const PyValue& argsValue, int depth) {
    // _rebuild_from_type_v2 calls the function it wraps; a crafted chain of them must not
    // recurse without bound.
    if (depth > 8) corrupt("too many nested rebuild calls");
    if (callable.kind != PyValue::Kind::Global) corrupt(std::string("call of a ") + callable.kindName());
    if (argsValue.kind != PyValue::Kind::Tuple) corrupt("call arguments are not a tuple");
    const std::string& f = callable.text;
    const auto& args = argsValue.items;
    auto argKind = [&](size_t i, PyValue::Kind kind) -> const PyValue& {
        if (i >= args.size() || args[i]->kind != kind) corrupt("bad arguments to " + f);
        return *args[i];
    };

    if (f == "collections.OrderedDict") {
        auto dict = container(PyValue::dict(true));
        if (!args.empty()) {  // OrderedDict([(key, value), ...])
            auto isSequence = [](const PyValue& v) {
                return v.kind == PyValue::Kind::List || v.kind == PyValue::Kind::Tuple;
            };
            if (!isSequence(*args[0])) corrupt("bad arguments to " + f);
            for (const auto& pair : args[0]->items) {
                if (!isSequence(*pair) || pair->items.size() != 2) corrupt("OrderedDict item is not a pair");
                dict->entries.emplace_back(pair->items[0], pair->items[1]);
            }
        }
        return dict;
    }
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") return rebuildTensor(args);
    if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
        argKind(0, PyValue::Kind::Tensor);
        return args[0];
    }
    if (f == "torch._tensor._rebuild_from_type_v2") {
        // (func, type, args, state): a plain Tensor or Parameter rebuilt by a known function.
        const PyValue& type = argKind(1, PyValue::Kind::Global);
        if (type.text != "torch._tensor.Tensor" && type.text != "torch.Tensor" &&
            type.text != "torch.nn.parameter.Parameter")
            unsupported("tensor subclass " + type.text);
        return call(argKind(0, PyValue::Kind::Global), argKind(2, PyValue::Kind::Tuple), depth + 1);
    }
    if (f == "torch.Size") return container(PyValue::tuple(argKind(0, PyValue::Kind::Tuple).items));
    if (f == "_codecs.encode") {
        const PyValue& text = argKind(0, PyValue::Kind::String);
        const PyValue& encoding = argKind(1, PyValue::Kind::String);
        if (encoding.text != "latin1" && encoding.text != "latin-1")
            unsupported("_codecs.encode with encoding " + encoding.text);
        auto bytes = latin1FromUtf8(text.text);
        if (!bytes) corrupt("bytes value is not latin-1 text");
        return PyValue::bytes(std::move(*bytes));
    }
    if ((f == "builtins.bytes" || f == "__builtin__.bytes") && args.empty()) return PyValue::bytes("");
    unsupported("call of " + f);
}

PyValuePtr Unpickler::persistentLoad(const PyValue& pid) {
    if (pid.kind != PyValue::Kind::Tuple || pid.items.empty() || !isText(*pid.items[0]))
        corrupt("persistent id is not a tuple");
    const auto& id = pid.items;
    if (id[0]->text == "module") unsupported("a pickled module (save its state_dict instead)");
    if (id[0]->text != "storage" || id.size() < 5) unsupported("persistent id of kind '" + id[0]->text + "'");
    if (!loader_) corrupt("storage reference where none is expected");

    StorageRef ref;
    if (id[1]->kind != PyValue::Kind::Global) corrupt("storage type is not a class");
    const auto dtype = storageDtype(id[1]->text);
    if (!dtype) unsupported("storage type " + id[1]->text);
    ref.dtype = *dtype;
    // Keys are decimal strings; very old files wrote ints.
    if (isText(*id[2])) ref.key = id[2]->text;
    else if (id[2]->kind == PyValue::Kind::Int) ref.key = std::to_string(id[2]->intValue);
    else corrupt("storage key is not a string");
    if (!isText(*id[3])) corrupt("storage location is not a string");
    ref.location = id[3]->text;
    if (id[4]->kind != PyValue::Kind::Int || id[4]->intValue < 0) corrupt("bad storage size");
    ref.numel = id[4]->intValue;

    int64_t expected = ref.numel;
    if (id.size() >= 6 && !id[5]->isNone()) {  // legacy view: (view_key, offset, numel)
        const PyValue& v = *id[5];
        if (v.kind != PyValue::Kind::Tuple || v.items.size() != 3 || !isText(*v.items[0]) ||
            v.items[1]->kind != PyValue::Kind::Int || v.items[2]->kind != PyValue::Kind::Int)
            corrupt("bad storage view");
        ref.view = StorageRef::View{v.items[0]->text, v.items[1]->intValue, v.items[2]->intValue};
        if (ref.view->offset < 0 || ref.view->numel < 0 || ref.view->offset > ref.numel ||
            ref.view->numel > ref.numel - ref.view->offset)
            corrupt("storage view out of range");
        expected = ref.view->numel;
    }

    torch::Tensor storage = loader_(ref);
    if (!storage.defined() || storage.dim() != 1 || storage.scalar_type() != ref.dtype || storage.numel() != expected ||
        !storage.is_contiguous())
        throw fileError(name_, "storage '" + ref.key + "' could not be loaded");
    return PyValue::tensor(std::move(storage));
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]):
// a strided view of the storage. The view is checked to stay inside the storage first, since
// as_strided would happily read outside it.
PyValuePtr Unpickler::rebuildTensor(const std::vector<PyValuePtr>& args) {
    if (args.size() < 4 || args[0]->kind != PyValue::Kind::Tensor || args[1]->kind != PyValue::Kind::Int ||
        (args[2]->kind != PyValue::Kind::Tuple && args[2]->kind != PyValue::Kind::List) ||
        (args[3]->kind != PyValue::Kind::Tuple && args[3]->kind != PyValue::Kind::List))
        corrupt("bad arguments to _rebuild_tensor");
    const torch::Tensor& storage = args[0]->tensorValue;
    // Normally a storage from persistentLoad; a crafted pickle may pass any tensor (an
    // expanded view addresses far fewer bytes than it has elements), so check it is a plain
    // 1-D run of memory before trusting its numel as the bound.
    const bool plainRun = storage.dim() == 1 && storage.is_contiguous() &&
                          static_cast<uint64_t>(storage.storage_offset() + storage.numel()) * storage.element_size() <=
                              storage.storage().nbytes();
    if (!plainRun) corrupt("tensor rebuilt over something that is not a storage");
    const int64_t offset = args[1]->intValue;
    const auto& sizeItems = args[2]->items;
    const auto& strideItems = args[3]->items;
    if (sizeItems.size() != strideItems.size() || sizeItems.size() > kMaxTensorDims)
        corrupt("tensor sizes and strides disagree");

    std::vector<int64_t> sizes, strides;
    bool empty = false;
    for (size_t i = 0; i < sizeItems.size(); ++i) {
        if (sizeItems[i]->kind != PyValue::Kind::Int || strideItems[i]->kind != PyValue::Kind::Int ||
            sizeItems[i]->intValue < 0 || strideItems[i]->intValue < 0)
            corrupt("bad tensor size or stride");
        sizes.push_back(sizeItems[i]->intValue);
        strides.push_back(strideItems[i]->intValue);
        empty = empty || sizes.back() == 0;
    }

    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    const int64_t storageSize = storage.numel();
    if (offset < 0 || offset > storageSize) corrupt("tensor offset outside its storage");
    if (!empty) {
        int64_t last = offset;  // index of the last element the view touches
        int64_t count = 1;
        for (size_t i = 0; i < sizes.size(); ++i) {
            const int64_t span = sizes[i] - 1;
            if (strides[i] != 0 && span > (kMax - last) / strides[i]) corrupt("tensor view outside its storage");
            last += span * strides[i];
            if (sizes[i] > kMax / count) corrupt("tensor too large");
            count *= sizes[i];
        }
        if (last >= storageSize) corrupt("tensor view outside its storage");
    }
    return PyValue::tensor(storage.as_strided(sizes, strides, storage.storage_offset() + offset));
}

// --- cleanup ---

// Rejects cycles (a list holding itself) and absurd nesting, which would make recursive code
// overflow the stack, by walking the result without recursion. On success, containers not
// reachable from the result are broken up.
void Unpickler::checkResult(const PyValuePtr& result) {
    auto isContainer = [](const PyValue& v) {
        return v.kind == PyValue::Kind::List || v.kind == PyValue::Kind::Tuple || v.kind == PyValue::Kind::Dict;
    };
    auto childCount = [](const PyValue& v) { return v.items.size() + 2 * v.entries.size(); };
    auto child = [](const PyValue& v, size_t i) -> const PyValue* {
        if (i < v.items.size()) return v.items[i].get();
        i -= v.items.size();
        const auto& entry = v.entries[i / 2];
        return (i % 2 == 0 ? entry.first : entry.second).get();
    };

    // Height of each finished container; -1 while it is on the current path.
    std::unordered_map<const PyValue*, int> height;
    struct Frame {
        const PyValue* node;
        size_t next;
        int height;
    };
    std::vector<Frame> path;
    if (isContainer(*result)) {
        height[result.get()] = -1;
        path.push_back({result.get(), 0, 0});
    }
    while (!path.empty()) {
        Frame& frame = path.back();
        if (frame.next < childCount(*frame.node)) {
            const PyValue* c = child(*frame.node, frame.next++);
            if (!c) corrupt("null value");
            if (!isContainer(*c)) continue;
            const auto it = height.find(c);
            if (it == height.end()) {
                if (path.size() >= static_cast<size_t>(kMaxDepth)) corrupt("nesting too deep");
                height[c] = -1;
                path.push_back({c, 0, 0});
            } else if (it->second < 0) {
                unsupported("a recursive structure (a container that holds itself)");
            } else {
                frame.height = std::max(frame.height, it->second + 1);
            }
        } else {
            const int h = frame.height;
            height[frame.node] = h;
            path.pop_back();
            if (h >= kMaxDepth) corrupt("nesting too deep");
            if (!path.empty()) path.back().height = std::max(path.back().height, h + 1);
        }
    }
    dismantle(&height);
}

// Empties every container made (except those in `keep`) before releasing them, so that no
// destructor recurses through a deep or cyclic structure.
void Unpickler::dismantle(const std::unordered_map<const PyValue*, int>* keep) {
    for (auto& c : containers_) {
        if (keep && keep->count(c.get())) continue;
        c->items.clear();
        c->entries.clear();
    }
    containers_.clear();
    stack_.clear();
    marks_.clear();
    memo_.clear();
}

}  // namespace ds::io
