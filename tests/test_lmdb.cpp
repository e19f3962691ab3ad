// SPDX-License-Identifier: GPL-3.0-or-later
// LSUN LMDB import and training source: databases built here (liblmdb + OpenCV encoders) with
// JPEG and WebP entries, a truncated JPEG and an empty value.
#include "core/api/lmdb_import.h"
#include "core/data/class_sources.h"
#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/data/lmdb_source.h"
#include "core/lmdb/lmdb_cursor.h"
#include "core/lmdb/lsun_naming.h"
#include "core/util/error.h"
#include "core/util/sha256.h"
#include "tests/support/lmdb_fixture.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

using namespace ds;
using test::LmdbEntry;
namespace fs = std::filesystem;

namespace {

// Requests a stop once `stopAfter` images are reported done; counts progress events.
class StoppingSink : public api::JobSink {
public:
    StoppingSink(StopToken& stop, int64_t stopAfter) : stop_(stop), stopAfter_(stopAfter) {}
    void onProgress(const api::JobProgress& p) override {
        ++events;
        last = p;
        if (stopAfter_ > 0 && p.done >= stopAfter_) stop_.requestStop();
    }
    int events = 0;
    api::JobProgress last;

private:
    StopToken& stop_;
    int64_t stopAfter_;
};

api::LmdbImportResult importWith(const api::LmdbImportRequest& request) {
    api::JobSink quiet;
    StopToken stop;
    return api::runLmdbImport(request, quiet, stop);
}

// The reference of resize mode, computed here with OpenCV directly: decode as colour, scale the
// shorter side to `size` (INTER_AREA down, INTER_CUBIC up; the longer side rounded), crop the
// centre.
cv::Mat referenceResize(const std::string& encoded, int size) {
    const cv::Mat bgr =
        cv::imdecode(cv::Mat(1, int(encoded.size()), CV_8U, const_cast<char*>(encoded.data())), cv::IMREAD_COLOR);
    const int shorter = std::min(bgr.cols, bgr.rows);
    const double scale = double(size) / shorter;
    const cv::Size target(bgr.cols == shorter ? size : int(std::lround(bgr.cols * scale)),
                          bgr.rows == shorter ? size : int(std::lround(bgr.rows * scale)));
    cv::Mat scaled;
    cv::resize(bgr, scaled, target, 0, 0, shorter > size ? cv::INTER_AREA : cv::INTER_CUBIC);
    return scaled(cv::Rect((scaled.cols - size) / 2, (scaled.rows - size) / 2, size, size)).clone();
}

bool hasTemporaryFiles(const std::string& dir) {
    for (const auto& f : test::listFiles(dir))
        if (fs::path(f).filename().string().rfind('.', 0) == 0) return true;
    return false;
}

std::set<std::string> stems(const std::string& dir) {
    std::set<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir)) out.insert(entry.path().stem().string());
    return out;
}

}  // namespace

