// microfer-bench soak, briefly: every frame and image it pushes through is accounted for.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

using test::slurp;

TEST(Soak, ShortRunAccountsForEveryFrameAndImage) {
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  const fs::path dir = test::tempDir("soak");
  const std::string model = test::writeRandomModel(dir);
  const fs::path out = dir / "run", json = dir / "soak.json", log = dir / "stdout.txt";
  // A short run's warm-up (the first 10%) is a handful of inputs, so the allocator is still
  // settling after it: the memory limit is the full run's business, not this test's.
  const std::string cmd = std::string(MICROFER_BENCH) +
                          " soak --frames 60 --images 40 --tta off --max-growth 200 --model '" +
                          model + "' --out '" + out.string() + "' --json '" + json.string() +
                          "' >'" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string output = slurp(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;

  EXPECT_NE(output.find("live: accounting: 60 frames in, 60 processed, 60 results.jsonl records"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("batch: accounting: 40 images in, 40 processed, 40 results.jsonl records"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("live_frames=60/60 batch_images=40/40 result=pass"), std::string::npos)
      << output;

  const nlohmann::json figures = nlohmann::json::parse(slurp(json));
  for (const char* part : {"live", "batch"}) {
    const auto& p = figures.at(part);
    EXPECT_TRUE(p.at("accounted").get<bool>()) << part;
    EXPECT_EQ(p.at("mismatched").get<long long>(), 0) << part;
    // Real faces in every input: nearly every frame has one, each with its CSV row.
    EXPECT_GE(p.at("faces").get<long long>(), p.at("inputs").get<long long>() * 8 / 10) << part;
    EXPECT_EQ(p.at("csv_rows").get<long long>(), p.at("faces").get<long long>()) << part;
    EXPECT_GT(p.at("rss_after_warmup_mb").get<double>(), 0) << part;
  }
  // The labelled video and the labelled images are there.
  EXPECT_TRUE(fs::exists(out / "live" / "soak_labelled.avi"));
  EXPECT_TRUE(fs::exists(out / "batch" / "image00039_labelled.jpg"));
}

TEST(Soak, RefusesAFolderThatHoldsResults) {
  const fs::path dir = test::tempDir("soak");
  std::ofstream(dir / "results.csv") << "old results\n";
  const std::string cmd = std::string(MICROFER_BENCH) + " soak --frames 1 --images 0 --out '" +
                          dir.string() + "' >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  EXPECT_EQ(slurp(dir / "results.csv"), "old results\n");
}

}  // namespace
}  // namespace microfer
