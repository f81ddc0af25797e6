// Alignment contract: eyes level and at the documented crop positions.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

cv::Point2f apply(const cv::Mat& m, cv::Point2f p) {
  return {float(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
          float(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
}

// A real face (the bundled NASA portrait) rotated by several angles; the eye centres are
// carried through the rotation, the aligner must put them back level at the crop's
// documented positions.
TEST(Align, EyesBecomeHorizontalOnRotatedRealFaces) {
  const cv::Mat img = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(img.empty()) << "assets/astronaut.png missing";
  // Eye centres of the astronaut portrait (512x512), as MTCNN finds them (results.jsonl).
  const cv::Point2f leftEye(204.4f, 101.5f), rightEye(247.0f, 104.6f);
  const CropGeometry g;
  FaceAligner aligner(g);
  for (double angle : {-35.0, -20.0, -7.5, 0.0, 12.0, 30.0}) {
    const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(256, 256), angle, 1.0);
    cv::Mat rotated;
    cv::warpAffine(img, rotated, rot, img.size());
    FaceDetection face;
    face.box = cv::Rect2f(170, 60, 110, 110);
    FiveLandmarks lm{};
    lm[0] = apply(rot, leftEye);
    lm[1] = apply(rot, rightEye);
    if (lm[0].x > lm[1].x) std::swap(lm[0], lm[1]);
    face.landmarks = lm;
    const AlignedFace a = aligner.align(rotated, face);
    ASSERT_EQ(a.crop.size(), cv::Size(g.size, g.size));
    ASSERT_EQ(a.crop.type(), CV_8UC1);
    EXPECT_TRUE(a.fromLandmarks);
    const cv::Point2f l = apply(a.transform, lm[0]), r = apply(a.transform, lm[1]);
    const double tilt = std::atan2(r.y - l.y, r.x - l.x) * 180 / CV_PI;
    EXPECT_LT(std::abs(tilt), 1.0) << "angle " << angle;
    EXPECT_NEAR(l.x, g.leftEyeX * g.size, 1.0) << "angle " << angle;
    EXPECT_NEAR(r.x, g.rightEyeX * g.size, 1.0) << "angle " << angle;
    EXPECT_NEAR(l.y, g.eyeY * g.size, 1.0) << "angle " << angle;
    EXPECT_NEAR(r.y, g.eyeY * g.size, 1.0) << "angle " << angle;
    // The crop is not blank: a face has texture.
    cv::Scalar mean, sd;
    cv::meanStdDev(a.crop, mean, sd);
    EXPECT_GT(sd[0], 15.0) << "angle " << angle;
  }
}

// The same with the eyes found by MTCNN on the rotated photo (detector + aligner).
TEST(Align, MtcnnLandmarksAlignRotatedPortrait) {
  const std::string dir = findMtcnnDir();
  if (dir.empty()) GTEST_SKIP() << "MTCNN weights not found (see README: models/mtcnn)";
  const cv::Mat img = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(img.empty());
  DetectorConfig dc;
  dc.kind = DetectorKind::Mtcnn;
  auto det = createFaceDetector(dc);
  FaceAligner aligner;
  for (double angle : {-25.0, 0.0, 25.0}) {
    const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(256, 256), angle, 1.0);
    cv::Mat rotated;
    cv::warpAffine(img, rotated, rot, img.size());
    const auto faces = det->detect(rotated);
    ASSERT_FALSE(faces.empty()) << "angle " << angle;
    ASSERT_TRUE(faces[0].landmarks.has_value());
    const AlignedFace a = aligner.align(rotated, faces[0]);
    const auto& lm = *faces[0].landmarks;
    const cv::Point2f l = apply(a.transform, lm[0]), r = apply(a.transform, lm[1]);
    EXPECT_LT(std::abs(std::atan2(r.y - l.y, r.x - l.x)) * 180 / CV_PI, 1.0) << angle;
    EXPECT_NEAR(l.y, aligner.geometry().eyeY * 48, 1.0) << angle;
  }
}

TEST(Align, LargeFaceUsesTheSameGeometry) {
  // A 2000 px wide synthetic frame: the area-filtered path must keep the contract.
  cv::Mat big(1500, 2000, CV_8UC3);
  cv::randu(big, 0, 255);
  FaceDetection face;
  face.box = cv::Rect2f(500, 300, 900, 900);
  FiveLandmarks lm{};
  lm[0] = {800, 650};
  lm[1] = {1150, 700};
  face.landmarks = lm;
  FaceAligner aligner;
  const AlignedFace a = aligner.align(big, face);
  const cv::Point2f l = apply(a.transform, lm[0]), r = apply(a.transform, lm[1]);
  EXPECT_NEAR(l.x, CropGeometry().leftEyeX * 48, 1e-3);
  EXPECT_NEAR(r.y, CropGeometry().eyeY * 48, 1e-3);
  EXPECT_EQ(a.crop.size(), cv::Size(48, 48));
}

TEST(Align, BoxOnlyFaceIsCentredWithoutRotation) {
  cv::Mat img(200, 300, CV_8UC1, cv::Scalar(0));
  cv::rectangle(img, cv::Rect(100, 50, 80, 80), cv::Scalar(255), cv::FILLED);
  FaceDetection face;
  face.box = cv::Rect2f(100, 50, 80, 80);
  const AlignedFace a = FaceAligner().align(img, face);
  EXPECT_FALSE(a.fromLandmarks);
  EXPECT_NEAR(a.transform.at<double>(0, 1), 0.0, 1e-12);
  // The box, centred, fills the crop but for the documented margin.
  EXPECT_GT(cv::mean(a.crop(cv::Rect(4, 4, 40, 40)))[0], 250.0);
  EXPECT_NEAR(a.transform.at<double>(0, 0), 48.0 / (80 * CropGeometry().boxScale),
              1e-6);  // float geometry
}

// One home for the settings' bounds: validate() names the problem and the option, and the
// pipeline refuses what it refuses (the CLI and the app show its message).
TEST(PipelineSettings, ValidateOwnsTheBoundsAndThePipelineRefusesBadOnes) {
  PipelineConfig good;
  EXPECT_EQ(validate(good), "");
  PipelineConfig small = good;
  small.detector.minFaceSize = kSmallestMinFace - 1;
  EXPECT_NE(validate(small).find("--min-face"), std::string::npos) << validate(small);
  EXPECT_THROW(Pipeline{small}, std::invalid_argument);
  PipelineConfig threshold = good;
  threshold.detector.mtcnnThresholds[1] = 1.2f;
  EXPECT_NE(validate(threshold).find("--mtcnn-thresholds"), std::string::npos);
  PipelineConfig confidence = good;
  confidence.classifier.minConfidence = 1.5f;
  EXPECT_NE(validate(confidence).find("--min-confidence"), std::string::npos);
  confidence.classifier.minConfidence = 0.f;  // never uncertain: allowed
  EXPECT_EQ(validate(confidence), "");
  PipelineConfig every = good;
  every.detectEvery = 0;
  EXPECT_NE(validate(every).find("--detect-every"), std::string::npos);
}

}  // namespace
}  // namespace microfer
