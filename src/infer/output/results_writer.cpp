#include "microfer/output/results_writer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "microfer/runtime/file_io.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/capture/image_io.hpp"

namespace microfer {
namespace fs = std::filesystem;

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

namespace {
std::string fmt(double v, int prec) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

int openForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
}

// write(2) until done: no user-space buffer, so a record reaches the kernel at once and a
// failure is seen here. Returns 0 or the errno of the failure.
int writeAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

std::string writeError(const std::string& path, int err) {
  std::string msg = "cannot write '" + path + "': " + std::strerror(err);
  if (err == ENOSPC || err == EFBIG || err == EDQUOT) msg += " (disk full or over a size limit)";
  return msg;
}

// Cuts a file back to `size` after a failed append, so it never ends in half a record.
void truncateTo(int fd, off_t size, const std::string& path) {
  if (size >= 0 && ::ftruncate(fd, size) != 0)
    spdlog::error("cannot cut '{}' back to its last complete record: {}", path,
                  std::strerror(errno));
}

// cv::VideoWriter::write() reports no errors, so a video is checked by reading it back:
// the container's frame count, or (where the backend does not know it) the frames decoded.
bool videoReadsBack(const std::string& path, long long frames) {
  cv::VideoCapture check;
  try {
    if (!check.open(path)) return false;
    const double count = check.get(cv::CAP_PROP_FRAME_COUNT);
    if (count > 0) return static_cast<long long>(count) == frames;
    long long decoded = 0;
    for (cv::Mat f; check.read(f) && !f.empty();) ++decoded;
    return decoded == frames;
  } catch (const cv::Exception&) {
    return false;
  }
}

std::string utcNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &utc);
  return buf;
}

std::string isoTimeUtc() {
  return utcNow("%Y-%m-%dT%H:%M:%SZ");
}

// "<UTC start>-<host>-<pid>", with "-<n>" for the second and later writer of this process.
std::string newRunId() {
  static std::atomic<int> made{0};
  char host[256] = "host";
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "host");
  host[sizeof host - 1] = '\0';
  std::string h = host;
  for (char& c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  const int n = made++;
  return utcNow("%Y%m%dT%H%M%SZ") + "-" + h + "-" + std::to_string(::getpid()) +
         (n ? "-" + std::to_string(n) : "");
}

const char* kRunsFolder = "runs";
}  // namespace

std::string ResultsWriter::csvHeader() {
  std::string h =
      "source,frame,timestamp_ms,face,x,y,width,height,detector_score,label,confidence";
  for (const auto& n : emotionNames()) h += ",p_" + n;
  return h + ",track,uncertain,quality,prediction_age";
}

ResultsWriter::ResultsWriter(const std::string& outDir, bool writeCsvHeader)
    : outDir_(outDir), startedAt_(isoTimeUtc()), runId_(newRunId()) {
  std::error_code ec;
  fs::create_directories(outDir, ec);
  if (ec || !fs::is_directory(outDir))
    throw std::runtime_error("cannot create results folder '" + outDir + "'" +
                             (ec ? ": " + ec.message() : ""));
  csvFd_ = openForAppend(csvPath());
  jsonlFd_ = openForAppend(jsonlPath());
  if (csvFd_ < 0 || jsonlFd_ < 0) {
    const int err = errno;
    if (csvFd_ >= 0) ::close(csvFd_);
    if (jsonlFd_ >= 0) ::close(jsonlFd_);
    throw std::runtime_error("results folder '" + outDir +
                             "' is not writable: " + std::strerror(err));
  }
  const off_t existing = ::lseek(csvFd_, 0, SEEK_END);
  if (existing > 0) {
    // Rows are appended under the file's own header: one written by an earlier version
    // (without the last column) gets rows of its layout; any other is left as it is, said.
    std::string first;
    std::ifstream in(csvPath());
    std::getline(in, first);
    const std::string header = csvHeader();
    const std::string withoutAge = header.substr(0, header.rfind(','));
    if (first == withoutAge) {
      csvWithoutAge_ = true;
      spdlog::info("'{}' was written by an earlier MicroFER: its new rows keep its columns "
                   "(prediction_age is in results.jsonl)", csvPath());
    } else if (first != header && first.rfind("source,", 0) == 0) {
      spdlog::warn("'{}' has other columns than this MicroFER writes; new rows are appended "
                   "under them (choose another results folder for a clean file)", csvPath());
    }
  }
  if (writeCsvHeader && existing == 0) {
    const int err = writeAll(csvFd_, csvHeader() + '\n');
    if (err) {
      truncateTo(csvFd_, 0, csvPath());
      const std::string msg = writeError(csvPath(), err);
      ::close(csvFd_);
      ::close(jsonlFd_);
      throw std::runtime_error(msg);
    }
  }
}

