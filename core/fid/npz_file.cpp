#include "core/fid/npz_file.h"

#include "core/io/zip_archive_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

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

// Python's tuple repr, as numpy writes it: (), (64,), (64, 64).
std::string shapeText(torch::IntArrayRef sizes) {
    std::string s = "(";
    for (size_t i = 0; i < sizes.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(sizes[i]);
    return s + (sizes.size() == 1 ? ",)" : ")");
}

}  // namespace

torch::Tensor decodeNpy(const std::string& bytes, const std::string& name) {
    if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
        throw fileError(name, "not a .npy array (bad magic)");
    const int major = uint8_t(bytes[6]);
    if (major < 1 || major > 3) throw fileError(name, "unsupported .npy version " + std::to_string(major));
    const size_t lengthBytes = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + lengthBytes) throw fileError(name, "truncated .npy header");
    const size_t headerLength = readLittleEndian(bytes, 8, lengthBytes);
    const size_t dataOffset = 8 + lengthBytes + headerLength;
    if (dataOffset > bytes.size()) throw fileError(name, "truncated .npy header");
    const std::string header = bytes.substr(8 + lengthBytes, headerLength);

    const auto descr = headerField(header, "descr", "'[^']*'", name);
    const auto dtype = dtypeFromDescr(descr.substr(1, descr.size() - 2), name);
    const bool fortran = headerField(header, "fortran_order", "True|False", name) == "True";
    const auto shape = parseShape(headerField(header, "shape", "\\([^)]*\\)", name), name);

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

std::string encodeNpy(const torch::Tensor& array) {
    const auto data = array.to(torch::kCPU).contiguous();
    std::string header = std::string("{'descr': '") + descrFromDtype(data.scalar_type()) +
                         "', 'fortran_order': False, 'shape': " + shapeText(data.sizes()) + ", }";
    const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;  // + the closing newline
    header.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
    header += '\n';
    std::string out(kMagic, kMagicSize);
    out += char(1);
    out += char(0);
    out += char(header.size() & 0xFF);
    out += char((header.size() >> 8) & 0xFF);
    out += header;
    out.append(static_cast<const char*>(data.data_ptr()), size_t(data.numel()) * data.element_size());
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

void writeNpz(const std::string& path, const std::vector<NamedArray>& arrays) {
    replaceFileAtomically(path, [&](const std::string& temporary) {
        io::ZipArchiveWriter zip(temporary);
        for (const auto& [name, array] : arrays) zip.addDeflatedRecord(name + ".npy", encodeNpy(array));
        zip.finish();
    });
}

}  // namespace ds::fid
