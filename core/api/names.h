// SPDX-License-Identifier: GPL-3.0-or-later
// The names of the program's closed sets (samplers, model families, weights...) as the command
// line, config.json, PNG metadata and the app spell them: one table per set, declared beside its
// enum, and these helpers over any table. Inside the program the sets are enums; only the edges
// (parsing arguments and files, printing) go through a table.
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace ds::api::names {

template <typename E, size_t N>
using Table = std::array<std::pair<E, const char*>, N>;

template <typename E, size_t N>
const char* nameOf(const Table<E, N>& table, E value) {
    for (const auto& [e, name] : table)
        if (e == value) return name;
    return "?";
}

template <typename E, size_t N>
std::optional<E> parse(const Table<E, N>& table, const std::string& name) {
    for (const auto& [e, n] : table)
        if (name == n) return e;
    return std::nullopt;
}

// "a, b or c": for error messages and help texts.
template <typename E, size_t N>
std::string choices(const Table<E, N>& table) {
    std::string s;
    for (size_t i = 0; i < N; ++i) s += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + table[i].second;
    return s;
}

}  // namespace ds::api::names
