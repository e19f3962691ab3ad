// SPDX-License-Identifier: GPL-3.0-or-later
// SHA-256 (FIPS 180-4). Checkpoint hashes shown in the UI and written into PNG metadata use it,
// so that an image can name the exact weights that made it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ds {

class Sha256 {
public:
    Sha256();

    // Feeds more message bytes; may be called any number of times before hexDigest().
    void update(const void* data, size_t size);
    // Pads the message and returns the digest as 64 lowercase hex digits. The object is reset
    // afterwards, ready for a new message.
    std::string hexDigest();

private:
    void reset();
    void compressBlock(const uint8_t* block);

    std::array<uint32_t, 8> state_{};
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t totalBytes_ = 0;
};

std::string sha256Hex(const std::string& data);

// Hashes a file of any size, read in 1 MiB chunks. Throws ds::Error naming the file when it
// cannot be opened or read.
std::string sha256File(const std::string& path);

}  // namespace ds
