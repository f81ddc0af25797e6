// A results folder as a whole: resuming a run into it (ResultsWriter::resume) and merging the
// folders of a job's shards into one (mergeResults). The layout is results_writer.hpp's.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "microfer/output/results_writer.hpp"
#include "microfer/runtime/file_io.hpp"

namespace microfer {
namespace fs = std::filesystem;

namespace {

/// Reads one record of `in`: a JSONL line, or a CSV record (several lines where a quoted field
/// holds a line break). `record` gets it with its final '\n'; false at the end. `torn`: the
/// record is the file's last and its writer did not finish it (no final line break).
bool readRecord(std::istream& in, bool csv, std::string& record, bool& torn) {
  record.clear();
  torn = false;
  std::string line;
  bool quoted = false;
  while (std::getline(in, line)) {
    record += line;
    if (in.eof()) {  // the last line had no '\n'
      torn = true;
      return true;
    }
    record += '\n';
    if (csv)
      for (char c : line)
        if (c == '"') quoted = !quoted;
    if (!quoted) return true;
  }
  if (!record.empty()) torn = true;  // a quoted field never closed
  return !record.empty();
}

/// The first field of a CSV record (results.csv's source column), unquoted.
std::string firstCsvField(const std::string& record) {
  const std::vector<CsvRecord> parsed = parseCsv(record);
  return parsed.empty() || parsed[0].fields.empty() ? std::string() : parsed[0].fields[0];
}

std::string jsonSource(const std::string& record) {
  const auto j = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("source") || !j["source"].is_string()) return {};
  return j["source"].get<std::string>();
}

/// Keeps the records of `path` that `keep` accepts (and drops a torn last one); the file is
/// rewritten (temporary file, renamed) only when something is dropped. `header`: the CSV's
/// first record is always kept. Returns the records dropped.
long long filterRecords(const std::string& path, bool csv,
                        const std::function<bool(const std::string&)>& keep) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  auto pass = [&](std::ostream* out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "'");
    long long dropped = 0;
    std::string record;
    bool torn = false, first = true;
    while (readRecord(in, csv, record, torn)) {
      const bool header = csv && first;
      first = false;
      if (!torn && (header || keep(record))) {
        if (out) *out << record;
      } else {
        ++dropped;
      }
    }
    return dropped;
  };
  const long long dropped = pass(nullptr);
  if (dropped == 0) return 0;
  const std::string tmp = temporaryPathFor(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    pass(&out);
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write '" + path + "' (disk full?)");
    }
  }
  syncFile(tmp);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot replace '" + path + "': " + ec.message());
  }
  syncFolderOf(path);
  return dropped;
}

/// Every line of every runs/*.done file of `dir`; `found` tells whether there was one.
std::set<std::string> doneInputs(const fs::path& dir, bool& found) {
  std::set<std::string> done;
  found = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "runs", ec)) {
    if (e.path().extension() != ".done") continue;
    found = true;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line))
      if (!in.eof()) done.insert(line);  // a line without its '\n' was being written
  }
  return done;
}

/// Appends the records of `path` (after a CSV's header, which must be `header` when set, else
/// becomes it) to `out`; returns the records copied.
long long copyRecords(const fs::path& path, bool csv, std::string& header, std::ostream& out,
                      long long& torn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  long long copied = 0;
  std::string record;
  bool isTorn = false, first = true;
  while (readRecord(in, csv, record, isTorn)) {
    if (isTorn) {
      ++torn;
      spdlog::warn("'{}' ends in a half-written record; left out", path.string());
      continue;
    }
    if (csv && first) {
      first = false;
      if (header.empty()) {
        header = record;
        out << record;
      } else if (record != header) {
        throw std::runtime_error("'" + path.string() +
                                 "' has other columns than the folders before it; merge "
                                 "folders written by one MicroFER version");
      }
      continue;
    }
    out << record;
    ++copied;
  }
  return copied;
}

/// `path`'s content as `final` through a temporary file: flushed, renamed, folder flushed.
void publish(const std::string& tmp, const std::string& final) {
  syncFile(tmp);
  std::error_code ec;
  fs::rename(tmp, final, ec);
  if (ec) throw std::runtime_error("cannot write '" + final + "': " + ec.message());
  syncFolderOf(final);
}

}  // namespace

