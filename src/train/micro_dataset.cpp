#include "microfer/train/micro_dataset.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <tuple>

#include "microfer/capture/image_io.hpp"
#include "microfer/types.hpp"

namespace microfer {
namespace fs = std::filesystem;

const std::vector<std::string>& casme2FiveClasses() {
  static const std::vector<std::string> names = {"happiness", "disgust", "repression", "surprise",
                                                 "others"};
  return names;
}

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// "Estimated Emotion", "estimated_emotion" -> "estimatedemotion".
std::string headerKey(const std::string& s) {
  std::string k;
  for (unsigned char c : s)
    if (std::isalnum(c)) k += static_cast<char>(std::tolower(c));
  return k;
}

// Splits one CSV line; quoted fields may hold the separator and doubled quotes.
// Returns false on an unterminated quote.
bool splitFields(const std::string& line, char sep, std::vector<std::string>& out) {
  out.assign(1, "");
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  for (auto& f : out) f = trim(f);
  return !quoted;
}

// The separator Excel used: the most frequent of ',', ';' and tab in the header.
char guessSeparator(const std::string& header) {
  char best = ',';
  long most = 0;
  for (char c : {',', ';', '\t'}) {
    const long n = std::count(header.begin(), header.end(), c);
    if (n > most) {
      most = n;
      best = c;
    }
  }
  return best;
}

enum Column { kSubject, kEpisode, kOnset, kApex, kOffset, kUnits, kEmotion, kColumns };

Column columnOf(const std::string& key) {
  static const std::map<std::string, Column> aliases = {
      {"subject", kSubject},          {"sub", kSubject},
      {"filename", kEpisode},         {"episode", kEpisode},
      {"onsetframe", kOnset},         {"onset", kOnset},
      {"apexframe", kApex},           {"apex", kApex},
      {"offsetframe", kOffset},       {"offset", kOffset},
      {"actionunits", kUnits},        {"aus", kUnits},
      {"estimatedemotion", kEmotion}, {"emotion", kEmotion}};
  const auto it = aliases.find(key);
  return it == aliases.end() ? kColumns : it->second;
}

// A frame cell: "46", "46.0" -> 46; "/" or "" -> -1; anything else -> false.
bool parseFrame(const std::string& cell, int& frame) {
  frame = -1;
  if (cell.empty() || cell == "/") return true;
  size_t digits = 0;
  while (digits < cell.size() && std::isdigit(static_cast<unsigned char>(cell[digits]))) ++digits;
  if (digits == 0 || digits > 9) return false;
  if (digits < cell.size()) {  // Excel may write whole numbers as "46.0"
    if (cell[digits] != '.') return false;
    for (size_t i = digits + 1; i < cell.size(); ++i)
      if (cell[i] != '0') return false;
  }
  frame = std::stoi(cell.substr(0, digits));
  return true;
}

// "01", "1", "sub01", "Sub1" -> 1; -1 if the cell is none of these.
int subjectNumber(const std::string& cell) {
  std::string s = asciiLower(cell);
  if (s.rfind("sub", 0) == 0) s = s.substr(3);
  int n = -1;
  if (!parseFrame(s, n)) return -1;
  return n;
}

// The subject folder of a sheet cell: sub<NN>, sub<N> or the cell itself, whichever exists.
fs::path subjectFolder(const fs::path& root, const std::string& cell) {
  const int n = subjectNumber(cell);
  char padded[32];
  std::snprintf(padded, sizeof padded, "sub%02d", n);
  for (const std::string& name : {std::string(padded), "sub" + std::to_string(n), cell}) {
    std::error_code ec;
    if (fs::is_directory(root / name, ec)) return root / name;
  }
  return root / padded;
}

// img<N>.jpg (the RAW release) or reg_img<N>.jpg (the Cropped release), any image type.
fs::path findFrame(const fs::path& episodeDir, int frame) {
  for (const char* prefix : {"img", "reg_img"})
    for (const char* ext : {".jpg", ".jpeg", ".png", ".bmp"}) {
      const fs::path p = episodeDir / (prefix + std::to_string(frame) + ext);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p;
    }
  return {};
}

// CASME II's own emotions: rows with one of these that is not in the class set are dropped.
bool isCasme2Emotion(const std::string& e) {
  static const std::vector<std::string> all = {"happiness", "disgust", "repression", "surprise",
                                               "others",    "fear",    "sadness"};
  return std::find(all.begin(), all.end(), e) != all.end();
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<MicroEpisode> readMicroLabelSheet(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DatasetError("cannot open label sheet '" + path + "'");
  long lineNo = 0;
  const auto fail = [&](const std::string& why) {
    return DatasetError(path + ":" + std::to_string(lineNo) + ": " + why);
  };
  std::string line;
  if (!std::getline(in, line)) {
    lineNo = 1;
    throw fail(
        "empty file (expected a header with Subject, Filename, ApexFrame, Estimated "
        "Emotion)");
  }
  ++lineNo;
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // Excel's "CSV UTF-8"
  const char sep = guessSeparator(line);
  std::vector<std::string> fields;
  if (!splitFields(line, sep, fields)) throw fail("unterminated quote in the header");
  std::vector<int> index(kColumns, -1);
  for (size_t i = 0; i < fields.size(); ++i) {
    const Column c = columnOf(headerKey(fields[i]));
    if (c != kColumns && index[c] < 0) index[c] = static_cast<int>(i);
  }
  static const char* required[] = {"Subject", "Filename",         "", "ApexFrame", "",
                                   "",        "Estimated Emotion"};
  for (int c = 0; c < kColumns; ++c)
    if (required[c][0] && index[c] < 0)
      throw fail(std::string("no '") + required[c] + "' column in the header '" + line + "'");
  const int needed = *std::max_element(index.begin(), index.end()) + 1;

  std::vector<MicroEpisode> rows;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!splitFields(line, sep, fields)) throw fail("unterminated quote");
    if (std::all_of(fields.begin(), fields.end(), [](const auto& f) { return f.empty(); }))
      continue;  // Excel exports trailing empty rows
    if (static_cast<int>(fields.size()) < needed)
      throw fail("expected at least " + std::to_string(needed) + " columns, found " +
                 std::to_string(fields.size()));
    const auto cell = [&](Column c) { return index[c] < 0 ? std::string() : fields[index[c]]; };
    MicroEpisode e;
    e.where = path + ":" + std::to_string(lineNo);
    e.subject = cell(kSubject);
    if (subjectNumber(e.subject) < 0)
      throw fail("subject '" + e.subject + "' is not a number or sub<number>");
    e.episode = cell(kEpisode);
    if (e.episode.empty()) throw fail("empty Filename (the episode folder)");
    const std::tuple<Column, const char*, int*> frames[] = {{kOnset, "OnsetFrame", &e.onset},
                                                            {kApex, "ApexFrame", &e.apex},
                                                            {kOffset, "OffsetFrame", &e.offset}};
    for (const auto& [c, name, dst] : frames)
      if (!parseFrame(cell(c), *dst))
        throw fail(std::string(name) + " '" + cell(c) + "' is not a frame number");
    e.actionUnits = cell(kUnits);
    e.emotion = asciiLower(cell(kEmotion));
    if (e.emotion.empty()) throw fail("empty Estimated Emotion");
    rows.push_back(std::move(e));
  }
  return rows;
}

