// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/npz_file.h"

#include "core/io/zip_archive_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/tuple_text.h"

#include <cstring>
#include <regex>

namespace ds::fid {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlignment = 64;  // numpy >= 1.15 pads headers so that the data is 64-byte aligned

struct DtypeName {
    const char* descr;
    torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {{"<f8", torch::kDouble}, {"<f4", torch::kFloat}, {"<f2", torch::kHalf},
                                 {"<i8", torch::kLong},   {"<i4", torch::kInt},   {"|u1", torch::kByte}};

torch::ScalarType dtypeFromDescr(const std::string& descr, const std::string& name) {
    for (const auto& d : kDtypes)
        if (descr == d.descr) return d.type;
    throw fileError(name, "unsupported array type '" + descr + "' (expected little-endian float or int)");
}

const char* descrFromDtype(torch::ScalarType type) {
    for (const auto& d : kDtypes)
        if (type == d.type) return d.descr;
    throw Error(std::string("cannot write a ") + c10::toString(type) + " array to .npy");
}

// The value of `key` in the header's Python dict literal, e.g. 'descr': '<f8'.
std::string headerField(const std::string& header, const std::string& key, const std::string& valuePattern,
                        const std::string& name) {
    std::smatch match;
    if (!std::regex_search(header, match, std::regex("'" + key + "'\\s*:\\s*(" + valuePattern + ")")))
        throw fileError(name, "bad .npy header (no '" + key + "')");
    return match[1].str();
}

std::vector<int64_t> parseShape(const std::string& tuple, const std::string& name) {
    std::vector<int64_t> shape;
    static const std::regex number("\\d+");
    for (auto it = std::sregex_iterator(tuple.begin(), tuple.end(), number); it != std::sregex_iterator(); ++it) {
        const std::string digits = it->str();
        if (digits.size() > 12) throw fileError(name, "bad .npy header (dimension too large)");
        shape.push_back(std::stoll(digits));
    }
    return shape;
}

uint32_t readLittleEndian(const std::string& bytes, size_t offset, size_t count) {
    uint32_t value = 0;
    for (size_t i = 0; i < count; ++i) value |= uint32_t(uint8_t(bytes[offset + i])) << (8 * i);
    return value;
}

}  // namespace

namespace {

struct NpyHeader {
    std::string descr;  // without quotes, e.g. <f8
    bool fortran = false;
    std::vector<int64_t> shape;
    size_t dataOffset = 0;
};

NpyHeader parseNpyHeader(const std::string& bytes, const std::string& name) {
    if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
        throw fileError(name, "not a .npy array (bad magic)");
    const int major = uint8_t(bytes[6]);
    if (major < 1 || major > 3) throw fileError(name, "unsupported .npy version " + std::to_string(major));
    const size_t lengthBytes = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + lengthBytes) throw fileError(name, "truncated .npy header");
    const size_t headerLength = readLittleEndian(bytes, 8, lengthBytes);
    NpyHeader h;
    h.dataOffset = 8 + lengthBytes + headerLength;
    if (h.dataOffset > bytes.size()) throw fileError(name, "truncated .npy header");
    const std::string header = bytes.substr(8 + lengthBytes, headerLength);
    const auto descr = headerField(header, "descr", "'[^']*'", name);
    h.descr = descr.substr(1, descr.size() - 2);
    h.fortran = headerField(header, "fortran_order", "True|False", name) == "True";
    h.shape = parseShape(headerField(header, "shape", "\\([^)]*\\)", name), name);
    return h;
}

// Appends the UTF-8 encoding of one code point (invalid ones as U+FFFD).
void appendUtf8(std::string& out, uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | (c >> 18));
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

// UTF-8 -> code points; throws on malformed input (our own texts are ASCII).
std::vector<uint32_t> codePoints(const std::string& utf8) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < utf8.size();) {
        const auto b = uint8_t(utf8[i]);
        const int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
        if (extra < 0 || i + size_t(extra) >= utf8.size()) throw Error("text for .npy is not valid UTF-8");
        uint32_t c = extra == 0 ? b : uint32_t(b & (0x3F >> extra));
        for (int k = 1; k <= extra; ++k) {
            const auto next = uint8_t(utf8[i + size_t(k)]);
            if ((next >> 6) != 0x2) throw Error("text for .npy is not valid UTF-8");
            c = (c << 6) | (next & 0x3F);
        }
        out.push_back(c);
        i += size_t(extra) + 1;
    }
    return out;
}

}  // namespace

torch::Tensor decodeNpy(const std::string& bytes, const std::string& name) {
    const NpyHeader h = parseNpyHeader(bytes, name);
    const auto dtype = dtypeFromDescr(h.descr, name);
    const bool fortran = h.fortran;
    const auto& shape = h.shape;
    const size_t dataOffset = h.dataOffset;

    int64_t count = 1;
    for (const int64_t d : shape) {
        if (d != 0 && count > (int64_t(1) << 40) / d) throw fileError(name, "array too large");
        count *= d;
    }
    const size_t byteCount = size_t(count) * c10::elementSize(dtype);
    if (bytes.size() - dataOffset != byteCount)
        throw fileError(name, "array data holds " + std::to_string(bytes.size() - dataOffset) + " bytes, expected " +
                                  std::to_string(byteCount) + " (truncated or corrupt)");

    // Fortran order stores the transpose of the reversed shape.
    std::vector<int64_t> storedShape(shape);
    if (fortran) std::reverse(storedShape.begin(), storedShape.end());
    auto tensor = torch::empty(storedShape, torch::TensorOptions().dtype(dtype));
    std::memcpy(tensor.data_ptr(), bytes.data() + dataOffset, byteCount);
    if (fortran && tensor.dim() > 1) {
        std::vector<int64_t> reversed(size_t(tensor.dim()));
        for (int64_t i = 0; i < tensor.dim(); ++i) reversed[size_t(i)] = tensor.dim() - 1 - i;
        tensor = tensor.permute(reversed).contiguous();
    }
    return tensor;
}

