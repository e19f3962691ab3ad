// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: the fid_formula Inception weights (tests/fixtures/fid_formula/README.md of the
// shared fixtures): every tensor of keys.tsv filled by the lowbias32 formula, so the parity tests
// need no 95 MB weight file in the repository.
#pragma once
#include "core/checkpoint/state_dict.h"

#include <string>

namespace ds::test {

// Reads keys.tsv (index, name, shape, kind, dtype per line) and builds the state_dict.
checkpoint::StateDict formulaInceptionWeights(const std::string& keysTsv);

// The same written to `path` with our saveTorchFile (zip format), for tests of the CLI.
void writeFormulaInceptionWeights(const std::string& keysTsv, const std::string& path);

}  // namespace ds::test
