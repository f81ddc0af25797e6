// Pieces of the training recipe shared by the CPU trainer (trainer.hpp, OpenCV augmentation)
// and the tensor trainer (device_trainer.hpp, augmentation on the GPU). No OpenCV here.
#pragma once

#include <vector>

namespace microfer {

enum class ClassBalance {
  None,    ///< plain cross-entropy
  Sqrt,    ///< class weights proportional to 1/sqrt(class frequency), mean weight 1
  Inverse  ///< class weights proportional to 1/frequency, mean weight 1
};

/// Loss weight of every class from its sample count; weights average 1 over the samples.
/// Classes without samples get weight 1.
std::vector<float> balanceWeights(const std::vector<int>& counts, ClassBalance balance);

/// Learning rate at optimisation step `step` (0-based): linear warm-up over `warmupSteps`,
/// then cosine decay from `peak` to 0 at `totalSteps`.
double scheduledLr(long step, long totalSteps, double warmupSteps, double peak);

/// Length of a schedule fitted into a time budget: `done` epochs have run in `usedSeconds`,
/// the next ones are expected to take `secondsPerEpoch`; 10 % of what is left is kept back
/// for slower epochs. Never more than `planned`, never fewer than `done`.
int epochsWithinBudget(int planned, int done, double secondsPerEpoch, double usedSeconds,
                       double budgetSeconds);

}  // namespace microfer
