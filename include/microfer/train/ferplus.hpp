// FER+ crowd votes (Barsoum et al. 2016): ten human raters per FER2013 image, as a training
// target (the raters' distribution over the 7 classes) and as a reference to score against
// (the unique majority). See models/MODEL_CARD.md, "FER+ votes".
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "microfer/train/dataset.hpp"

namespace microfer {

/// FER+'s ten vote columns, in its own order.
enum FerPlusColumn {
  kFpNeutral, kFpHappiness, kFpSurprise, kFpSadness, kFpAnger, kFpDisgust, kFpFear,
  kFpContempt, kFpUnknown, kFpNotFace, kFerPlusColumns
};
using FerPlusVotes = std::array<float, kFerPlusColumns>;

/// The votes of a set of images, keyed by ferPlusKey(): part/class/file for image folders
/// ("test/angry/PrivateTest_10131363.jpg": FER2013's file names alone repeat across class
/// folders), "row N" (N = the line in fer2013.csv) for the CSV.
using FerPlusTable = std::map<std::string, FerPlusVotes>;

/// Reads either form of FER+'s votes, told apart by the header:
///  - the shared form keyed by file (header "file,usage,ferplus_image,neutral,...,NF,..."):
///    rows with empty vote fields (images FER+ left out) are skipped;
///  - FER+'s own fer2013new.csv ("Usage,Image name,neutral,...,NF"), whose row i holds the
///    votes of row i of the original fer2013.csv: keyed "row N" with N the line of that row
///    in fer2013.csv (the same line number in both files); rows without an image name (left
///    out by FER+) are skipped.
/// Throws DatasetError naming the file and line of a malformed row.
FerPlusTable readFerPlusVotes(const std::string& path);

/// The key of a sample in a FerPlusTable: "row N" for a fer2013.csv row ("file.csv:N"), else
/// the last three parts of its path (part/class/file).
std::string ferPlusKey(const Sample& sample);

/// What happens to the votes outside our 7 classes and to stray votes (MODEL_CARD.md):
///  - a vote cast by one rater alone (count 1) is dropped as an outlier where another class
///    has two or more (Barsoum et al.'s outlier removal);
///  - contempt, unknown and not-a-face votes are dropped and the rest renormalised; an image
///    whose largest count is unknown or not-a-face, or with no vote left in the 7 classes,
///    has no target (it is left out).
/// Returns the 7-class distribution in emotionNames() order, or an empty vector.
std::vector<float> ferPlusTarget(const FerPlusVotes& votes);

/// The raters' unique majority among our 7 classes: the class with strictly more votes than
/// any other column (the other 6, contempt, unknown and not-a-face included); -1 where the
/// top count is shared or is not one of the 7.
int ferPlusMajority(const FerPlusVotes& votes);

/// How votes replace the labels of a data set's images.
enum class FerPlusUse {
  Target,   ///< training: Sample::target = ferPlusTarget(), label = its argmax
  Majority  ///< scoring: label = ferPlusMajority(), target = ferPlusTarget()
};

struct FerPlusApplied {
  int matched = 0;    ///< images that had votes in the table
  int kept = 0;       ///< of those, kept (with a target, or a unique majority)
  int unmatched = 0;  ///< images of a voted source without votes (left out)
  int relabelled = 0; ///< kept images whose new label differs from the original one
};

/// Gives the images of `data` their votes. A source (Sample::source) with at least one image
/// in `table` is a voted source: its images without votes, and those left without a target
/// (Target) or a unique majority (Majority), are removed; other sources are untouched. The
/// original label stays in Sample::originalLabel.
FerPlusApplied applyFerPlusVotes(Dataset& data, const FerPlusTable& table, FerPlusUse use);

}  // namespace microfer