MicroDataset loadCasme2(const std::string& root, const std::string& labelSheet,
                        const MicroOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw DatasetError("frame folder '" + root + "' not found");
  if (options.classes.empty()) throw std::invalid_argument("empty class set");
  std::vector<std::string> classes;
  for (const auto& c : options.classes) classes.push_back(asciiLower(trim(c)));
  const std::vector<MicroEpisode> rows = readMicroLabelSheet(labelSheet);
  const bool difference = options.input == MicroInput::ApexMinusOnset;
  CropGeometry geometry = options.geometry;
  geometry.size = options.size;
  const FaceAligner aligner(geometry);

  MicroDataset out;
  out.data.classNames = classes;
  for (MicroEpisode e : rows) {
    const auto fail = [&](const std::string& why) { return DatasetError(e.where + ": " + why); };
    const auto label = std::find(classes.begin(), classes.end(), e.emotion) - classes.begin();
    if (label == static_cast<long>(classes.size())) {
      if (!isCasme2Emotion(e.emotion))
        throw fail("emotion '" + e.emotion + "' is neither in the class set (" + joined(classes) +
                   ") nor one of CASME II's");
      ++out.dropped;
      continue;
    }
    if (e.apex < 0 || (difference && e.onset < 0)) {
      const std::string why = std::string(e.apex < 0 ? "no apex" : "no onset") +
                              " frame number (the sheet has '/' or nothing)";
      if (!options.skipRowsWithoutApex) throw fail(why);
      spdlog::warn("{}: skipped: {}", e.where, why);
      out.skipped.push_back(e.where + ": " + why);
      continue;
    }
    const fs::path subjectDir = subjectFolder(root, e.subject);
    if (!fs::is_directory(subjectDir, ec))
      throw fail("subject folder '" + subjectDir.string() + "' not found");
    const fs::path episodeDir = subjectDir / e.episode;
    if (!fs::is_directory(episodeDir, ec))
      throw fail("episode folder '" + episodeDir.string() + "' not found");
    e.subject = subjectDir.filename().string();
    const auto readFrame = [&](int frame, const char* what) {
      const fs::path p = findFrame(episodeDir, frame);
      if (p.empty())
        throw fail(std::string(what) + " frame " + std::to_string(frame) + " not found: no img" +
                   std::to_string(frame) + ".jpg (or reg_img" + std::to_string(frame) +
                   ", .png, .bmp) in '" + episodeDir.string() + "'");
      try {
        return std::make_pair(p, readImage(p.string()));
      } catch (const InputError& err) {
        throw fail(err.what());
      }
    };
    const auto [apexPath, apex] = readFrame(e.apex, "apex");
    std::optional<FaceDetection> face;
    if (options.detector) {
      const auto faces = options.detector->detect(apex);
      if (!faces.empty()) {
        face = faces.front();
      } else {
        spdlog::warn("{}: no face found in '{}': the whole frame is used", e.where,
                     apexPath.string());
        ++out.unaligned;
      }
    }
    const auto toCrop = [&](const cv::Mat& bgr) {
      if (face) return aligner.align(bgr, *face).crop;
      cv::Mat gray = toGray(bgr);
      cv::resize(gray, gray, cv::Size(options.size, options.size), 0, 0, cv::INTER_AREA);
      return gray;
    };
    cv::Mat crop = toCrop(apex);
    if (difference) {
      cv::Mat onset = toCrop(readFrame(e.onset, "onset").second);
      cv::Mat diff;
      cv::subtract(crop, onset, diff, cv::noArray(), CV_32F);
      diff.convertTo(crop, CV_8U, options.differenceGain, 128);  // saturates
    }
    out.data.samples.push_back({crop, static_cast<int>(label), apexPath.string(), e.subject});
    out.episodes.push_back(std::move(e));
  }
  if (out.data.samples.empty())
    throw DatasetError("label sheet '" + labelSheet + "' has no usable rows for the classes " +
                       joined(classes));
  return out;
}

}  // namespace microfer
