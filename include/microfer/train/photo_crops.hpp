// Training crops from photo sets (lfw-expressions, ...): the project's own detector and
// aligner cut each face out with the geometry used at inference, and the crops are cached
// as a folder per class that loadImageFolder() reads.
#pragma once

#include <string>
#include <vector>

#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"

namespace microfer {

struct PhotoCropOptions {
  DetectorConfig detector;  ///< MTCNN by default at the call sites: the inference default
  CropGeometry geometry;    ///< the model's crop geometry (ModelInfo::crop)
  /// Tight face crops need context for a detector: each photo is padded by this fraction of
  /// its longer side on every side (mid-grey) before detection. 0 = as it is.
  float pad = 0.25f;
};

struct PhotoCropReport {
  int photos = 0, found = 0;     ///< photos read, photos with a face (the largest is kept)
  std::vector<int> photosPerClass, foundPerClass;  ///< by emotionNames() index
  bool fromCache = false;  ///< the cache was complete and made with the same settings
  double foundShare() const { return photos ? double(found) / photos : 0.0; }
};

/// Crops every photo of `photoRoot/<class>/*` into `cacheRoot/<class>/<stem>.png` (CV_8UC1,
/// geometry.size square). Photos with no face are listed, not cropped. `cacheRoot/crops.csv`
/// records every photo (file, found, detector score) and `cacheRoot/settings.txt` the settings;
/// when the settings are unchanged and crops.csv is complete, nothing is recomputed.
/// Folders that are not one of the 7 expressions (lfw-expressions' "contempt") are skipped.
PhotoCropReport cropPhotoFolder(const std::string& photoRoot, const std::string& cacheRoot,
                                const PhotoCropOptions& options);

}  // namespace microfer
