// Writes the seed corpus of the fuzz targets (fuzz/corpus/) from assets/astronaut.png and
// small untrained models, so that the committed seeds can be made again:
//   build-fuzz/fuzz/fuzz_make_seeds <source dir> <output dir>
// It refuses to write into a folder that already holds files.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/classify/model_file.hpp"

namespace {

namespace fs = std::filesystem;
using namespace microfer;

void writeFile(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
  std::printf("%6zu bytes  %s\n", bytes.size(), path.string().c_str());
}
void writeText(const fs::path& path, const std::string& text) {
  writeFile(path, std::vector<unsigned char>(text.begin(), text.end()));
}
std::vector<unsigned char> encode(const std::string& ext, const cv::Mat& image,
                                  const std::vector<int>& params = {}) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(ext, image, bytes, params)) throw std::runtime_error("cannot encode " + ext);
  return bytes;
}

/// A JPEG with an EXIF APP1 segment whose orientation tag is `orientation` (1..8).
std::vector<unsigned char> withExifOrientation(std::vector<unsigned char> jpeg, int orientation) {
  const unsigned char app1[] = {0xFF,
                                0xE1,
                                0x00,
                                0x22,  // APP1, length 34
                                'E',
                                'x',
                                'i',
                                'f',
                                0x00,
                                0x00,  // EXIF identifier
                                'I',
                                'I',
                                0x2A,
                                0x00,
                                0x08,
                                0x00,
                                0x00,
                                0x00,  // TIFF header, little-endian, IFD at 8
                                0x01,
                                0x00,  // one IFD entry
                                0x12,
                                0x01,
                                0x03,
                                0x00,
                                0x01,
                                0x00,
                                0x00,
                                0x00,  // tag 0x0112 Orientation, SHORT, 1
                                static_cast<unsigned char>(orientation),
                                0x00,
                                0x00,
                                0x00,  // value
                                0x00,
                                0x00,
                                0x00,
                                0x00};  // no next IFD
  jpeg.insert(jpeg.begin() + 2, std::begin(app1), std::end(app1));
  return jpeg;
}

/// The astronaut's face with some context: the Haar box grown by 60 %, at `faceSide` pixels.
cv::Mat faceCrop(const cv::Mat& photo, int faceSide) {
  DetectorConfig config;
  config.haarEyes = false;
  const auto faces = createFaceDetector(config)->detect(photo);
  if (faces.empty()) throw std::runtime_error("no face found in the astronaut photo");
  const cv::Rect2f b = faces.front().box;
  const cv::Point2f c(b.x + b.width / 2, b.y + b.height / 2);
  const float side = 1.6f * std::max(b.width, b.height);
  const cv::Rect region = cv::Rect(cv::Rect2f(c.x - side / 2, c.y - side / 2, side, side)) &
                          cv::Rect(0, 0, photo.cols, photo.rows);
  cv::Mat crop;
  const double scale = faceSide / double(std::max(b.width, b.height));
  cv::resize(photo(region), crop, cv::Size(), scale, scale, cv::INTER_AREA);
  return crop;
}

std::string csvPixels(const cv::Mat& gray48) {
  std::string s;
  for (int i = 0; i < 48 * 48; ++i) s += (i ? " " : "") + std::to_string(gray48.data[i]);
  return s;
}