namespace {

// An .npy file's magic, version 1.0 and `header` padded with spaces and a newline so that the
// data starts on a 64-byte boundary, as numpy writes it.
std::string npyPrologue(std::string header) {
    const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;  // + the closing newline
    header.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
    header += '\n';
    std::string out(kMagic, kMagicSize);
    out += char(1);
    out += char(0);
    out += char(header.size() & 0xFF);
    out += char((header.size() >> 8) & 0xFF);
    out += header;
    return out;
}

}  // namespace

std::string encodeNpy(const torch::Tensor& array) {
    const auto data = array.to(torch::kCPU).contiguous();
    std::string out = npyPrologue(std::string("{'descr': '") + descrFromDtype(data.scalar_type()) +
                                  "', 'fortran_order': False, 'shape': " + tupleText(data.sizes()) + ", }");
    out.append(static_cast<const char*>(data.data_ptr()), size_t(data.numel()) * data.element_size());
    return out;
}

std::string decodeNpyText(const std::string& bytes, const std::string& name) {
    const NpyHeader h = parseNpyHeader(bytes, name);
    const bool unicode = h.descr.size() > 2 && h.descr.compare(0, 2, "<U") == 0;
    const bool byteString =
        h.descr.size() > 2 && (h.descr.compare(0, 2, "|S") == 0 || h.descr.compare(0, 2, "<S") == 0);
    if (!unicode && !byteString) throw fileError(name, "not a text array (type '" + h.descr + "', expected a str)");
    if (!(h.shape.empty() || (h.shape.size() == 1 && h.shape[0] == 1)))
        throw fileError(name, "holds several texts, expected one");
    const std::string digits = h.descr.substr(2);
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
        throw fileError(name, "bad text array type '" + h.descr + "'");
    const size_t length = size_t(std::stoul(digits));
    const size_t byteCount = length * (unicode ? 4 : 1);
    if (bytes.size() - h.dataOffset != byteCount)
        throw fileError(name, "text data holds " + std::to_string(bytes.size() - h.dataOffset) + " bytes, expected " +
                                  std::to_string(byteCount) + " (truncated or corrupt)");
    std::string text;
    for (size_t i = 0; i < length; ++i) {
        const uint32_t c =
            unicode ? readLittleEndian(bytes, h.dataOffset + 4 * i, 4) : uint8_t(bytes[h.dataOffset + i]);
        if (c == 0) break;  // numpy pads shorter strings with NULs
        if (unicode) appendUtf8(text, c);
        else text += char(c);
    }
    return text;
}

std::string encodeNpyText(const std::string& utf8) {
    const auto points = codePoints(utf8);
    std::string out = npyPrologue("{'descr': '<U" + std::to_string(std::max<size_t>(points.size(), 1)) +
                                  "', 'fortran_order': False, 'shape': (), }");
    for (const uint32_t c : points)
        for (int k = 0; k < 4; ++k) out += char((c >> (8 * k)) & 0xFF);
    if (points.empty()) out.append(4, '\0');  // numpy's '' is a <U1 holding NUL
    return out;
}

NpzFile::NpzFile(const std::string& path) : path_(path), zip_(path) {}

std::vector<std::string> NpzFile::arrayNames() const {
    std::vector<std::string> names;
    for (const auto& entry : zip_.names())
        if (entry.size() > 4 && entry.compare(entry.size() - 4, 4, ".npy") == 0)
            names.push_back(entry.substr(0, entry.size() - 4));
    return names;
}

bool NpzFile::contains(const std::string& name) const { return zip_.contains(name + ".npy"); }

torch::Tensor NpzFile::array(const std::string& name) const {
    if (!contains(name)) throw fileError(path_, "no array '" + name + "'");
    return decodeNpy(zip_.read(name + ".npy"), path_ + " (array '" + name + "')");
}

std::string NpzFile::text(const std::string& name) const {
    if (!contains(name)) throw fileError(path_, "no array '" + name + "'");
    return decodeNpyText(zip_.read(name + ".npy"), path_ + " (array '" + name + "')");
}

void writeNpz(const std::string& path, const std::vector<NamedArray>& arrays, const std::vector<NamedText>& texts) {
    replaceFileAtomically(path, [&](const std::string& temporary) {
        io::ZipArchiveWriter zip(temporary);
        for (const auto& [name, array] : arrays) zip.addDeflatedRecord(name + ".npy", encodeNpy(array));
        for (const auto& [name, text] : texts) zip.addDeflatedRecord(name + ".npy", encodeNpyText(text));
        zip.finish();
    });
}

}  // namespace ds::fid
