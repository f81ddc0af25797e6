#include "microfer/image_io.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

namespace microfer {
namespace fs = std::filesystem;

namespace {
std::string lowerExt(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext;
}
uint32_t be16(const unsigned char* p) {
  return (uint32_t(p[0]) << 8) | p[1];
}
uint32_t be32(const unsigned char* p) {
  return (be16(p) << 16) | be16(p + 2);
}
uint32_t le16(const unsigned char* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8);
}
}  // namespace

bool hasImageExtension(const std::string& path) {
  static const std::set<std::string> exts = {".jpg",  ".jpeg", ".png", ".bmp", ".tif",
                                             ".tiff", ".webp", ".pgm", ".ppm", ".pbm"};
  return exts.count(lowerExt(path)) > 0;
}

bool hasVideoExtension(const std::string& path) {
  static const std::set<std::string> exts = {".mp4", ".avi", ".mkv",  ".mov", ".webm",
                                             ".m4v", ".mpg", ".mpeg", ".wmv"};
  return exts.count(lowerExt(path)) > 0;
}

cv::Size peekImageSize(const std::vector<unsigned char>& b) {
  const size_t n = b.size();
  if (n >= 24 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G')
    return {int(std::min<uint32_t>(be32(&b[16]), INT32_MAX)),
            int(std::min<uint32_t>(be32(&b[20]), INT32_MAX))};
  if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    const int32_t w = int32_t(le16(&b[18]) | (le16(&b[20]) << 16));
    const int32_t h = int32_t(le16(&b[22]) | (le16(&b[24]) << 16));
    return {std::abs(w), std::abs(h)};
  }
  if (n >= 10 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F')
    return {int(le16(&b[6])), int(le16(&b[8]))};
  if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    size_t i = 2;
    while (i + 9 < n) {
      if (b[i] != 0xFF) {
        ++i;
        continue;
      }
      const unsigned char marker = b[i + 1];
      if (marker == 0xFF) {
        ++i;
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2;
        continue;
      }
      const uint32_t len = be16(&b[i + 2]);
      // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
        return {int(be16(&b[i + 7])), int(be16(&b[i + 5]))};
      if (len < 2) break;
      i += 2 + len;
    }
  }
  return {0, 0};
}

cv::Mat decodeImage(const std::vector<unsigned char>& bytes, const std::string& name,
                    const ImageReadOptions& options) {
  const std::string what = "cannot read image '" + name + "': ";
  if (bytes.empty()) throw InputError(what + "empty file");
  const cv::Size claimed = peekImageSize(bytes);
  if (double(claimed.width) * claimed.height > double(options.maxPixels))
    throw InputError(what + std::to_string(claimed.width) + "x" + std::to_string(claimed.height) +
                     " pixels exceeds the limit of " + std::to_string(options.maxPixels) +
                     " pixels (raise it with --max-pixels)");
  cv::Mat img;
  try {
    // IMREAD_COLOR: 8-bit BGR from any depth/channel count, EXIF orientation applied.
    img = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw InputError(what + "decoder error (" + e.err + ")");
  }
  if (img.empty()) {
    const bool known =
        claimed.width > 0 || (bytes.size() > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8);
    throw InputError(what + (known ? "corrupt or truncated image data" : "not an image file"));
  }
  if (double(img.cols) * img.rows > double(options.maxPixels))
    throw InputError(what + "image exceeds the pixel limit");
  return img;
}

cv::Mat readImage(const std::string& path, const ImageReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError("cannot read image '" + path + "': no such file");
  if (fs::is_directory(path, ec)) throw InputError("cannot read image '" + path + "': is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read image '" + path + "': permission denied or unreadable");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError("cannot read image '" + path + "': read error");
  return decodeImage(bytes, path, options);
}

ExpandedInputs expandInputs(const std::vector<std::string>& paths) {
  ExpandedInputs out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.files.push_back(p);  // errors (missing, unreadable) are reported when it is read
      continue;
    }
    std::vector<std::string> found;
    std::set<std::string> visitedDirs;
    visitedDirs.insert(fs::weakly_canonical(p, ec).string());
    auto it = fs::recursive_directory_iterator(p,
                                               fs::directory_options::follow_directory_symlink |
                                                   fs::directory_options::skip_permission_denied,
                                               ec);
    if (ec) {
      out.skipped.emplace_back(p, "cannot list folder: " + ec.message());
      continue;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        out.skipped.emplace_back(it->path().string(), ec.message());
        ec.clear();
        continue;
      }
      const auto& entry = *it;
      std::error_code e2;
      if (entry.is_directory(e2)) {
        // A symlink loop would otherwise be walked forever.
        const std::string canon = fs::weakly_canonical(entry.path(), e2).string();
        if (!visitedDirs.insert(canon).second) {
          it.disable_recursion_pending();
          out.skipped.emplace_back(entry.path().string(), "folder already visited (symlink loop)");
        }
        continue;
      }
      const std::string path = entry.path().string();
      if (hasImageExtension(path) || hasVideoExtension(path))
        found.push_back(path);
      else
        out.skipped.emplace_back(path, "not an image or video file");
    }
    std::sort(found.begin(), found.end());
    out.files.insert(out.files.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace microfer
