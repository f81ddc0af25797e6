// The fuzz targets' contracts (fuzz/) in the normal build: every input the fuzzers once
// crashed on (tests/data/fuzz/<target>/) and the seed corpus (fuzz/corpus/<target>/) must be
// handled, or refused with the documented error, without a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "microfer/output/annotator.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

std::vector<unsigned char> readBytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// The files of tests/data/fuzz/<target>/ and fuzz/corpus/<target>/, sorted.
std::vector<fs::path> inputsOf(const std::string& target) {
  std::vector<fs::path> files;
  for (const fs::path dir : {fs::path(test::sourceDir()) / "tests" / "data" / "fuzz" / target,
                             fs::path(test::sourceDir()) / "fuzz" / "corpus" / target}) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

fs::path regression(const std::string& target, const std::string& name) {
  return fs::path(test::sourceDir()) / "tests" / "data" / "fuzz" / target / name;
}

TEST(FuzzRegressions, ImagesGoThroughThePipelineOrAreRefused) {
  const fs::path dir = test::tempDir("fuzzimg");
  PipelineConfig cfg;
  cfg.classifier.modelPath = test::writeRandomModel(dir, 4);
  cfg.withAttention = true;
  Pipeline pipeline(cfg);
  ImageReadOptions options;
  options.maxPixels = 256 * 256;  // as fuzz/fuzz_image_pipeline.cpp
  const auto files = inputsOf("image_pipeline");
  ASSERT_FALSE(files.empty());
  int decoded = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    cv::Mat image;
    try {
      image = decodeImage(readBytes(file), file.filename().string(), options);
    } catch (const InputError& e) {
      // The seeds are small valid images in every format MicroFER reads.
      EXPECT_EQ(file.string().find("/fuzz/corpus/"), std::string::npos) << e.what();
      continue;
    }
    ++decoded;
    const FrameResult r = pipeline.process(image, file.string(), 0);
    AnnotateOptions ann;
    ann.attention = ann.probabilities = true;
    annotate(image, r, ann);
    ResultsWriter writer((dir / "results").string());
    writer.append(r);
    writer.writeLabelledImage(file.string(), image);
  }
  EXPECT_GT(decoded, 0);
}

TEST(FuzzRegressions, CsvFilesAreReadOrRefused) {
  const auto files = inputsOf("dataset_csv");
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    try {
      const Dataset ds = loadFer2013Csv(file.string());
      for (const Sample& s : ds.samples) {
        EXPECT_EQ(s.image.size(), cv::Size(48, 48));
        EXPECT_TRUE(s.label >= 0 && s.label < kNumEmotions);
      }
    } catch (const DatasetError&) {
    }
  }
}

TEST(FuzzRegressions, ModelFilesLoadAndClassifyOrAreRefused) {
  const auto files = inputsOf("model_file");
  ASSERT_FALSE(files.empty());
  int loaded = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    ClassifierConfig config;
    config.modelPath = file.string();
    std::unique_ptr<ExpressionClassifier> classifier;
    try {
      classifier = std::make_unique<ExpressionClassifier>(config);
    } catch (const ModelFileError&) {
      continue;
    }
    const int s = classifier->cropGeometry().size;
    const Prediction p = classifier->classify(cv::Mat(s, s, CV_8UC1, cv::Scalar(128)), true);
    EXPECT_TRUE(p.label >= 0 && p.label < kNumEmotions);
    ++loaded;
  }
  EXPECT_GT(loaded, 0) << "the seed models must load";
}

