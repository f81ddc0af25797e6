// microfer-bench: per-stage timings of the product's pipeline on synthetic 640x480 frames
// built from real faces, batch labelling throughput on a folder, and the live pipeline on a
// video file (FrameSource, paced like a 30 FPS camera).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "tool.hpp"
#include "microfer/output/annotator.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/detect/imglab.hpp"
#include "microfer/pipeline/label_run.hpp"
#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/runtime/file_io.hpp"

namespace microfer::cli {
namespace fs = std::filesystem;

namespace {

const char* kBenchHelp = R"(microfer-bench bench — how fast the pipeline runs on this machine

Usage:
  microfer-bench [bench] [--detector auto|yunet|mtcnn|haar] [--tta off|flip|full]
                 [--faces 1|5] [--frames N] [--json FILE] [--model FILE] [options]
      Synthetic 640x480 frames: real faces cut from the dlib example photos in
      ../shared/data/dlib-faces (boxes from training.xml / testing.xml), pasted at
      natural sizes onto backgrounds cut from the same photos (their own faces
      blurred away). Each frame is JPEG-encoded in memory, then timed through
      decode, detect, align, classify, annotate and write (JPEG encode + file
      write to a temporary folder). Prints the median and p95 of each stage and
      of the whole frame, frames per second and peak memory; without --stream,
      for MTCNN also its own stages (P-, R-, O-Net with the boxes each passes on),
      timed by running the same frames through the detector alone a second time
      (JSON detect_stages). The last line is
        frame_ms_p50=.. frame_ms_p95=.. fps=..
  microfer-bench --folder DIR [options]
      Batch labelling throughput: every image in DIR is read, labelled, annotated
      and saved (as `label` does, into a temporary folder). Prints images/s.
  microfer-bench --video FILE [--no-realtime] [--adaptive] [options]
      Live pipeline: FrameSource feeds the video paced at its frame rate (like a
      camera; a one-frame queue, the newest frame wins). Prints frames processed
      per second, frames dropped, end-to-end latency (capture -> result) over the
      first and the last 10% of the run, and memory growth. --adaptive runs it
      as the app's live view does: the quality is lowered in steps (TTA, then
      detect every N, then the minimum face) while frames cost more than the
      video's frame interval, and raised again when time allows; it also prints
      how many frames ran at each level and the level at the end.
  microfer-bench --make-frames DIR [--faces 1|5] [--frames N]
  microfer-bench --make-video FILE [--faces 1|5] [--frames N]
      Write the synthetic frames as JPEG files (input for --folder), or as a
      30 FPS MJPG .avi video with slowly moving faces (input for --video).

Options (the pipeline options follow):
  --faces 1|5            faces per synthetic frame (default 1)
  --frames N             timed frames (default 200; --make-*: frames written,
                         default 200 / 2000 for --make-video)
  --warmup N             untimed frames first (default 5)
  --seed N               seed of the synthetic frames (default 1)
  --no-realtime          --video: read as fast as possible, no frame dropped
  --adaptive             --video: adaptive quality, as the app's live view (the
                         settings given are the highest level)
  --stream               frames: a moving sequence as a camera sees it (a scene cut
                         every 10 s) through the stream path, where detection
                         follows the faces between whole-frame searches
                         (--detect-every)
  --json FILE            also write the figures as JSON
  --verbose              detailed log)";
const char* kBenchHelpEnd =
    "All timings are wall-clock, so they include whatever else the machine is doing.\n";


// -------------------------------------------------------------------------------------------
// Synthetic frames from the dlib example photos

struct PhotoFace {
  size_t photo;  ///< index into FaceBank::photos
  cv::Rect box;  ///< hand-drawn face box in the photo
};

/// The dlib photos with their hand-drawn face boxes.
struct FaceBank {
  std::vector<cv::Mat> photos;
  std::vector<std::vector<cv::Rect>> boxes;  ///< per photo: hand-drawn face boxes
  /// per photo: every face to blur away when the photo is a background: the hand-drawn
  /// boxes and whatever a detector finds (the photos have unlabelled faces too)
  std::vector<std::vector<cv::Rect>> blur;
  std::vector<PhotoFace> faces;
};

/// Adds the photos and hand-drawn face boxes of a dlib imglab file to `bank`.
void readImglab(const fs::path& xmlPath, FaceBank& bank) {
  for (const ImglabImage& image : microfer::readImglab(xmlPath.string())) {
    const fs::path file = xmlPath.parent_path() / image.file;
    cv::Mat photo = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (photo.empty()) throw InputError("cannot read image '" + file.string() + "'");
    const size_t p = bank.photos.size();
    bank.photos.push_back(photo);
    bank.boxes.emplace_back();
    for (const cv::Rect2f& b : image.boxes) {
      const cv::Rect box(cvRound(b.x), cvRound(b.y), cvRound(b.width), cvRound(b.height));
      bank.boxes[p].push_back(box);
      bank.faces.push_back({p, box});
    }
  }
}

