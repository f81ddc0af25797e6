// Fuzz target: the fer2013.csv reader (loadFer2013Csv).
//
// Contract checked: any file is either read or refused with a DatasetError (which names the
// file and line); no other exception, no crash. The reader takes a path, so every input is
// written to a scratch file first (on tmpfs where there is one).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/types.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  microfer::fuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace microfer;
  const std::string path = (fuzz::scratchDir() / "fer2013.csv").string();
  fuzz::writeBytes(path, data, size);
  // All rows, and one split: the Usage filter skips rows before their pixels are parsed.
  for (CsvUsage usage : {CsvUsage::All, CsvUsage::PublicTest}) {
    try {
      const Dataset ds = loadFer2013Csv(path, usage);
      for (const Sample& s : ds.samples)
        if (s.image.rows != 48 || s.image.cols != 48 || s.label < 0 || s.label >= kNumEmotions)
          __builtin_trap();  // the reader promised 48 x 48 crops with a known label
    } catch (const DatasetError&) {
    }
  }
  return 0;
}
