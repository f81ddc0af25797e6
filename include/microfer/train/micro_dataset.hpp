// Micro-expression data in the layout of CASME II: frame folders per subject and episode
// (ROOT/sub01/EP02_01f/img46.jpg) and a label sheet that gives each episode's onset, apex
// and offset frame and its estimated emotion.
#pragma once

#include <string>
#include <vector>

#include "microfer/train/dataset.hpp"
#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"

namespace microfer {

/// The common 5-class CASME II protocol: happiness, disgust, repression, surprise, others.
/// Fear and sadness (2 and 7 clips) are dropped.
const std::vector<std::string>& casme2FiveClasses();

/// One row of the label sheet.
struct MicroEpisode {
  std::string subject;  ///< as written in the sheet ("01", "1", "sub01"); the loader sets
                        ///< it to the subject folder it found ("sub01")
  std::string episode;  ///< episode folder name ("EP02_01f")
  /// Frame numbers (img<N>.jpg); -1 where the sheet has none ('/' or an empty cell).
  int onset = -1, apex = -1, offset = -1;
  std::string actionUnits;  ///< as written ("4+L10"); may be empty
  std::string emotion;      ///< trimmed, lower case ("happiness")
  std::string where;        ///< "sheet.csv:LINE"
};

/// What a sample shows.
enum class MicroInput {
  Apex,           ///< the apex frame
  ApexMinusOnset  ///< 128 + differenceGain * (apex - onset): the motion up to the apex
};

struct MicroOptions {
  int size = 48;  ///< crops are 8-bit gray, size x size (the network's input size)
  /// Label index -> emotion (lower case). Rows with another emotion of CASME II (fear,
  /// sadness, ...) are dropped and counted; an emotion CASME II does not have and that is
  /// not listed here is a DatasetError (a typo in the sheet should not vanish silently).
  std::vector<std::string> classes = casme2FiveClasses();
  MicroInput input = MicroInput::Apex;
  float differenceGain = 4.f;  ///< ApexMinusOnset: micro-movements change pixels by a few levels
  /// Rows without an apex frame number ('/' in a few CASME II rows, or an empty cell; also
  /// the onset with ApexMinusOnset): true -> skipped with a warning naming the line;
  /// false -> DatasetError naming the line.
  bool skipRowsWithoutApex = true;
  /// nullptr (the default): the frames are face crops already (CASME II's "Cropped"
  /// release) and are converted to gray and resized to size x size. Otherwise the largest
  /// face found in the apex frame is aligned with `geometry` (the onset frame, if used, with
  /// the same transform); frames where no face is found are resized whole and counted.
  FaceDetector* detector = nullptr;
  CropGeometry geometry;  ///< used with `detector`; its size is replaced by `size`
};

struct MicroDataset {
  /// One sample per kept row, in sheet order: the crop, its label (index into
  /// options.classes, which are also data.classNames), subject = the subject folder
  /// ("sub01"), path = the apex frame file.
  Dataset data;
  std::vector<MicroEpisode> episodes;  ///< the row of each sample, same order
  std::vector<std::string> skipped;    ///< "sheet.csv:LINE: why" for every row skipped
  int dropped = 0;                     ///< rows whose emotion is not in the class set
  int unaligned = 0;                   ///< with a detector: frames where no face was found
};

/// Reads a label sheet: a CSV export of CASME II's .xlsx (comma, semicolon or tab
/// separated; quoted fields; a UTF-8 byte-order mark is ignored; empty rows are skipped).
/// Header names are matched ignoring case, spaces and punctuation: Subject, Filename (or
/// Episode), OnsetFrame, ApexFrame, OffsetFrame, Action Units, Estimated Emotion (or
/// Emotion); Subject, Filename, ApexFrame and Estimated Emotion are required. Frame cells
/// hold a whole number ("46" or "46.0"), or '/' or nothing for none.
/// Throws DatasetError "sheet.csv:LINE: why" for the first malformed row.
std::vector<MicroEpisode> readMicroLabelSheet(const std::string& path);

/// Loads CASME II-style data: for every row of `labelSheet`, the frame
/// root/<subject folder>/<Filename>/img<ApexFrame>.jpg (also reg_img<N>, as in the Cropped
/// release, and .jpeg/.png/.bmp). The subject folder is sub<NN> (zero-padded to 2 digits),
/// sub<N>, or the cell as written, whichever exists.
/// Throws DatasetError naming the sheet and line for a malformed row, a missing subject or
/// episode folder, a missing or unreadable frame, and when no row is usable.
MicroDataset loadCasme2(const std::string& root, const std::string& labelSheet,
                        const MicroOptions& options = {});

}  // namespace microfer
