// The commands of microfer-train, the research tool (training, cross-validation, baselines,
// model export and calibration); the user's commands are in src/cli (microfer-cli).
#pragma once

#include <string>
#include <vector>

#include "args.hpp"

namespace microfer {
struct TrainConfig;
struct NetworkConfig;
}

namespace microfer::cli {

/// Each runs one sub-command; returns the process exit code. Throws UsageError for bad
/// arguments and std::exception for set-up errors (toolMain maps them to 2 and 3).
int runTrain(const std::vector<std::string>& args);
int runCrossValidation(const std::vector<std::string>& args);
int runLoso(const std::vector<std::string>& args);
int runBaseline(const std::vector<std::string>& args);
int runGeometry(const std::vector<std::string>& args);
int runExport(const std::vector<std::string>& args);
int runPack(const std::vector<std::string>& args);
int runCrops(const std::vector<std::string>& args);
int runCalibrate(const std::vector<std::string>& args);
int runAverage(const std::vector<std::string>& args);
int runCurves(const std::vector<std::string>& args);

/// The micro-attention unit's wiring of a training run (train, cv, loso): --attention-wiring
/// prototxt|microfer if given, else the --init model's, else the prototxt's (rule i of
/// docs/model-decisions.txt); a network without the unit keeps MicroFER's field values.
/// UsageError for an unknown name or --attention-wiring without the unit. Defined in
/// cmd_train.cpp.
void chooseAttentionWiring(const Args& a, NetworkConfig& network);

/// The training of one cross-validation fold (cv, loso) from --width --epochs (30) --batch (32)
/// --lr (0.01, or 0.003 with --init) --seed (1) --init --attention-wiring. With --init, the
/// architecture is the init model's, and its classifier layer is replaced when its classes
/// differ from `classNames`.
/// Defined in cmd_cv.cpp (which includes LibTorch; this header does not).
TrainConfig foldTrainConfig(const Args& a, const std::vector<std::string>& classNames);

}  // namespace microfer::cli
