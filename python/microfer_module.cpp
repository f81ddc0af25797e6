// The `microfer` Python module: the MicroFER pipeline (detect -> align -> classify) for
// Python programs. microfer.label(image) returns one dict per face; microfer.Labeller keeps
// one pipeline loaded for many images. Built by python/CMakeLists.txt with pybind11.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "microfer/detect/face_detector.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/classify/model_info.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/runtime/runtime.hpp"
#include "microfer/types.hpp"

#ifndef MICROFER_VERSION
#define MICROFER_VERSION "unknown"
#endif

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

/// A file that does not exist (an image or the model): raised as FileNotFoundError with the
/// core's own message, which names the file.
struct FileMissing : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool missing(const std::string& path) {
  std::error_code ec;
  return path.empty() || !fs::exists(path, ec);
}

/// os.fsencode(obj): str, bytes and os.PathLike paths as the bytes the OS sees.
std::string pathBytes(const py::handle& obj) {
  std::string path = py::module_::import("os").attr("fsencode")(obj).cast<std::string>();
  if (path.find('\0') != std::string::npos) throw py::value_error("embedded null byte in path");
  return path;
}

/// Without numpy loaded no argument can be an array (and paths work without numpy installed).
bool numpyLoaded() {
  return py::module_::import("sys").attr("modules").contains("numpy");
}

bool isPath(const py::handle& obj) {
  return py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj) ||
         py::isinstance(obj, py::module_::import("os").attr("PathLike"));
}

/// The Python defaults are the core's (CLI and app use the same).
const std::string kDefaultDetector = microfer::toString(microfer::kDefaultDetectorChoice);
const std::string kDefaultTta = microfer::toString(microfer::TtaConfig{}.mode);

