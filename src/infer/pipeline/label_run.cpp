#include "microfer/pipeline/label_run.hpp"

#include <chrono>
#include <filesystem>
#include <utility>

namespace microfer {

namespace {
using Clock = std::chrono::steady_clock;

bool isVideo(const std::string& path) {
  std::error_code ec;
  return hasVideoExtension(path) && !std::filesystem::is_directory(path, ec);
}
}  // namespace

LabelRun::LabelRun(ExpandedInputs inputs, const LabelRunOptions& options) {
  inputs_.skipped = std::move(inputs.skipped);
  for (size_t i = 0; i < inputs.files.size(); ++i) {
    std::string& path = inputs.files[i];
    if (options.videos != VideoPolicy::Label && isVideo(path)) {
      if (options.videos == VideoPolicy::Skip)
        inputs_.skipped.emplace_back(std::move(path), options.skipReason);
      continue;
    }
    inputs_.mirrored.push_back(i < inputs.mirrored.size() ? std::move(inputs.mirrored[i])
                                                          : std::string());
    inputs_.files.push_back(std::move(path));
  }
}

LabelRunTotals LabelRun::run(LabelSession& session) {
  LabelRunTotals totals;
  const size_t n = inputs_.files.size();
  for (size_t i = 0; i < n; ++i) {
    if (cancel_ && cancel_()) {
      totals.cancelled = true;
      return totals;
    }
    const std::string& path = inputs_.files[i];
    if (progress_) progress_(i, n, path);
    ++totals.inputs;
    const auto start = Clock::now();
    LabelledInput done;
    try {
      if (isVideo(path)) {
        done.video = session.labelVideo(path, inputs_.mirrored[i]);
        done.isVideo = true;
        done.labelledPath = done.video.videoPath;
        totals.counts.frames += done.video.framesLabelled;
        totals.counts.faces += done.video.faces;
      } else {
        done.original = readImage(path, session.options().read);
        done.image =
            session.labelImage(done.original, path, &done.labelledPath, inputs_.mirrored[i]);
        ++totals.counts.images;
        totals.counts.faces += static_cast<long long>(done.image.result.faces.size());
      }
    } catch (const std::exception& e) {
      ++totals.counts.failures;
      if (failed_)
        failed_({i, path, e.what(),
                 std::chrono::duration<double, std::milli>(Clock::now() - start).count()});
      continue;
    }
    done.index = i;
    done.path = path;
    done.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (labelled_) labelled_(done);
  }
  if (progress_) progress_(n, n, std::string());
  return totals;
}

}  // namespace microfer
