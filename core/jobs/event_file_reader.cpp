// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/event_file_reader.h"

#include "core/train/run_directory.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <limits>

namespace ds::api {

namespace {

double number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// A preview grid as the trainer wrote it (gray or RGB PNG); empty when unreadable.
Image readGrid(const std::string& path) {
    cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (m.empty() || m.depth() != CV_8U) return {};
    if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
    Image image{m.cols, m.rows, m.channels(), {}};
    image.pixels.resize(image.bytesPerLine() * size_t(m.rows));
    for (int y = 0; y < m.rows; ++y)
        std::copy_n(m.ptr<uint8_t>(y), image.bytesPerLine(), image.pixels.data() + image.bytesPerLine() * size_t(y));
    return image;
}

}  // namespace

EventFileReader::EventFileReader(std::string path, std::string runDir)
    : path_(std::move(path)), runDir_(std::move(runDir)) {}

void EventFileReader::poll(JobSink& sink) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    in.seekg(std::streamoff(offset_));
    std::string line;
    // Only complete lines: the writer may be in the middle of one.
    while (std::getline(in, line) && !in.eof()) {
        offset_ += line.size() + 1;
        replay(line, sink);
    }
}

void EventFileReader::replay(const std::string& line, JobSink& sink) const {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    if (const auto it = j.find("log"); it != j.end() && it->is_string()) sink.onLog(it->get<std::string>());
    if (const auto it = j.find("progress"); it != j.end() && it->is_object()) {
        JobProgress p;
        p.done = it->value("done", int64_t(0));
        p.total = it->value("total", int64_t(0));
        p.unit = it->value("unit", std::string());
        p.elapsedSeconds = number(*it, "elapsed");
        p.etaSeconds = number(*it, "eta");
        p.ratePerSecond = number(*it, "rate");
        sink.onProgress(p);
    }
    if (const auto it = j.find("metrics"); it != j.end() && it->is_object()) {
        TrainMetrics m;
        m.step = it->value("step", int64_t(0));
        m.totalSteps = it->value("total", int64_t(0));
        m.loss = number(*it, "loss");
        m.lr = number(*it, "lr");
        m.gradNorm = number(*it, "grad_norm");
        m.imagesPerSecond = number(*it, "images_per_sec");
        m.wallSeconds = number(*it, "wall_time");
        m.epoch = it->value("epoch", int64_t(0));
        if (const auto b = it->find("loss_by_t"); b != it->end() && b->is_array())
            for (const auto& v : *b)
                m.lossByTimestep.push_back(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
        sink.onMetrics(m);
    }
    if (const auto it = j.find("fid"); it != j.end() && it->is_object()) {
        TrainFid f;
        f.step = it->value("step", int64_t(0));
        f.value = number(*it, "value");
        f.label = it->value("label", std::string("FID"));
        f.samples = it->value("samples", 0);
        f.seconds = number(*it, "seconds");
        f.wallSeconds = number(*it, "wall_time");
        f.trainSeconds = number(*it, "train_seconds");
        f.best = it->value("best", false);
        if (const auto kid = it->find("kid"); kid != it->end() && kid->is_number()) {
            f.hasKid = true;
            f.kid = kid->get<double>();
            f.kidStd = number(*it, "kid_std");
        }
        sink.onFid(f);
    }
    if (const auto it = j.find("preview"); it != j.end() && it->is_number_integer()) {
        const auto step = it->get<int64_t>();
        const auto grid = readGrid(train::RunDirectory::samplePath(runDir_, step));
        if (!grid.empty()) sink.onPreview(step, grid, number(j, "seconds"));
    }
}

}  // namespace ds::api
