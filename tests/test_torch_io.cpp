// SPDX-License-Identifier: GPL-3.0-or-later
// core/io: reading PyTorch files (zip and legacy formats, as Python's torch.save writes them)
// and writing them so that Python's torch.load opens them. Fixtures come from
// tests/tools/make_torch_io_fixtures.py (PyTorch 1.13) and ../shared/fixtures copies.
#include "core/io/torch_file.h"
#include "core/io/zip_archive_reader.h"
#include "core/io/zip_archive_writer.h"
#include "core/util/error.h"
#include "tests/support/corruption_fuzz.h"
#include "tests/support/error_text.h"
#include "tests/support/python_torch.h"

#include <QtTest>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

using ds::io::PyValue;
using ds::io::PyValuePtr;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = DS_TEST_FIXTURES;
const std::string kTorchIo = kFixtures + "/torch_io/";

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

json readJson(const std::string& path) { return json::parse(readFile(path)); }

// Keeps the files' key order (state_dict order matters).
nlohmann::ordered_json readOrderedJson(const std::string& path) {
    return nlohmann::ordered_json::parse(readFile(path));
}

// The message of the ds::Error that `f` throws, or a note that it threw something else/nothing.
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* dtypeName(c10::ScalarType t) {
    switch (t) {
    case c10::ScalarType::Float: return "float32";
    case c10::ScalarType::Double: return "float64";
    case c10::ScalarType::Half: return "float16";
    case c10::ScalarType::BFloat16: return "bfloat16";
    case c10::ScalarType::Long: return "int64";
    case c10::ScalarType::Int: return "int32";
    case c10::ScalarType::Short: return "int16";
    case c10::ScalarType::Char: return "int8";
    case c10::ScalarType::Byte: return "uint8";
    case c10::ScalarType::Bool: return "bool";
    default: return "?";
    }
}

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::vector<int64_t> toVector(c10::IntArrayRef values) { return {values.begin(), values.end()}; }