ResultsWriter::~ResultsWriter() {
  try {
    closeVideo();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
  // Records were written with write(2); a failing close (NFS) can only be logged here.
  if (::close(csvFd_) != 0) spdlog::error("closing '{}': {}", csvPath(), std::strerror(errno));
  if (::close(jsonlFd_) != 0) spdlog::error("closing '{}': {}", jsonlPath(), std::strerror(errno));
  if (doneFd_ >= 0 && ::close(doneFd_) != 0)
    spdlog::error("closing the run's done list: {}", std::strerror(errno));
}

std::string ResultsWriter::runPath() const {
  return (fs::path(outDir_) / kRunsFolder / (runId_ + ".json")).string();
}

void ResultsWriter::markDone(const std::string& input) {
  const std::string path = (fs::path(outDir_) / kRunsFolder / (runId_ + ".done")).string();
  if (doneFd_ < 0) {
    std::error_code ec;
    fs::create_directories(fs::path(outDir_) / kRunsFolder, ec);
    doneFd_ = openForAppend(path);
    if (doneFd_ < 0) throw std::runtime_error(writeError(path, errno));
  }
  // One line per input; a path with a line break could not be read back as one.
  if (input.find_first_of("\n\r") != std::string::npos) return;
  if (const int err = writeAll(doneFd_, input + '\n')) throw std::runtime_error(writeError(path, err));
}

std::string ResultsWriter::csvPath() const {
  return (fs::path(outDir_) / "results.csv").string();
}
std::string ResultsWriter::jsonlPath() const {
  return (fs::path(outDir_) / "results.jsonl").string();
}

namespace {
double rounded(double v, double scale) {
  return std::round(v * scale) / scale;
}

nlohmann::ordered_json frameJson(const FrameResult& r) {
  const auto& names = emotionNames();
  nlohmann::ordered_json faces = nlohmann::ordered_json::array();
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const auto& f = r.faces[i];
    const auto& b = f.detection.box;
    const auto& p = f.prediction;
    nlohmann::ordered_json face = {{"face", i},
                           {"x", rounded(b.x, 10)},
                           {"y", rounded(b.y, 10)},
                           {"width", rounded(b.width, 10)},
                           {"height", rounded(b.height, 10)},
                           {"detector_score", rounded(f.detection.score, 1e4)},
                           {"label", p.label >= 0 ? names[p.label] : ""},
                           {"confidence", rounded(p.confidence, 1e4)}};
    for (int c = 0; c < kNumEmotions; ++c) face["p_" + names[c]] = rounded(p.probs[c], 1e4);
    face["track"] = f.trackId;
    face["uncertain"] = p.uncertain;
    face["prediction_age"] = f.predictionAge;
    face["aligned_on_eyes"] = f.aligned.fromLandmarks;
    if (f.detection.landmarks) {
      nlohmann::ordered_json lm = nlohmann::ordered_json::array();
      for (const auto& pt : *f.detection.landmarks) lm.push_back({rounded(pt.x, 10), rounded(pt.y, 10)});
      face["landmarks"] = lm;
      face["measured_landmarks"] = f.detection.measuredLandmarks;  // the rest are estimates
    }
    faces.push_back(face);
  }
  return {{"source", r.source},
          {"frame", r.frameIndex},
          {"timestamp_ms",
           r.timestampMs >= 0 ? nlohmann::ordered_json(rounded(r.timestampMs, 10))
                              : nlohmann::ordered_json()},
          {"quality", r.quality},
          {"image_width", r.imageSize.width},
          {"image_height", r.imageSize.height},
          {"faces", faces},
          {"timing_ms", {{"detect", r.detectMs}, {"align", r.alignMs}, {"classify", r.classifyMs}}}};
}

}  // namespace

