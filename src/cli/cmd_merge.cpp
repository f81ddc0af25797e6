#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/output/results_writer.hpp"

namespace microfer::cli {

namespace {
const char* kMergeHelp = R"(microfer-cli merge — join the results folders of a job's parts into one

Usage: microfer-cli merge OUT DIR...

Writes OUT/results.csv (one header; every DIR's must be the same), OUT/results.jsonl and
OUT/runs/ (each DIR's run records and lists of finished inputs; an older DIR/run.json as
runs/<n>-<folder>-run.json), in the order the folders are given. The labelled images stay
in their folders. A part that was killed mid-write may end in half a record: it is left
out, and counted. OUT must not hold results yet (nothing is overwritten). Use it after
`label --shard K/N`, GNU parallel or a Slurm array (README "Millions of images").
Exit codes: 0 merged, 2 usage error, 3 a folder without results or another error.
)";
}  // namespace

int runMerge(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose", "quiet"}, {});
  if (a.flag("help")) {
    std::fputs(kMergeHelp, stdout);
    return 0;
  }
  const auto& pos = a.positional();
  if (pos.size() < 2) throw UsageError("give the merged folder and at least one results folder");
  const std::vector<std::string> dirs(pos.begin() + 1, pos.end());
  const MergeSummary m = mergeResults(pos[0], dirs);
  if (!a.flag("quiet"))
    std::printf("merge: %zu folders, %lld CSV rows, %lld JSONL records, %lld run records%s -> %s\n",
                dirs.size(), m.rows, m.records, m.runRecords,
                m.tornLines ? (", " + std::to_string(m.tornLines) + " half-written lines left out")
                                  .c_str()
                            : "",
                std::filesystem::absolute(pos[0]).string().c_str());
  return 0;
}

}  // namespace microfer::cli
