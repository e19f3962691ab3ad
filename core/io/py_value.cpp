#include "core/io/py_value.h"

#include "core/util/error.h"

namespace ds::io {

namespace {

PyValuePtr make(PyValue::Kind kind) {
    auto value = std::make_shared<PyValue>();
    value->kind = kind;
    return value;
}

// Dict keys in PyTorch files are strings or ints; Python also treats True == 1 and 1 == 1.0,
// which no state_dict relies on, so only same-kind equality is honoured.
bool sameKey(const PyValue& a, const PyValue& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case PyValue::Kind::None: return true;
    case PyValue::Kind::Bool: return a.boolValue == b.boolValue;
    case PyValue::Kind::Int: return a.intValue == b.intValue;
    case PyValue::Kind::Float: return a.floatValue == b.floatValue;
    case PyValue::Kind::String:
    case PyValue::Kind::Bytes:
    case PyValue::Kind::Global: return a.text == b.text;
    default: return &a == &b;  // unhashable in Python: identity is the best we can do
    }
}

}  // namespace

PyValuePtr PyValue::none() { return make(Kind::None); }

PyValuePtr PyValue::boolean(bool value) {
    auto v = make(Kind::Bool);
    v->boolValue = value;
    return v;
}

PyValuePtr PyValue::integer(int64_t value) {
    auto v = make(Kind::Int);
    v->intValue = value;
    return v;
}

PyValuePtr PyValue::real(double value) {
    auto v = make(Kind::Float);
    v->floatValue = value;
    return v;
}

PyValuePtr PyValue::str(std::string value) {
    auto v = make(Kind::String);
    v->text = std::move(value);
    return v;
}

PyValuePtr PyValue::bytes(std::string value) {
    auto v = make(Kind::Bytes);
    v->text = std::move(value);
    return v;
}

PyValuePtr PyValue::list(std::vector<PyValuePtr> items) {
    auto v = make(Kind::List);
    v->items = std::move(items);
    return v;
}

PyValuePtr PyValue::tuple(std::vector<PyValuePtr> items) {
    auto v = make(Kind::Tuple);
    v->items = std::move(items);
    return v;
}

PyValuePtr PyValue::dict(bool ordered) {
    auto v = make(Kind::Dict);
    v->ordered = ordered;
    return v;
}

PyValuePtr PyValue::tensor(torch::Tensor value) {
    auto v = make(Kind::Tensor);
    v->tensorValue = std::move(value);
    return v;
}

PyValuePtr PyValue::global(std::string qualifiedName) {
    auto v = make(Kind::Global);
    v->text = std::move(qualifiedName);
    return v;
}

// Python's own type names, so messages read like the files' authors would describe them.
const char* PyValue::kindName(Kind kind) {
    switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Tensor: return "tensor";
    case Kind::Global: return "global";
    }
    return "?";
}

void PyValue::expect(Kind k) const {
    if (kind != k)
        throw Error(std::string("Python value: expected ") + kindName(k) + ", found " +
                    kindName(kind));
}

bool PyValue::asBool() const {
    expect(Kind::Bool);
    return boolValue;
}

int64_t PyValue::asInt() const {
    expect(Kind::Int);
    return intValue;
}

double PyValue::asFloat() const {
    if (kind == Kind::Int) return static_cast<double>(intValue);
    expect(Kind::Float);
    return floatValue;
}

const std::string& PyValue::asString() const {
    expect(Kind::String);
    return text;
}

const std::string& PyValue::asBytes() const {
    expect(Kind::Bytes);
    return text;
}

const std::vector<PyValuePtr>& PyValue::asList() const {
    expect(Kind::List);
    return items;
}

const std::vector<PyValuePtr>& PyValue::asTuple() const {
    expect(Kind::Tuple);
    return items;
}

const std::vector<PyValuePtr>& PyValue::asSequence() const {
    if (kind != Kind::List && kind != Kind::Tuple)
        throw Error(std::string("Python value: expected list or tuple, found ") + kindName(kind));
    return items;
}

const std::vector<PyValue::Entry>& PyValue::asDict() const {
    expect(Kind::Dict);
    return entries;
}

const torch::Tensor& PyValue::asTensor() const {
    expect(Kind::Tensor);
    return tensorValue;
}

const PyValue* PyValue::find(const std::string& key) const {
    expect(Kind::Dict);
    for (const auto& [k, v] : entries)
        if (k && k->kind == Kind::String && k->text == key) return v.get();
    return nullptr;
}

const PyValue& PyValue::at(const std::string& key) const {
    const PyValue* value = find(key);
    if (!value) throw Error("Python value: missing key '" + key + "'");
    return *value;
}

std::vector<std::string> PyValue::keys() const {
    expect(Kind::Dict);
    std::vector<std::string> result;
    result.reserve(entries.size());
    for (const auto& entry : entries)
        if (entry.first && entry.first->kind == Kind::String) result.push_back(entry.first->text);
    return result;
}

void PyValue::set(const std::string& key, PyValuePtr value) { set(str(key), std::move(value)); }

void PyValue::set(PyValuePtr key, PyValuePtr value) {
    expect(Kind::Dict);
    if (!key || !value) throw Error("Python value: null dict key or value");
    for (auto& entry : entries) {
        if (sameKey(*entry.first, *key)) {
            entry.second = std::move(value);
            return;
        }
    }
    entries.emplace_back(std::move(key), std::move(value));
}

void PyValue::append(PyValuePtr value) {
    if (kind != Kind::List && kind != Kind::Tuple)
        throw Error(std::string("Python value: cannot append to a ") + kindName(kind));
    if (!value) throw Error("Python value: null list item");
    items.push_back(std::move(value));
}

}  // namespace ds::io
