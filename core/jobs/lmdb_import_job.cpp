// SPDX-License-Identifier: GPL-3.0-or-later
// The LMDB import job behind `import-lmdb` and the app's import dialog.
#include "core/api/lmdb_import.h"
#include "core/lmdb/lmdb_environment.h"
#include "core/lmdb/lmdb_importer.h"

namespace ds::api {

bool looksLikeLmdb(const std::string& directory) { return lmdb::isLmdbDirectory(directory); }

LmdbImportResult runLmdbImport(const LmdbImportRequest& request, JobSink& sink, const StopToken& stop) {
    lmdb::LmdbImporter importer(request, sink, stop);
    return importer.run();
}

}  // namespace ds::api