std::string findFacesDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("MICROFER_SHARED_DIR")) candidates.emplace_back(env);
  // The project folder sits next to shared/; also when run from inside a build folder.
  for (const char* up : {"../shared", "../../shared", "../../../shared"})
    candidates.emplace_back(up);
  // Next to any folder above the executable (a build folder inside the project).
  std::error_code ec;
  for (fs::path p = fs::read_symlink("/proc/self/exe", ec).parent_path();
       !ec && p.has_relative_path(); p = p.parent_path())
    candidates.push_back(p.parent_path() / "shared");
  for (const auto& c : candidates) {
    std::error_code ec;
    const fs::path dir = c / "data" / "dlib-faces";
    if (fs::is_regular_file(dir / "training.xml", ec)) return dir.string();
  }
  throw InputError(
      "the benchmark builds its frames from ../shared/data/dlib-faces (training.xml and its "
      "photos), which was not found; run from the project folder next to shared/ or set "
      "MICROFER_SHARED_DIR");
}

FaceBank loadFaceBank() {
  const fs::path dir = findFacesDir();
  FaceBank bank;
  readImglab(dir / "training.xml", bank);
  readImglab(dir / "testing.xml", bank);
  if (bank.faces.empty()) throw InputError("no face boxes in '" + dir.string() + "'");
  // Unlabelled faces in the backgrounds (people behind the group, faces on posters) would
  // add detections the benchmark did not plant: find them with the most sensitive detector
  // available and blur them too.
  DetectorConfig config;
  config.minFaceSize = 20;
  config.haarEyes = false;
  config.kind = findMtcnnDir().empty() ? DetectorKind::Haar : DetectorKind::Mtcnn;
  config.mtcnnThresholds[0] = 0.5f;  // a little more eager than for real use
  auto detector = createFaceDetector(config);
  bank.blur = bank.boxes;
  for (size_t p = 0; p < bank.photos.size(); ++p)
    for (const auto& f : detector->detect(bank.photos[p])) bank.blur[p].push_back(cv::Rect(f.box));
  return bank;
}

/// One planned frame: a background and faces with their paste positions. Rendering a scene
/// at time t moves the faces a little, for the synthetic video.
struct Scene {
  size_t bgPhoto = 0;
  cv::Rect bgRegion;  ///< 4:3 region of the background photo, resized to the frame
  struct Placed {
    size_t face;        ///< index into FaceBank::faces
    cv::Rect2f patch;   ///< where the face's context patch goes in the frame
    float scale;        ///< frame pixels per photo pixel
    cv::Point2f drift;  ///< amplitude of the slow motion in video frames, pixels
  };
  std::vector<Placed> faces;
};

constexpr int kFrameWidth = 640, kFrameHeight = 480;
// The patch cut around a hand-drawn box (eyebrows to chin): wider for the ears and hair,
// taller mostly upwards for the forehead, so the detectors see a whole head.
constexpr float kPatchWidth = 1.5f, kPatchHeight = 1.8f, kPatchUp = 0.15f;

cv::Rect2f patchAround(const cv::Rect& box) {
  const float w = kPatchWidth * box.width, h = kPatchHeight * box.height;
  const float cx = box.x + 0.5f * box.width;
  const float cy = box.y + 0.5f * box.height - kPatchUp * box.height;
  return {cx - 0.5f * w, cy - 0.5f * h, w, h};
}

