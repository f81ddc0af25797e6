#include "microfer/results_writer.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "microfer/plot.hpp"

namespace microfer {
namespace fs = std::filesystem;

namespace {
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
std::string fmt(double v, int prec) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}
}  // namespace

std::string ResultsWriter::csvHeader() {
  std::string h = "source,frame,face,x,y,width,height,detector_score,label,confidence";
  for (const auto& n : emotionNames()) h += ",p_" + n;
  return h + ",track";
}

ResultsWriter::ResultsWriter(const std::string& outDir, bool writeCsvHeader) : outDir_(outDir) {
  std::error_code ec;
  fs::create_directories(outDir, ec);
  if (ec || !fs::is_directory(outDir))
    throw std::runtime_error("cannot create results folder '" + outDir + "'" +
                             (ec ? ": " + ec.message() : ""));
  const bool csvIsNew = !fs::exists(csvPath()) || fs::file_size(csvPath(), ec) == 0;
  csv_.open(csvPath(), std::ios::app);
  jsonl_.open(jsonlPath(), std::ios::app);
  if (!csv_ || !jsonl_) throw std::runtime_error("results folder '" + outDir + "' is not writable");
  if (csvIsNew && writeCsvHeader) {
    csv_ << csvHeader() << '\n';
    csv_.flush();
    if (!csv_) throw std::runtime_error("cannot write '" + csvPath() + "'");
  }
}

ResultsWriter::~ResultsWriter() {
  try {
    closeVideo();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
}

std::string ResultsWriter::csvPath() const {
  return (fs::path(outDir_) / "results.csv").string();
}
std::string ResultsWriter::jsonlPath() const {
  return (fs::path(outDir_) / "results.jsonl").string();
}

void ResultsWriter::append(const FrameResult& r) {
  const auto& names = emotionNames();
  std::ostringstream rows;
  nlohmann::json faces = nlohmann::json::array();
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const auto& f = r.faces[i];
    const auto& b = f.detection.box;
    const auto& p = f.prediction;
    rows << csvField(r.source) << ',' << r.frameIndex << ',' << i << ',' << fmt(b.x, 1) << ','
         << fmt(b.y, 1) << ',' << fmt(b.width, 1) << ',' << fmt(b.height, 1) << ','
         << fmt(f.detection.score, 4) << ',' << (p.label >= 0 ? names[p.label] : "") << ','
         << fmt(p.confidence, 4);
    for (float v : p.probs) rows << ',' << fmt(v, 4);
    rows << ',' << f.trackId << '\n';
    nlohmann::json probs;
    for (int c = 0; c < kNumEmotions; ++c) probs[names[c]] = std::round(p.probs[c] * 1e4) / 1e4;
    nlohmann::json face = {{"face", i},
                           {"box", {b.x, b.y, b.width, b.height}},
                           {"score", f.detection.score},
                           {"label", p.label >= 0 ? names[p.label] : ""},
                           {"confidence", std::round(p.confidence * 1e4) / 1e4},
                           {"probs", probs},
                           {"aligned_on_eyes", f.aligned.fromLandmarks}};
    if (f.detection.landmarks) {
      nlohmann::json lm = nlohmann::json::array();
      for (const auto& pt : *f.detection.landmarks) lm.push_back({pt.x, pt.y});
      face["landmarks"] = lm;
      face["measured_landmarks"] = f.detection.measuredLandmarks;  // the rest are estimates
    }
    if (f.trackId >= 0) face["track"] = f.trackId;
    faces.push_back(face);
  }
  const nlohmann::json frame = {
      {"source", r.source},
      {"frame", r.frameIndex},
      {"width", r.imageSize.width},
      {"height", r.imageSize.height},
      {"faces", faces},
      {"timing_ms", {{"detect", r.detectMs}, {"align", r.alignMs}, {"classify", r.classifyMs}}}};
  csv_ << rows.str();
  csv_.flush();
  jsonl_ << frame.dump() << '\n';
  jsonl_.flush();
  if (!csv_ || !jsonl_)
    throw std::runtime_error("cannot write results in '" + outDir_ + "' (disk full?)");
}

std::string ResultsWriter::uniquePath(const std::string& sourcePath, const std::string& suffix,
                                      const std::string& ext) {
  const std::string stem = fs::path(sourcePath).stem().string();
  for (int i = 0;; ++i) {
    const std::string name = stem + suffix + (i ? "_" + std::to_string(i) : "") + ext;
    const std::string p = (fs::path(outDir_) / name).string();
    std::error_code ec;
    if (!claimed_.count(p) && !fs::exists(p, ec)) {
      claimed_.insert(p);
      return p;
    }
  }
}

std::string ResultsWriter::writeLabelledImage(const std::string& sourcePath,
                                              const cv::Mat& annotated) {
  std::string ext = fs::path(sourcePath).extension().string();
  for (auto& c : ext) c = char(std::tolower(c));
  if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") ext = ".png";
  const std::string path = uniquePath(sourcePath, "_labelled", ext);
  // Never write over an input, even if the results folder is the input's folder.
  std::error_code ec;
  if (fs::exists(sourcePath, ec) && fs::equivalent(sourcePath, path, ec))
    throw std::runtime_error("refusing to overwrite input '" + sourcePath + "'");
  writeImageAtomically(path, annotated);
  return path;
}

std::string ResultsWriter::openVideo(const std::string& sourcePath, double fps, cv::Size size) {
  closeVideo();
  videoFinal_ = uniquePath(sourcePath, "_labelled", ".avi");
  videoTmp_ = (fs::path(outDir_) / (".tmp-" + fs::path(videoFinal_).filename().string())).string();
  if (!video_.open(videoTmp_, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps > 0 ? fps : 25.0,
                   size, true))
    throw std::runtime_error("cannot write video '" + videoFinal_ + "'");
  return videoFinal_;
}

void ResultsWriter::writeVideoFrame(const cv::Mat& annotated) {
  if (video_.isOpened()) video_.write(annotated);
}

void ResultsWriter::closeVideo() {
  if (!video_.isOpened()) return;
  video_.release();
  std::error_code ec;
  fs::rename(videoTmp_, videoFinal_, ec);
  if (ec) throw std::runtime_error("cannot finish video '" + videoFinal_ + "': " + ec.message());
}

}  // namespace microfer