// Compares a loaded value with its description in expected.json (made by describe() in the
// fixture script); returns the first difference, or "" when they match exactly.
std::string diffExpected(const PyValue& v, const json& e, const std::string& where) {
    const std::string type = e.at("type");
    auto fail = [&](const std::string& what) { return where + ": " + what; };
    if (type == "none") return v.isNone() ? "" : fail("expected None");
    if (type == "bool")
        return v.is(PyValue::Kind::Bool) && v.boolValue == e.at("value").get<bool>() ? "" : fail("bool differs");
    if (type == "int")
        return v.is(PyValue::Kind::Int) && v.intValue == e.at("value").get<int64_t>() ? "" : fail("int differs");
    if (type == "float")
        return v.is(PyValue::Kind::Float) && v.floatValue == e.at("value").get<double>() ? "" : fail("float differs");
    if (type == "str")
        return v.is(PyValue::Kind::String) && v.text == e.at("value").get<std::string>() ? "" : fail("str differs");
    if (type == "bytes")
        return v.is(PyValue::Kind::Bytes) && hex(v.text) == e.at("hex").get<std::string>() ? "" : fail("bytes differ");
    if (type == "list" || type == "tuple") {
        if (!v.is(type == "list" ? PyValue::Kind::List : PyValue::Kind::Tuple))
            return fail(std::string("expected a ") + type + ", found a " + v.kindName());
        const auto& items = e.at("items");
        if (items.size() != v.items.size()) return fail("length differs");
        for (size_t i = 0; i < items.size(); ++i) {
            auto d = diffExpected(*v.items[i], items[i], where + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return "";
    }
    if (type == "dict") {
        if (!v.is(PyValue::Kind::Dict)) return fail(std::string("expected a dict, found a ") + v.kindName());
        if (v.ordered != e.at("ordered").get<bool>()) return fail("OrderedDict flag differs");
        const auto& entries = e.at("entries");
        if (entries.size() != v.entries.size()) return fail("size differs");
        for (size_t i = 0; i < entries.size(); ++i) {
            auto d = diffExpected(*v.entries[i].first, entries[i][0], where + ".key" + std::to_string(i));
            if (!d.empty()) return d;
            std::string name = entries[i][0].value("value", json("?")).dump();
            d = diffExpected(*v.entries[i].second, entries[i][1], where + "[" + name + "]");
            if (!d.empty()) return d;
        }
        return "";
    }
    if (type == "tensor") {
        if (!v.is(PyValue::Kind::Tensor)) return fail(std::string("expected a tensor, found a ") + v.kindName());
        const torch::Tensor& t = v.tensorValue;
        if (!t.device().is_cpu()) return fail("tensor not on the CPU");
        if (dtypeName(t.scalar_type()) != e.at("dtype").get<std::string>()) return fail("dtype differs");
        if (toVector(t.sizes()) != e.at("shape").get<std::vector<int64_t>>()) return fail("shape differs");
        if (toVector(t.strides()) != e.at("stride").get<std::vector<int64_t>>()) return fail("stride differs");
        if (t.storage_offset() != e.at("offset").get<int64_t>()) return fail("storage offset differs");
        const auto& values = e.at("values");
        if (static_cast<int64_t>(values.size()) != t.numel()) return fail("element count differs");
        if (t.is_floating_point()) {
            const torch::Tensor flat = t.to(torch::kDouble).reshape(-1).contiguous();
            for (int64_t i = 0; i < t.numel(); ++i)
                if (flat.data_ptr<double>()[i] != values[i].get<double>())
                    return fail("element " + std::to_string(i) + " differs");
        } else {
            const torch::Tensor flat = t.to(torch::kLong).reshape(-1).contiguous();
            for (int64_t i = 0; i < t.numel(); ++i)
                if (flat.data_ptr<int64_t>()[i] != values[i].get<int64_t>())
                    return fail("element " + std::to_string(i) + " differs");
        }
        return "";
    }
    return fail("unknown expected type " + type);
}

// Deep equality of two loaded trees: kinds, values, OrderedDict flags, tensor layout and data.
std::string diffValues(const PyValue& a, const PyValue& b, const std::string& where) {
    if (a.kind != b.kind) return where + ": kind " + a.kindName() + " vs " + b.kindName();
    switch (a.kind) {
    case PyValue::Kind::None: return "";
    case PyValue::Kind::Bool: return a.boolValue == b.boolValue ? "" : where + ": bool";
    case PyValue::Kind::Int: return a.intValue == b.intValue ? "" : where + ": int";
    case PyValue::Kind::Float: return a.floatValue == b.floatValue ? "" : where + ": float";
    case PyValue::Kind::String:
    case PyValue::Kind::Bytes:
    case PyValue::Kind::Global: return a.text == b.text ? "" : where + ": text";
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple:
        if (a.items.size() != b.items.size()) return where + ": length";
        for (size_t i = 0; i < a.items.size(); ++i) {
            auto d = diffValues(*a.items[i], *b.items[i], where + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return "";
    case PyValue::Kind::Dict:
        if (a.ordered != b.ordered) return where + ": ordered flag";
        if (a.entries.size() != b.entries.size()) return where + ": size";
        for (size_t i = 0; i < a.entries.size(); ++i) {
            auto d = diffValues(*a.entries[i].first, *b.entries[i].first, where + ".key");
            if (d.empty())
                d = diffValues(*a.entries[i].second, *b.entries[i].second, where + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return "";
    case PyValue::Kind::Tensor: {
        const auto& x = a.tensorValue;
        const auto& y = b.tensorValue;
        if (x.scalar_type() != y.scalar_type() || x.sizes() != y.sizes() || x.strides() != y.strides() ||
            x.storage_offset() != y.storage_offset())
            return where + ": tensor layout";
        return torch::equal(x, y) ? "" : where + ": tensor values";
    }
    }
    return where + ": ?";
}

// --- handcrafted pickles, for inputs torch.save never writes ---

std::string le(uint64_t value, int size) {
    std::string out;
    for (int i = 0; i < size; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
    return out;
}

std::string unicode(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string binint(int32_t v) { return "J" + le(static_cast<uint32_t>(v), 4); }

std::string intTuple(const std::vector<int32_t>& values) {
    std::string out = "(";
    for (int32_t v : values) out += binint(v);
    return out + "t";
}

// ('storage', torch.FloatStorage, key, 'cpu', numel[, view]) followed by BINPERSID.
std::string storageId(const std::string& key, int32_t numel, const std::string& view = "") {
    return "(" + unicode("storage") + "ctorch\nFloatStorage\n" + unicode(key) + unicode("cpu") + binint(numel) + view +
           "tQ";
}

std::string rebuildTensor(const std::string& storage, int32_t offset, const std::vector<int32_t>& sizes,
                          const std::vector<int32_t>& strides) {
    return "ctorch._utils\n_rebuild_tensor_v2\n(" + storage + binint(offset) + intTuple(sizes) + intTuple(strides) +
           "\x89" + "ccollections\nOrderedDict\n)R" + "tR";
}

std::string pickle(const std::string& body) { return std::string("\x80\x02", 2) + body + "."; }

// A zip-format PyTorch file around `data.pkl` and storages key -> float values.
std::string zipFile(const std::string& dir, const std::string& dataPkl,
                    const std::map<std::string, std::vector<float>>& storages = {}) {
    const std::string path = dir + "/crafted.pt";
    ds::io::ZipArchiveWriter zip(path);
    zip.addRecord("crafted/data.pkl", dataPkl);
    for (const auto& [key, values] : storages)
        zip.addRecord("crafted/data/" + key, values.data(), values.size() * sizeof(float));
    zip.addRecord("crafted/version", "3\n");
    zip.finish();
    return path;
}

// A tree with every kind of value the writer supports, for round trips.
PyValuePtr sampleTree() {
    auto root = PyValue::dict(false);
    root->set("none", PyValue::none());
    root->set("yes", PyValue::boolean(true));
    root->set("no", PyValue::boolean(false));
    for (int64_t v :
         {int64_t{0}, int64_t{255}, int64_t{256}, int64_t{65535}, int64_t{65536}, int64_t{-1}, int64_t{-129},
          int64_t{2147483647}, int64_t{2147483648}, int64_t{-2147483648LL}, int64_t{-2147483649LL}, int64_t{1} << 40,
          std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), int64_t{128}, int64_t{-128},
          int64_t{32768}, int64_t{8388608}})
        root->set("int" + std::to_string(v), PyValue::integer(v));
    root->set("float", PyValue::real(-2.75e-12));
    root->set("text", PyValue::str("grüße ✓"));
    root->set("bytes", PyValue::bytes(std::string("\x00\x80\xff\x41", 4)));
    root->set("empty bytes", PyValue::bytes(""));
    root->set("list", PyValue::list({PyValue::integer(1), PyValue::str("a"), PyValue::list()}));
    root->set("tuple", PyValue::tuple({PyValue::integer(1), PyValue::tuple()}));
    auto ordered = PyValue::dict(true);
    ordered->set("b", PyValue::integer(2));
    ordered->set("a", PyValue::integer(1));
    root->set("ordered", ordered);
    auto intKeys = PyValue::dict(false);
    intKeys->set(PyValue::integer(0), PyValue::str("zero"));
    intKeys->set(PyValue::integer(7), PyValue::str("seven"));
    root->set("int keys", intKeys);

    auto tensors = PyValue::dict(true);
    const torch::Tensor base = torch::arange(24, torch::kFloat).reshape({4, 6});
    tensors->set("base", PyValue::tensor(base));
    tensors->set("transposed", PyValue::tensor(base.t()));
    tensors->set("slice", PyValue::tensor(base.index({torch::indexing::Slice(1, 3), torch::indexing::Slice(2, 5)})));
    tensors->set("scalar", PyValue::tensor(torch::tensor(2.5, torch::kDouble)));
    tensors->set("empty", PyValue::tensor(torch::zeros({0, 4})));
    for (auto dtype : {torch::kFloat, torch::kDouble, torch::kHalf, torch::kBFloat16, torch::kLong, torch::kInt,
                       torch::kShort, torch::kChar, torch::kByte, torch::kBool})
        tensors->set(dtypeName(dtype), PyValue::tensor((torch::arange(6) % 3).reshape({2, 3}).to(dtype)));
    root->set("tensors", tensors);
    return root;
}

// Loads `saved` with Python's torch.load and compares it with torch.load(`original`): container
// types (OrderedDict vs dict), values, dtypes, shapes, strides, storage offsets, shared storages,
// and checks the zip layout (64-byte aligned records, <stem>/ prefix).
const char* kPythonCheck = R"PY(
import collections, os, sys, zipfile, torch
saved, original = sys.argv[1], sys.argv[2]
a = torch.load(saved)
b = torch.load(original, map_location="cpu")

def same(x, y, where):
    if isinstance(y, torch.Tensor):
        assert isinstance(x, torch.Tensor), where
        assert x.dtype == y.dtype and x.shape == y.shape, where
        assert x.stride() == y.stride() and x.storage_offset() == y.storage_offset(), where
        assert torch.equal(x, y), where
        return
    assert type(x) is type(y), (where, type(x), type(y))
    if isinstance(y, dict):
        assert list(x.keys()) == list(y.keys()), where
        for k in y:
            same(x[k], y[k], f"{where}[{k!r}]")
    elif isinstance(y, (list, tuple)):
        assert len(x) == len(y), where
        for i, (p, q) in enumerate(zip(x, y)):
            same(p, q, f"{where}[{i}]")
    else:
        assert x == y, (where, x, y)

same(a, b, "root")
if isinstance(b, dict) and "views" in b:
    ptrs = {t.storage().data_ptr() for t in a["views"].values()}
    assert len(ptrs) == 1, "views no longer share one storage"

stem = os.path.splitext(os.path.basename(saved))[0]
raw = open(saved, "rb").read()
with zipfile.ZipFile(saved) as z:
    assert z.testzip() is None
    for info in z.infolist():
        assert info.filename.startswith(stem + "/"), info.filename
        off = info.header_offset
        start = off + 30 + int.from_bytes(raw[off+26:off+28], "little") + int.from_bytes(raw[off+28:off+30], "little")
        assert start % 64 == 0, (info.filename, start)
    assert z.read(stem + "/version") == b"3\n"
print("python ok")
)PY";

}  // namespace

class TestTorchIo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void loadsContent_data();
    void loadsContent();
    void viewsShareStorage_data();
    void viewsShareStorage();
    void loadsCudaLocationOnCpu_data();
    void loadsCudaLocationOnCpu();
    void movesToRequestedDevice();
    void loadsSingleTensor();
    void rejectsBadFiles_data();
    void rejectsBadFiles();
    void rejectsMalformedPickles_data();
    void rejectsMalformedPickles();
    void readsLegacyStorageViews();
    void survivesCorruptedFiles_data();
    void survivesCorruptedFiles();
    void readsDeflatedZip();
    void zipReaderFindsEntries();
    void opensLucidrainsCheckpoint();
    void opensFlowMatchingCheckpoint();
    void opensReferenceFiles();
    void roundTrips_data();
    void roundTrips();
    void roundTripsLoadedFiles_data();
    void roundTripsLoadedFiles();
    void savedFilesOpenInPython_data();
    void savedFilesOpenInPython();
    void saveIsAtomic();
    void pyValueAccessors();
    void largeFilesUseZip64();

private:
    QTemporaryDir temp_;
};

// --- reading what PyTorch 1.13 wrote ---

void TestTorchIo::loadsContent_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("zip") << "content.pt";
    QTest::newRow("zip, pickle protocol 4") << "content_p4.pt";
    QTest::newRow("legacy") << "content_legacy.pt";
}

void TestTorchIo::loadsContent() {
    QFETCH(QString, file);
    const json expected = readJson(kTorchIo + "expected.json");
    const PyValuePtr value = ds::io::loadTorchFile(kTorchIo + file.toStdString());
    const std::string diff = diffExpected(*value, expected.at("content"), "root");
    QVERIFY2(diff.empty(), diff.c_str());
}

void TestTorchIo::viewsShareStorage_data() { loadsContent_data(); }

void TestTorchIo::viewsShareStorage() {
    QFETCH(QString, file);
    const json expected = readJson(kTorchIo + "expected.json");
    const PyValuePtr value = ds::io::loadTorchFile(kTorchIo + file.toStdString());
    const PyValue& views = value->at("views");
    const void* storage = nullptr;
    for (const std::string& name : expected.at("shared_views").get<std::vector<std::string>>()) {
        const torch::Tensor& t = views.at(name).asTensor();
        if (!storage) storage = t.storage().data();
        QVERIFY(t.storage().data() == storage);
    }
    // A write through one view shows in the others, as in Python.
    views.at("share_b").asTensor().fill_(-1.0f);
    QCOMPARE(views.at("base").asTensor()[3][5].item<float>(), -1.0f);
    QCOMPARE(views.at("base").asTensor()[1][5].item<float>(), 11.0f);
}

void TestTorchIo::loadsCudaLocationOnCpu_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("zip") << "cuda_location.pt";
    QTest::newRow("legacy") << "cuda_location_legacy.pt";
}

void TestTorchIo::loadsCudaLocationOnCpu() {
    QFETCH(QString, file);
    const json expected = readJson(kTorchIo + "expected.json");
    const PyValuePtr value = ds::io::loadTorchFile(kTorchIo + file.toStdString());
    const std::string diff = diffExpected(*value, expected.at("cuda_location"), "root");
    QVERIFY2(diff.empty(), diff.c_str());
}

// No GPU here: the meta device exercises the same path (one copy per storage, views rebuilt).
void TestTorchIo::movesToRequestedDevice() {
    const PyValuePtr value = ds::io::loadTorchFile(kTorchIo + "content.pt", torch::kMeta);
    const PyValue& views = value->at("views");
    const torch::Tensor& base = views.at("base").asTensor();
    const torch::Tensor& sliced = views.at("sliced").asTensor();
    QVERIFY(base.device().is_meta());
    QVERIFY(sliced.device().is_meta());
    QCOMPARE(toVector(sliced.strides()), (std::vector<int64_t>{6, 1}));
    QCOMPARE(sliced.storage_offset(), int64_t{8});
    QVERIFY(base.storage().unsafeGetStorageImpl() == sliced.storage().unsafeGetStorageImpl());
    QVERIFY(value->at("dtypes").at("bfloat16").asTensor().device().is_meta());
}

void TestTorchIo::loadsSingleTensor() {
    const json expected = readJson(kTorchIo + "expected.json");
    const torch::Tensor t = ds::io::loadSingleTensor(kTorchIo + "tensor_only.pt");
    const std::string diff = diffExpected(*PyValue::tensor(t), expected.at("tensor_only"), "tensor");
    QVERIFY2(diff.empty(), diff.c_str());

    const std::string message = ds::test::errorText([] { ds::io::loadSingleTensor(kTorchIo + "content.pt"); });
    QVERIFY2(contains(message, "content.pt: expected a single tensor, found dict"), message.c_str());
}

// --- bad input: a clear ds::Error naming the file, never a crash ---

void TestTorchIo::rejectsBadFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    QTest::newRow("truncated zip") << "truncated.pt"
                                   << "truncated";
    QTest::newRow("truncated legacy") << "truncated_legacy.pt"
                                      << "truncated";
    QTest::newRow("text file") << "not_torch.txt"
                               << "not a PyTorch file";
    QTest::newRow("plain pickle") << "plain_pickle.pkl"
                                  << "not a PyTorch file (a pickle without PyTorch's magic number)";
    QTest::newRow("numpy scalar") << "numpy_global.pt"
                                  << "unsupported pickle content: global numpy.core.multiarray.scalar";
    QTest::newRow("zip without data.pkl") << "deflated.zip"
                                          << "not a PyTorch file (zip archive without data.pkl)";
    QTest::newRow("missing file") << "no_such_file.pt"
                                  << "cannot open for reading";
    QTest::newRow("directory") << "."
                               << "is a directory";
    QTest::newRow("json") << "expected.json"
                          << "not a PyTorch file";
}

void TestTorchIo::rejectsBadFiles() {
    QFETCH(QString, file);
    QFETCH(QString, message);
    const std::string path = kTorchIo + file.toStdString();
    const std::string error = ds::test::errorText([&] { ds::io::loadTorchFile(path); });
    QVERIFY2(contains(error, path + ": "), error.c_str());
    QVERIFY2(contains(error, message.toStdString()), error.c_str());

    // The same from memory, as fuzz targets will feed it.
    if (fs::is_regular_file(path)) {
        const std::string fromBytes = ds::test::errorText([&] { ds::io::loadTorchBytes(readFile(path), "bytes"); });
        QVERIFY2(contains(fromBytes, "bytes: "), fromBytes.c_str());
    }
}

void TestTorchIo::rejectsMalformedPickles_data() {
    QTest::addColumn<QByteArray>("dataPkl");
    QTest::addColumn<QString>("message");
    auto row = [](const char* name, const std::string& pkl, const char* message) {
        QTest::newRow(name) << QByteArray(pkl.data(), static_cast<int>(pkl.size())) << message;
    };
    const std::string tensor16 = storageId("0", 16);
    row("stack underflow", pickle("s"), "stack underflow");
    row("pop below mark", pickle("N(0"), "stack underflow");
    row("bad memo index", pickle("h\x05"), "memo index 5 was never stored");
    row("long memo index", pickle("j\xff\xff\xff\xff"), "was never stored");
    row("missing mark", pickle("Nt"), "missing MARK");
    row("no STOP", "\x80\x02N", "truncated pickle");
    row("string past end", std::string("\x80\x02X\xff\xff\xff\x7f", 7) + "abc", "truncated pickle");
    row("unknown opcode", pickle("\xfe"), "unsupported pickle content: opcode 0xfe");
    row("text protocol opcode", pickle("I1\n"), "unsupported pickle content: opcode 0x49");
    row("protocol 6", "\x80\x06N.", "unsupported pickle content: pickle protocol 6");
    row("os.system", pickle("cos\nsystem\n" + unicode("ls") + "\x85R"), "unsupported pickle content: global os.system");
    row("builtins.eval", pickle(unicode("builtins") + unicode("eval") + "\x93"),
        "unsupported pickle content: global builtins.eval");
    row("integer over 64 bits", pickle(std::string("\x8a\x09", 2) + std::string(8, '\0') + "\x01"),
        "integer larger than 64 bits");
    row("self-containing list",
        pickle(std::string("]q\x00h\x00"
                           "a",
                           6)),
        "recursive structure");
    row("nesting too deep", pickle(std::string(3000, ']') + std::string(2999, 'a')), "nesting too deep");
    row("append to dict", pickle("}Na"), "APPEND to a dict");
    row("setitem on list", pickle("]NNs"), "SETITEM on a list");
    row("call of a string", pickle(unicode("f") + ")R"), "call of a str");
    row("view past storage", pickle(rebuildTensor(tensor16, 0, {17}, {1})), "outside its storage");
    row("offset past storage", pickle(rebuildTensor(tensor16, 10, {2, 4}, {4, 1})), "outside its storage");
    row("negative stride", pickle(rebuildTensor(tensor16, 0, {2}, {-1})), "bad tensor size or stride");
    row("size/stride mismatch", pickle(rebuildTensor(tensor16, 0, {2, 2}, {1})), "sizes and strides disagree");
    row("huge stride", pickle(rebuildTensor(tensor16, 0, {2, 2}, {2147483647, 1})), "outside its storage");
    row("missing storage", pickle(rebuildTensor(storageId("9", 4), 0, {4}, {1})),
        "missing tensor data 'crafted/data/9'");
    row("storage size mismatch", pickle(rebuildTensor(storageId("0", 100), 0, {4}, {1})),
        "holds 64 bytes, expected 400");
    row("unknown storage type",
        pickle("(" + unicode("storage") + "ctorch\nComplexFloatStorage\n" + unicode("0") + unicode("cpu") + binint(4) +
               "tQ"),
        "global torch.ComplexFloatStorage");
    row("tensor over an expanded view",
        pickle(rebuildTensor("ctorch._utils\n_rebuild_tensor_v2\n(" + storageId("0", 16) + binint(0) +
                                 intTuple({1000}) + intTuple({0}) + "\x89" + "Nt" + "R",
                             0, {1000}, {1})),
        "not a storage");
    row("rebuild chain", pickle([] {
            // (_rebuild_from_type_v2, Tensor, (_rebuild_from_type_v2, Tensor, (...), None), None)
            std::string func = "ctorch._utils\n_rebuild_tensor_v2\n";
            std::string args = "(" + storageId("0", 16) + binint(0) + intTuple({4}) + intTuple({1}) + "\x89" + "Nt";
            for (int i = 0; i < 20; ++i) {
                args = "(" + func + "ctorch._tensor\nTensor\n" + args + "Nt";
                func = "ctorch._tensor\n_rebuild_from_type_v2\n";
            }
            return func + args + "R";
        }()),
        "too many nested rebuild calls");
    row("pickled module", pickle("(" + unicode("module") + unicode("Net") + "tQ"), "pickled module");
}

void TestTorchIo::rejectsMalformedPickles() {
    QFETCH(QByteArray, dataPkl);
    QFETCH(QString, message);
    const std::string path =
        zipFile(temp_.path().toStdString(), dataPkl.toStdString(), {{"0", std::vector<float>(16, 1.0f)}});
    const std::string error = ds::test::errorText([&] { ds::io::loadTorchFile(path); });
    QVERIFY2(contains(error, path + ": "), error.c_str());
    QVERIFY2(contains(error, message.toStdString()), error.c_str());
}

// Pre-1.0 files describe storage views in their persistent ids; views share the root storage.
void TestTorchIo::readsLegacyStorageViews() {
    const std::string magic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
    const std::string view = "(" + unicode("view1") + binint(2) + binint(4) + "t";
    const std::string root = storageId("root", 8, "N");
    const std::string viewed = storageId("root", 8, view);
    std::string file =
        magic + pickle("M\xe9\x03") + pickle("}") +
        pickle("](" + rebuildTensor(viewed, 1, {3}, {1}) + rebuildTensor(root, 0, {2, 4}, {4, 1}) + "e") +
        pickle("](" + unicode("root") + "e") + le(8, 8);
    for (int i = 0; i < 8; ++i) {
        const float v = static_cast<float>(i) * 10;
        file.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    const PyValuePtr value = ds::io::loadTorchBytes(file, "legacy");
    const torch::Tensor& a = value->items.at(0)->asTensor();
    const torch::Tensor& b = value->items.at(1)->asTensor();
    QVERIFY(torch::equal(a, torch::tensor({30.0f, 40.0f, 50.0f})));
    QVERIFY(torch::equal(b, torch::arange(8, torch::kFloat).reshape({2, 4}) * 10));
    QVERIFY(a.storage().data() == b.storage().data());
    QCOMPARE(a.storage_offset(), int64_t{3});

    // A view beyond its root, or data cut short, is refused.
    const std::string badView = storageId("root", 8, "(" + unicode("v") + binint(6) + binint(4) + "t");
    std::string bad = magic + pickle("M\xe9\x03") + pickle("}") + pickle(rebuildTensor(badView, 0, {4}, {1})) +
                      pickle("](" + unicode("root") + "e");
    QVERIFY(contains(ds::test::errorText([&] { ds::io::loadTorchBytes(bad, "legacy"); }), "storage view out of range"));
    const std::string cut = file.substr(0, file.size() - 4);
    QVERIFY(contains(ds::test::errorText([&] { ds::io::loadTorchBytes(cut, "legacy"); }), "legacy: truncated"));
    std::string wrongVersion = magic + pickle("M\xea\x03") + pickle("}");
    QVERIFY(contains(ds::test::errorText([&] { ds::io::loadTorchBytes(wrongVersion, "legacy"); }),
                     "unknown protocol version"));
}

// A small fuzz: every truncation and many byte flips of real files must load or throw
// ds::Error, never crash or throw anything else.
void TestTorchIo::survivesCorruptedFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("zip") << "content.pt";
    QTest::newRow("zip, protocol 4") << "content_p4.pt";
    QTest::newRow("legacy") << "content_legacy.pt";
    QTest::newRow("deflated zip") << "deflated.zip";
}

void TestTorchIo::survivesCorruptedFiles() {
    QFETCH(QString, file);
    const auto failure =
        ds::test::survivesCorruption(readFile(kTorchIo + file.toStdString()),
                                     [](const std::string& bytes) { ds::io::loadTorchBytes(bytes, "fuzz"); });
    QVERIFY2(failure.empty(), failure.c_str());
}

// --- the zip reader on its own ---

void TestTorchIo::readsDeflatedZip() {
    ds::io::ZipArchiveReader zip(kTorchIo + "deflated.zip");
    QCOMPARE(zip.names(), (std::vector<std::string>{"text.txt", "bytes.bin", "stored.txt", "empty.bin"}));
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "hello deflate\n";
    QCOMPARE(zip.read("text.txt"), text);
    std::string bytes;
    for (int r = 0; r < 16; ++r)
        for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    QCOMPARE(zip.read("bytes.bin"), bytes);
    QCOMPARE(zip.read("stored.txt"), std::string("stored as is\n"));
    QCOMPARE(zip.read("empty.bin"), std::string());
    QVERIFY(contains(ds::test::errorText([&] { zip.read("nothing"); }), "missing archive entry 'nothing'"));
    std::vector<char> small(10);
    QVERIFY(
        contains(ds::test::errorText([&] { zip.readInto("text.txt", small.data(), small.size()); }), "expected 10"));
}

void TestTorchIo::zipReaderFindsEntries() {
    ds::io::ZipArchiveReader zip(kFixtures + "/ddpm_lucidrains_tiny/model-1.pt");
    QCOMPARE(zip.findBySuffix("data.pkl").value_or(""), std::string("model-1/data.pkl"));
    QCOMPARE(zip.findBySuffix("version").value_or(""), std::string("model-1/version"));
    QVERIFY(!zip.findBySuffix("ata.pkl"));
    QVERIFY(zip.contains("model-1/data/0"));
    QCOMPARE(zip.read("model-1/version"), std::string("3\n"));

    // Writer and reader agree, with and without ZIP64 records.
    for (bool zip64 : {false, true}) {
        const std::string path = temp_.path().toStdString() + "/w.zip";
        {
            ds::io::ZipArchiveWriter writer(path);
            writer.setForceZip64(zip64);
            writer.addRecord("w/a", "first");
            writer.addRecord("w/b", std::string(1000, 'x'));
            writer.addRecord("w/c", "");
            writer.finish();
        }
        ds::io::ZipArchiveReader reader(path);
        QCOMPARE(reader.names(), (std::vector<std::string>{"w/a", "w/b", "w/c"}));
        QCOMPARE(reader.read("w/a"), std::string("first"));
        QCOMPARE(reader.read("w/b"), std::string(1000, 'x'));
        QCOMPARE(reader.read("w/c"), std::string());
        QVERIFY(contains(ds::test::errorText([&] { ds::io::ZipArchiveReader::fromBytes("PK\x03\x04", "tiny"); }),
                         "tiny: not a zip archive (file is too small)"));
    }
}

// --- checkpoints of the projects this app replaces (../shared/fixtures copies) ---

void TestTorchIo::opensLucidrainsCheckpoint() {
    const std::string dir = kFixtures + "/ddpm_lucidrains_tiny/";
    const PyValuePtr ckpt = ds::io::loadTorchFile(dir + "model-1.pt");  // tagged cuda:0
    QCOMPARE(ckpt->keys(), (std::vector<std::string>{"step", "model", "opt", "ema", "scaler", "version"}));
    QCOMPARE(ckpt->at("step").asInt(), int64_t{3});
    QCOMPARE(ckpt->at("version").asString(), std::string("2.1.1"));
    QVERIFY(ckpt->at("scaler").isNone());

    const auto config = readOrderedJson(dir + "config.json");
    const PyValue& model = ckpt->at("model");
    const PyValue& ema = ckpt->at("ema");
    QVERIFY(model.ordered);
    std::vector<std::string> expectedKeys;
    for (const auto& [key, shape] : config.at("keys").items()) {
        expectedKeys.push_back(key);
        const auto sizes = shape.get<std::vector<int64_t>>();
        QCOMPARE(toVector(model.at(key).asTensor().sizes()), sizes);
        QCOMPARE(toVector(ema.at("ema_model." + key).asTensor().sizes()), sizes);
        QCOMPARE(toVector(ema.at("online_model." + key).asTensor().sizes()), sizes);
        QVERIFY(model.at(key).asTensor().device().is_cpu());
    }
    QCOMPARE(model.keys(), expectedKeys);

    const PyValue& opt = ckpt->at("opt");
    QVERIFY(!opt.ordered);
    const PyValue& group = *opt.at("param_groups").asList().at(0);
    QCOMPARE(group.at("betas").asTuple().size(), size_t{2});
    QVERIFY(group.at("foreach").isNone());
    QVERIFY(group.at("lr").asFloat() > 0);
    const PyValue& state = opt.at("state");
    QVERIFY(!state.entries.empty());
    QVERIFY(state.entries.front().first->is(PyValue::Kind::Int));
}

void TestTorchIo::opensFlowMatchingCheckpoint() {
    const std::string dir = kFixtures + "/cfm_g4vrel_tiny/";
    const PyValuePtr ckpt = ds::io::loadTorchFile(dir + "ckpt.tar");
    QCOMPARE(ckpt->keys(), (std::vector<std::string>{"epoch", "step", "model_state_dict", "optim_state_dict",
                                                     "ema_model_state_dict", "scaler_state_dict"}));
    const auto config = readOrderedJson(dir + "config.json");
    const PyValue& model = ckpt->at("model_state_dict");
    const PyValue& ema = ckpt->at("ema_model_state_dict");
    std::vector<std::string> expectedKeys;
    for (const auto& [key, shape] : config.at("keys").items()) {
        expectedKeys.push_back(key);
        const auto sizes = shape.get<std::vector<int64_t>>();
        QCOMPARE(toVector(model.at(key).asTensor().sizes()), sizes);
        QCOMPARE(toVector(ema.at("module." + key).asTensor().sizes()), sizes);
    }
    QCOMPARE(model.keys(), expectedKeys);
    QCOMPARE(ema.at("n_averaged").asTensor().scalar_type(), torch::kLong);
    QVERIFY(ckpt->at("scaler_state_dict").entries.empty());
}

void TestTorchIo::opensReferenceFiles() {
    const PyValuePtr ddpm = ds::io::loadTorchFile(kFixtures + "/ddpm_lucidrains_tiny/reference.pt");
    QCOMPARE(ddpm->at("unet_x").asTensor().dim(), int64_t{4});
    const PyValuePtr cfm = ds::io::loadTorchFile(kFixtures + "/cfm_g4vrel_tiny/reference.pt");
    QCOMPARE(cfm->at("v_x").asTensor().scalar_type(), torch::kFloat);
}

// --- writing ---

void TestTorchIo::roundTrips_data() {
    QTest::addColumn<bool>("zip64");
    QTest::newRow("classic zip") << false;
    QTest::newRow("zip64 records") << true;
}

void TestTorchIo::roundTrips() {
    QFETCH(bool, zip64);
    const std::string path = temp_.path().toStdString() + "/round trip.pt";
    const PyValuePtr tree = sampleTree();
    ds::io::saveTorchFile(path, tree, {zip64});
    const PyValuePtr loaded = ds::io::loadTorchFile(path);
    const std::string diff = diffValues(*loaded, *tree, "root");
    QVERIFY2(diff.empty(), diff.c_str());

    // Views of one storage were written once and come back sharing it.
    const PyValue& tensors = loaded->at("tensors");
    QVERIFY(tensors.at("transposed").asTensor().storage().data() == tensors.at("base").asTensor().storage().data());
    QCOMPARE(tensors.at("slice").asTensor().storage_offset(), int64_t{8});
    // A file name torch would not use as a folder name falls back to "archive/".
    QVERIFY(ds::io::ZipArchiveReader(path).contains("archive/data.pkl"));
}

void TestTorchIo::roundTripsLoadedFiles_data() {
    QTest::addColumn<QString>("source");
    QTest::newRow("content") << QString::fromStdString(kTorchIo + "content.pt");
    QTest::newRow("legacy content") << QString::fromStdString(kTorchIo + "content_legacy.pt");
    QTest::newRow("lucidrains checkpoint") << QString::fromStdString(kFixtures + "/ddpm_lucidrains_tiny/model-1.pt");
}

void TestTorchIo::roundTripsLoadedFiles() {
    QFETCH(QString, source);
    const PyValuePtr original = ds::io::loadTorchFile(source.toStdString());
    const std::string path = temp_.path().toStdString() + "/resaved.pt";
    ds::io::saveTorchFile(path, original);
    const std::string diff = diffValues(*ds::io::loadTorchFile(path), *original, "root");
    QVERIFY2(diff.empty(), diff.c_str());
}

void TestTorchIo::savedFilesOpenInPython_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<bool>("zip64");
    QTest::newRow("content") << QString::fromStdString(kTorchIo + "content.pt") << false;
    QTest::newRow("content, zip64") << QString::fromStdString(kTorchIo + "content.pt") << true;
    QTest::newRow("legacy content") << QString::fromStdString(kTorchIo + "content_legacy.pt") << false;
    QTest::newRow("gpu checkpoint") << QString::fromStdString(kFixtures + "/ddpm_lucidrains_tiny/model-1.pt") << false;
}

