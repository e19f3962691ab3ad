// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/py_value.h"

#include "core/util/error.h"

namespace ds::io {

namespace {

PyValuePtr make(PyValue::Kind kind) {
    auto value = std::make_shared<PyValue>();
    value->kind = kind;
    return value;
}

// A value of `kind` with the one field that kind uses set: every factory but none().
template <typename T>
PyValuePtr make(PyValue::Kind kind, T PyValue::*field, T value) {
    auto result = make(kind);
    (*result).*field = std::move(value);
    return result;
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
PyValuePtr PyValue::boolean(bool value) { return make(Kind::Bool, &PyValue::boolValue, value); }
PyValuePtr PyValue::integer(int64_t value) { return make(Kind::Int, &PyValue::intValue, value); }
PyValuePtr PyValue::real(double value) { return make(Kind::Float, &PyValue::floatValue, value); }

PyValuePtr PyValue::str(std::string value) { return make(Kind::String, &PyValue::text, std::move(value)); }

PyValuePtr PyValue::bytes(std::string value) { return make(Kind::Bytes, &PyValue::text, std::move(value)); }

PyValuePtr PyValue::list(std::vector<PyValuePtr> items) { return make(Kind::List, &PyValue::items, std::move(items)); }

PyValuePtr PyValue::tuple(std::vector<PyValuePtr> items) {
    return make(Kind::Tuple, &PyValue::items, std::move(items));
}

PyValuePtr PyValue::dict(bool ordered) { return make(Kind::Dict, &PyValue::ordered, ordered); }

PyValuePtr PyValue::tensor(torch::Tensor value) { return make(Kind::Tensor, &PyValue::tensorValue, std::move(value)); }

PyValuePtr PyValue::global(std::string qualifiedName) {
    return make(Kind::Global, &PyValue::text, std::move(qualifiedName));
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
    if (kind != k) throw Error(std::string("Python value: expected ") + kindName(k) + ", found " + kindName(kind));
}

bool PyValue::asBool() const {
    expect(Kind::Bool);
    return boolValue;
}

int64_t PyValue::asInt() const {
    expect(Kind::Int);
    return intValue;
}

bool PyValue::holdsInteger() const { return kind == Kind::Int || (kind == Kind::Tensor && tensorValue.numel() == 1); }

int64_t PyValue::asInteger() const {
    if (kind == Kind::Tensor && holdsInteger()) return tensorValue.item<int64_t>();
    expect(Kind::Int);
    return intValue;
}

int64_t PyValue::integerOr(const std::string& key, int64_t fallback) const {
    const auto* v = find(key);
    return v && v->holdsInteger() ? v->asInteger() : fallback;
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