/// Plans `count` scenes with `faces` faces each. One face: a face of the photos with a box of
/// at least 60 px, scaled 1.0-1.6x (100-170 px faces, as at a webcam); five faces: faces of at
/// least 44 px at 0.9-1.3x (a group in front of a camera). Faces do not overlap.
std::vector<Scene> planScenes(const FaceBank& bank, int faces, int count, unsigned seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * std::generate_canonical<double, 32>(rng);
  };
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const int minBox = faces == 1 ? 60 : 44;
  const double minScale = faces == 1 ? 1.0 : 0.9, maxScale = faces == 1 ? 1.6 : 1.3;
  std::vector<size_t> usable;
  for (size_t i = 0; i < bank.faces.size(); ++i)
    if (std::min(bank.faces[i].box.width, bank.faces[i].box.height) >= minBox) usable.push_back(i);
  if (usable.empty()) throw InputError("no face box large enough in the dlib photos");

  std::vector<Scene> scenes;
  for (int s = 0; s < count; ++s) {
    Scene scene;
    scene.bgPhoto = pick(bank.photos.size());
    const cv::Mat& photo = bank.photos[scene.bgPhoto];
    // The largest 4:3 region that fits, shrunk by up to a third, at a random place.
    const double fit = std::min(photo.cols / 4.0, photo.rows / 3.0) * uniform(0.67, 1.0);
    const int w = static_cast<int>(4 * fit), h = static_cast<int>(3 * fit);
    scene.bgRegion = cv::Rect(static_cast<int>(uniform(0, photo.cols - w)),
                              static_cast<int>(uniform(0, photo.rows - h)), w, h);
    for (int f = 0, tries = 0; f < faces && tries < 1000; ++tries) {
      Scene::Placed p;
      p.face = usable[pick(usable.size())];
      p.scale = static_cast<float>(uniform(minScale, maxScale));
      const cv::Rect2f patch = patchAround(bank.faces[p.face].box);
      const float pw = patch.width * p.scale, ph = patch.height * p.scale;
      p.drift =
          cv::Point2f(static_cast<float>(uniform(-12, 12)), static_cast<float>(uniform(-6, 6)));
      // Keep the whole patch (plus its drift) inside the frame.
      const float margin = 14;
      if (pw + 2 * margin > kFrameWidth || ph + 2 * margin > kFrameHeight) continue;
      p.patch = cv::Rect2f(static_cast<float>(uniform(margin, kFrameWidth - pw - margin)),
                           static_cast<float>(uniform(margin, kFrameHeight - ph - margin)), pw, ph);
      bool overlaps = false;
      for (const auto& q : scene.faces) overlaps |= (p.patch & q.patch).area() > 0;
      if (overlaps) continue;
      scene.faces.push_back(p);
      ++f;
    }
    scenes.push_back(scene);
  }
  return scenes;
}