std::string ResultsWriter::jsonRecord(const FrameResult& r) {
  return frameJson(r).dump();
}

// One name per field in both files: the CSV has a column, the JSONL face object a key, of the
// same name and meaning (README "Outputs"); the frame's own fields (source, frame,
// timestamp_ms, quality) are repeated on each of its rows. JSONL adds what a row cannot hold.
void ResultsWriter::append(const FrameResult& r) {
  const auto& names = emotionNames();
  std::ostringstream rows;
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const auto& f = r.faces[i];
    const auto& b = f.detection.box;
    const auto& p = f.prediction;
    rows << csvField(r.source) << ',' << r.frameIndex << ','
         << (r.timestampMs >= 0 ? fmt(r.timestampMs, 1) : "") << ',' << i << ','
         << fmt(b.x, 1) << ',' << fmt(b.y, 1) << ',' << fmt(b.width, 1) << ','
         << fmt(b.height, 1) << ',' << fmt(f.detection.score, 4) << ','
         << (p.label >= 0 ? names[p.label] : "") << ',' << fmt(p.confidence, 4);
    for (float v : p.probs) rows << ',' << fmt(v, 4);
    rows << ',' << f.trackId << ',' << (p.uncertain ? 1 : 0) << ',' << csvField(r.quality);
    if (!csvWithoutAge_) rows << ',' << f.predictionAge;
    rows << '\n';
  }
  appendRecords(rows.str(), jsonRecord(r) + '\n');
}

void ResultsWriter::finishRun(const RunInfo& run) {
  const nlohmann::ordered_json entry =       {{"program", run.program},
       {"started", startedAt_},
       {"finished", isoTimeUtc()},
       {"model", {{"path", run.modelPath}, {"name", run.modelName}, {"fnv1a64", run.modelChecksum}}},
       {"detector", run.detector},
       {"tta", run.tta},
       {"min_face", run.minFace},
       {"mtcnn_thresholds", {rounded(run.mtcnnThresholds[0], 1e4), rounded(run.mtcnnThresholds[1], 1e4),
         rounded(run.mtcnnThresholds[2], 1e4)}},
       {"yunet_thresholds", {rounded(run.yunetThresholds[0], 1e4), rounded(run.yunetThresholds[1], 1e4)}},
       {"detect_every", run.detectEvery},
       {"max_faces", run.maxFaces},
       {"uncertain_below", rounded(run.uncertainBelow, 1e4)},
       {"inputs", run.inputs},
       {"images", run.counts.images},
       {"frames", run.counts.frames},
       {"faces", run.counts.faces},
       {"failures", run.counts.failures}};
  runs_.push_back(entry.dump());
  nlohmann::ordered_json doc = {{"runs", nlohmann::ordered_json::array()}};
  for (const auto& r : runs_) doc["runs"].push_back(nlohmann::ordered_json::parse(r));
  std::error_code ec;
  fs::create_directories(fs::path(outDir_) / kRunsFolder, ec);
  writeFileAtomically(runPath(), doc.dump(2) + "\n");
}

RunInfo describeRun(Pipeline& pipeline, const std::string& program,
                    std::vector<std::string> inputs, const RunCounts& counts) {
  RunInfo run;
  run.program = program;
  run.inputs = std::move(inputs);
  run.counts = counts;
  const ExpressionClassifier& c = pipeline.classifier();
  run.modelPath = fs::absolute(c.modelPath()).string();
  run.modelName = c.modelName();
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx",
                static_cast<unsigned long long>(c.modelFileChecksum()));
  run.modelChecksum = sum;
  run.detector = toString(pipeline.detector().kind());
  run.tta = toString(c.tta().mode);
  const PipelineConfig& cfg = pipeline.config();
  run.minFace = cfg.detector.minFaceSize;
  for (int i = 0; i < 3; ++i) run.mtcnnThresholds[i] = cfg.detector.mtcnnThresholds[i];
  run.yunetThresholds[0] = cfg.detector.yunetScoreThreshold;
  run.yunetThresholds[1] = cfg.detector.yunetNmsThreshold;
  run.detectEvery = cfg.detectEvery;
  run.maxFaces = cfg.maxFaces;
  run.uncertainBelow = c.uncertainBelow();
  return run;
}