/// The detector / TTA / model / threshold choices, mapped as the CLI maps its options
/// (the core's resolveDetectorChoice and parseTtaMode).
microfer::PipelineConfig makeConfig(const std::string& detector, const std::string& tta,
                                    const py::object& model, const py::object& minConfidence) {
  microfer::PipelineConfig cfg;
  try {
    cfg.detector.kind = microfer::resolveDetectorChoice(detector);
    cfg.classifier.tta.mode = microfer::parseTtaMode(microfer::asciiLower(tta));
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  if (!model.is_none()) {
    if (!isPath(model)) throw py::type_error("model must be a path (str or os.PathLike) or None");
    cfg.classifier.modelPath = pathBytes(model);
    if (cfg.classifier.modelPath.empty()) throw py::value_error("model is an empty path");
  }
  if (!minConfidence.is_none()) {
    const double p = py::float_(minConfidence);  // TypeError for what is not a number
    if (!(p >= 0 && p <= 1)) throw py::value_error("min_confidence must lie between 0 and 1");
    cfg.classifier.minConfidence = static_cast<float>(p);
  }
  return cfg;
}

/// An image argument, taken apart while the GIL is held: a path, or a C-contiguous uint8
/// array (kept referenced) that is read without the GIL.
struct ImageInput {
  std::string path;
  std::vector<unsigned char> encoded;  // a file's bytes (JPEG, PNG, ...) held in memory
  py::object array;  // not py::array: its default constructor would import numpy
  const void* pixels = nullptr;
  int rows = 0, cols = 0, channels = 0;

  explicit ImageInput(const py::object& image) {
    // Bytes that start as an image file does (read from object storage, a socket, a zip) are
    // the image; other bytes are a path, as os.fsencode gives them.
    if (py::isinstance<py::bytes>(image) || py::isinstance<py::bytearray>(image) ||
        py::isinstance<py::memoryview>(image)) {
      PyObject* raw = PyBytes_FromObject(image.ptr());  // any buffer, copied once
      if (raw == nullptr) throw py::error_already_set();
      const std::string data = py::reinterpret_steal<py::bytes>(raw).cast<std::string>();
      std::vector<unsigned char> bytes(data.begin(), data.end());
      if (!py::isinstance<py::bytes>(image) || microfer::peekImageSize(bytes).area() > 0) {
        encoded = std::move(bytes);
        if (encoded.empty()) throw py::value_error("image is empty bytes");
        return;
      }
    }
    if (isPath(image)) {
      path = pathBytes(image);
      if (path.empty()) throw py::value_error("image is an empty path");
    } else if (numpyLoaded() && py::isinstance<py::array>(image)) {
      fromArray(py::reinterpret_borrow<py::array>(image));
    } else {
      throw py::type_error(
          "image must be a path (str or os.PathLike) or a numpy uint8 array, not " +
          py::str(py::type::handle_of(image).attr("__name__")).cast<std::string>());
    }
  }

  /// Runs without the GIL: reads the file, or copies the array into an 8-bit BGR image
  /// (gray and BGRA converted as the file reader converts them).
  cv::Mat toBgr() const {
    if (!encoded.empty()) return microfer::decodeImage(encoded, "<bytes>");
    if (!path.empty()) {
      try {
        return microfer::readImage(path);
      } catch (const microfer::InputError& e) {
        if (missing(path)) throw FileMissing(e.what());
        throw;
      }
    }
    const cv::Mat view(rows, cols, CV_8UC(channels), const_cast<void*>(pixels));
    cv::Mat bgr;
    if (channels == 1)
      cv::cvtColor(view, bgr, cv::COLOR_GRAY2BGR);
    else if (channels == 4)
      cv::cvtColor(view, bgr, cv::COLOR_BGRA2BGR);
    else
      bgr = view.clone();
    return bgr;
  }

  std::string source() const {
    return !encoded.empty() ? "<bytes>" : path.empty() ? "<array>" : path;
  }

 private:
  void fromArray(const py::array& a) {
    std::string shape = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
      shape += (i ? ", " : "") + std::to_string(a.shape(i));
    shape += a.ndim() == 1 ? ",)" : ")";
    if (!py::isinstance<py::array_t<std::uint8_t>>(a))
      throw py::value_error("image array must have dtype uint8, not " +
                            py::str(a.dtype()).cast<std::string>());
    const py::ssize_t c = a.ndim() == 2 ? 1 : a.ndim() == 3 ? a.shape(2) : 0;
    if (c != 1 && c != 3 && c != 4)
      throw py::value_error(
          "image array must be H x W (gray), H x W x 3 (BGR) or H x W x 4 (BGRA), not shape " +
          shape);
    if (a.shape(0) == 0 || a.shape(1) == 0) throw py::value_error("image array is empty: shape " + shape);
    if (a.shape(0) > INT_MAX / 4 || a.shape(1) > INT_MAX / 4)
      throw py::value_error("image array is too large: shape " + shape);
    // A view (a slice, arr[..., ::-1]) is copied into C order; a C-ordered array is kept as is.
    auto contiguous = py::array_t<std::uint8_t, py::array::c_style>::ensure(a);
    if (!contiguous) throw py::value_error("image array cannot be read as C-ordered uint8 pixels");
    pixels = contiguous.data();
    array = std::move(contiguous);
    rows = static_cast<int>(a.shape(0));
    cols = static_cast<int>(a.shape(1));
    channels = static_cast<int>(c);
  }
};

py::dict faceToDict(const microfer::FaceResult& f) {
  const auto& names = microfer::emotionNames();
  const auto& d = f.detection;
  const auto& p = f.prediction;
  py::dict face;
  face["label"] = p.label >= 0 ? py::object(py::str(names[p.label])) : py::object(py::none());
  face["label_index"] = p.label;
  face["confidence"] = p.confidence;
  face["uncertain"] = p.uncertain;
  py::dict probs;
  for (int c = 0; c < microfer::kNumEmotions; ++c) probs[py::str(names[c])] = p.probs[c];
  face["probabilities"] = probs;
  face["box"] = py::make_tuple(d.box.x, d.box.y, d.box.width, d.box.height);
  face["detector_score"] = d.score;
  if (d.landmarks) {
    py::list points;
    for (const auto& pt : *d.landmarks) points.append(py::make_tuple(pt.x, pt.y));
    face["landmarks"] = points;
  } else {
    face["landmarks"] = py::none();
  }
  // As in results.jsonl: the first measured_landmarks points were measured, the rest (Haar)
  // are estimates from the eyes.
  face["measured_landmarks"] = d.measuredLandmarks;
  return face;
}

/// One loaded pipeline. Calls from several Python threads take turns (a Pipeline is not
/// thread-safe); the GIL is released while the pipeline runs.
class Labeller {
 public:
  explicit Labeller(const microfer::PipelineConfig& cfg) {
    try {
      pipeline_ = std::make_unique<microfer::Pipeline>(cfg);
    } catch (const microfer::ModelFileError& e) {
      if (missing(cfg.classifier.modelPath.empty() ? microfer::defaultModelPath()
                                                   : cfg.classifier.modelPath))
        throw FileMissing(e.what());
      throw;
    }
  }

  py::list label(const py::object& image) {
    const ImageInput input(image);
    microfer::FrameResult result;
    {
      py::gil_scoped_release nogil;
      const cv::Mat bgr = input.toBgr();
      std::lock_guard<std::mutex> lock(mutex_);
      result = pipeline_->process(bgr, input.source());
    }
    return facesToList(result);
  }

  /// Many inputs on `workers` threads (None: one per usable core), each thread with a pipeline
  /// of its own on one core (a small network runs faster as one pass per core than as one
  /// pass split over the cores). Results in input order. on_error "raise": the first failure
  /// (in input order) is raised once every input is done; "none": a failed input gives None.
  py::list labelMany(const py::iterable& images, const py::object& workersArg,
                     const std::string& onError) {
    if (onError != "raise" && onError != "none")
      throw py::value_error("on_error must be 'raise' or 'none', not '" + onError + "'");
    int workers = microfer::usableCores();
    if (!workersArg.is_none()) {
      workers = py::int_(workersArg);
      if (workers < 1) throw py::value_error("workers must be at least 1");
    }
    std::vector<ImageInput> inputs;  // taken apart with the GIL held (arrays stay referenced)
    for (const py::handle item : images) inputs.emplace_back(py::reinterpret_borrow<py::object>(item));
    workers = static_cast<int>(std::min<size_t>(workers, std::max<size_t>(1, inputs.size())));

    std::vector<microfer::FrameResult> results(inputs.size());
    std::vector<std::exception_ptr> failures(inputs.size());
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mutex_);  // label() calls wait for the batch
      while (static_cast<int>(workerPipelines_.size()) < workers - 1)
        workerPipelines_.push_back(std::make_unique<microfer::Pipeline>(pipeline_->config()));
      // One pipeline per core: OpenCV's own pool (detection) would put a second thread on each.
      const int cvThreads = cv::getNumThreads();
      if (workers > 1) cv::setNumThreads(1);
      std::atomic<size_t> next{0};
      auto work = [&](microfer::Pipeline& pipeline) {
        if (workers > 1) microfer::useOneThreadInThisThread();
        for (size_t i; (i = next++) < inputs.size();) {
          try {
            results[i] = pipeline.process(inputs[i].toBgr(), inputs[i].source());
          } catch (...) {
            failures[i] = std::current_exception();
          }
        }
      };
      std::vector<std::thread> threads;
      for (int w = 0; w < workers; ++w)
        threads.emplace_back(work, std::ref(w == 0 ? *pipeline_ : *workerPipelines_[w - 1]));
      for (auto& t : threads) t.join();
      cv::setNumThreads(cvThreads);
    }
    py::list out;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!failures[i]) {
        out.append(facesToList(results[i]));
      } else if (onError == "none") {
        out.append(py::none());
      } else {
        std::rethrow_exception(failures[i]);
      }
    }
    return out;
  }

  std::string detector() const { return microfer::toString(pipeline_->config().detector.kind); }
  std::string tta() const { return microfer::toString(pipeline_->config().classifier.tta.mode); }
  /// The model file as a str (os.fsdecode: any bytes the path holds survive).
  py::str modelPath() const {
    return py::module_::import("os").attr("fsdecode")(py::bytes(pipeline_->classifier().modelPath()));
  }
  std::string modelName() const { return pipeline_->classifier().modelName(); }
  float uncertainBelow() const { return pipeline_->classifier().uncertainBelow(); }

 private:
  static py::list facesToList(const microfer::FrameResult& result) {
    py::list faces;
    for (const auto& f : result.faces) faces.append(faceToDict(f));
    return faces;
  }

  std::mutex mutex_;
  std::unique_ptr<microfer::Pipeline> pipeline_;
  std::vector<std::unique_ptr<microfer::Pipeline>> workerPipelines_;  // label_many's others
};

