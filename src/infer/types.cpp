#include "microfer/types.hpp"

#include <algorithm>

namespace microfer {

const std::array<std::string, kNumEmotions>& emotionNames() {
  static const std::array<std::string, kNumEmotions> names = {
      "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
  return names;
}

int emotionIndex(const std::string& name) {
  const auto& names = emotionNames();
  for (int i = 0; i < kNumEmotions; ++i)
    if (names[i] == name) return i;
  return -1;
}

void Prediction::settle() {
  label = static_cast<int>(std::max_element(probs.begin(), probs.end()) - probs.begin());
  confidence = probs[label];
  uncertain = confidence < uncertainBelow;
}

std::string asciiLower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace microfer