void ResultsWriter::appendRecords(const std::string& csvRows, const std::string& jsonLines) {
  const off_t csvEnd = ::lseek(csvFd_, 0, SEEK_END);
  const off_t jsonlEnd = ::lseek(jsonlFd_, 0, SEEK_END);
  std::string failed = csvPath();
  int err = writeAll(csvFd_, csvRows);
  if (!err) {
    failed = jsonlPath();
    err = writeAll(jsonlFd_, jsonLines);
  }
  if (!err) return;
  // Both files go back to where they were: no half row, and the CSV and JSONL still agree.
  truncateTo(csvFd_, csvEnd, csvPath());
  truncateTo(jsonlFd_, jsonlEnd, jsonlPath());
  throw std::runtime_error(writeError(failed, err));
}

std::string ResultsWriter::uniquePath(const std::string& sourcePath, const std::string& suffix,
                                      const std::string& ext, const std::string& mirrorAs) {
  const fs::path like = mirrorAs.empty() ? fs::path(sourcePath).filename() : fs::path(mirrorAs);
  const std::string stem = like.stem().string();
  fs::path folder = outDir_;
  if (like.has_parent_path()) {
    folder /= like.parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw std::runtime_error("cannot create '" + folder.string() + "': " + ec.message());
  }
  for (int i = 0;; ++i) {
    const std::string name = stem + suffix + (i ? "_" + std::to_string(i) : "") + ext;
    const std::string p = (folder / name).string();
    std::error_code ec;
    if (!claimed_.count(p) && !fs::exists(p, ec)) {
      claimed_.insert(p);
      return p;
    }
  }
}

std::string ResultsWriter::writeLabelledImage(const std::string& sourcePath,
                                              const cv::Mat& annotated,
                                              const std::string& mirrorAs) {
  std::string ext = asciiLower(fs::path(sourcePath).extension().string());
  if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") ext = ".png";
  const std::string path = uniquePath(sourcePath, "_labelled", ext, mirrorAs);
  // Never write over an input, even if the results folder is the input's folder.
  std::error_code ec;
  if (fs::exists(sourcePath, ec) && fs::equivalent(sourcePath, path, ec))
    throw std::runtime_error("refusing to overwrite input '" + sourcePath + "'");
  writeImageAtomically(path, annotated);
  return path;
}

std::string ResultsWriter::writeTimeline(const std::string& sourcePath, const cv::Mat& picture,
                                         const std::string& mirrorAs) {
  // Inputs end in a video extension, never .png: the name cannot be an input's.
  const std::string path = uniquePath(sourcePath, "_timeline", ".png", mirrorAs);
  writeImageAtomically(path, picture);
  return path;
}

std::string ResultsWriter::openVideo(const std::string& sourcePath, double fps, cv::Size size,
                                     const std::string& mirrorAs) {
  closeVideo();
  videoFinal_ = uniquePath(sourcePath, "_labelled", ".avi", mirrorAs);
  videoTmp_ = temporaryPathFor(videoFinal_);
  if (!video_.open(videoTmp_, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps > 0 ? fps : 25.0,
                   size, true))
    throw std::runtime_error("cannot write video '" + videoFinal_ + "'");
  videoFrames_ = 0;
  return videoFinal_;
}

void ResultsWriter::writeVideoFrame(const cv::Mat& annotated) {
  if (!video_.isOpened()) return;
  video_.write(annotated);
  ++videoFrames_;
}

void ResultsWriter::closeVideo() {
  if (!video_.isOpened()) return;
  video_.release();
  std::error_code ec;
  if (!videoReadsBack(videoTmp_, videoFrames_)) {
    fs::remove(videoTmp_, ec);
    throw std::runtime_error("cannot write video '" + videoFinal_ +
                             "': it did not read back complete (disk full?); removed");
  }
  syncFile(videoTmp_);
  fs::rename(videoTmp_, videoFinal_, ec);
  if (ec) throw std::runtime_error("cannot finish video '" + videoFinal_ + "': " + ec.message());
  syncFolderOf(videoFinal_);
}

void ResultsWriter::discardVideo() noexcept {
  if (!video_.isOpened()) return;
  try {
    video_.release();
  } catch (...) {
    // Releasing only flushes the file that is removed below.
  }
  std::error_code ec;
  fs::remove(videoTmp_, ec);
}

}  // namespace microfer