std::unique_ptr<Labeller> loadLabeller(const microfer::PipelineConfig& cfg) {
  py::gil_scoped_release nogil;  // loading the model and the detector takes a while
  return std::make_unique<Labeller>(cfg);
}

std::unique_ptr<Labeller> makeLabeller(const std::string& detector, const std::string& tta,
                                       const py::object& model, const py::object& minConfidence) {
  return loadLabeller(makeConfig(detector, tta, model, minConfidence));
}

/// microfer.label() keeps the Labeller of its last call and reuses it while the choices stay
/// the same, so a loop over images loads the model once. Called with the GIL held; callers
/// keep their own reference, so another thread replacing it does no harm.
std::shared_ptr<Labeller> cachedLabeller(const microfer::PipelineConfig& cfg) {
  struct Cache {
    microfer::DetectorKind detector{};
    microfer::TtaMode tta{};
    std::string model;
    float minConfidence = 0;
    std::shared_ptr<Labeller> labeller;
  };
  // Never freed: the pipeline is not torn down during the interpreter's exit.
  static Cache* const cache = new Cache();
  const bool same = cache->labeller && cache->detector == cfg.detector.kind &&
                    cache->tta == cfg.classifier.tta.mode &&
                    cache->model == cfg.classifier.modelPath &&
                    cache->minConfidence == cfg.classifier.minConfidence;
  if (!same) {
    cache->labeller.reset();  // the old pipeline goes before the new one loads
    std::shared_ptr<Labeller> fresh = loadLabeller(cfg);
    cache->detector = cfg.detector.kind;
    cache->tta = cfg.classifier.tta.mode;
    cache->model = cfg.classifier.modelPath;
    cache->minConfidence = cfg.classifier.minConfidence;
    cache->labeller = std::move(fresh);
  }
  return cache->labeller;
}

