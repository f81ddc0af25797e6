// microfer-bench: how fast the pipeline runs (bench) and whether long runs keep memory flat
// and every result (soak). Kept out of the product CLI; same options and outputs.
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "tool.hpp"

namespace {
const char* kHelp = R"(microfer-bench — speed and endurance of the MicroFER pipeline

Usage: microfer-bench [bench] [options]   per-stage timings: synthetic frames, a folder
                                          or a video (see: microfer-bench bench --help)
       microfer-bench soak [options]      long run: memory stays flat, every input is
                                          in the results (see: microfer-bench soak --help)
       microfer-bench roofline [options]  classify time against the machine's arithmetic
                                          (see: microfer-bench roofline --help)

Common options: --verbose (detailed log), --help / -h (every command), --version
Exit codes: 0 all fine, 1 a check failed, 2 usage error, 3 model or set-up error.
)";

int run(const std::string& command, const std::vector<std::string>& args) {
  if (command == "bench") return microfer::cli::runBench(args);
  if (command == "soak") return microfer::cli::runSoak(args);
  if (command == "roofline") return microfer::cli::runRoofline(args);
  throw microfer::cli::UnknownCommand("unknown command '" + command +
                                      "' (bench, soak or roofline)");
}
}  // namespace

int main(int argc, char** argv) {
  return microfer::cli::toolMain(argc, argv, {"microfer-bench", kHelp, "bench", run});
}
