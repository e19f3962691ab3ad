// SPDX-License-Identifier: GPL-3.0-or-later
// Nearest neighbours of generated images among training images (core/api/neighbours.h): the
// vectors (a feature network's, through the FID engine's sides and cache, or the pixels), a
// blocked k-NN search, exact distances for the candidates, and the sheet.
#include "core/api/neighbours.h"
#include "core/fid/fid_image_decoder.h"
#include "core/fid/image_folder_listing.h"
#include "core/io/png_file.h"
#include "core/jobs/fid_sides.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <ATen/Parallel.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace ds::api {

namespace {

using namespace jobs::fidsets;

std::string imageName(const Side& side, size_t i) {
    if (side.builtin) return side.path + " #" + std::to_string(i);
    return side.files[i];
}

// A folder or a built-in set; a statistics file holds no images to compare or show.
Side openImageSide(const std::string& path, const FidRequest& r, const std::string& role) {
    if (path.empty()) throw Error("no " + role + " images given (a folder or a built-in set)");
    std::error_code ec;
    if (fid::isBuiltinReference(path) || !std::filesystem::is_directory(path, ec)) {
        if (!fid::isBuiltinReference(path) && std::filesystem::exists(path, ec))
            throw fileError(path, "is a file; nearest neighbours need the " + role +
                                      " images themselves (a folder or a built-in set)");
        return openSide(path, r);
    }
    Side side;  // a folder of one image is fine here (openSide wants two, for a covariance)
    side.path = path;
    side.isFolder = true;
    side.files = fid::listFidImages(path);
    return side;
}

// The size every image is brought to in pixel space: --resize, else the first generated image's.
cv::Size pixelSize(const Side& generated, int resize) {
    if (resize > 0) return {resize, resize};
    const cv::Mat first = generated.images().rgb(0);
    return first.size();
}

// (count, H*W*3) float32 in [0, 1]; images of another size are resized (area when shrinking,
// bilinear when enlarging).
torch::Tensor pixelVectors(const Side& side, const cv::Size& size, const std::function<void(int64_t)>& onImages,
                           const StopToken& stop) {
    const fid::ImageList images = side.images();
    const int64_t n = int64_t(images.count);
    const int64_t dims = int64_t(size.width) * size.height * 3;
    auto out = torch::empty({n, dims}, torch::kFloat);
    float* base = out.data_ptr<float>();
    std::atomic<int64_t> done{0};
    constexpr int64_t kBlock = 256;
    for (int64_t begin = 0; begin < n; begin += kBlock) {
        throwIfStopped(&stop);
        const int64_t end = std::min(n, begin + kBlock);
        at::parallel_for(begin, end, 1, [&](int64_t from, int64_t to) {
            for (int64_t i = from; i < to; ++i) {
                cv::Mat rgb = images.rgb(size_t(i));
                if (rgb.size() != size)
                    cv::resize(rgb, rgb, size, 0, 0,
                               rgb.cols > size.width || rgb.rows > size.height ? cv::INTER_AREA : cv::INTER_LINEAR);
                if (!rgb.isContinuous()) rgb = rgb.clone();
                float* row = base + i * dims;
                const uint8_t* p = rgb.ptr<uint8_t>();
                for (int64_t j = 0; j < dims; ++j) row[j] = float(p[j]) / 255.0f;
            }
        });
        done = end;
        onImages(done);
    }
    return out;
}

// The k nearest rows of `train` for each row of `gen` (Euclidean): candidates by the blocked
// |a|^2 + |b|^2 - 2ab in float32, then the exact distances of the candidates in float64 (the
// expansion loses the digits of near-duplicates, the rows this search is for).
std::vector<NeighbourRow> nearest(const torch::Tensor& gen, const torch::Tensor& train, int k,
                                  const std::function<void(int64_t)>& onRows, const StopToken& stop) {
    const int64_t g = gen.size(0), t = train.size(0);
    const int64_t candidates = std::min<int64_t>(t, int64_t(k) + 4);
    const auto trainNorms = train.pow(2).sum(1);
    std::vector<NeighbourRow> rows(size_t(g), NeighbourRow{});
    const int64_t block = std::max<int64_t>(1, std::min<int64_t>(1024, (int64_t(1) << 24) / std::max<int64_t>(1, t)));
    for (int64_t begin = 0; begin < g; begin += block) {
        throwIfStopped(&stop);
        const int64_t end = std::min(g, begin + block);
        const auto a = gen.slice(0, begin, end);
        auto d2 = torch::addmm(trainNorms.unsqueeze(0), a, train.t(), 1.0, -2.0).add_(a.pow(2).sum(1, true));
        const auto top = std::get<1>(d2.topk(candidates, 1, /*largest=*/false, /*sorted=*/true));
        const auto idx = top.accessor<int64_t, 2>();
        for (int64_t i = begin; i < end; ++i) {
            const auto x = gen[i].to(torch::kDouble);
            std::vector<NeighbourMatch> found;
            for (int64_t c = 0; c < candidates; ++c) {
                const int64_t j = idx[i - begin][c];
                const double d = (train[j].to(torch::kDouble) - x).pow(2).sum().item<double>();
                found.push_back({j, {}, std::sqrt(d)});
            }
            std::stable_sort(found.begin(), found.end(), [](const NeighbourMatch& l, const NeighbourMatch& r) {
                return l.distance < r.distance || (l.distance == r.distance && l.index < r.index);
            });
            found.resize(size_t(std::min<int64_t>(k, candidates)));
            rows[size_t(i)].index = i;
            rows[size_t(i)].neighbours = std::move(found);
        }
        onRows(end);
    }
    return rows;
}

// One sheet cell: the image fitted into side x side (nearest-neighbour enlargement by whole
// factors keeps small images' pixels sharp; area when shrinking), centred.
void drawCell(cv::Mat& sheet, const cv::Mat& rgb, int x, int y, int side) {
    const double scale = std::min(double(side) / rgb.cols, double(side) / rgb.rows);
    cv::Mat fitted;
    if (scale >= 1.0) {
        const int factor = std::max(1, int(std::floor(scale)));
        cv::resize(rgb, fitted, cv::Size(rgb.cols * factor, rgb.rows * factor), 0, 0, cv::INTER_NEAREST);
    } else {
        cv::resize(
            rgb, fitted,
            cv::Size(std::max(1, int(std::lround(rgb.cols * scale))), std::max(1, int(std::lround(rgb.rows * scale)))),
            0, 0, cv::INTER_AREA);
    }
    const int ox = x + (side - fitted.cols) / 2, oy = y + (side - fitted.rows) / 2;
    fitted.copyTo(sheet(cv::Rect(ox, oy, fitted.cols, fitted.rows)));
}

void drawText(cv::Mat& sheet, const std::string& text, int x, int y, bool strong = false) {
    cv::putText(sheet, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, 0.36,
                strong ? cv::Scalar(150, 20, 20) : cv::Scalar(60, 60, 60), 1, cv::LINE_AA);
}

std::string formatDistance(double d) {
    char text[32];
    std::snprintf(text, sizeof text, d < 10.0 ? "%.3f" : d < 1000.0 ? "%.2f" : "%.4g", d);
    return text;
}

// Rows of [generated | k neighbours], each cell with its distance underneath; with `width`, as
// many rows side by side as fit it, read left to right.
Image renderSheet(const std::vector<NeighbourRow>& rows, const Side& generated, const Side& training, int k,
                  int thumbnail, int width, const StopToken& stop) {
    const fid::ImageList genImages = generated.images();
    const fid::ImageList trainImages = training.images();
    int side = thumbnail;
    if (side <= 0) {
        const cv::Mat first = genImages.rgb(size_t(rows.front().index));
        const int s = std::max(first.cols, first.rows);
        side = s < 64 ? s * ((63 + s) / s) : std::min(s, 128);
    }
    constexpr int kMargin = 8, kGap = 4, kSeparator = 14, kLabel = 14, kHeader = 18, kBlockGap = 28;
    const int blockWidth = side + kSeparator + k * side + (k - 1) * kGap;
    const int columns =
        width > 0 ? std::clamp((width - 2 * kMargin + kBlockGap) / (blockWidth + kBlockGap), 1, int(rows.size())) : 1;
    const int lines = (int(rows.size()) + columns - 1) / columns;
    const int rowHeight = side + kLabel + kGap;
    cv::Mat sheet(kMargin + kHeader + lines * rowHeight + kMargin,
                  2 * kMargin + columns * blockWidth + (columns - 1) * kBlockGap, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int c = 0; c < columns; ++c) {
        const int x = kMargin + c * (blockWidth + kBlockGap);
        drawText(sheet, "generated", x, kMargin + 10);
        drawText(sheet, "nearest training images (distance)", x + side + kSeparator, kMargin + 10);
    }
    for (size_t r = 0; r < rows.size(); ++r) {
        throwIfStopped(&stop);
        const int x0 = kMargin + int(r) % columns * (blockWidth + kBlockGap);
        const int y = kMargin + kHeader + int(r) / columns * rowHeight;
        drawCell(sheet, genImages.rgb(size_t(rows[r].index)), x0, y, side);
        drawText(sheet, "#" + std::to_string(rows[r].index), x0, y + side + 11);
        for (size_t c = 0; c < rows[r].neighbours.size(); ++c) {
            const int x = x0 + side + kSeparator + int(c) * (side + kGap);
            const auto& match = rows[r].neighbours[c];
            drawCell(sheet, trainImages.rgb(size_t(match.index)), x, y, side);
            drawText(sheet, formatDistance(match.distance), x, y + side + 11, c == 0);
        }
    }
    Image image;
    image.width = sheet.cols;
    image.height = sheet.rows;
    image.channels = 3;
    image.pixels.assign(sheet.data, sheet.data + sheet.total() * 3);
    return image;
}

}  // namespace

