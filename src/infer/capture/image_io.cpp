#include "microfer/capture/image_io.hpp"

#include "microfer/runtime/file_io.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "microfer/types.hpp"

namespace microfer {
namespace fs = std::filesystem;

namespace {
std::string lowerExt(const std::string& path) {
  return asciiLower(fs::path(path).extension().string());
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

// OpenCV 4.6 (Debian 12) has no GIF decoder.
const char* const kGifUnsupported =
    "GIF is not supported (MicroFER reads JPEG, PNG, BMP, TIFF, WebP and PBM/PGM/PPM): "
    "convert it first, e.g. ffmpeg -i in.gif -frames:v 1 out.png";

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

namespace {
/// What the first bytes of a file say: whether it is a format MicroFER reads, and the size its
/// header claims ({0,0} when the header is cut short or has no size).
struct Header {
  bool known = false;
  cv::Size size;
};

int clampToInt(uint64_t v) {
  return static_cast<int>(std::min<uint64_t>(v, INT32_MAX));
}

Header jpegHeader(const std::vector<unsigned char>& b) {
  const size_t n = b.size();
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
      return {true, {int(be16(&b[i + 7])), int(be16(&b[i + 5]))}};
    if (len < 2) break;
    i += 2 + len;
  }
  return {true, {}};
}

/// PBM / PGM / PPM ("P1".."P6"): width and height are the first two numbers of the text
/// header, which may hold comments.
Header pnmHeader(const std::vector<unsigned char>& b) {
  const size_t n = b.size();
  size_t i = 2;
  uint64_t dims[2] = {0, 0};
  for (uint64_t& d : dims) {
    while (i < n && (std::isspace(b[i]) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < n && b[i] != '\n' && b[i] != '\r') ++i;
      else
        ++i;
    }
    if (i == n || !std::isdigit(b[i])) return {true, {}};
    for (; i < n && std::isdigit(b[i]); ++i)
      d = std::min<uint64_t>(d * 10 + (b[i] - '0'), 1u << 31);
  }
  return {true, {clampToInt(dims[0]), clampToInt(dims[1])}};
}

/// TIFF and BigTIFF: ImageWidth (256) and ImageLength (257) of the first image.
Header tiffHeader(const std::vector<unsigned char>& b) {
  const size_t n = b.size();
  const bool little = b[0] == 'I';
  const auto get = [&](size_t pos, int bytes) -> uint64_t {
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v |= uint64_t(b[pos + (little ? k : bytes - 1 - k)]) << (8 * k);
    return v;
  };
  const bool big = get(2, 2) == 43;
  const int offsetBytes = big ? 8 : 4, countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12;
  const size_t first = big ? 8 : 4;
  if (n < first + offsetBytes) return {true, {}};
  const uint64_t ifd = get(first, offsetBytes);
  if (ifd > n || n - ifd < uint64_t(countBytes)) return {true, {}};
  const uint64_t entries = get(ifd, countBytes);
  uint64_t dims[2] = {0, 0};
  for (uint64_t e = 0; e < entries; ++e) {
    const uint64_t at = ifd + countBytes + e * entryBytes;
    if (at > n || n - at < uint64_t(entryBytes)) break;
    const uint64_t tag = get(at, 2), type = get(at + 2, 2);
    if (tag != 256 && tag != 257) continue;
    const size_t value = at + 4 + (big ? 8 : 4);
    const int bytes = type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 0;  // SHORT, LONG, LONG8
    if (bytes == 0 || (!big && bytes == 8)) return {true, {}};
    dims[tag - 256] = get(value, bytes);
  }
  return {true, {clampToInt(dims[0]), clampToInt(dims[1])}};
}

/// WebP: the frame size of a lossy (VP8), lossless (VP8L) or extended (VP8X) file.
Header webpHeader(const std::vector<unsigned char>& b) {
  if (b.size() < 30) return {true, {}};
  const auto chunk = [&](const char* fourcc) { return std::memcmp(&b[12], fourcc, 4) == 0; };
  if (chunk("VP8 ") && b[23] == 0x9d && b[24] == 0x01 && b[25] == 0x2a)
    return {true, {int(le16(&b[26]) & 0x3fff), int(le16(&b[28]) & 0x3fff)}};
  if (chunk("VP8L") && b[20] == 0x2f) {
    const uint32_t bits = le16(&b[21]) | (le16(&b[23]) << 16);
    return {true, {int(bits & 0x3fff) + 1, int((bits >> 14) & 0x3fff) + 1}};
  }
  if (chunk("VP8X"))
    return {true,
            {int(le16(&b[24]) | (uint32_t(b[26]) << 16)) + 1,
             int(le16(&b[27]) | (uint32_t(b[29]) << 16)) + 1}};
  return {true, {}};
}

Header readHeader(const std::vector<unsigned char>& b) {
  const size_t n = b.size();
  const auto starts = [&](const char* magic, size_t len) {
    return n >= len && std::memcmp(b.data(), magic, len) == 0;
  };
  if (starts("\x89PNG", 4))
    return {true,
            n >= 24 ? cv::Size(clampToInt(be32(&b[16])), clampToInt(be32(&b[20]))) : cv::Size()};
  if (starts("BM", 2)) {
    if (n < 26) return {true, {}};
    const int64_t w = int32_t(le16(&b[18]) | (le16(&b[20]) << 16));
    const int64_t h = int32_t(le16(&b[22]) | (le16(&b[24]) << 16));
    return {true, {clampToInt(uint64_t(std::llabs(w))), clampToInt(uint64_t(std::llabs(h)))}};
  }
  if (starts("\xFF\xD8", 2)) return jpegHeader(b);
  if (n >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(b[2]))
    return pnmHeader(b);
  if (starts("II*\0", 4) || starts("MM\0*", 4) || starts("II+\0", 4) || starts("MM\0+", 4))
    return tiffHeader(b);
  if (n >= 16 && starts("RIFF", 4) && std::memcmp(&b[8], "WEBP", 4) == 0) return webpHeader(b);
  return {};
}
}  // namespace

cv::Size peekImageSize(const std::vector<unsigned char>& bytes) {
  return readHeader(bytes).size;
}

cv::Mat decodeImage(const std::vector<unsigned char>& bytes, const std::string& name,
                    const ImageReadOptions& options) {
  const std::string what = "cannot read image '" + name + "': ";
  if (bytes.empty()) throw InputError(what + "empty file");
  // OpenCV allocates the whole image as soon as it has read a header, so the size is checked
  // here first; a format whose header is not read here (JPEG 2000, OpenEXR, ...) is not given
  // to OpenCV at all.
  const Header header = readHeader(bytes);
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GIF8", 4) == 0)
    throw InputError(what + kGifUnsupported);
  if (!header.known)
    throw InputError(what +
                     "not an image file (MicroFER reads JPEG, PNG, BMP, TIFF, WebP and "
                     "PBM/PGM/PPM)");
  const cv::Size claimed = header.size;
  if (claimed.width <= 0 || claimed.height <= 0)
    throw InputError(what + "corrupt or truncated image data (no image size in its header)");
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
  if (img.empty()) throw InputError(what + "corrupt or truncated image data");
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

namespace {
// "/data/./a/../b/x.jpg" -> "data/b/x.jpg"; "../x.jpg" -> "x.jpg": a path that stays inside
// the results folder.
std::string mirrorOf(const fs::path& path) {
  fs::path out;
  for (const auto& part : path.lexically_normal().relative_path())
    if (part != "." && part != ".." && !part.empty()) out /= part;
  return out.empty() ? path.filename().string() : out.string();
}
}  // namespace

ExpandedInputs expandInputs(const std::vector<std::string>& paths, bool mirrorWholePath) {
  ExpandedInputs out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.files.push_back(p);  // errors (missing, unreadable) are reported when it is read
      out.mirrored.push_back(mirrorWholePath ? mirrorOf(p) : fs::path(p).filename().string());
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
      else if (lowerExt(path) == ".gif")
        out.skipped.emplace_back(path, kGifUnsupported);
      else
        out.skipped.emplace_back(path, "not an image or video file");
    }
    std::sort(found.begin(), found.end());
    out.files.insert(out.files.end(), found.begin(), found.end());
    for (const auto& f : found)
      out.mirrored.push_back(mirrorOf(fs::path(f).lexically_relative(p)));
  }
  return out;
}

void writeImageAtomically(const std::string& path, const cv::Mat& image) {
  const std::filesystem::path p(path);
  std::vector<uchar> bytes;
  if (!cv::imencode(p.extension().string().empty() ? ".png" : p.extension().string(), image, bytes))
    throw std::runtime_error("cannot encode image for '" + path + "'");
  writeFileAtomically(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace microfer