/// A small untrained model (a few kilobytes of weights).
std::vector<unsigned char> tinyModel(const fs::path& tmp, std::vector<int> blocks, int width,
                                     int inputSize, bool attention,
                                     const std::string& wiring = "microfer") {
  torch::manual_seed(11);
  NetworkConfig nc;
  nc.blocksPerStage = std::move(blocks);
  nc.width = width;
  nc.inputSize = inputSize;
  nc.attention = attention;
  if (attention) setAttentionWiring(nc, wiring);
  MicroAttentionResNet net(nc);
  ModelInfo info;
  info.name = "fuzz-seed";
  info.network = nc;
  info.classNames.assign(emotionNames().begin(), emotionNames().end());
  info.crop.size = inputSize;
  info.notes = "untrained, a seed for the model file fuzzers";
  saveModel(tmp.string(), net, info);
  std::ifstream in(tmp, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  fs::remove(tmp);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path source = argv[1], out = argv[2];
  if (fs::exists(out) && !fs::is_empty(out)) {
    std::fprintf(stderr, "'%s' is not empty; not overwritten\n", out.c_str());
    return 2;
  }
  const cv::Mat photo = cv::imread((source / "assets" / "astronaut.png").string());
  if (photo.empty()) throw std::runtime_error("cannot read assets/astronaut.png");

  // Images: the formats and variants decodeImage handles, all small (<= 256 x 256).
  const fs::path img = out / "image_pipeline";
  fs::create_directories(img);
  const cv::Mat face = faceCrop(photo, 64);  // about 100 x 100 pixels
  cv::Mat gray, bgra, deep, rotated;
  cv::cvtColor(face, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(face, bgra, cv::COLOR_BGR2BGRA);
  face.convertTo(deep, CV_16UC3, 257.0);
  cv::rotate(face, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  writeFile(img / "face.jpg", encode(".jpg", face, {cv::IMWRITE_JPEG_QUALITY, 70}));
  writeFile(img / "face_progressive.jpg",
            encode(".jpg", face, {cv::IMWRITE_JPEG_QUALITY, 50, cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  // Stored rotated, with EXIF orientation 6 ("rotate 90 clockwise to view").
  writeFile(img / "face_exif6.jpg",
            withExifOrientation(encode(".jpg", rotated, {cv::IMWRITE_JPEG_QUALITY, 60}), 6));
  writeFile(img / "face_gray.png", encode(".png", gray, {cv::IMWRITE_PNG_COMPRESSION, 9}));
  writeFile(img / "face_rgba.png", encode(".png", bgra, {cv::IMWRITE_PNG_COMPRESSION, 9}));
  cv::Mat small;
  cv::resize(deep, small, cv::Size(24, 24), 0, 0, cv::INTER_AREA);
  writeFile(img / "small_16bit.png", encode(".png", small));
  cv::resize(face, small, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
  writeFile(img / "small.bmp", encode(".bmp", small));
  writeFile(img / "small.tif", encode(".tif", small));
  writeFile(img / "small.webp", encode(".webp", small, {cv::IMWRITE_WEBP_QUALITY, 50}));
  writeFile(img / "small.ppm", encode(".ppm", small));
  writeFile(img / "one_pixel.png", encode(".png", cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))));

  // CSV: fer2013.csv rows with the face as 48 x 48 gray pixels, with and without Usage.
  const fs::path csv = out / "dataset_csv";
  fs::create_directories(csv);
  cv::Mat face48, dark48;
  cv::resize(gray, face48, cv::Size(48, 48), 0, 0, cv::INTER_AREA);
  face48.convertTo(dark48, CV_8U, 0.5);
  const std::string px = csvPixels(face48), dark = csvPixels(dark48);
  writeText(csv / "usage.csv", "emotion,pixels,Usage\n3," + px + ",Training\n6," + dark +
                                   ",PublicTest\n0," + px + ",PrivateTest\n");
  writeText(csv / "no_usage_crlf.csv", "emotion,pixels\r\n5," + dark + "\r\n\r\n");
  writeText(csv / "bad_label.csv", "emotion,pixels,Usage\n9," + px + ",Training\n");
  writeText(csv / "header_only.csv", "emotion,pixels,Usage\n");

  // Model files: tiny untrained networks, with attention (both wirings) and without.
  const fs::path mfm = out / "model_file";
  fs::create_directories(mfm);
  writeFile(mfm / "tiny_attention.mfm", tinyModel(mfm / "tmp.mfm", {1, 1}, 2, 16, true));
  writeFile(mfm / "tiny_attention_prototxt.mfm",
            tinyModel(mfm / "tmp.mfm", {1, 1}, 2, 16, true, "prototxt"));
  writeFile(mfm / "tiny_plain.mfm", tinyModel(mfm / "tmp.mfm", {1}, 2, 16, false));
  return 0;
}
