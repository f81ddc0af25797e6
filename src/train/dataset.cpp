#include "microfer/train/dataset.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>
#include <sstream>

#include "microfer/types.hpp"

namespace microfer {
namespace fs = std::filesystem;

std::vector<int> Dataset::classCounts() const {
  std::vector<int> counts(classNames.size(), 0);
  for (const auto& s : samples)
    if (s.label >= 0 && s.label < static_cast<int>(counts.size())) ++counts[s.label];
  return counts;
}

// CK+ folder names -> FER2013 names.
int expressionOfFolder(const std::string& folder) {
  static const std::map<std::string, std::string> aliases = {
      {"anger", "angry"}, {"sadness", "sad"}, {"surprised", "surprise"}, {"happiness", "happy"}};
  auto it = aliases.find(folder);
  return emotionIndex(it == aliases.end() ? folder : it->second);
}

namespace {

bool isImageFile(const fs::path& p) {
  const std::string ext = asciiLower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".pgm";
}
}  // namespace

Dataset loadImageFolder(const std::string& root, const FolderOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw DatasetError("data folder '" + root + "' not found");
  Dataset ds;
  ds.classNames.assign(emotionNames().begin(), emotionNames().end());
  std::map<std::string, std::string> persons;
  if (!options.splitPart.empty()) {
    if (options.splitFile.empty())
      throw DatasetError("a split part ('" + options.splitPart + "') needs a split list");
    persons = readPersonSplit(options.splitFile);
  }
  std::vector<fs::path> classDirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) classDirs.push_back(e.path());
  std::sort(classDirs.begin(), classDirs.end());
  for (const auto& dir : classDirs) {
    const std::string name = dir.filename().string();
    const int label = expressionOfFolder(name);
    if (label < 0) {
      if (name == "contempt" || options.skipUnknownClasses) {
        spdlog::info("skipping folder '{}': not one of the 7 expressions", dir.string());
        continue;
      }
      throw DatasetError("data folder '" + dir.string() + "': unknown expression '" + name +
                         "' (expected one of angry, disgust, fear, happy, sad, surprise, "
                         "neutral)");
    }
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(dir))
      if (f.is_regular_file() && isImageFile(f.path())) files.push_back(f.path());
    if (files.empty()) throw DatasetError("class folder '" + dir.string() + "' contains no images");
    std::sort(files.begin(), files.end());
    int kept = 0;
    for (const auto& f : files) {
      const std::string fname = f.filename().string();
      if (!options.filePrefix.empty() && fname.rfind(options.filePrefix, 0) != 0) continue;
      if (!options.splitPart.empty()) {
        const auto it = persons.find(photoPerson(fname));
        if (it == persons.end())
          throw DatasetError("split list '" + options.splitFile + "' does not name the person of '" +
                             f.string() + "'");
        if (it->second != options.splitPart) continue;
      }
      if (options.maxPerClass > 0 && kept >= options.maxPerClass) break;
      cv::Mat img = cv::imread(f.string(), cv::IMREAD_GRAYSCALE);
      if (img.empty()) throw DatasetError("cannot read image '" + f.string() + "'");
      if (img.rows != options.size || img.cols != options.size)
        cv::resize(img, img, cv::Size(options.size, options.size), 0, 0, cv::INTER_AREA);
      ds.samples.push_back({img, label, f.string(), ckSubject(fname)});
      ++kept;
    }
  }
  if (ds.samples.empty())
    throw DatasetError(
        "data folder '" + root + "' holds no usable images" +
        (options.filePrefix.empty() ? "" : " with prefix '" + options.filePrefix + "'") +
        (options.splitPart.empty() ? "" : " in part '" + options.splitPart + "'"));
  return ds;
}

namespace {
void readOnePersonSplit(const std::string& path, std::map<std::string, std::string>& out) {
  std::ifstream in(path);
  if (!in) throw DatasetError("cannot open split list '" + path + "'");
  std::string line;
  long lineNo = 0;
  size_t named = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || line == "person,part") continue;
    const auto comma = line.rfind(',');
    const std::string part = comma == std::string::npos ? "" : line.substr(comma + 1);
    if (comma == 0 || (part != "train" && part != "val" && part != "test"))
      throw DatasetError(path + ":" + std::to_string(lineNo) +
                         ": expected 'person,part' with part train, val or test");
    const auto [it, fresh] = out.emplace(line.substr(0, comma), part);
    if (!fresh && it->second != part)
      throw DatasetError(path + ":" + std::to_string(lineNo) + ": '" + it->first + "' is in " +
                         it->second + " in an earlier list and in " + part + " here");
    ++named;
  }
  if (named == 0) throw DatasetError("split list '" + path + "' names no person");
}
}  // namespace

