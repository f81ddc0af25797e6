// Reading dlib imglab XML files (images with hand-drawn face boxes and landmark parts), as
// the detector tests and the benchmarks use them (../shared/data/dlib-faces).
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace microfer {

struct ImglabImage {
  std::string file;  ///< as written in the XML: relative to the XML file's folder
  std::vector<cv::Rect2f> boxes;
  std::vector<bool> ignore;  ///< per box: dlib's ignore='1' (neither a miss nor a hit)
  /// per box: its <part> points by index (the 68-point iBUG scheme), empty without parts
  std::vector<std::vector<cv::Point2f>> parts;
};

/// The <image> entries of an imglab file, in order. A plain search, not std::regex over whole
/// elements: libstdc++'s regex recurses once per character matched, and an image holding
/// 68-point boxes overflowed the stack under AddressSanitizer. Throws InputError (image_io.hpp)
/// when the file cannot be read.
std::vector<ImglabImage> readImglab(const std::string& path);

}  // namespace microfer