/// The message of the InputError that decoding `bytes` throws ("" if it decodes).
std::string decodeError(const std::string& bytes) {
  try {
    decodeImage(std::vector<unsigned char>(bytes.begin(), bytes.end()), "x");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// fuzz_image_pipeline, with a hand-made input (ppm-30000x30000.ppm, 22 bytes): OpenCV
// allocated 2.7 GB for a PPM whose header claims 30000 x 30000 pixels, because the size
// limit was only checked before decoding for PNG, JPEG and BMP. Now every format that is
// decoded has its header size checked first, and the others are refused.
TEST(FuzzRegressions, HugeImageInAnyFormatIsRefusedBeforeDecoding) {
  const auto bytes = readBytes(regression("image_pipeline", "ppm-30000x30000.ppm"));
  const std::string ppm(bytes.begin(), bytes.end());
  EXPECT_NE(decodeError(ppm).find("30000x30000 pixels exceeds the limit"), std::string::npos)
      << decodeError(ppm);
  EXPECT_NE(decodeError("P5 # comment\n 30000\n30000 255\n").find("30000x30000"),
            std::string::npos);
  // Little-endian TIFF, one IFD: ImageWidth and ImageLength (LONG) 30000.
  const std::string tiff(
      "II*\0\x08\0\0\0\x02\0"
      "\x00\x01\x04\0\x01\0\0\0\x30\x75\0\0"
      "\x01\x01\x04\0\x01\0\0\0\x30\x75\0\0"
      "\0\0\0\0",
      38);
  EXPECT_NE(decodeError(tiff).find("30000x30000"), std::string::npos) << decodeError(tiff);
  // Extended WebP (VP8X) with a 30000 x 30000 canvas (stored as size - 1).
  const std::string webp("RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\x2f\x75\0\x2f\x75\0", 30);
  EXPECT_NE(decodeError(webp).find("30000x30000"), std::string::npos) << decodeError(webp);
  // JPEG 2000 (OpenCV reads it, MicroFER does not check its header): refused.
  const std::string jp2("\0\0\0\x0cjP  \x0d\x0a\x87\x0a", 12);
  EXPECT_NE(decodeError(jp2).find("not an image file"), std::string::npos) << decodeError(jp2);
}

// fuzz_image_pipeline: an 8294 x 1 JPEG, turned to 1 x 8294 by its EXIF orientation, made
// the Haar detector downscale it to 0 pixels across; cv::resize threw out of
// Pipeline::process (an uncaught exception where a batch expects none).
TEST(FuzzRegressions, OnePixelWideImageGoesThroughTheDetector) {
  const fs::path dir = test::tempDir("fuzzthin");
  PipelineConfig cfg;
  cfg.classifier.modelPath = test::writeRandomModel(dir, 4);
  Pipeline pipeline(cfg);
  const cv::Mat image =
      decodeImage(readBytes(regression("image_pipeline", "exif6-jpeg-8294x1.jpg")), "thin.jpg");
  EXPECT_EQ(image.size(), cv::Size(1, 8294));
  FrameResult r;
  EXPECT_NO_THROW(r = pipeline.process(image, "thin.jpg"));
  EXPECT_TRUE(r.faces.empty());
}

/// The message of the ModelFileError that loading `path` throws ("" if it loads).
std::string loadError(const fs::path& path) {
  try {
    ModelInfo info;
    loadModel(path.string(), info);
  } catch (const ModelFileError& e) {
    return e.what();
  }
  return "";
}

// fuzz_model_file_fixup: a mutated TorchScript code record behind a valid checksum made
// LibTorch's importer (torch::jit::ScriptTypeParser, third-party) read a wild pointer
// (SEGV). Since format 2 the loader never hands a payload to LibTorch: this format-1 file is
// refused with the command that converts it.
TEST(FuzzRegressions, Format1FileIsRefusedWithoutLibTorchReadingIt) {
  const std::string error = loadError(regression("model_file", "libtorch-importer-segv.mfm"));
  EXPECT_NE(error.find("format 1"), std::string::npos) << error;
  EXPECT_NE(error.find("microfer-train export --model"), std::string::npos) << error;
}

// fuzz_model_file_fixup: "size": 1222...226 (a 104-digit number) in the crop section was
// converted to int with undefined behaviour (UBSan: float-cast-overflow in nlohmann's
// from_json). Numbers are now checked for type and range first.
TEST(FuzzRegressions, OutOfRangeHeaderNumberIsRefused) {
  const std::string error = loadError(regression("model_file", "header-int-1e103.mfm"));
  EXPECT_NE(error.find("invalid header: size is 1.2222"), std::string::npos) << error;
  EXPECT_NE(error.find("expected an integer in 8..512"), std::string::npos) << error;
}

}  // namespace
}  // namespace microfer
