// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/checkpoint/py_json.h"

#include "core/util/error.h"

namespace ds::checkpoint {

using io::PyValue;

nlohmann::json toJson(const PyValue& v) {
    switch (v.kind) {
    case PyValue::Kind::None: return nullptr;
    case PyValue::Kind::Bool: return v.asBool();
    case PyValue::Kind::Int: return v.asInt();
    case PyValue::Kind::Float: return v.asFloat();
    case PyValue::Kind::String: return v.asString();
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple: {
        auto arr = nlohmann::json::array();
        for (const auto& item : v.asSequence()) arr.push_back(toJson(*item));
        return arr;
    }
    case PyValue::Kind::Dict: {
        auto obj = nlohmann::json::object();
        for (const auto& [k, val] : v.asDict()) {
            if (k->is(PyValue::Kind::String)) obj[k->asString()] = toJson(*val);
            else if (k->is(PyValue::Kind::Int)) obj[std::to_string(k->asInt())] = toJson(*val);
            else throw Error(std::string("a dict key of kind ") + k->kindName() + " has no JSON form");
        }
        return obj;
    }
    case PyValue::Kind::Tensor: return {{"tensor", v.asTensor().sizes().vec()}};
    default: throw Error(std::string("a ") + v.kindName() + " has no JSON form");
    }
}

io::PyValuePtr fromJson(const nlohmann::json& j) {
    if (j.is_null()) return PyValue::none();
    if (j.is_boolean()) return PyValue::boolean(j.get<bool>());
    if (j.is_number_integer()) return PyValue::integer(j.get<int64_t>());
    if (j.is_number()) return PyValue::real(j.get<double>());
    if (j.is_string()) return PyValue::str(j.get<std::string>());
    if (j.is_array()) {
        auto list = PyValue::list();
        for (const auto& item : j) list->append(fromJson(item));
        return list;
    }
    auto dict = PyValue::dict(/*ordered=*/false);
    for (auto it = j.begin(); it != j.end(); ++it) dict->set(it.key(), fromJson(it.value()));
    return dict;
}

}  // namespace ds::checkpoint
