// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: the message of the ds::Error an action throws, to check what a user would read.
#pragma once
#include "core/util/error.h"

#include <QString>

#include <exception>
#include <string>

namespace ds::test {

// The message of the ds::Error that `body` throws; empty when it throws none. Another exception
// is named as such, so that a check on the message fails and says why.
template <typename Body>
QString errorOf(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("not a ds::Error: ") + QString::fromStdString(e.what());
    }
    return {};
}

// The same, as a std::string, for core tests that compare std::strings.
template <typename Body>
std::string errorText(Body body) {
    return errorOf(body).toStdString();
}

}  // namespace ds::test