// What we write, Python's torch.load reads back equal to what PyTorch itself wrote.
void TestTorchIo::savedFilesOpenInPython() {
    QFETCH(QString, source);
    QFETCH(bool, zip64);
    if (!ds::test::pythonTorchAvailable()) QSKIP("/usr/bin/python3 cannot import torch (install python3-torch)");
    const std::string path = temp_.path().toStdString() + "/python-check.pt";
    ds::io::saveTorchFile(path, ds::io::loadTorchFile(source.toStdString()), {zip64});

    const auto python = ds::test::runPython(kPythonCheck, {QString::fromStdString(path), source});
    QVERIFY(python.finished);
    QVERIFY2(python.exitCode == 0, python.output.constData());
    QVERIFY2(python.output.contains("python ok"), python.output.constData());
}

void TestTorchIo::saveIsAtomic() {
    const std::string dir = temp_.path().toStdString() + "/atomic";
    fs::create_directories(dir);
    const std::string path = dir + "/model.pt";
    ds::io::saveTorchFile(path, sampleTree());
    const std::string before = readFile(path);

    // Unsupported content fails before anything is written.
    auto bad = PyValue::dict();
    bad->set("complex", PyValue::tensor(torch::zeros({2}, torch::kComplexFloat)));
    const std::string dtypeError = ds::test::errorText([&] { ds::io::saveTorchFile(path, bad); });
    QVERIFY2(contains(dtypeError, path + ": cannot save: unsupported tensor dtype"), dtypeError.c_str());
    QCOMPARE(readFile(path), before);

    // A failure after writing (the rename onto a directory) removes the temporary file.
    const std::string blocked = dir + "/blocked.pt";
    fs::create_directories(blocked);
    const std::string renameError = ds::test::errorText([&] { ds::io::saveTorchFile(blocked, sampleTree()); });
    QVERIFY2(contains(renameError, blocked + ": could not save"), renameError.c_str());
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
    QCOMPARE(names, (std::set<std::string>{"model.pt", "blocked.pt"}));

    const std::string missingDir =
        ds::test::errorText([&] { ds::io::saveTorchFile(dir + "/no/such/dir/x.pt", sampleTree()); });
    QVERIFY2(contains(missingDir, "could not save"), missingDir.c_str());

    // Saving over an existing file replaces it whole.
    auto small = PyValue::dict();
    small->set("x", PyValue::integer(1));
    ds::io::saveTorchFile(path, small);
    QCOMPARE(ds::io::loadTorchFile(path)->at("x").asInt(), int64_t{1});
    QVERIFY(ds::io::ZipArchiveReader(path).contains("model/data.pkl"));
}

