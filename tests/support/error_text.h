// Test support: the message of the ds::Error an action throws, to check what a user would read.
#pragma once
#include "core/util/error.h"

#include <QString>

namespace ds::test {

// The message of the ds::Error that `body` throws; empty when it throws none.
template <typename Body>
QString errorOf(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace ds::test
