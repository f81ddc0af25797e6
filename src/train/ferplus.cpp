#include "microfer/train/ferplus.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "microfer/types.hpp"

namespace microfer {
namespace {

// FER+ column -> index into emotionNames() (angry, disgust, fear, happy, sad, surprise,
// neutral); -1 for contempt, unknown and not-a-face.
constexpr int kOurClass[kFerPlusColumns] = {6, 3, 5, 4, 0, 1, 2, -1, -1, -1};

std::vector<std::string> splitComma(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

/// "…/fer2013/train/angry/Training_1.jpg" -> "train/angry/Training_1.jpg": FER2013's file
/// names repeat across class folders (Training_8475486.jpg is in angry/ and surprise/).
std::string lastThree(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path().parent_path().filename() / p.parent_path().filename() / p.filename())
      .generic_string();
}

}  // namespace

FerPlusTable readFerPlusVotes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DatasetError("cannot open FER+ votes '" + path + "'");
  std::string line;
  long lineNo = 1;
  const auto fail = [&](const std::string& why) {
    return DatasetError(path + ":" + std::to_string(lineNo) + ": " + why);
  };
  if (!std::getline(in, line)) throw fail("empty file");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  // The shared form: file,usage,ferplus_image,<ten counts>,match_rmse. FER+'s own
  // fer2013new.csv: Usage,Image name,<ten counts>.
  const bool keyedByFile = line.rfind("file,usage,ferplus_image,neutral", 0) == 0;
  const bool byRow = line.rfind("Usage,Image name,neutral", 0) == 0;
  if (!keyedByFile && !byRow)
    throw fail("unknown header '" + line.substr(0, 50) +
               "' (expected FER+'s fer2013new.csv, 'Usage,Image name,neutral,...', or "
               "'file,usage,ferplus_image,neutral,...')");
  const size_t first = keyedByFile ? 3 : 2;
  FerPlusTable table;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = splitComma(line);
    if (f.size() < first + kFerPlusColumns)
      throw fail("expected " + std::to_string(first + kFerPlusColumns) + " columns, found " +
                 std::to_string(f.size()));
    // Images FER+ left out: empty counts (shared form) or no image name (fer2013new.csv).
    if ((keyedByFile && f[first].empty()) || (byRow && f[1].empty())) continue;
    FerPlusVotes v{};
    for (int c = 0; c < kFerPlusColumns; ++c) {
      const std::string& cell = f[first + c];
      size_t used = 0;
      double x = -1;
      try {
        x = std::stod(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != cell.size() || !(x >= 0 && x <= 1000))
        throw fail("vote count '" + cell + "' is not a number of votes");
      v[c] = static_cast<float>(x);
    }
    const std::string key = keyedByFile ? lastThree(f[0]) : "row " + std::to_string(lineNo);
    if (!table.emplace(key, v).second) throw fail("'" + key + "' has votes twice");
  }
  if (table.empty()) throw DatasetError("FER+ votes '" + path + "' hold no image's votes");
  return table;
}

std::string ferPlusKey(const Sample& sample) {
  const auto colon = sample.path.rfind(':');
  if (colon != std::string::npos && colon >= 4 &&
      asciiLower(sample.path.substr(colon - 4, 4)) == ".csv")
    return "row " + sample.path.substr(colon + 1);
  return lastThree(sample.path);
}

std::vector<float> ferPlusTarget(const FerPlusVotes& votes) {
  const float top = *std::max_element(votes.begin(), votes.end());
  if (!(top > 0) || votes[kFpUnknown] == top || votes[kFpNotFace] == top) return {};
  const bool someoneAgrees = std::any_of(votes.begin(), votes.begin() + kFpContempt,
                                         [](float v) { return v >= 2; });
  std::vector<float> t(kNumEmotions, 0.f);
  float sum = 0;
  for (int c = 0; c < kFerPlusColumns; ++c) {
    if (kOurClass[c] < 0) continue;
    const float v = someoneAgrees && votes[c] < 2 ? 0.f : votes[c];
    t[kOurClass[c]] = v;
    sum += v;
  }
  if (!(sum > 0)) return {};
  for (float& x : t) x /= sum;
  return t;
}

int ferPlusMajority(const FerPlusVotes& votes) {
  const auto top = std::max_element(votes.begin(), votes.end());
  if (!(*top > 0) || std::count(votes.begin(), votes.end(), *top) != 1) return -1;
  return kOurClass[top - votes.begin()];
}

FerPlusApplied applyFerPlusVotes(Dataset& data, const FerPlusTable& table, FerPlusUse use) {
  FerPlusApplied r;
  std::set<int> voted;
  for (const auto& s : data.samples)
    if (table.count(ferPlusKey(s))) voted.insert(s.source);
  std::vector<Sample> kept;
  kept.reserve(data.samples.size());
  for (auto& s : data.samples) {
    if (!voted.count(s.source)) {
      kept.push_back(std::move(s));
      continue;
    }
    const auto it = table.find(ferPlusKey(s));
    if (it == table.end()) {
      ++r.unmatched;
      continue;
    }
    ++r.matched;
    std::vector<float> target = ferPlusTarget(it->second);
    const int label = use == FerPlusUse::Majority
                          ? ferPlusMajority(it->second)
                          : target.empty() ? -1
                                           : int(std::max_element(target.begin(), target.end()) -
                                                 target.begin());
    if (label < 0 || target.empty()) continue;
    ++r.kept;
    r.relabelled += label != s.label;
    s.originalLabel = s.label;
    s.label = label;
    s.target = std::move(target);
    kept.push_back(std::move(s));
  }
  data.samples = std::move(kept);
  if (data.samples.empty()) throw DatasetError("no image is left after applying the FER+ votes");
  return r;
}

}  // namespace microfer