std::map<std::string, std::string> readPersonSplit(const std::string& paths) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = paths.find(',', start)) != std::string::npos; start = comma + 1)
    readOnePersonSplit(paths.substr(start, comma - start), out);
  readOnePersonSplit(paths.substr(start), out);
  return out;
}

std::string photoPerson(const std::string& fileName) {
  const std::string stem = fs::path(fileName).stem().string();
  const auto us = stem.rfind('_');
  if (us == std::string::npos || us + 1 == stem.size()) return stem;
  for (size_t i = us + 1; i < stem.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(stem[i]))) return stem;
  return stem.substr(0, us);
}

Dataset loadFer2013Csv(const std::string& path, CsvUsage usage) {
  std::ifstream in(path);
  if (!in) throw DatasetError("cannot open CSV file '" + path + "'");
  Dataset ds;
  ds.classNames.assign(emotionNames().begin(), emotionNames().end());
  std::string line;
  long lineNo = 0;
  const auto fail = [&](const std::string& why) {
    return DatasetError(path + ":" + std::to_string(lineNo) + ": " + why);
  };
  if (!std::getline(in, line)) {
    lineNo = 1;
    throw fail("empty file (expected header 'emotion,pixels,Usage')");
  }
  ++lineNo;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("emotion,pixels", 0) != 0)
    throw fail("bad header '" + line.substr(0, 40) + "' (expected 'emotion,pixels,Usage')");
  const bool hasUsage = line.find(",Usage") != std::string::npos;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, ',')) cols.push_back(col);
    if (cols.size() != (hasUsage ? 3u : 2u))
      throw fail("expected " + std::to_string(hasUsage ? 3 : 2) + " columns, found " +
                 std::to_string(cols.size()));
    int label = -1;
    try {
      size_t used = 0;
      label = std::stoi(cols[0], &used);
      if (used != cols[0].size()) label = -1;
    } catch (const std::exception&) {
      label = -1;
    }
    if (label < 0 || label >= kNumEmotions)
      throw fail("unknown label '" + cols[0] + "' (expected 0..6)");
    if (hasUsage) {
      const std::string& u = cols[2];
      if (u != "Training" && u != "PublicTest" && u != "PrivateTest")
        throw fail("unknown Usage '" + u + "'");
      if ((usage == CsvUsage::Training && u != "Training") ||
          (usage == CsvUsage::PublicTest && u != "PublicTest") ||
          (usage == CsvUsage::PrivateTest && u != "PrivateTest"))
        continue;
    }
    cv::Mat img(48, 48, CV_8UC1);
    std::stringstream px(cols[1]);
    int count = 0;
    std::string tok;
    while (px >> tok) {
      int v = -1;
      try {
        size_t used = 0;
        v = std::stoi(tok, &used);
        if (used != tok.size()) v = -1;
      } catch (const std::exception&) {
        v = -1;
      }
      if (v < 0 || v > 255) throw fail("pixel " + std::to_string(count) + " is '" + tok + "'");
      if (count >= 48 * 48) throw fail("more than 2304 pixels");
      img.data[count++] = static_cast<uchar>(v);
    }
    if (count != 48 * 48) throw fail("expected 2304 pixels, found " + std::to_string(count));
    ds.samples.push_back({img, label, path + ":" + std::to_string(lineNo), ""});
  }
  if (ds.samples.empty()) throw DatasetError("CSV file '" + path + "' holds no rows for the split");
  return ds;
}

std::string ckSubject(const std::string& fileName) {
  if (fileName.size() >= 4 && fileName[0] == 'S' && std::isdigit(fileName[1]) &&
      std::isdigit(fileName[2]) && std::isdigit(fileName[3]))
    return fileName.substr(0, 4);
  return "";
}

std::vector<int> subjectFolds(const std::vector<Sample>& samples, int k, unsigned seed) {
  if (k < 2) throw std::invalid_argument("need at least 2 folds");
  std::map<std::string, std::vector<size_t>> bySubject;
  for (size_t i = 0; i < samples.size(); ++i)
    bySubject[samples[i].subject.empty() ? "#" + std::to_string(i) : samples[i].subject].push_back(
        i);
  std::vector<const std::vector<size_t>*> groups;
  for (const auto& kv : bySubject) groups.push_back(&kv.second);
  std::mt19937 rng(seed);
  std::shuffle(groups.begin(), groups.end(), rng);
  // Larger subjects first keeps the folds balanced (stable for equal sizes).
  std::stable_sort(groups.begin(), groups.end(),
                   [](auto* a, auto* b) { return a->size() > b->size(); });
  std::vector<int> fold(samples.size(), -1);
  std::vector<size_t> load(k, 0);
  for (const auto* g : groups) {
    const int f = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    for (size_t i : *g) fold[i] = f;
    load[f] += g->size();
  }
  return fold;
}

}  // namespace microfer
