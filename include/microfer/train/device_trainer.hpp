// The tensor trainer: the training recipe of trainer.hpp with the data and its augmentation
// kept as tensors on the training device (a CUDA GPU where there is one), so the GPU is not
// starved by per-image OpenCV work. Needs LibTorch only (no OpenCV, spdlog or JSON library),
// so it also builds on machines that have nothing but LibTorch (src/device/CMakeLists.txt).
//
// Data comes as a crop pack (`microfer-train pack` writes one from an image folder or
// fer2013.csv); the trained weights go to a portable weights file (.mfw) that
// `microfer-train export --weights` turns into a model file (.mfm) on the machine that
// ships it, whatever LibTorch version wrote it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "microfer/train/augment_config.hpp"
#include "microfer/classify/network.hpp"
#include "microfer/train/train_schedule.hpp"

namespace microfer {

/// Gray square crops with labels, as stored in a crop pack file (.mfc).
/// Layout (little-endian): 8 bytes "MFCROPS1"; u32 count, size, classes; per class u32
/// length + UTF-8 name; count label bytes; count*size*size pixel bytes (row-major);
/// u64 FNV-1a checksum over everything after the magic.
struct CropPack {
  int size = 48;
  std::vector<std::string> classNames;
  std::vector<uint8_t> labels;  ///< one per crop, < classNames.size()
  std::vector<uint8_t> pixels;  ///< count * size * size
  size_t count() const { return labels.size(); }
  std::vector<int> classCounts() const;
};

/// Throws std::runtime_error naming the file on any problem (missing, truncated, foreign,
/// checksum mismatch, inconsistent sizes).
void writeCropPack(const std::string& path, const CropPack& pack);
CropPack readCropPack(const std::string& path);

/// A network's weights and everything needed to rebuild it, independent of LibTorch's own
/// archive format (.mfw). Layout: 8 bytes "MFWEIGHT"; u64 length + "key=value" lines
/// (network, normalisation, class names); the tensors in MicroFER's tensor encoding
/// (tensor_codec.hpp, as in a .mfm); u64 FNV-1a checksum over everything after the magic.
struct PortableWeights {
  NetworkConfig network;
  float mean = 0.5f, stdDev = 0.25f;
  std::vector<std::string> classNames;
  std::string notes;  ///< one line: how the weights were trained
};

void writeWeights(const std::string& path, MicroAttentionResNet& model,
                  const PortableWeights& info);
/// Reads a weights file into a new network (CPU, eval mode). Throws std::runtime_error
/// naming the file.
MicroAttentionResNet readWeights(const std::string& path, PortableWeights& info);

/// Geometric augmentation of a batch: x is N x 1 x S x S float on any device; angleDeg,
/// scale, shiftX, shiftY (fractions of the side) and flip (0/1) are N-element tensors.
/// Same transform as augmentCrop() in augment.hpp: rotation and scale about the crop
/// centre, then the shift, then a horizontal mirror; bilinear, border reflected.
torch::Tensor warpBatch(const torch::Tensor& x, const torch::Tensor& angleDeg,
                        const torch::Tensor& scale, const torch::Tensor& shiftX,
                        const torch::Tensor& shiftY, const torch::Tensor& flip);

/// augmentCrop() for a whole batch on its device: random warp, brightness/contrast,
/// normalisation ((v/255 - mean)/std) and random erasing (normal noise), drawn from
/// LibTorch's generator. `pixels` is N x 1 x S x S uint8; returns float.
torch::Tensor augmentBatch(const torch::Tensor& pixels, const AugmentConfig& config, float mean,
                           float stdDev);

struct DeviceTrainConfig {
  NetworkConfig network;
  int epochs = 120;
  int batchSize = 128;
  double lr = 0.05, momentum = 0.9, weightDecay = 5e-4, labelSmoothing = 0.1;
  double warmupEpochs = 1.0;
  ClassBalance balance = ClassBalance::Sqrt;
  AugmentConfig augment;
  float mean = 0.5f, stdDev = 0.25f;
  unsigned seed = 1;
  std::string outDir = "runs/device";  ///< best.mfw, last.mfw, metrics.csv
  /// >0: after the third epoch the cosine schedule is shortened so that the run ends
  /// within this many seconds (a whole schedule rather than a cut-off one).
  double budgetSeconds = 0;
  int maxBatchesPerEpoch = 0;  ///< >0 limits each epoch (tests)
  bool cpu = false;            ///< train on the CPU even where CUDA is present
  bool quiet = false;
  std::string notes;
};

struct DeviceTrainResult {
  std::vector<EpochMetrics> history;
  int epochs = 0;     ///< length of the schedule actually run (after any budget cut)
  int bestEpoch = 0;  ///< best validation accuracy (TTA off); the last epoch without val
  std::string device;
};

/// Trains on `train`, validating on `val` (may be null) after every epoch; writes
/// outDir/last.mfw and outDir/best.mfw after every epoch and outDir/metrics.csv.
DeviceTrainResult trainOnDevice(const CropPack& train, const CropPack* val,
                                const DeviceTrainConfig& config);

}  // namespace microfer
