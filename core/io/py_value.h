// SPDX-License-Identifier: GPL-3.0-or-later
// A tree of Python values, the in-memory form of what torch.save pickles: nested dicts,
// OrderedDicts, lists and tuples of scalars, strings and tensors. The unpickler builds it, the
// pickler writes it, and checkpoint code walks it.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ds::io {

struct PyValue;
using PyValuePtr = std::shared_ptr<PyValue>;

struct PyValue {
    enum class Kind {
        None,
        Bool,
        Int,     // int64: larger Python ints are rejected when read
        Float,   // double
        String,  // utf-8
        Bytes,
        List,
        Tuple,
        Dict,  // insertion-ordered; `ordered` tells OrderedDict from dict
        Tensor,
        // A reference to a Python class or function ("module.name"). Only the unpickler
        // makes these (for the few globals it knows); they rarely survive into a result.
        Global,
    };

    using Entry = std::pair<PyValuePtr, PyValuePtr>;

    Kind kind = Kind::None;
    bool boolValue = false;
    int64_t intValue = 0;
    double floatValue = 0.0;
    std::string text;               // String, Bytes, Global
    std::vector<PyValuePtr> items;  // List, Tuple
    std::vector<Entry> entries;     // Dict
    bool ordered = false;           // Dict: a collections.OrderedDict in Python
    torch::Tensor tensorValue;      // Tensor

    // Factories. Containers start empty; fill them with append()/set().
    static PyValuePtr none();
    static PyValuePtr boolean(bool value);
    static PyValuePtr integer(int64_t value);
    static PyValuePtr real(double value);
    static PyValuePtr str(std::string value);
    static PyValuePtr bytes(std::string value);
    static PyValuePtr list(std::vector<PyValuePtr> items = {});
    static PyValuePtr tuple(std::vector<PyValuePtr> items = {});
    static PyValuePtr dict(bool ordered = true);
    static PyValuePtr tensor(torch::Tensor value);
    static PyValuePtr global(std::string qualifiedName);

    static const char* kindName(Kind kind);
    const char* kindName() const { return kindName(kind); }

    bool is(Kind k) const { return kind == k; }
    bool isNone() const { return kind == Kind::None; }

    // Accessors: each throws ds::Error ("expected int, found str") on the wrong kind.
    bool asBool() const;
    int64_t asInt() const;
    double asFloat() const;  // accepts an Int too, as Python code mixes 1 and 1.0 freely
    // An Int or a one-element tensor: checkpoints hold counters either way (step, epoch, a
    // GradScaler's growth tracker, an AveragedModel's n_averaged).
    bool holdsInteger() const;
    int64_t asInteger() const;
    const std::string& asString() const;
    const std::string& asBytes() const;
    const std::vector<PyValuePtr>& asList() const;
    const std::vector<PyValuePtr>& asTuple() const;
    const std::vector<PyValuePtr>& asSequence() const;  // a List or a Tuple
    const std::vector<Entry>& asDict() const;
    const torch::Tensor& asTensor() const;

    // Dicts with string keys (state_dicts, checkpoints). find() gives nullptr when the key is
    // missing; at() throws naming the key. Both throw when this is not a Dict.
    const PyValue* find(const std::string& key) const;
    const PyValue& at(const std::string& key) const;
    bool contains(const std::string& key) const { return find(key) != nullptr; }
    // The key's integer (asInteger), or fallback when the key is missing or holds something else.
    int64_t integerOr(const std::string& key, int64_t fallback) const;
    std::vector<std::string> keys() const;  // the String keys, in order

    // Replaces the value of an existing key (keeping its position) or appends a new entry.
    void set(const std::string& key, PyValuePtr value);
    void set(PyValuePtr key, PyValuePtr value);  // any key kind (String, Int, ...)
    void append(PyValuePtr value);               // Lists (and Tuples while building)

private:
    void expect(Kind k) const;
};

}  // namespace ds::io
