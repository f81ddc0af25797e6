// Labelled face-crop data sets for training and evaluation.
#pragma once

#include <map>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace microfer {

/// Thrown for malformed data: the message names the file (and line for CSV files).
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Sample {
  cv::Mat image;        ///< CV_8UC1, resized to the data set's size
  int label = -1;       ///< index into emotionNames() (or an 8th class for CK+ contempt)
  std::string path;     ///< source file ("file.csv:LINE" for CSV rows)
  std::string subject;  ///< CK+ subject (S###), empty where unknown
  int source = 0;       ///< which data set of a multi-source training set (index)
  /// A soft target over the classes (sums to 1), e.g. the FER+ raters' votes
  /// (applyFerPlusVotes); empty: the hard label is the target.
  std::vector<float> target{};
  int originalLabel = -1;  ///< the data set's own label where votes replaced it, else -1
};

struct Dataset {
  std::vector<Sample> samples;
  std::vector<std::string> classNames;  ///< label index -> name
  std::vector<int> classCounts() const;
};

/// Options for folder-per-class data (FER2013 image folders, CK+48).
struct FolderOptions {
  int size = 48;  ///< images are converted to gray and resized to size x size
  /// Keep only files whose name starts with this prefix ("PublicTest_", "PrivateTest_");
  /// empty keeps all.
  std::string filePrefix;
  /// Folders whose name is not a known expression: false -> DatasetError, true -> skipped
  /// with a warning. CK+ "contempt" is always skipped (not one of the 7 classes).
  bool skipUnknownClasses = false;
  /// Keep at most this many images per class (0 = all); the first ones in sorted order.
  int maxPerClass = 0;
  /// Person-level split (photo sets such as lfw-expressions): a CSV of "person,part" lines
  /// (see data/lfw-expressions-split.csv); with `splitPart` set, only files whose person
  /// (photoPerson()) the list assigns to that part are kept. A person missing from the list
  /// is a DatasetError: the list must cover the folder.
  std::string splitFile;
  std::string splitPart;  ///< "train", "val" or "test"
};

/// The expression index of a class folder's name: FER2013's names and CK+'s ("anger",
/// "sadness", ...); -1 for any other (CK+'s "contempt" included).
int expressionOfFolder(const std::string& folder);

/// Reads a person-level split list ("person,part" lines; '#' comments; a header line
/// "person,part"). Several lists may be joined by commas ("A.csv,B.csv", e.g. lfw-expressions
/// and CK+48): their persons are merged, and a person put in two parts is refused. Throws
/// DatasetError on a malformed line, an unknown part or an empty list.
std::map<std::string, std::string> readPersonSplit(const std::string& paths);

/// The person of a photo file name: the stem without its trailing "_NUMBER"
/// ("George_W_Bush_0012.jpg" -> "George_W_Bush"); a stem without one is its own person.
std::string photoPerson(const std::string& fileName);

/// Loads `root/<class>/<image>` where <class> is an FER2013 name (angry, disgust, fear,
/// happy, sad, surprise, neutral) or a CK+ name (anger, sadness, ...). Files are read in
/// sorted order, so the result is deterministic. Throws DatasetError on an empty class
/// folder, an unknown class folder (unless skipped), an unreadable image or no data.
Dataset loadImageFolder(const std::string& root, const FolderOptions& options = {});

/// Which rows of fer2013.csv to keep, by its Usage column.
enum class CsvUsage { All, Training, PublicTest, PrivateTest };

/// Loads the original fer2013.csv (header "emotion,pixels,Usage"; pixels = 2304
/// space-separated values 0..255). Throws DatasetError naming the file and line of the
/// first malformed row.
Dataset loadFer2013Csv(const std::string& path, CsvUsage usage = CsvUsage::All);

/// The subject of a CK+ file name ("S005_001_00000011.png" -> "S005"); empty if none.
std::string ckSubject(const std::string& fileName);

/// Splits samples into k folds by subject: no subject appears in two folds. Subjects are
/// shuffled with `seed` and dealt greedily to the currently smallest fold. Returns the
/// fold index of every sample. Samples without a subject are treated as their own subject.
std::vector<int> subjectFolds(const std::vector<Sample>& samples, int k, unsigned seed);

}  // namespace microfer