void TestTorchIo::pyValueAccessors() {
    const PyValuePtr tree = sampleTree();
    QCOMPARE(tree->at("int255").asInt(), int64_t{255});
    QCOMPARE(tree->at("int255").asFloat(), 255.0);
    QVERIFY(tree->find("missing") == nullptr);
    QVERIFY(contains(ds::test::errorText([&] { tree->at("missing"); }), "missing key 'missing'"));
    QVERIFY(contains(ds::test::errorText([&] { tree->at("text").asInt(); }), "expected int, found str"));
    QVERIFY(contains(ds::test::errorText([&] { tree->at("list").asDict(); }), "expected dict, found list"));
    QVERIFY(contains(ds::test::errorText([&] { tree->at("list").find("x"); }), "expected dict"));
    QCOMPARE(tree->at("tuple").asSequence().size(), size_t{2});
    auto dict = PyValue::dict();
    dict->set("a", PyValue::integer(1));
    dict->set("b", PyValue::integer(2));
    dict->set("a", PyValue::integer(3));  // replaced in place
    QCOMPARE(dict->keys(), (std::vector<std::string>{"a", "b"}));
    QCOMPARE(dict->at("a").asInt(), int64_t{3});
}

// Opt-in (about 9 GB of memory, 4.3 GB of disk, a minute): a storage over 4 GiB followed by
// another record, so sizes and offsets both need the ZIP64 records that PyTorch writes too.
void TestTorchIo::largeFilesUseZip64() {
    if (qEnvironmentVariableIsEmpty("DS_TEST_LARGE_FILES"))
        QSKIP("set DS_TEST_LARGE_FILES=1 to write and read a 4.3 GB file");
    const int64_t size = (int64_t{1} << 32) + 4096;
    torch::Tensor large = torch::full({size}, 7, torch::kByte);
    large[0] = 1;
    large[size - 1] = 9;
    auto tree = PyValue::dict();
    tree->set("large", PyValue::tensor(large));
    tree->set("after", PyValue::tensor(torch::arange(10)));
    const std::string path = temp_.path().toStdString() + "/large.pt";
    ds::io::saveTorchFile(path, tree);
    large = torch::Tensor();
    tree.reset();

    {
        const PyValuePtr loaded = ds::io::loadTorchFile(path);
        const torch::Tensor& t = loaded->at("large").asTensor();
        QCOMPARE(t.numel(), size);
        QCOMPARE(t[0].item<uint8_t>(), uint8_t{1});
        QCOMPARE(t[size / 2].item<uint8_t>(), uint8_t{7});
        QCOMPARE(t[size - 1].item<uint8_t>(), uint8_t{9});
        QVERIFY(torch::equal(loaded->at("after").asTensor(), torch::arange(10)));
    }
    if (ds::test::pythonTorchAvailable()) {
        const auto python = ds::test::runPython(
            "import sys, torch; d = torch.load(sys.argv[1]); t = d['large']; "
            "assert t.numel() == 2**32 + 4096 and t[0] == 1 and t[-1] == 9 and t[5] == 7; "
            "assert torch.equal(d['after'], torch.arange(10)); print('python ok')",
            {QString::fromStdString(path)}, 600000);
        QVERIFY2(python.output.contains("python ok"), python.output.constData());
    }
}

QTEST_APPLESS_MAIN(TestTorchIo)
#include "test_torch_io.moc"
