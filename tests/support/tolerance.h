// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: a comparison against a tolerance that always logs what it measured, one line
//   tolerance: NAME error=E tol=T
// per comparison (the format a script greps to collect the largest error per test and kernel
// setting), and a negative control that must fail the same comparison by a wide margin.
#pragma once
#include <QString>
#include <QtTest>

#include <string>

// Passes when error <= tol (so tol = 0 demands exact equality; NaN always fails).
#define DS_CHECK_TOLERANCE(name, error, tol)                                                                          \
    do {                                                                                                              \
        const std::string dsName_ = (name);                                                                           \
        const double dsError_ = (error), dsTol_ = (tol);                                                              \
        qInfo("tolerance: %s error=%.3g tol=%.3g", dsName_.c_str(), dsError_, dsTol_);                                \
        QVERIFY2(                                                                                                     \
            dsError_ <= dsTol_,                                                                                       \
            qPrintable(QString("%1: error %2 exceeds tolerance %3").arg(dsName_.c_str()).arg(dsError_).arg(dsTol_))); \
    } while (0)

// A deliberately wrong run (another seed, another eta) must miss by at least `factor` times the
// tolerance the right run is held to: the comparison can tell right from wrong.
#define DS_CHECK_NEGATIVE_CONTROL(name, error, tol, factor)                                                      \
    do {                                                                                                         \
        const std::string dsName_ = (name);                                                                      \
        const double dsError_ = (error), dsTol_ = (tol), dsFactor_ = (factor);                                   \
        qInfo("negative control: %s error=%.3g must exceed %.3g", dsName_.c_str(), dsError_, dsFactor_* dsTol_); \
        QVERIFY2(dsError_ > dsFactor_ * dsTol_,                                                                  \
                 qPrintable(QString("%1: a wrong run is only %2 away, within %3 x tolerance %4")                 \
                                .arg(dsName_.c_str())                                                            \
                                .arg(dsError_)                                                                   \
                                .arg(dsFactor_)                                                                  \
                                .arg(dsTol_)));                                                                  \
    } while (0)