/// Draws a scene at time t (seconds; 0 for still frames). Returns the frame and, in
/// `planted`, the face boxes as they lie in it.
cv::Mat renderScene(const FaceBank& bank, const Scene& scene, double t,
                    std::vector<cv::Rect2f>* planted) {
  const cv::Mat& photo = bank.photos[scene.bgPhoto];
  cv::Mat bgSource = photo.clone();
  // The background's own faces are blurred away, so the planted ones are the only faces.
  for (const auto& box : bank.blur[scene.bgPhoto]) {
    const cv::Rect r = cv::Rect(patchAround(box)) & cv::Rect(0, 0, photo.cols, photo.rows);
    if (r.empty()) continue;
    cv::GaussianBlur(bgSource(r), bgSource(r), cv::Size(0, 0), std::max(4.0, box.width / 4.0));
  }
  cv::Mat frame;
  cv::resize(bgSource(scene.bgRegion), frame, cv::Size(kFrameWidth, kFrameHeight), 0, 0,
             cv::INTER_AREA);
  if (planted) planted->clear();
  for (const auto& p : scene.faces) {
    const PhotoFace& face = bank.faces[p.face];
    const cv::Point2f offset(p.drift.x * static_cast<float>(std::sin(0.7 * t)),
                             p.drift.y * static_cast<float>(std::sin(0.45 * t + 1.0)));
    const cv::Rect2f src = patchAround(face.box);
    // Affine photo -> frame: scale about the patch origin, then move to the paste place.
    const cv::Point2f dst = p.patch.tl() + offset;
    const cv::Matx23d m(p.scale, 0, dst.x - p.scale * src.x, 0, p.scale, dst.y - p.scale * src.y);
    const cv::Rect roi =
        cv::Rect(cv::Rect2f(dst, p.patch.size())) & cv::Rect(0, 0, kFrameWidth, kFrameHeight);
    if (roi.empty()) continue;
    // Warp the photo straight into the patch's frame region (border pixels replicate where
    // the patch reaches past the photo's edge).
    const cv::Matx23d mRoi(m(0, 0), 0, m(0, 2) - roi.x, 0, m(1, 1), m(1, 2) - roi.y);
    cv::Mat warped;
    cv::warpAffine(bank.photos[face.photo], warped, mRoi, roi.size(), cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    // A soft elliptical mask blends the patch into the background.
    cv::Mat mask(roi.size(), CV_32F, cv::Scalar(0));
    cv::ellipse(mask, cv::Point(roi.width / 2, roi.height / 2),
                cv::Size(static_cast<int>(roi.width * 0.42), static_cast<int>(roi.height * 0.44)),
                0, 0, 360, cv::Scalar(1), cv::FILLED);
    cv::GaussianBlur(mask, mask, cv::Size(0, 0), std::max(2.0, roi.width / 14.0));
    cv::Mat region = frame(roi);
    for (int y = 0; y < roi.height; ++y) {
      const float* a = mask.ptr<float>(y);
      const cv::Vec3b* w = warped.ptr<cv::Vec3b>(y);
      cv::Vec3b* o = region.ptr<cv::Vec3b>(y);
      for (int x = 0; x < roi.width; ++x)
        for (int c = 0; c < 3; ++c)
          o[x][c] = cv::saturate_cast<uchar>(a[x] * w[x][c] + (1 - a[x]) * o[x][c]);
    }
    if (planted) {
      const cv::Point2f tl(static_cast<float>(m(0, 0) * face.box.x + m(0, 2)),
                           static_cast<float>(m(1, 1) * face.box.y + m(1, 2)));
      planted->emplace_back(tl.x, tl.y, p.scale * face.box.width, p.scale * face.box.height);
    }
  }
  return frame;
}

/// Planted faces matched by a detection (IoU >= 0.3: Haar and MTCNN boxes frame a face
/// differently from the hand-drawn ones).
int countFound(const std::vector<cv::Rect2f>& planted, const FrameResult& r) {
  int found = 0;
  for (const auto& p : planted) {
    bool hit = false;
    for (const auto& f : r.faces) hit |= iou(p, f.detection.box) >= 0.3f;
    found += hit;
  }
  return found;
}

// -------------------------------------------------------------------------------------------
// Reporting

struct Series {
  const char* name;
  std::vector<double> ms;
};

void printSeries(const std::vector<Series>& series, nlohmann::json& json) {
  std::printf("%-10s %9s %9s\n", "stage", "p50 ms", "p95 ms");
  for (const auto& s : series) {
    const double p50 = percentile(s.ms, 0.5), p95 = percentile(s.ms, 0.95);
    std::printf("%-10s %9.2f %9.2f\n", s.name, p50, p95);
    json["stages"][s.name] = {{"p50_ms", round2(p50)}, {"p95_ms", round2(p95)}};
  }
}

nlohmann::json describeRun(const PipelineConfig& cfg) {
  const char* omp = std::getenv("OMP_WAIT_POLICY");
  return {{"detector", toString(cfg.detector.kind)}, {"tta", toString(cfg.classifier.tta.mode)},
          {"min_face", cfg.detector.minFaceSize},    {"threads", cfg.classifier.threads},
          {"omp_wait_policy", omp ? omp : ""},       {"opencv_threads", cv::getNumThreads()}};
}

// -------------------------------------------------------------------------------------------
// Modes

/// The detector's own stages (FaceDetector::lastStages: MTCNN's P-, R- and O-Net), timed on
/// the same frames again through a detector of the same settings alone; nothing for a
/// detector without stages (Haar).
void benchDetectorStages(const DetectorConfig& config,
                         const std::vector<std::vector<unsigned char>>& jpegs, int warmup,
                         int frames, nlohmann::json& json) {
  const std::unique_ptr<FaceDetector> detector = createFaceDetector(config);
  std::vector<std::string> names;
  std::vector<std::vector<double>> ms, boxes;
  for (int i = 0; i < warmup + frames; ++i) {
    const size_t k = static_cast<size_t>(i) % jpegs.size();
    detector->detect(decodeImage(jpegs[k], "frame " + std::to_string(k)));
    const std::vector<DetectorStage> stages = detector->lastStages();
    if (stages.empty()) return;
    if (names.empty()) {
      for (const auto& st : stages) names.push_back(st.name);
      ms.resize(names.size());
      boxes.resize(names.size());
    }
    if (i < warmup) continue;
    for (size_t s = 0; s < stages.size() && s < names.size(); ++s) {
      ms[s].push_back(stages[s].ms);
      boxes[s].push_back(stages[s].boxes);
    }
  }
  std::printf("detector stages (the same frames again, through the detector alone):\n");
  nlohmann::json out = nlohmann::json::object();
  for (size_t s = 0; s < names.size(); ++s) {
    const double p50 = percentile(ms[s], 0.5), p95 = percentile(ms[s], 0.95);
    const double passed = percentile(boxes[s], 0.5);
    std::printf("  %-10s %9.2f %9.2f   boxes passed on, p50: %.0f\n", names[s].c_str(), p50, p95,
                passed);
    out[names[s]] = {{"p50_ms", round2(p50)}, {"p95_ms", round2(p95)}, {"boxes_p50", passed}};
  }
  json["detect_stages"] = out;
}

int benchFrames(const Args& a, const PipelineConfig& cfg, int faces) {
  const int frames = a.getInt("frames", 200), warmup = a.getInt("warmup", 5);
  if (frames < 1 || warmup < 0) throw UsageError("--frames must be >= 1 and --warmup >= 0");
  const unsigned seed = static_cast<unsigned>(a.getInt("seed", 1));

  // A pool of distinct frames, cycled through: enough variety for the detector's cost to
  // average out, small enough to build in a moment.
  // --stream: consecutive frames of slowly moving faces (30 FPS, a new scene every 10 s), as
  // the live view sees them, through Pipeline::processStream.
  const bool stream = a.flag("stream");
  const FaceBank bank = loadFaceBank();
  constexpr int kStreamFps = 30, kFramesPerScene = 300;
  const int distinct = stream ? frames + warmup : std::min(frames + warmup, 24);
  const std::vector<Scene> scenes = planScenes(
      bank, faces, stream ? (distinct + kFramesPerScene - 1) / kFramesPerScene : distinct, seed);
  std::vector<std::vector<unsigned char>> jpegs(static_cast<size_t>(distinct));
  std::vector<std::vector<cv::Rect2f>> planted(jpegs.size());
  for (size_t i = 0; i < jpegs.size(); ++i) {
    const cv::Mat image =
        stream ? renderScene(bank, scenes[i / kFramesPerScene], double(i) / kStreamFps, &planted[i])
               : renderScene(bank, scenes[i], 0, &planted[i]);
    cv::imencode(".jpg", image, jpegs[i], {cv::IMWRITE_JPEG_QUALITY, 90});
  }

  Pipeline pipeline(cfg);
  AnnotateOptions ann;
  ann.attention = cfg.withAttention;
  TempDir tmp("bench");
  Series decode{"decode", {}}, detect{"detect", {}}, align{"align", {}}, classify{"classify", {}},
      annotateMs{"annotate", {}}, write{"write", {}}, frame{"frame", {}};
  long long planted_ = 0, found = 0;
  const auto start = Clock::now();
  Clock::time_point timedStart = start;
  for (int i = 0; i < warmup + frames; ++i) {
    if (i == warmup) timedStart = Clock::now();
    const size_t k = static_cast<size_t>(i) % jpegs.size();
    const auto t0 = Clock::now();
    cv::Mat image = decodeImage(jpegs[k], "frame " + std::to_string(k));
    const auto t1 = Clock::now();
    const FrameResult r = stream ? pipeline.processStream(image, "synthetic", i)
                                 : pipeline.process(image, "synthetic", i);
    const auto t2 = Clock::now();
    annotate(image, r, ann);
    const auto t3 = Clock::now();
    std::vector<unsigned char> out;
    cv::imencode(".jpg", image, out);
    const fs::path file = tmp.path / ("frame" + std::to_string(i % 8) + ".jpg");
    {
      std::ofstream f(file, std::ios::binary);
      f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
      if (!f) throw std::runtime_error("cannot write '" + file.string() + "'");
    }
    const auto t4 = Clock::now();
    if (i < warmup) continue;
    decode.ms.push_back(msBetween(t0, t1));
    detect.ms.push_back(r.detectMs);
    align.ms.push_back(r.alignMs);
    classify.ms.push_back(r.classifyMs);
    annotateMs.ms.push_back(msBetween(t2, t3));
    write.ms.push_back(msBetween(t3, t4));
    frame.ms.push_back(msBetween(t0, t4));
    planted_ += static_cast<long long>(planted[k].size());
    found += countFound(planted[k], r);
  }
  const double seconds = msBetween(timedStart, Clock::now()) / 1000.0;
  const double fps = frames / seconds;

  nlohmann::json json = describeRun(cfg);
  json["mode"] = stream ? "stream" : "frames";
  if (stream) json["detect_every"] = cfg.detectEvery;
  json["faces_per_frame"] = faces;
  json["frames"] = frames;
  json["frame_size"] = {kFrameWidth, kFrameHeight};
  const std::string kind = stream ? "a moving sequence, whole-frame detection every " +
                                        std::to_string(cfg.detectEvery) + " frames"
                                  : std::to_string(jpegs.size()) + " distinct";
  std::printf(
      "bench: %d synthetic %dx%d frames (%s, seed %u), %d face(s) each, detector %s, TTA %s\n",
      frames, kFrameWidth, kFrameHeight, kind.c_str(), seed, faces,
      toString(cfg.detector.kind).c_str(), toString(cfg.classifier.tta.mode).c_str());
  printSeries({decode, detect, align, classify, annotateMs, write, frame}, json);
  const double peak = peakRssMiB();
  std::printf("planted faces found: %lld/%lld\n", found, planted_);
  if (stream) {
    std::printf(
        "stream frames: %lld with a whole-frame search, %lld searched near the last faces\n",
        pipeline.wholeFrameSearches(), pipeline.nearSearches());
    json["whole_frame_searches"] = pipeline.wholeFrameSearches();
    json["near_searches"] = pipeline.nearSearches();
  }
  if (!stream) benchDetectorStages(cfg.detector, jpegs, warmup, frames, json);
  std::printf("peak memory (VmHWM): %.1f MiB\n", peak);
  const double p50 = percentile(frame.ms, 0.5), p95 = percentile(frame.ms, 0.95);
  json["faces_planted"] = planted_;
  json["faces_found"] = found;
  json["frame_ms_p50"] = round1(p50);
  json["frame_ms_p95"] = round1(p95);
  json["fps"] = round1(fps);
  json["peak_rss_mib"] = round1(peak);
  writeJson(a.get("json"), json);
  std::printf("frame_ms_p50=%.1f frame_ms_p95=%.1f fps=%.1f\n", p50, p95, fps);
  return 0;
}

int benchFolder(const Args& a, const PipelineConfig& cfg) {
  const std::string dir = a.get("folder");
  LabelRunOptions imagesOnly;  // as `label` would label them, videos left out
  imagesOnly.videos = VideoPolicy::ImagesOnly;
  LabelRun batch(expandInputs({dir}), imagesOnly);
  const std::vector<std::string>& images = batch.inputs().files;
  if (images.empty()) throw InputError("no images in '" + dir + "'");
  const int warmup = std::min<int>(a.getInt("warmup", 5), static_cast<int>(images.size()));

  Pipeline pipeline(cfg);
  LabelOptions options;
  options.annotate.attention = cfg.withAttention;
  TempDir tmp("bench");
  ResultsWriter writer(tmp.path.string());
  LabelSession session(pipeline, writer, options);
  // The first images warm up the caches and the allocator; they are labelled again, timed.
  for (int i = 0; i < warmup; ++i) pipeline.process(readImage(images[i]), images[i]);
  Series image{"image", {}};
  batch.onLabelled([&](const LabelledInput& in) { image.ms.push_back(in.ms); });
  batch.onFailed([&](const FailedInput& f) {
    std::fprintf(stderr, "failed %s\n", f.error.c_str());
    image.ms.push_back(f.ms);
  });
  const auto start = Clock::now();
  const RunCounts counts = batch.run(session).counts;
  const long long faces = counts.faces, failures = counts.failures;
  const double seconds = msBetween(start, Clock::now()) / 1000.0;
  const double rate = images.size() / seconds;
  nlohmann::json json = describeRun(cfg);
  json["mode"] = "folder";
  json["folder"] = dir;
  json["images"] = images.size();
  json["faces"] = faces;
  json["failures"] = failures;
  std::printf(
      "bench: labelled %zu images of '%s' (read, detect, align, classify, annotate, "
      "save), detector %s, TTA %s; %lld faces, %lld failures\n",
      images.size(), dir.c_str(), toString(cfg.detector.kind).c_str(),
      toString(cfg.classifier.tta.mode).c_str(), faces, failures);
  printSeries({image}, json);
  const double peak = peakRssMiB();
  std::printf("peak memory (VmHWM): %.1f MiB\n", peak);
  json["images_per_s"] = round1(rate);
  json["peak_rss_mib"] = round1(peak);
  writeJson(a.get("json"), json);
  std::printf("images_per_s=%.1f image_ms_p50=%.1f image_ms_p95=%.1f\n", rate,
              percentile(image.ms, 0.5), percentile(image.ms, 0.95));
  return failures > 0 ? 1 : 0;
}

int benchVideo(const Args& a, const PipelineConfig& cfg) {
  const std::string path = a.get("video");
  const bool realTime = !a.flag("no-realtime");
  Pipeline pipeline(cfg);
  LabelOptions options;
  options.annotate.attention = cfg.withAttention;
  options.smooth = false;  // the latency of the pipeline and the drawing, nothing else
  options.adaptive = a.flag("adaptive");
  LabelSession session(pipeline, options);  // writes nothing
  // Warm up on one frame of the video before the clock starts, as the live view does
  // while the camera opens.
  {
    cv::VideoCapture cap(path);
    cv::Mat first;
    if (cap.isOpened() && cap.read(first)) pipeline.process(first);
  }
  FrameSource::Options opts;
  opts.queueSize = 1;
  opts.dropOldest = realTime;
  opts.realTime = realTime;
  FrameSource source(openVideoProvider(path), opts);
  session.beginStream(path, source.fps());

  struct Sample {
    double latencyMs;
    double rssMiB;
  };
  std::vector<Sample> samples;
  std::map<std::string, long long> framesAt;  // --adaptive: frames per quality level
  long long facesFound = 0;
  const auto start = Clock::now();
  Frame frame;
  LabelledFrame labelled;
  while (true) {
    if (!source.next(frame, std::chrono::milliseconds(2000))) {
      if (source.state() == FrameSource::State::Running) continue;
      break;
    }
    session.labelFrame(frame, &labelled);
    samples.push_back({msBetween(frame.captured, Clock::now()), rssMiB()});
    ++framesAt[labelled.result.quality];
    facesFound += static_cast<long long>(labelled.result.faces.size());
  }
  const double seconds = msBetween(start, Clock::now()) / 1000.0;
  session.endStream();
  if (source.state() == FrameSource::State::Failed) throw InputError(source.error());
  if (samples.empty()) throw InputError("video '" + path + "' has no readable frames");

  const size_t tenth = std::max<size_t>(1, samples.size() / 10);
  std::vector<double> all, first, last;
  for (size_t i = 0; i < samples.size(); ++i) {
    all.push_back(samples[i].latencyMs);
    if (i < tenth) first.push_back(samples[i].latencyMs);
    if (i >= samples.size() - tenth) last.push_back(samples[i].latencyMs);
  }
  const double rssStart = samples[tenth - 1].rssMiB, rssEnd = samples.back().rssMiB;
  const double processedPerS = samples.size() / seconds;
  const long long captured = source.framesCaptured(), dropped = source.framesDropped();

  nlohmann::json json = describeRun(cfg);
  json["mode"] = "video";
  json["video"] = path;
  json["realtime"] = realTime;
  json["video_fps"] = source.fps();
  json["frames_captured"] = captured;
  json["frames_processed"] = samples.size();
  json["frames_dropped"] = dropped;
  json["faces_per_frame"] = round1(double(facesFound) / samples.size());
  json["processed_per_s"] = round1(processedPerS);
  auto lat = [](const std::vector<double>& v) {
    return nlohmann::json{{"p50_ms", round1(percentile(v, 0.5))},
                          {"p95_ms", round1(percentile(v, 0.95))}};
  };
  json["latency_all"] = lat(all);
  json["latency_first10pct"] = lat(first);
  json["latency_last10pct"] = lat(last);
  json["rss_mib_after_first10pct"] = round1(rssStart);
  json["rss_mib_end"] = round1(rssEnd);
  json["peak_rss_mib"] = round1(peakRssMiB());
  std::printf("bench: live pipeline on '%s' (%.1f FPS, %s), detector %s, TTA %s\n", path.c_str(),
              source.fps(), realTime ? "paced like a camera, newest frame wins" : "unpaced",
              toString(cfg.detector.kind).c_str(), toString(cfg.classifier.tta.mode).c_str());
  std::printf("frames: %lld captured, %zu processed, %lld dropped; %.1f processed/s over %.1f s\n",
              captured, samples.size(), dropped, processedPerS, seconds);
  std::printf(
      "detection: %lld frames with a whole-frame search, %lld searched near the last faces; "
      "%.2f faces a processed frame\n",
      pipeline.wholeFrameSearches(), pipeline.nearSearches(),
      double(facesFound) / samples.size());
  json["whole_frame_searches"] = pipeline.wholeFrameSearches();
  json["near_searches"] = pipeline.nearSearches();
  std::printf(
      "latency capture->result ms: all p50 %.1f p95 %.1f | first 10%% p50 %.1f p95 %.1f | "
      "last 10%% p50 %.1f p95 %.1f\n",
      percentile(all, 0.5), percentile(all, 0.95), percentile(first, 0.5), percentile(first, 0.95),
      percentile(last, 0.5), percentile(last, 0.95));
  std::printf(
      "memory: RSS %.1f MiB after the first 10%%, %.1f MiB at the end (%+.1f); peak %.1f MiB\n",
      rssStart, rssEnd, rssEnd - rssStart, peakRssMiB());
  json["adaptive"] = options.adaptive;
  if (const QualityController* quality = session.quality()) {
    // Levels in ladder order, the user's settings (level 0) first.
    std::printf("adaptive quality (frame budget %.1f ms): frames per level:",
                quality->budgetMs());
    nlohmann::json levels = nlohmann::json::array();
    const auto& ladder = quality->ladder();
    for (size_t l = 0; l < ladder.size(); ++l) {
      const auto it = framesAt.find(ladder[l].tag());
      const long long n = it == framesAt.end() ? 0 : it->second;
      std::printf(" %zu %s %lld%s", l, ladder[l].tag().c_str(), n,
                  l + 1 < ladder.size() ? "," : "\n");
      levels.push_back({{"level", l}, {"quality", ladder[l].tag()}, {"frames", n}});
    }
    std::printf("final level %d (%s)\n", quality->levelIndex(), quality->describe().c_str());
    json["frame_budget_ms"] = round1(quality->budgetMs());
    json["frames_per_level"] = levels;
    json["final_level"] = quality->levelIndex();
    json["final_quality"] = quality->level().tag();
  }
  writeJson(a.get("json"), json);
  std::printf(
      "processed_per_s=%.1f dropped=%lld latency_ms_p50_first=%.1f "
      "latency_ms_p50_last=%.1f rss_growth_mib=%.1f\n",
      processedPerS, dropped, percentile(first, 0.5), percentile(last, 0.5), rssEnd - rssStart);
  return 0;
}

int makeFrames(const Args& a, int faces) {
  const int count = a.getInt("frames", 200);
  if (count < 1) throw UsageError("--frames must be >= 1");
  const FaceBank bank = loadFaceBank();
  const auto scenes = planScenes(bank, faces, count, static_cast<unsigned>(a.getInt("seed", 1)));
  const fs::path dir = a.get("make-frames");
  fs::create_directories(dir);
  for (size_t i = 0; i < scenes.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "frame%05zu.jpg", i);
    const fs::path file = dir / name;
    if (fs::exists(file)) throw InputError("'" + file.string() + "' exists; not overwritten");
    if (!cv::imwrite(file.string(), renderScene(bank, scenes[i], 0, nullptr),
                     {cv::IMWRITE_JPEG_QUALITY, 90}))
      throw std::runtime_error("cannot write '" + file.string() + "'");
  }
  std::printf("wrote %zu synthetic %dx%d frames with %d face(s) to %s\n", scenes.size(),
              kFrameWidth, kFrameHeight, faces, dir.string().c_str());
  return 0;
}

