#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/detect/face_detector.hpp"

namespace microfer::cli {

// Measures where the detector puts the eyes and the box on training crops, so the aligner's
// crop geometry reproduces the framing the network was trained on (docs/TRAINING.md, "Crop geometry").
int runGeometry(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose"}, {"data", "detector", "max", "split"});
  if (a.flag("help") || !a.has("data")) {
    std::puts(
        "microfer-train geometry --data DIR [--detector mtcnn|haar] [--max N] [--split public]\n"
        "Pads each 48x48 crop to 64x64, upscales it x3, detects the face and reports where\n"
        "the eyes (MTCNN, Haar eyes) and the box centre/size fall in crop coordinates.");
    return a.flag("help") ? 0 : 2;
  }
  DetectorConfig dc;
  dc.kind = parseDetectorKind(a.get("detector", "mtcnn"));
  auto det = createFaceDetector(dc);
  FolderOptions fo;
  const std::string split = a.get("split", "all");
  fo.filePrefix = split == "public" ? "PublicTest_" : split == "private" ? "PrivateTest_" : "";
  fo.maxPerClass = a.getInt("max", 300);
  const Dataset ds = loadImageFolder(a.get("data"), fo);
  const double pad = 8, up = 3;
  double n = 0, ne = 0, lx = 0, ly = 0, rx = 0, ry = 0, cx = 0, cy = 0, side = 0;
  double lx2 = 0, ly2 = 0;
  for (const auto& s : ds.samples) {
    cv::Mat padded, big, bgr;
    cv::copyMakeBorder(s.image, padded, 8, 8, 8, 8, cv::BORDER_CONSTANT, cv::Scalar(128));
    cv::resize(padded, big, cv::Size(), up, up, cv::INTER_CUBIC);
    cv::cvtColor(big, bgr, cv::COLOR_GRAY2BGR);
    const auto faces = det->detect(bgr);
    if (faces.empty()) continue;
    const auto& f = faces.front();
    ++n;
    const double bs = std::max(f.box.width, f.box.height) / up;
    side += bs;
    cx += (f.box.x + f.box.width / 2) / up - pad;
    cy += (f.box.y + f.box.height / 2) / up - pad;
    if (f.landmarks) {
      ++ne;
      const auto& lm = *f.landmarks;
      const double x0 = lm[0].x / up - pad, y0 = lm[0].y / up - pad;
      lx += x0;
      ly += y0;
      lx2 += x0 * x0;
      ly2 += y0 * y0;
      rx += lm[1].x / up - pad;
      ry += lm[1].y / up - pad;
    }
  }
  if (n == 0) {
    std::puts("no face found");
    return 1;
  }
  std::printf("images %zu, faces found %.0f (%.1f%%), with eyes %.0f\n", ds.samples.size(), n,
              100 * n / ds.samples.size(), ne);
  std::printf("box: centre (%.2f, %.2f) side %.2f px of 48 -> box_scale %.3f box_shift_y %.3f\n",
              cx / n, cy / n, side / n, 48.0 / (side / n), (24.0 - cy / n) / (side / n));
  if (ne > 0)
    std::printf(
        "eyes: left (%.2f, %.2f) sd (%.2f, %.2f), right (%.2f, %.2f) -> left_eye_x %.3f "
        "right_eye_x %.3f eye_y %.3f\n",
        lx / ne, ly / ne, std::sqrt(std::max(0.0, lx2 / ne - (lx / ne) * (lx / ne))),
        std::sqrt(std::max(0.0, ly2 / ne - (ly / ne) * (ly / ne))), rx / ne, ry / ne, lx / ne / 48,
        rx / ne / 48, (ly + ry) / (2 * ne) / 48);
  return 0;
}

}  // namespace microfer::cli
