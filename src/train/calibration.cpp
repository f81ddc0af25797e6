#include "microfer/train/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "microfer/classify/expression_classifier.hpp"

namespace microfer {

namespace {
void check(const ViewLogits& v) {
  if (v.logits.size() != v.labels.size() || v.logits.empty())
    throw std::invalid_argument("calibration needs one label per face and at least one face");
  for (const auto& l : v.logits)
    if (l.size() != v.weights.size() * size_t(v.classes))
      throw std::invalid_argument("calibration: logits do not match views x classes");
}
}  // namespace

Confidences confidencesAt(const ViewLogits& v, float temperature) {
  check(v);
  Confidences c;
  std::vector<float> p(v.classes);
  for (size_t i = 0; i < v.logits.size(); ++i) {
    averageViews(v.logits[i].data(), int(v.weights.size()), v.classes, v.weights, temperature,
                 p.data());
    const auto top = std::max_element(p.begin(), p.end());
    c.top.push_back(*top);
    c.right.push_back(int(top - p.begin()) == v.labels[i]);
  }
  return c;
}

double negativeLogLikelihood(const ViewLogits& v, float temperature) {
  check(v);
  std::vector<float> p(v.classes);
  double nll = 0;
  for (size_t i = 0; i < v.logits.size(); ++i) {
    averageViews(v.logits[i].data(), int(v.weights.size()), v.classes, v.weights, temperature,
                 p.data());
    nll -= std::log(std::max(1e-12f, p[v.labels[i]]));
  }
  return nll / v.logits.size();
}

double expectedCalibrationError(const Confidences& c, int bins) {
  if (c.top.empty()) return 0;
  std::vector<double> conf(bins, 0), acc(bins, 0);
  std::vector<int> n(bins, 0);
  for (size_t i = 0; i < c.top.size(); ++i) {
    const int b = std::min(bins - 1, int(c.top[i] * bins));
    conf[b] += c.top[i];
    acc[b] += c.right[i];
    ++n[b];
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b)
    if (n[b]) ece += std::abs(acc[b] - conf[b]);  // = n_b * |acc_b - conf_b|
  return ece / c.top.size();
}

float fitTemperature(const ViewLogits& v) {
  float best = 1.f;
  double bestNll = negativeLogLikelihood(v, 1.f);
  for (int t = 30; t <= 800; ++t) {
    const double nll = negativeLogLikelihood(v, t / 100.f);
    if (nll < bestNll) {
      bestNll = nll;
      best = t / 100.f;
    }
  }
  return best;
}

float chooseUncertainThreshold(const Confidences& c, int minFaces) {
  float chosen = 0.f;
  for (int t = 30; t <= 70; ++t) {
    const float hi = t / 100.f, lo = hi - 0.05f;
    long in = 0, right = 0;
    for (size_t i = 0; i < c.top.size(); ++i)
      if (c.top[i] >= lo && c.top[i] < hi) {
        ++in;
        right += c.right[i];
      }
    if (in >= minFaces && 2 * right <= in) chosen = hi;
  }
  return chosen;
}

}  // namespace microfer
