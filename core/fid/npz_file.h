// SPDX-License-Identifier: GPL-3.0-or-later
// numpy's .npz files (a zip of .npy arrays), as pytorch-fid and lucidrains read and write FID
// statistics. Reading takes stored (np.savez) and deflated (np.savez_compressed) entries, .npy
// versions 1-3, little-endian float64/float32/float16/int64/int32/uint8 arrays in C or Fortran
// order. Writing does what np.savez_compressed does: deflated .npy 1.0 entries.
#pragma once
#include "core/io/zip_archive_reader.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ds::fid {

class NpzFile {
public:
    // Throws ds::Error naming the file when it is missing or not a zip archive.
    explicit NpzFile(const std::string& path);

    const std::string& path() const { return path_; }
    std::vector<std::string> arrayNames() const;  // entry names without ".npy"
    bool contains(const std::string& name) const;
    // The array as a tensor of the matching dtype. Throws ds::Error naming the file and array.
    torch::Tensor array(const std::string& name) const;
    // A text entry (a numpy str: a 0-d '<U' or '|S' array) as UTF-8. Throws ds::Error naming the
    // file and array when it is missing or not text.
    std::string text(const std::string& name) const;

private:
    std::string path_;
    io::ZipArchiveReader zip_;
};

using NamedArray = std::pair<std::string, torch::Tensor>;
using NamedText = std::pair<std::string, std::string>;  // name, UTF-8 text

// Writes `arrays` (any of the dtypes above), then `texts` as numpy strs (0-d '<U' arrays: what
// np.savez(path, name="text") writes; np.load(path)[name] gives the text back), atomically.
// Overwrites: callers that must not check first.
void writeNpz(const std::string& path, const std::vector<NamedArray>& arrays, const std::vector<NamedText>& texts = {});

// One .npy file's bytes and back (exposed for tests).
std::string encodeNpy(const torch::Tensor& array);
torch::Tensor decodeNpy(const std::string& bytes, const std::string& name);
std::string encodeNpyText(const std::string& utf8);
std::string decodeNpyText(const std::string& bytes, const std::string& name);

}  // namespace ds::fid
