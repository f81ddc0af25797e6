// The only test source that includes LibTorch for the pipeline tests (keeps builds fast).
#include "microfer/classify/model_file.hpp"
#include "test_util.hpp"

namespace microfer::test {

std::string writeRandomModel(const std::filesystem::path& dir, int width) {
  torch::manual_seed(5);
  NetworkConfig nc;
  nc.width = width;
  MicroAttentionResNet net(nc);
  ModelInfo info;
  info.name = "untrained-test-model";
  info.network = nc;
  info.classNames.assign(emotionNames().begin(), emotionNames().end());
  const std::string path = (dir / "test-model.mfm").string();
  saveModel(path, net, info);
  return path;
}

}  // namespace microfer::test