NeighboursResult findNeighbours(const NeighboursRequest& request, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    FidRequest r = request.sets;
    r.kid = false;
    r.prdc = false;
    jobs::fidsets::validate(r);
    if (request.k < 1) throw Error("--k must be at least 1");
    if (request.sheetRows < 0) throw Error("--rows must be 0 (all) or more");
    if (request.thumbnail < 0 || request.thumbnail > 1024) throw Error("--thumbnail must be 0 (automatic) to 1024");
    if (request.sheetWidth < 0) throw Error("--sheet-width must be 0 (one column) or more");
    Side generated = openImageSide(r.path1, r, "generated");
    Side training = openImageSide(r.path2, r, "training");

    NeighboursResult result;
    result.space = request.space;
    result.generatedCount = int64_t(generated.imageCount());
    result.trainingCount = int64_t(training.imageCount());
    result.k = int(std::min<int64_t>(request.k, result.trainingCount));
    if (result.k < request.k)
        result.warnings.push_back(training.path + " holds " + std::to_string(result.trainingCount) +
                                  " images: k lowered to that");

    torch::Tensor genVectors, trainVectors;
    if (request.space == NeighbourSpace::Features) {
        NetworkOnDemand network(r, sink);
        checkFeatureSpaces({&generated, &training}, r, network);
        const fid::StatsCache cache(r.cacheDir);
        lookUpCache(generated, r, network, cache, true);
        lookUpCache(training, r, network, cache, true);
        computeFeatures({&generated, &training}, r, network, cache, sink, stop, result.warnings, true);
        genVectors = generated.computed->features;
        trainVectors = training.computed->features;
        result.spaceLabel = network.space().isInception() ? "Inception (" + std::to_string(network.dims()) + "-d)"
                                                          : network.space().label;
    } else {
        const cv::Size size = pixelSize(generated, r.resize);
        const ProgressMeter meter(result.generatedCount + result.trainingCount, "images");
        sink.onLog("reading the pixels of " + std::to_string(result.generatedCount) + " + " +
                   std::to_string(result.trainingCount) + " images");
        genVectors = pixelVectors(
            generated, size, [&](int64_t n) { sink.onProgress(meter.at(n)); }, stop);
        trainVectors = pixelVectors(
            training, size, [&](int64_t n) { sink.onProgress(meter.at(result.generatedCount + n)); }, stop);
        result.spaceLabel = "pixels (" + std::to_string(size.width) + "x" + std::to_string(size.height) + " RGB)";
    }
    throwIfStopped(&stop);

    sink.onLog("searching the " + std::to_string(result.k) + " nearest of " + std::to_string(result.trainingCount) +
               " training images for each of " + std::to_string(result.generatedCount) + " in " + result.spaceLabel);
    const ProgressMeter searchMeter(result.generatedCount, "images searched");
    result.rows = nearest(
        genVectors.contiguous(), trainVectors.contiguous(), result.k,
        [&](int64_t n) { sink.onProgress(searchMeter.at(n)); }, stop);
    for (auto& row : result.rows) {
        row.name = imageName(generated, size_t(row.index));
        for (auto& m : row.neighbours) m.name = imageName(training, size_t(m.index));
    }
    std::stable_sort(result.rows.begin(), result.rows.end(), [](const NeighbourRow& a, const NeighbourRow& b) {
        return a.neighbours.front().distance < b.neighbours.front().distance;
    });

    const size_t shown =
        request.sheetRows == 0 ? result.rows.size() : std::min(result.rows.size(), size_t(request.sheetRows));
    const std::vector<NeighbourRow> sheetRows(result.rows.begin(), result.rows.begin() + std::ptrdiff_t(shown));
    result.sheet = renderSheet(sheetRows, generated, training, result.k, request.thumbnail, request.sheetWidth, stop);
    result.seconds = secondsSince(start);
    return result;
}

void saveNeighbourSheet(const NeighboursResult& result, const NeighboursRequest& request, const std::string& path) {
    if (result.sheet.empty()) throw fileError(path, "there is no sheet to write (find the neighbours first)");
    const io::PngText text{{"Software", "Diffusion Studio"},
                           {"ds.neighbours.space", result.spaceLabel},
                           {"ds.neighbours.k", std::to_string(result.k)},
                           {"ds.neighbours.generated", request.sets.path1},
                           {"ds.neighbours.training", request.sets.path2}};
    io::writePng(path, result.sheet.pixels.data(), result.sheet.width, result.sheet.height, result.sheet.channels,
                 text);
}

}  // namespace ds::api