std::vector<CsvRecord> parseCsv(const std::string& text) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false, inRecord = false;
  size_t start = 0;
  auto endField = [&] {
    record.fields.push_back(field);
    field.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    inRecord = true;
    if (quoted) {
      if (c != '"')
        field += c;
      else if (i + 1 < text.size() && text[i + 1] == '"')
        field += text[++i];
      else
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      endField();
    } else if (c == '\n') {
      size_t end = i;
      if (end > start && text[end - 1] == '\r') {
        end -= 1;
        if (!field.empty() && field.back() == '\r') field.pop_back();
      }
      endField();
      record.text = text.substr(start, end - start);
      if (!record.text.empty()) records.push_back(std::move(record));
      record = CsvRecord();
      start = i + 1;
      inRecord = false;
    } else {
      field += c;
    }
  }
  if (inRecord && !quoted) {  // a last record without its line break
    endField();
    record.text = text.substr(start);
    if (!record.text.empty() && record.text.back() == '\r') record.text.pop_back();
    if (!record.text.empty()) records.push_back(std::move(record));
  }
  return records;
}

ResultsWriter::Resume ResultsWriter::resume(const std::string& outDir) {
  Resume r;
  bool marked = false;
  r.done = doneInputs(outDir, marked);
  const fs::path dir(outDir);
  std::error_code ec;
  const bool hasRecords = fs::file_size(dir / "results.jsonl", ec) > 0 && !ec;
  if (hasRecords && !marked)
    throw std::runtime_error("'" + outDir +
                             "' holds records but no list of finished inputs (runs/*.done: "
                             "written by MicroFER since 2026-12-07); a run cannot be resumed "
                             "there: choose a new --out");
  r.droppedRows = filterRecords((dir / "results.csv").string(), true, [&](const std::string& rec) {
    return r.done.count(firstCsvField(rec)) > 0;
  });
  r.droppedRecords =
      filterRecords((dir / "results.jsonl").string(), false,
                    [&](const std::string& rec) { return r.done.count(jsonSource(rec)) > 0; });
  return r;
}

MergeSummary mergeResults(const std::string& outDir, const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw std::runtime_error("merge: no results folder given");
  const fs::path out(outDir);
  std::error_code ec;
  for (const char* name : {"results.csv", "results.jsonl"})
    if (fs::exists(out / name, ec))
      throw std::runtime_error("'" + (out / name).string() +
                               "' exists: merge writes into a new folder (results are never "
                               "overwritten)");
  std::set<std::string> seen;
  for (const auto& d : dirs) {
    if (!fs::exists(fs::path(d) / "results.csv", ec) && !fs::exists(fs::path(d) / "results.jsonl", ec))
      throw std::runtime_error("'" + d + "' holds no results.csv or results.jsonl");
    if (!seen.insert(fs::weakly_canonical(d, ec).string()).second)
      throw std::runtime_error("'" + d + "' is given twice");
    if (fs::weakly_canonical(d, ec) == fs::weakly_canonical(out, ec))
      throw std::runtime_error("'" + d + "' is the merged folder itself");
  }
  fs::create_directories(out / "runs", ec);
  if (ec) throw std::runtime_error("cannot create '" + outDir + "': " + ec.message());
  MergeSummary m;
  const std::string csvTmp = temporaryPathFor((out / "results.csv").string());
  const std::string jsonlTmp = temporaryPathFor((out / "results.jsonl").string());
  try {
    std::ofstream csv(csvTmp, std::ios::binary), jsonl(jsonlTmp, std::ios::binary);
    std::string header, unused;
    for (const auto& d : dirs) {
      m.rows += copyRecords(fs::path(d) / "results.csv", true, header, csv, m.tornLines);
      m.records += copyRecords(fs::path(d) / "results.jsonl", false, unused, jsonl, m.tornLines);
    }
    if (header.empty()) csv << ResultsWriter::csvHeader() << '\n';
    csv.flush();
    jsonl.flush();
    if (!csv || !jsonl) throw std::runtime_error("cannot write into '" + outDir + "' (disk full?)");
  } catch (...) {
    fs::remove(csvTmp, ec);
    fs::remove(jsonlTmp, ec);
    throw;
  }
  // Run records keep their names (a run id is unique); an older folder's run.json is named
  // after its folder.
  for (size_t i = 0; i < dirs.size(); ++i) {
    const fs::path d(dirs[i]);
    for (const auto& e : fs::directory_iterator(d / "runs", ec)) {
      if (!e.is_regular_file()) continue;
      fs::copy_file(e.path(), out / "runs" / e.path().filename(), ec);
      if (ec) throw std::runtime_error("cannot copy '" + e.path().string() + "': " + ec.message());
      if (e.path().extension() == ".json") ++m.runRecords;
    }
    if (fs::exists(d / "run.json", ec)) {
      const std::string name = std::to_string(i + 1) + "-" +
                               fs::weakly_canonical(d, ec).filename().string() + "-run.json";
      fs::copy_file(d / "run.json", out / "runs" / name, ec);
      if (ec) throw std::runtime_error("cannot copy '" + (d / "run.json").string() + "': " + ec.message());
      ++m.runRecords;
    }
  }
  publish(csvTmp, (out / "results.csv").string());
  publish(jsonlTmp, (out / "results.jsonl").string());
  return m;
}

}  // namespace microfer