int makeVideo(const Args& a, int faces) {
  const int count = a.getInt("frames", 2000);
  if (count < 1) throw UsageError("--frames must be >= 1");
  const std::string path = a.get("make-video");
  if (fs::exists(path)) throw InputError("'" + path + "' exists; not overwritten");
  const FaceBank bank = loadFaceBank();
  // A new scene every 10 s (a cut), faces drifting slowly within a scene.
  constexpr double kFps = 30;
  const int perScene = 300;
  const auto scenes = planScenes(bank, faces, (count + perScene - 1) / perScene,
                                 static_cast<unsigned>(a.getInt("seed", 1)));
  // Renamed when complete; ".avi" so that VideoWriter picks the AVI container whatever `path` is.
  const std::string tmp = temporaryPathFor(path) + ".avi";
  cv::VideoWriter video(tmp, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), kFps,
                        cv::Size(kFrameWidth, kFrameHeight));
  if (!video.isOpened()) throw std::runtime_error("cannot write video '" + tmp + "'");
  for (int i = 0; i < count; ++i)
    video.write(renderScene(bank, scenes[static_cast<size_t>(i / perScene)], i / kFps, nullptr));
  video.release();
  fs::rename(tmp, path);
  std::printf("wrote %d frames (%dx%d, 30 FPS MJPG, %d face(s)) to %s\n", count, kFrameWidth,
              kFrameHeight, faces, path.c_str());
  return 0;
}

}  // namespace

int runBench(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions({"detector", "tta", "model", "min-face",
                                         "mtcnn-thresholds", "yunet-thresholds", "detect-every",
                                         "attention",
                                         "max-faces", "threads"});
  const Args a = pipelineOptions.parse(
      argv, {"help", "verbose", "no-realtime", "stream", "adaptive"},
      {"faces", "frames", "warmup", "seed", "json", "folder", "video", "make-frames",
       "make-video"});
  if (a.flag("help")) {
    std::fputs(kBenchHelp, stdout);
    std::fputs(("\nPipeline options:\n" + pipelineOptions.help() + "\n" + kBenchHelpEnd).c_str(),
               stdout);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const int faces = a.getInt("faces", 1);
  if (faces != 1 && faces != 5) throw UsageError("--faces must be 1 or 5");
  if (a.has("make-frames")) return makeFrames(a, faces);
  if (a.has("make-video")) return makeVideo(a, faces);

  PipelineConfig cfg = pipelineConfigFromArgs(a);
  configureRuntime(cfg.classifier.threads);
  if (a.has("folder")) return benchFolder(a, cfg);
  if (a.has("video")) return benchVideo(a, cfg);
  return benchFrames(a, cfg, faces);
}

}  // namespace microfer::cli
