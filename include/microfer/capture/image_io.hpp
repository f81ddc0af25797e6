// Reading images safely: clear errors, a size limit checked before decoding, EXIF.
#pragma once

#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace microfer {

/// Thrown for an input that cannot be used; the message names the file and the reason.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageReadOptions {
  /// Images whose header claims more pixels than this are refused before decoding.
  long long maxPixels = 100LL * 1000 * 1000;
};

/// Reads an image as 8-bit BGR: JPEG, PNG, BMP, TIFF, WebP or PBM/PGM/PPM (other formats
/// OpenCV knows are refused: their size cannot be checked before OpenCV allocates the image).
/// Honours the EXIF orientation; converts 16-bit, gray, RGBA and CMYK inputs. Throws
/// InputError ("cannot read image 'x.jpg': not an image file", "... empty file",
/// "... 30000x30000 pixels exceeds the limit of ...").
cv::Mat readImage(const std::string& path, const ImageReadOptions& options = {});

/// Decodes an image held in memory (same rules; `name` is used in messages).
cv::Mat decodeImage(const std::vector<unsigned char>& bytes, const std::string& name,
                    const ImageReadOptions& options = {});

/// Width and height from the header of one of the formats readImage() reads, without
/// decoding; {0,0} if the format is not one of them or the header holds no size.
cv::Size peekImageSize(const std::vector<unsigned char>& bytes);

/// Writes `image` to `path` (format from the extension, PNG without one) through a temporary
/// file renamed into place (file_io.hpp); throws std::runtime_error on failure.
void writeImageAtomically(const std::string& path, const cv::Mat& image);

bool hasImageExtension(const std::string& path);
bool hasVideoExtension(const std::string& path);

/// Expands inputs: files are kept as given; folders are walked recursively (sorted,
/// symlink loops are not followed twice), keeping images and videos. Everything else
/// found in folders is returned in `skipped` with a reason.
struct ExpandedInputs {
  std::vector<std::string> files;
  /// Per file, the relative path its labelled copy mirrors under the results folder
  /// (ResultsWriter::writeLabelledImage): a file found in a folder, its path inside that
  /// folder ("2024/05/x.jpg"); a file given as it is, its name ("x.jpg"), or with
  /// `mirrorWholePath`, its whole path without the root, "." and ".." ("data/a/x.jpg").
  std::vector<std::string> mirrored;
  std::vector<std::pair<std::string, std::string>> skipped;  ///< path, reason
};
ExpandedInputs expandInputs(const std::vector<std::string>& paths, bool mirrorWholePath = false);

}  // namespace microfer
