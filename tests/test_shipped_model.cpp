// The model shipped in models/: present, intact (checksum verified on load), FER2013 class
// order, and it labels the bundled smiling portrait happy through the full pipeline.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "microfer/pipeline.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

const std::string kShipped = test::sourceDir() + "/models/microfer-resnet10.mfm";

TEST(ShippedModel, IsIntactWithFer2013ClassOrder) {
  ClassifierConfig cc;
  cc.modelPath = kShipped;
  ExpressionClassifier clf(cc);  // throws on a checksum mismatch or truncation
  const auto& names = clf.classNames();
  ASSERT_EQ(names.size(), 7u);
  for (int i = 0; i < kNumEmotions; ++i) EXPECT_EQ(names[i], emotionNames()[i]) << i;
  EXPECT_EQ(clf.cropGeometry().size, 48);
}

TEST(ShippedModel, LabelsTheBundledSmileHappy) {
  const cv::Mat img = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(img.empty());
  for (DetectorKind kind : {DetectorKind::Haar, DetectorKind::Mtcnn}) {
    if (kind == DetectorKind::Mtcnn && findMtcnnDir().empty()) continue;
    for (TtaMode tta : {TtaMode::Off, TtaMode::Flip, TtaMode::Full}) {
      PipelineConfig pc;
      pc.detector.kind = kind;
      pc.classifier.modelPath = kShipped;
      pc.classifier.tta.mode = tta;
      Pipeline p(pc);
      const FrameResult r = p.process(img, "astronaut.png");
      ASSERT_EQ(r.faces.size(), 1u) << toString(kind);
      EXPECT_EQ(emotionNames()[r.faces[0].prediction.label], "happy")
          << toString(kind) << " / " << toString(tta);
    }
  }
}

}  // namespace
}  // namespace microfer
