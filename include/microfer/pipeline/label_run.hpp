// LabelRun: the one batch loop of every front end (microfer-cli label, the app's batch,
// microfer-bench bench --folder and soak): expanded inputs -> per input, label it through a
// LabelSession or record its failure -> count. A front end decides which inputs, what to
// show for each and what to do with the counts (the run record), nothing else.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "microfer/capture/image_io.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/pipeline/label_session.hpp"

namespace microfer {

/// What a run does with the video files among its inputs.
enum class VideoPolicy {
  Label,       ///< label them, frame by frame (LabelSession::labelVideo), as `label` does
  Skip,        ///< leave them out, each listed in skipped with LabelRunOptions::skipReason
  ImagesOnly,  ///< leave them out without a word (a benchmark of still images)
};

struct LabelRunOptions {
  VideoPolicy videos = VideoPolicy::Label;
  std::string skipReason = "a video";  ///< VideoPolicy::Skip: the reason each video is given
};

/// One input labelled.
struct LabelledInput {
  size_t index = 0;  ///< in LabelRun::inputs().files
  std::string path;
  bool isVideo = false;
  LabelledFrame image;       ///< an image: its result and labelled picture (empty for a video)
  cv::Mat original;          ///< an image: the picture as read (empty for a video)
  StreamSummary video;       ///< a video: how it ended
  std::string labelledPath;  ///< the labelled copy or video ("" when none was written)
  double ms = 0;             ///< the whole input: reading, labelling, writing
};

/// One input that failed; the run goes on with the next.
struct FailedInput {
  size_t index = 0;
  std::string path;
  std::string error;  ///< the exception's message (it names the input)
  double ms = 0;
};

/// What a run did.
struct LabelRunTotals {
  long long inputs = 0;  ///< inputs tried (labelled or failed)
  /// Images and video frames labelled, the faces in them, the inputs that failed: what
  /// the run record holds (describeRun).
  RunCounts counts;
  bool cancelled = false;  ///< the cancel check stopped it before the last input
};

/// Not thread-safe. Callbacks run on the caller's thread, in input order; an exception from
/// a callback ends the run (it is not counted as the input's failure).
class LabelRun {
 public:
  using LabelledCallback = std::function<void(const LabelledInput&)>;
  using FailedCallback = std::function<void(const FailedInput&)>;
  /// Before each input (done = its index, next = its path) and, when the run was not
  /// cancelled, once at the end (done = total, next empty).
  using ProgressCallback = std::function<void(size_t done, size_t total, const std::string& next)>;

  /// Applies the video policy at once, so that inputs() tells what run() will label before it
  /// starts. `inputs.mirrored`, where given, names each labelled copy (ExpandedInputs).
  explicit LabelRun(ExpandedInputs inputs, const LabelRunOptions& options = {});

  /// What run() labels (files, mirrored names) and what it leaves out: the expansion's
  /// skipped entries, then the videos VideoPolicy::Skip left out, in input order.
  const ExpandedInputs& inputs() const { return inputs_; }

  void onLabelled(LabelledCallback callback) { labelled_ = std::move(callback); }
  void onFailed(FailedCallback callback) { failed_ = std::move(callback); }
  void onProgress(ProgressCallback callback) { progress_ = std::move(callback); }
  /// Checked before each input; true stops the run there (LabelRunTotals::cancelled).
  void cancelWhen(std::function<bool()> check) { cancel_ = std::move(check); }

  /// Labels each input through `session` (images: read with its LabelOptions::read,
  /// labelled, written; videos: LabelSession::labelVideo). A failed input is reported and
  /// counted, and the run goes on.
  LabelRunTotals run(LabelSession& session);

 private:
  ExpandedInputs inputs_;
  LabelledCallback labelled_;
  FailedCallback failed_;
  ProgressCallback progress_;
  std::function<bool()> cancel_;
};

}  // namespace microfer