const char* kModuleDoc = R"(MicroFER: facial-expression recognition.

    import microfer
    faces = microfer.label("photo.jpg")        # a path, or a numpy uint8 image (BGR)
    faces[0]["label"], faces[0]["probabilities"]["happy"]

    labeller = microfer.Labeller(detector="auto", tta="flip")   # loads the model once
    for path in paths:
        faces = labeller.label(path)

Each face is a dict: label, label_index, confidence, uncertain, probabilities (class name ->
probability, the 7 classes of microfer.EMOTIONS), box (x, y, width, height in pixels),
detector_score, landmarks (5 (x, y) points, or None) and measured_landmarks (how many of
them were measured; Haar estimates the last three from the eyes). Every image is labelled on
its own, at full quality: results.jsonl's video fields (track, quality, prediction_age) have
no counterpart here.

Many images at once: microfer.label_many(paths) (or Labeller.label_many) runs one pipeline per
core and returns one list of faces per image, in order.

LibTorch runs on OpenMP: set OMP_WAIT_POLICY=PASSIVE in the environment before Python starts
so that its idle threads sleep instead of spinning (the microfer programs do this themselves).
)";

const char* kLabelDoc = R"(label(image) -> list of dicts, one per face (largest first).

image: a path (str or os.PathLike; JPEG, PNG, BMP, TIFF, WebP, PBM/PGM/PPM, EXIF orientation
honoured), the bytes of such a file (bytes, bytearray or memoryview, e.g. read from object
storage; bytes that do not start as one of these formats are taken as a path), or a numpy
uint8 array: H x W gray, H x W x 3 BGR (OpenCV's order; an RGB array
from PIL or matplotlib is rgb[..., ::-1]) or H x W x 4 BGRA.
Raises FileNotFoundError for a missing file, RuntimeError for a file that cannot be read as
an image, ValueError or TypeError for an unusable array or argument.)";

const char* kLabelManyDoc = R"(label_many(images, workers=None, on_error="raise") -> list

Labels many images (any iterable of what label() takes) on `workers` threads at once, each
with a pipeline of its own on one core (None: one per core this process may use, its CPU
affinity); returns one list of faces per image, in input order. The extra pipelines are
loaded on the first call and kept. Faster than a loop over label() on more than one core.
on_error: "raise" raises the first failure (in input order) once every image is done;
"none" puts None in place of a failed image's list.)";

}  // namespace

namespace {
/// A pip-installed module carries the shipped models as data files, in
/// <prefix>/share/microfer/models (the venv's or the user's prefix). They are used unless the
/// user set MICROFER_MODEL / MICROFER_YUNET_DIR / MICROFER_MTCNN_DIR, through those same
/// variables: the core searches nothing else that a wheel can reach.
void usePackagedModels() {
  const py::module_ sys = py::module_::import("sys");
  std::vector<std::string> prefixes = {sys.attr("prefix").cast<std::string>()};
  try {
    prefixes.push_back(py::module_::import("site").attr("USER_BASE").cast<std::string>());
  } catch (const py::error_already_set&) {  // site may be disabled (python -S)
  }
  for (const auto& prefix : prefixes) {
    const std::string dir = prefix + "/share/microfer/models";
    if (!std::ifstream(dir + "/microfer-resnet10.mfm")) continue;
    setenv("MICROFER_MODEL", (dir + "/microfer-resnet10.mfm").c_str(), /*overwrite=*/0);
    if (std::ifstream(dir + "/yunet/yunet_n_320_320.onnx"))
      setenv("MICROFER_YUNET_DIR", (dir + "/yunet").c_str(), 0);
    if (std::ifstream(dir + "/mtcnn/det1.caffemodel"))
      setenv("MICROFER_MTCNN_DIR", (dir + "/mtcnn").c_str(), 0);
    return;
  }
}
}  // namespace

