// Fine-tuning of the pretrained face teacher (face_api_teacher.hpp) on the training sources,
// for distillation into the shipped network. Training time only: nothing here ships.
#pragma once

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "microfer/train/face_api_teacher.hpp"
#include "microfer/train/trainer.hpp"

namespace microfer {

/// Fine-tunes the teacher loaded from `start` (loadFaceApiTeacher: face-api's manifest or an
/// earlier fine-tuned file) on `train` as train() trains the shipped network: the same epoch
/// order (sourceWeights), augmentation of the 48 x 48 crops (then faceApiInputFromBatch), class
/// weights (balance, balancePerSource), targets (FER+ votes, else the smoothed label) and SGD
/// schedule (epochs, batchSize, lr, momentum, weightDecay, warmupEpochs, seed); cfg.network
/// only gives the crop size and class count (7). Validates on `val` after each epoch
/// (validationScore: the mean of each source's accuracy). Writes into cfg.outDir:
/// teacher-last.pt, teacher-best.pt (best validation score; the last epoch without `val`),
/// teacher-metrics.csv and a checkpoint (teacher-checkpoint.json, -model.pt, -optim.pt) after
/// every epoch; with cfg.resume it continues from that checkpoint. bestModel / lastModel of
/// the result name the two .pt files.
TrainResult fineTuneFaceApiTeacher(const Dataset& train, const Dataset* val, const TrainConfig& cfg,
                                   const std::string& start);

/// The teacher's probabilities (our class order) for 8-bit gray crops of one size, through
/// faceApiInputFromBatch as in training; with `flip`, averaged with the mirror image's.
std::vector<std::vector<float>> predictFaceApi(FaceApiExpressionNet& net,
                                               const std::vector<cv::Mat>& crops, bool flip,
                                               int batchSize = 128);

}  // namespace microfer