class TestLmdb : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string db_;  // the mixed database
    test::MixedEntries mixed_;
    std::vector<LmdbEntry> all_;   // its entries in key order
    std::vector<LmdbEntry> good_;  // the decodable ones
    std::map<std::string, std::string> dbHashes_;

    std::string tmp(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

    api::LmdbImportRequest request(const std::string& out) const {
        api::LmdbImportRequest r;
        r.dbDir = db_;
        r.outDir = tmp(out);
        r.threads = 2;
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        db_ = tmp("mixed_lmdb");
        mixed_ = test::mixedEntries();
        all_ = mixed_.all;
        good_ = mixed_.good;
        test::writeLmdb(db_, all_);
        QCOMPARE(int(all_.size()), 12);
        QCOMPARE(int(good_.size()), 10);
        dbHashes_ = test::hashFolder(db_);
        QVERIFY(dbHashes_.count("data.mdb") && dbHashes_.count("lock.mdb"));
    }

    void inspectReportsEntriesFormatsAndThumbnails() {
        api::LmdbInspectOptions options;
        options.thumbnails = 12;
        options.thumbnailSize = 32;
        const api::LmdbInfo info = api::inspectLmdb(db_, options);
        QCOMPARE(info.entries, int64_t(12));
        QVERIFY(info.fileBytes >= info.usedBytes && info.usedBytes > 0);
        QCOMPARE(info.pageSize, int64_t(4096));
        QCOMPARE(int(info.firstKeys.size()), 5);
        for (int i = 0; i < 5; ++i) QCOMPARE(info.firstKeys[size_t(i)], all_[size_t(i)].key);
        QCOMPARE(info.sampledEntries, int64_t(12));
        QCOMPARE(info.formats.at("JPEG"), int64_t(7));  // the truncated one is still a JPEG by its bytes
        QCOMPARE(info.formats.at("WebP"), int64_t(4));
        QCOMPARE(info.formats.at("empty"), int64_t(1));
        QCOMPARE(int(info.thumbnails.size()), 12);
        int decoded = 0;
        for (size_t i = 0; i < info.thumbnails.size(); ++i) {
            const auto& t = info.thumbnails[i];
            QCOMPARE(t.key, all_[i].key);
            if (!t.problem.empty()) {
                QVERIFY(t.image.empty());
                QVERIFY2(t.problem.find(t.key) != std::string::npos, t.problem.c_str());
                continue;
            }
            ++decoded;
            QCOMPARE(t.image.channels, 3);
            QVERIFY(std::max(t.image.width, t.image.height) <= 32);
            // The aspect ratio of the stored image is kept.
            QVERIFY(std::abs(double(t.image.width) / t.image.height - double(t.width) / t.height) < 0.15);
        }
        QCOMPARE(decoded, 10);
        QVERIFY(api::looksLikeLmdb(db_));
        QVERIFY(!api::looksLikeLmdb(tmp("")));
    }

    void opensWithoutLockFileAndCreatesNone() {
        // What a read-only copy of a database often is: data.mdb alone. MDB_NOLOCK never touches
        // lock.mdb, so nothing is created (as root, a read-only folder cannot be tested directly).
        const std::string copy = tmp("data_only_lmdb");
        fs::create_directories(copy);
        fs::copy_file(db_ + "/data.mdb", copy + "/data.mdb");
        QCOMPARE(api::inspectLmdb(copy).entries, int64_t(12));
        auto r = request("from_data_only");
        r.dbDir = copy;
        QCOMPARE(importWith(r).written, int64_t(10));
        QCOMPARE(test::listFiles(copy), std::vector<std::string>{"data.mdb"});
    }

    void rawFlatExportIsByteIdenticalAndNamedAsFyuLsun() {
        auto r = request("raw_flat");
        r.flat = true;
        const auto result = importWith(r);
        QCOMPARE(result.written, int64_t(10));
        QCOMPARE(result.corrupt, int64_t(2));
        QCOMPARE(result.skippedExisting, int64_t(0));
        for (const auto& e : good_)
            QVERIFY2(test::readFile(r.outDir + "/" + e.key + ".webp") == e.value, e.key.c_str());
        // Exactly the good entries and the report; no temporary files.
        std::vector<std::string> expected{"lmdb-import-report.json"};
        for (const auto& e : good_) expected.push_back(e.key + ".webp");
        std::sort(expected.begin(), expected.end());
        QCOMPARE(test::listFiles(r.outDir), expected);
        // The report lists both corrupt entries by key.
        const auto report = nlohmann::json::parse(test::readFile(result.reportFile));
        QCOMPARE(report["corrupt"].get<int>(), 2);
        const std::string problems = report["problems"].dump();
        QVERIFY2(problems.find(mixed_.emptyKey + ": empty value") != std::string::npos, problems.c_str());
        QVERIFY2(problems.find(mixed_.truncatedKey + ": truncated JPEG") != std::string::npos, problems.c_str());
        // The source is untouched: same files, same bytes.
        QCOMPARE(test::hashFolder(db_), dbHashes_);
    }

    void rawNestedExportUsesFyuLsunFolders() {
        auto r = request("raw_nested");
        QCOMPARE(importWith(r).written, int64_t(10));
        for (const auto& e : good_) {
            const std::string& k = e.key;
            const std::string path = r.outDir + "/" + k.substr(0, 1) + "/" + k.substr(1, 1) + "/" + k.substr(2, 1) +
                                     "/" + k.substr(3, 1) + "/" + k.substr(4, 1) + "/" + k.substr(5, 1) + "/" + k +
                                     ".webp";
            QVERIFY2(test::readFile(path) == e.value, path.c_str());
        }
        QCOMPARE(lmdb::exportRelativePath("abcdefgh", lmdb::ExportLayout::Nested, "webp"),
                 std::string("a/b/c/d/e/f/abcdefgh.webp"));
        QCOMPARE(lmdb::exportRelativePath("abc", lmdb::ExportLayout::Nested, "webp"), std::string("a/b/c/abc.webp"));
    }

    void rawRealExtensionNamesTheFormat() {
        auto r = request("raw_ext");
        r.flat = true;
        r.realExtension = true;
        QCOMPARE(importWith(r).written, int64_t(10));
        int jpg = 0, webp = 0;
        for (const auto& e : good_) {
            const bool isJpeg = e.value.rfind("\xFF\xD8\xFF", 0) == 0;
            const std::string path = r.outDir + "/" + e.key + (isJpeg ? ".jpg" : ".webp");
            QVERIFY2(test::readFile(path) == e.value, path.c_str());
            (isJpeg ? jpg : webp)++;
        }
        QCOMPARE(jpg, 6);
        QCOMPARE(webp, 4);
    }

    // A database written by Python's lmdb module (tests/fixtures/lsun_python_lmdb: 4 KiB pages,
    // depth 2, an overflow page), exported raw: every file written (relative path -> sha256)
    // equals what fyu/lsun's real `data.py export` wrote, flat and nested (the fixture's
    // `flat` / `nested` listings), and the real-extension option gives `flat_real_extension`.
    void pythonWrittenLmdbExportsAsFyuLsun_data() {
        QTest::addColumn<QString>("listing");
        QTest::addColumn<bool>("flat");
        QTest::addColumn<bool>("realExtension");
        QTest::newRow("flat") << "flat" << true << false;
        QTest::newRow("nested (fyu's default)") << "nested" << false << false;
        QTest::newRow("flat, real extension") << "flat_real_extension" << true << true;
    }
    void pythonWrittenLmdbExportsAsFyuLsun() {
        QFETCH(QString, listing);
        QFETCH(bool, flat);
        QFETCH(bool, realExtension);
        const auto expected =
            nlohmann::json::parse(test::readFile(test::fixturePath("lsun_python_lmdb/expected_export.json")));
        // Read in place: the fixture holds data.mdb only, and MDB_RDONLY | MDB_NOLOCK neither
        // needs nor creates lock.mdb (checked below, so the source tree stays untouched).
        const std::string db = test::fixturePath("lsun_python_lmdb/db");
        const auto dbBefore = test::hashFolder(db);
        QCOMPARE(dbBefore.size(), size_t(1));

        const auto info = api::inspectLmdb(db);
        const auto& stat = expected["lmdb_stat"];
        QCOMPARE(info.entries, stat["entries"].get<int64_t>());
        QCOMPARE(info.pageSize, stat["psize"].get<int64_t>());
        QCOMPARE(info.depth, stat["depth"].get<int64_t>());
        const auto cursorOrder = expected["cursor_key_order"].get<std::vector<std::string>>();
        QVERIFY(!info.firstKeys.empty());
        QCOMPARE(info.firstKeys,
                 std::vector<std::string>(cursorOrder.begin(), cursorOrder.begin() + info.firstKeys.size()));

        auto r = request("python_lmdb_" + listing.toStdString());
        r.dbDir = db;
        r.flat = flat;
        r.realExtension = realExtension;
        const auto result = importWith(r);
        QCOMPARE(result.written, int64_t(10));
        QCOMPARE(result.corrupt, int64_t(0));
        QCOMPARE(result.refusedKeys, int64_t(0));

        std::map<std::string, std::string> got;
        for (const auto& file : test::listFiles(r.outDir))
            if (file != "lmdb-import-report.json") got[file] = sha256File(r.outDir + "/" + file);
        const auto want = expected[listing.toStdString()].get<std::map<std::string, std::string>>();
        QCOMPARE(want.size(), size_t(10));
        std::string differences;
        int differing = 0;
        for (const auto& [path, hash] : want)
            if (!got.count(path)) differences += "missing " + path + "; ", ++differing;
            else if (got.at(path) != hash) differences += "different bytes in " + path + "; ", ++differing;
        for (const auto& [path, hash] : got)
            if (!want.count(path)) differences += "unexpected " + path + "; ", ++differing;
        // Byte copies under fyu/lsun's names: no file may differ.
        qInfo("tolerance: lmdb/python_lmdb/%s error=%.3g tol=%.3g", qPrintable(listing), double(differing), 0.0);
        QVERIFY2(differences.empty(), differences.c_str());
        QCOMPARE(test::hashFolder(db), dbBefore);
    }

    void resizeExportMatchesReferenceResize() {
        auto r = request("resized");
        r.size = 32;
        const auto result = importWith(r);
        QCOMPARE(result.written, int64_t(10));
        QCOMPARE(result.corrupt, int64_t(2));
        for (const auto& e : good_) {
            const cv::Mat out = cv::imread(r.outDir + "/" + e.key + ".png", cv::IMREAD_UNCHANGED);
            QCOMPARE(out.cols, 32);
            QCOMPARE(out.rows, 32);
            QCOMPARE(out.channels(), 3);  // gray entries become RGB too
            const cv::Mat expected = referenceResize(e.value, 32);
            QVERIFY2(cv::norm(out, expected, cv::NORM_INF) == 0, e.key.c_str());  // PNG is lossless
        }
        QCOMPARE(test::hashFolder(db_), dbHashes_);
    }

    void resizeExportAsJpeg() {
        auto r = request("resized_jpg");
        r.size = 24;
        r.format = "jpg";
        r.jpegQuality = 95;
        QCOMPARE(importWith(r).written, int64_t(10));
        for (const auto& e : good_) {
            const std::string path = r.outDir + "/" + e.key + ".jpg";
            QCOMPARE(cv::imread(path).cols, 24);
            // The reference resize through the same encoder at the same quality: the same bytes.
            const std::string expected =
                test::encodeImage(".jpg", referenceResize(e.value, 24), {cv::IMWRITE_JPEG_QUALITY, 95});
            QVERIFY2(test::readFile(path) == expected, path.c_str());
        }
    }

    void limitTakesTheFirstReadableEntries() {
        auto r = request("limited");
        r.flat = true;
        r.limit = 4;
        r.threads = 1;
        const auto result = importWith(r);
        QCOMPARE(result.written, int64_t(4));
        std::set<std::string> expected;
        for (size_t i = 0; i < 4; ++i) expected.insert(good_[i].key);
        expected.insert("lmdb-import-report");
        QCOMPARE(stems(r.outDir), expected);
    }

    void splitCountsAreExactDisjointAndSeeded() {
        // Corrupt entries are replaced, so the counts are met: check them through the files.
        const auto split = [&](const std::string& out, uint64_t seed) {
            auto r = request(out);
            r.size = 16;
            r.splitTrain = 5;
            r.splitTest = 3;
            r.seed = seed;
            const auto result = importWith(r);
            return std::make_pair(stems(result.trainDir), stems(result.testDir));
        };
        const auto a = split("split_a", 7);
        const auto b = split("split_b", 7);
        const auto c = split("split_c", 8);
        QCOMPARE(int(a.first.size()), 5);
        QCOMPARE(int(a.second.size()), 3);
        for (const auto& k : a.first) QVERIFY(!a.second.count(k));
        QVERIFY(a == b);
        QVERIFY(a != c);
        for (const auto& k : a.first)
            QVERIFY(std::any_of(good_.begin(), good_.end(), [&](auto& e) { return e.key == k; }));

        auto tooMany = request("split_big");
        tooMany.splitTrain = 10;
        tooMany.splitTest = 3;
        QVERIFY_THROWS_EXCEPTION(ds::Error, importWith(tooMany));
        auto both = request("split_limit");
        both.splitTrain = 2;
        both.limit = 3;
        QVERIFY_THROWS_EXCEPTION(ds::Error, importWith(both));
    }

    void cancelLeavesCompleteFilesAndResumeFinishes() {
        for (const int size : {0, 16}) {
            auto r = request(size ? "cancel_resized" : "cancel_raw");
            r.flat = true;
            r.size = size;
            r.threads = 1;
            r.progressIntervalSeconds = 0;
            StopToken stop;
            StoppingSink sink(stop, 4);
            QVERIFY_THROWS_EXCEPTION(ds::Cancelled, api::runLmdbImport(r, sink, stop));
            // One thread, a stop check before each entry: exactly the first 4 entries were done.
            const auto partial = test::listFiles(r.outDir);
            QVERIFY(!hasTemporaryFiles(r.outDir));
            const auto isGood = [&](const LmdbEntry& e) {
                return e.key != mixed_.truncatedKey && e.key != mixed_.emptyKey;
            };
            QCOMPARE(int64_t(partial.size()), int64_t(std::count_if(all_.begin(), all_.begin() + 4, isGood)));
            for (const auto& f : partial) {
                const std::string key = fs::path(f).stem().string();
                const auto entry = std::find_if(good_.begin(), good_.end(), [&](auto& e) { return e.key == key; });
                QVERIFY(entry != good_.end());
                if (size == 0) QVERIFY(test::readFile(r.outDir + "/" + f) == entry->value);
                else QCOMPARE(cv::imread(r.outDir + "/" + f).cols, 16);
            }

            StopToken fresh;
            StoppingSink progress(fresh, 0);
            const auto resumed = api::runLmdbImport(r, progress, fresh);
            QCOMPARE(resumed.skippedExisting, int64_t(partial.size()));
            QCOMPARE(resumed.written, int64_t(10 - partial.size()));
            QCOMPARE(int(test::listFiles(r.outDir).size()), 11);  // + the report
            QVERIFY(progress.events > 0);
            QCOMPARE(progress.last.unit, std::string("images"));
        }
    }

    void rawResumeRewritesATruncatedFile() {
        auto r = request("resume_truncated");
        r.flat = true;
        QCOMPARE(importWith(r).written, int64_t(10));
        const std::string victim = r.outDir + "/" + good_[0].key + ".webp";
        std::ofstream(victim, std::ios::binary | std::ios::trunc) << good_[0].value.substr(0, 10);
        const auto again = importWith(r);
        QCOMPARE(again.written, int64_t(1));
        QCOMPARE(again.skippedExisting, int64_t(9));
        QVERIFY(test::readFile(victim) == good_[0].value);
    }

    void badDatabasesGiveErrorsNamingThePath() {
        const auto message = [&](const std::string& dbDir) -> std::string {
            auto r = request("never");
            r.dbDir = dbDir;
            try {
                importWith(r);
            } catch (const Error& e) {
                return e.what();
            }
            return "no error";
        };
        const std::string missing = tmp("missing");
        QVERIFY(message(missing).find(missing + ": no such folder") == 0);
        const std::string plain = tmp("plain_folder");
        fs::create_directories(plain);
        QVERIFY(message(plain).find(plain + ": not an LMDB") == 0);
        const std::string garbage = tmp("garbage_lmdb");
        fs::create_directories(garbage);
        std::ofstream(garbage + "/data.mdb") << std::string(8192, 'x');
        const std::string garbageMessage = message(garbage);
        QVERIFY2(garbageMessage.find(garbage + "/data.mdb: ") == 0 &&
                     garbageMessage.find("not an LMDB") != std::string::npos,
                 garbageMessage.c_str());
        const std::string empty = tmp("empty_lmdb");
        test::writeLmdb(empty, {});
        QCOMPARE(message(empty), empty + ": empty LMDB (no entries)");
        QVERIFY(!fs::exists(tmp("never")));  // nothing created for a bad source
        QVERIFY_THROWS_EXCEPTION(ds::Error, api::inspectLmdb(plain));
    }

    void truncatedDatabasesAreRefusedNotMapped() {
        // An incomplete download or copy: LMDB maps the pages its meta page promises, and reading
        // one past the end of the file raises SIGBUS. Each reader refuses the file instead.
        const lmdb::LmdbStats whole = lmdb::LmdbEnvironment(db_).stats();
        QVERIFY(whole.fileBytes >= whole.usedBytes && whole.usedBytes >= 6 * whole.pageSize);
        const std::string file = test::readFile(db_ + "/data.mdb");
        for (const int64_t bytes : {whole.usedBytes - whole.pageSize, whole.usedBytes / 2, 3 * whole.pageSize}) {
            const std::string dir = tmp("truncated_" + std::to_string(bytes));
            fs::create_directories(dir);
            std::ofstream(dir + "/data.mdb", std::ios::binary) << file.substr(0, size_t(bytes));
            const std::string expected = dir + "/data.mdb: truncated: " + std::to_string(bytes) + " bytes, but the " +
                                         "database's pages reach " + std::to_string(whole.usedBytes);
            const auto refuses = [&](const char* reader, const std::function<void()>& open) {
                try {
                    open();
                } catch (const Error& e) {
                    QVERIFY2(std::string(e.what()).find(expected) == 0, e.what());
                    return;
                }
                QFAIL(qPrintable(QString("%1 opened a truncated database").arg(reader)));
            };
            refuses("inspectLmdb", [&] { api::inspectLmdb(dir); });
            refuses("LmdbSource", [&] { data::LmdbSource(dir, data::ImageTransform{}); });
            auto r = request("never");
            r.dbDir = dir;
            refuses("the importer", [&] { importWith(r); });
        }
        QVERIFY(!fs::exists(tmp("never")));
    }

    void damagedEntrySizesAreRefusedNotRead() {
        // LMDB has no checksums and trusts the sizes stored in its pages: one damaged node header
        // makes an entry reach past the file. Values here are small, so all five live in one leaf
        // page (the root), where each key is stored once, after its node header: the value's
        // size (two little-endian 16-bit halves), flags, the key's size.
        const std::string dir = tmp("damaged_lmdb");
        std::vector<LmdbEntry> entries;
        for (int i = 0; i < 5; ++i) entries.push_back({test::lsunKey(i), std::string(100, char('a' + i))});
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
        test::writeLmdb(dir, entries);
        std::string bytes = test::readFile(dir + "/data.mdb");
        const std::string& victim = entries[2].key;
        const size_t at = bytes.find(victim);
        QVERIFY(at != std::string::npos && at >= 8 && bytes.find(victim, at + 1) == std::string::npos);
        QCOMPARE(uint8_t(bytes[at - 8]) | uint8_t(bytes[at - 7]) << 8, 100);
        // The file's own size: never inside it from a node's offset, yet not larger than the file,
        // so only the bounds of the map (not the size alone) can refuse it.
        const uint32_t size = uint32_t(bytes.size());
        for (int i = 0; i < 4; ++i) bytes[at - 8 + i] = char((size >> (8 * i)) & 0xff);
        std::ofstream(dir + "/data.mdb", std::ios::binary | std::ios::trunc) << bytes;

        const std::string expected = dir + "/data.mdb: damaged database: the value of key " + victim + " (" +
                                     std::to_string(size) + " bytes) reaches outside the file";
        lmdb::LmdbEnvironment env(dir);
        const lmdb::LmdbReadTransaction txn(env);
        QCOMPARE(std::string(txn.get(entries[1].key).value()), entries[1].value);  // the others read
        QCOMPARE(std::string(txn.get(entries[3].key).value()), entries[3].value);
        QVERIFY_THROWS_EXCEPTION(Error, txn.get(victim));
        try {
            txn.get(victim);
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), expected);
        }
        // A walk over the keys (every reader's first step) stops at it with the same error.
        lmdb::LmdbCursor cursor(txn);
        std::string_view key, value;
        QVERIFY(cursor.next(key, value) && cursor.next(key, value));
        QCOMPARE(std::string(key), entries[1].key);
        try {
            cursor.next(key, value);
            QFAIL("the walk read the damaged entry");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), expected);
        }
    }

    void unsafeKeysAreRefusedAndReported() {
        const std::string db = tmp("odd_keys_lmdb");
        const std::string jpeg = test::encodeImage(".jpg", test::testPicture(20, 20, 1));
        test::writeLmdb(db, {{"../escape", jpeg},
                             {"a/b", jpeg},
                             {".hidden", jpeg},
                             {"0123456789abcdef", jpeg},
                             {std::string("bin\x01", 4), jpeg}});
        auto r = request("odd_keys");
        r.dbDir = db;
        r.flat = true;
        const auto result = importWith(r);
        QCOMPARE(result.written, int64_t(1));
        QCOMPARE(result.refusedKeys, int64_t(4));
        QCOMPARE(test::listFiles(r.outDir),
                 (std::vector<std::string>{"0123456789abcdef.webp", "lmdb-import-report.json"}));
        QVERIFY(!fs::exists(tmp("escape.webp")));
        const std::string report = test::readFile(result.reportFile);
        QVERIFY2(report.find("bin\\\\x01") != std::string::npos, report.c_str());
        QVERIFY(lmdb::keyProblem("0a1b2c").empty());
        QVERIFY(!lmdb::keyProblem("ab.cdefg").empty());
        QVERIFY(lmdb::keyProblem("abcdef.g").empty());
        QVERIFY(!lmdb::keyProblem(std::string(201, 'a')).empty());
    }

    void lmdbSourceDecodesEntriesInKeyOrder() {
        data::LmdbSource source(db_, {24, 3});
        QCOMPARE(source.size(), size_t(11));  // the empty value is left out at opening
        QCOMPARE(source.report().skipped, size_t(1));
        for (size_t i = 0; i < source.size(); ++i) {
            const std::string key = source.key(i);
            const auto entry = std::find_if(good_.begin(), good_.end(), [&](auto& e) { return e.key == key; });
            if (entry == good_.end()) continue;  // the truncated one
            const api::Image image = source.load(i);
            const std::vector<uint8_t> bytes(entry->value.begin(), entry->value.end());
            const api::Image expected = data::prepareImage(data::decodeImage(bytes, key), {24, 3});
            QCOMPARE(image.width, 24);
            QCOMPARE(image.channels, 3);
            QVERIFY(image.pixels == expected.pixels);
        }
        // The truncated entry falls back to the next readable one and is reported.
        size_t bad = 0;
        while (source.key(bad) != mixed_.truncatedKey) ++bad;
        const api::Image replacement = source.load(bad);
        QVERIFY(replacement.pixels == source.load((bad + 1) % source.size()).pixels);
        QCOMPARE(source.report().skipped, size_t(2));
        QVERIFY(source.describe().find("LMDB " + db_) == 0);
        fs::create_directories(tmp("plain_folder_too"));
        QVERIFY_THROWS_EXCEPTION(ds::Error, data::LmdbSource(tmp("plain_folder_too"), {24, 3}));
        QCOMPARE(test::hashFolder(db_), dbHashes_);
    }

    // Several LMDBs as one labelled source: indices run over the first, then the second; an
    // image's label is its LMDB's number and its pixels are that LMDB's image.
    void classSourcesLabelEachImageByItsLmdb() {
        const std::string a = tmp("bedroom_train_lmdb"), b = tmp("church_outdoor_val_lmdb/");
        test::writeLmdb(a, test::cleanEntries(5));
        test::writeLmdb(b, test::cleanEntries(3));
        auto first = std::make_shared<data::LmdbSource>(a, data::ImageTransform{16, 3});
        auto second = std::make_shared<data::LmdbSource>(b, data::ImageTransform{16, 3});
        const data::ClassSources both({first, second}, {data::lmdbClassName(a), data::lmdbClassName(b)});
        QCOMPARE(both.classNames(), (std::vector<std::string>{"bedroom", "church_outdoor"}));
        QCOMPARE(both.size(), size_t(8));
        for (size_t i = 0; i < 8; ++i) {
            const bool inFirst = i < 5;
            QCOMPARE(both.label(i), int64_t(inFirst ? 0 : 1));
            const auto expected = inFirst ? first->load(i) : second->load(i - 5);
            QVERIFY(both.load(i).pixels == expected.pixels);
        }
        QVERIFY_THROWS_EXCEPTION(ds::Error, both.label(8));
        QCOMPARE(data::splitClassLmdbs(a + "," + b), (std::vector<std::string>{a, b}));
        QVERIFY(data::splitClassLmdbs(a).empty());
        QVERIFY_THROWS_EXCEPTION(ds::Error, data::splitClassLmdbs(a + "," + tmp("nowhere")));
        QVERIFY_THROWS_EXCEPTION(ds::Error, data::ClassSources({first}, {"bedroom"}));  // one class
    }
};

QTEST_GUILESS_MAIN(TestLmdb)
#include "test_lmdb.moc"
