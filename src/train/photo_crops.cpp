#include "microfer/train/photo_crops.hpp"

#include "microfer/runtime/file_io.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cstdio>
#include <set>
#include <sstream>

#include "microfer/runtime/checksum.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/types.hpp"

namespace microfer {
namespace fs = std::filesystem;

namespace {
std::string describe(const PhotoCropOptions& o) {
  const CropGeometry& g = o.geometry;
  std::ostringstream s;
  s << "detector=" << toString(o.detector.kind) << " min_face=" << o.detector.minFaceSize
    << " mtcnn_thresholds=" << o.detector.mtcnnThresholds[0] << ',' << o.detector.mtcnnThresholds[1]
    << ',' << o.detector.mtcnnThresholds[2];
  if (o.detector.kind == DetectorKind::Yunet)
    s << " yunet_thresholds=" << o.detector.yunetScoreThreshold << ','
      << o.detector.yunetNmsThreshold;
  s << " pad=" << o.pad << " size=" << g.size
    << " eyes=" << g.leftEyeX << ',' << g.rightEyeX << ',' << g.eyeY << " box=" << g.boxScale
    << ',' << g.boxShiftY << '\n';
  return s.str();
}

std::string readAll(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Photo {
  fs::path path;
  int label;
};

std::vector<Photo> listPhotos(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::runtime_error("photo folder '" + root + "' not found");
  std::vector<Photo> photos;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const int label = expressionOfFolder(d.filename().string());
    if (label < 0) {
      spdlog::info("skipping folder '{}': not one of the 7 expressions", d.string());
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(d))
      if (f.is_regular_file() && hasImageExtension(f.path().string())) files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (auto& f : files) photos.push_back({f, label});
  }
  return photos;
}
}  // namespace

PhotoCropReport cropPhotoFolder(const std::string& photoRoot, const std::string& cacheRoot,
                                const PhotoCropOptions& options) {
  std::error_code ec;
  if (fs::exists(cacheRoot, ec) && fs::equivalent(photoRoot, cacheRoot, ec))
    throw std::runtime_error("the crop cache must not be the photo folder '" + photoRoot + "'");
  const std::vector<Photo> photos = listPhotos(photoRoot);
  PhotoCropReport rep;
  rep.photosPerClass.assign(kNumEmotions, 0);
  rep.foundPerClass.assign(kNumEmotions, 0);
  const fs::path cache(cacheRoot), list = cache / "crops.csv", settings = cache / "settings.txt";
  // The settings and the exact list of photos (names and sizes): any change recomputes.
  std::string list0;
  for (const Photo& p : photos)
    list0 += p.path.lexically_relative(photoRoot).string() + ':' +
             std::to_string(fs::file_size(p.path)) + '\n';
  char listHash[17];
  std::snprintf(listHash, sizeof listHash, "%016llx",
                static_cast<unsigned long long>(fnv1a64(list0.data(), list0.size())));
  const std::string wanted = "source=" + fs::absolute(photoRoot).lexically_normal().string() +
                             "\nphotos=" + std::to_string(photos.size()) + " " + listHash + '\n' +
                             describe(options);

  // A complete cache made with the same settings: read its list only.
  if (fs::exists(list) && fs::exists(settings) && readAll(settings) == wanted) {
    std::ifstream f(list);
    std::string line;
    std::getline(f, line);  // header
    int rows = 0;
    while (std::getline(f, line)) {
      std::stringstream ss(line);
      std::string file, cls, found;
      std::getline(ss, file, ',');
      std::getline(ss, cls, ',');
      std::getline(ss, found, ',');
      const int label = emotionIndex(cls);
      if (label < 0) break;
      ++rows;
      ++rep.photosPerClass[label];
      if (found == "1") ++rep.foundPerClass[label];
    }
    if (rows == static_cast<int>(photos.size())) {
      rep.photos = rows;
      for (int c : rep.foundPerClass) rep.found += c;
      rep.fromCache = true;
      return rep;
    }
    rep.photosPerClass.assign(kNumEmotions, 0);
    rep.foundPerClass.assign(kNumEmotions, 0);
  }

  fs::remove(list);
  for (const auto& name : emotionNames()) fs::remove_all(cache / name);  // no stale crops
  fs::create_directories(cache);
  auto detector = createFaceDetector(options.detector);
  const FaceAligner aligner(options.geometry);
  std::ostringstream rows;
  rows << "file,class,found,score\n";
  std::set<fs::path> written;
  for (const Photo& p : photos) {
    const std::string cls = emotionNames()[p.label];
    cv::Mat img = cv::imread(p.path.string(), cv::IMREAD_COLOR);
    if (img.empty()) throw std::runtime_error("cannot read image '" + p.path.string() + "'");
    const int pad = static_cast<int>(std::lround(options.pad * std::max(img.cols, img.rows)));
    if (pad > 0)
      cv::copyMakeBorder(img, img, pad, pad, pad, pad, cv::BORDER_CONSTANT,
                         cv::Scalar::all(128));
    const auto faces = detector->detect(img);  // largest first
    ++rep.photos;
    ++rep.photosPerClass[p.label];
    const std::string rel = cls + "/" + p.path.filename().string();
    if (faces.empty()) {
      rows << rel << ',' << cls << ",0,0\n";
      continue;
    }
    const AlignedFace a = aligner.align(img, faces.front());
    fs::create_directories(cache / cls);
    const fs::path out = cache / cls / (p.path.stem().string() + ".png");
    if (!written.insert(out).second)
      throw std::runtime_error("two photos would give the same crop '" + out.string() +
                               "' (same name, other extension): rename one");
    if (!cv::imwrite(out.string(), a.crop))
      throw std::runtime_error("cannot write '" + out.string() + "'");
    ++rep.found;
    ++rep.foundPerClass[p.label];
    rows << rel << ',' << cls << ",1," << faces.front().score << '\n';
  }
  writeFileAtomically(settings.string(), wanted);
  // crops.csv last: its presence marks a complete cache.
  writeFileAtomically(list.string(), rows.str());
  return rep;
}

}  // namespace microfer