PYBIND11_MODULE(microfer, m) {
  usePackagedModels();
  // LibTorch and OpenCV get one thread per core this process may use (LibTorch's own default
  // counts physical cores: 1 on a 2-vCPU VM); Python's allocator settings are left alone.
  microfer::configureThreads(0);
  m.doc() = kModuleDoc;
  m.attr("__version__") = MICROFER_VERSION;
  py::tuple emotions(microfer::kNumEmotions);
  for (int c = 0; c < microfer::kNumEmotions; ++c) emotions[c] = microfer::emotionNames()[c];
  m.attr("EMOTIONS") = emotions;

  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const FileMissing& e) {
      PyErr_SetString(PyExc_FileNotFoundError, e.what());
    }
  });

  py::class_<Labeller>(m, "Labeller", R"(A loaded pipeline (detector, aligner, model) for many images.

Labeller(detector="auto", tta="flip", model=None, min_confidence=None)

detector: "auto" (YuNet where its models are found, else MTCNN where its weights are, else
Haar), "yunet", "mtcnn" or "haar".
tta: test-time augmentation, "off", "flip" or "full".
model: a .mfm model file; None = the shipped default model.
min_confidence: faces whose top probability is below this are marked uncertain (their
label is kept); None = the model's calibrated threshold, 0 = never.
Calls from several threads are safe and take turns.)")
      .def(py::init(&makeLabeller), py::arg("detector") = kDefaultDetector, py::arg("tta") = kDefaultTta,
           py::arg("model") = py::none(), py::arg("min_confidence") = py::none())
      .def("label", &Labeller::label, py::arg("image"), kLabelDoc)
      .def("label_many", &Labeller::labelMany, py::arg("images"), py::arg("workers") = py::none(),
           py::arg("on_error") = "raise", kLabelManyDoc)
      .def_property_readonly("detector", &Labeller::detector,
                             "the detector in use: 'yunet', 'mtcnn' or 'haar' ('auto' resolved)")
      .def_property_readonly("tta", &Labeller::tta)
      .def_property_readonly("model", &Labeller::modelPath, "path of the model file")
      .def_property_readonly("model_name", &Labeller::modelName)
      .def_property_readonly("min_confidence", &Labeller::uncertainBelow,
                             "the threshold in force for 'uncertain'")
      .def("__repr__", [](const Labeller& l) {
        return "microfer.Labeller(detector='" + l.detector() + "', tta='" + l.tta() +
               "', model=" + py::repr(l.modelPath()).cast<std::string>() + ")";
      });

  m.def(
      "label_many",
      [](const py::iterable& images, const std::string& detector, const std::string& tta,
         const py::object& model, const py::object& minConfidence, const py::object& workers,
         const std::string& onError) {
        const std::shared_ptr<Labeller> labeller =
            cachedLabeller(makeConfig(detector, tta, model, minConfidence));
        return labeller->labelMany(images, workers, onError);
      },
      py::arg("images"), py::arg("detector") = kDefaultDetector, py::arg("tta") = kDefaultTta,
      py::arg("model") = py::none(), py::arg("min_confidence") = py::none(),
      py::arg("workers") = py::none(), py::arg("on_error") = "raise",
      "label_many(images, detector=\"auto\", tta=\"flip\", model=None, min_confidence=None, "
      "workers=None, on_error=\"raise\") -> list: Labeller.label_many with label()'s kept "
      "pipeline (see help(microfer.Labeller.label_many)).");

  m.def(
      "label",
      [](const py::object& image, const std::string& detector, const std::string& tta,
         const py::object& model, const py::object& minConfidence) {
        const std::shared_ptr<Labeller> labeller =
            cachedLabeller(makeConfig(detector, tta, model, minConfidence));
        return labeller->label(image);
      },
      py::arg("image"), py::arg("detector") = kDefaultDetector, py::arg("tta") = kDefaultTta,
      py::arg("model") = py::none(), py::arg("min_confidence") = py::none(),
      R"(label(image, detector="auto", tta="flip", model=None, min_confidence=None) -> list of dicts

One dict per face, largest first (see help(microfer)). image: a path (str or os.PathLike) or
a numpy uint8 array (H x W gray, H x W x 3 BGR, H x W x 4 BGRA); the other arguments are
those of microfer.Labeller. The pipeline of the last call is kept loaded and reused while
they stay the same: a loop over many images loads the model once.)");
}
