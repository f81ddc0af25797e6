#include "microfer/train/metrics.hpp"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace microfer {

int ConfusionMatrix::total() const {
  int n = 0;
  for (const auto& r : counts)
    for (int v : r) n += v;
  return n;
}

double ConfusionMatrix::accuracy() const {
  int correct = 0;
  for (size_t i = 0; i < counts.size(); ++i) correct += counts[i][i];
  const int n = total();
  return n ? double(correct) / n : 0.0;
}

std::vector<ClassMetrics> ConfusionMatrix::perClass() const {
  const size_t k = counts.size();
  std::vector<ClassMetrics> m(k);
  for (size_t c = 0; c < k; ++c) {
    int tp = counts[c][c], predicted = 0, actual = 0;
    for (size_t o = 0; o < k; ++o) {
      predicted += counts[o][c];
      actual += counts[c][o];
    }
    m[c].support = actual;
    m[c].precision = predicted ? double(tp) / predicted : 0.0;
    m[c].recall = actual ? double(tp) / actual : 0.0;
    const double s = m[c].precision + m[c].recall;
    m[c].f1 = s > 0 ? 2 * m[c].precision * m[c].recall / s : 0.0;
  }
  return m;
}

double ConfusionMatrix::macroF1() const {
  const auto m = perClass();
  double s = 0;
  int n = 0;
  for (const auto& c : m)
    if (c.support > 0) {
      s += c.f1;
      ++n;
    }
  return n ? s / n : 0.0;
}

double ConfusionMatrix::unweightedAverageRecall() const {
  double s = 0;
  int n = 0;
  for (const auto& c : perClass())
    if (c.support > 0) {
      s += c.recall;
      ++n;
    }
  return n ? s / n : 0.0;
}

ConfusionMatrix& ConfusionMatrix::operator+=(const ConfusionMatrix& other) {
  if (other.counts.size() != counts.size())
    throw std::invalid_argument("confusion matrices of different sizes");
  for (size_t t = 0; t < counts.size(); ++t)
    for (size_t p = 0; p < counts.size(); ++p) counts[t][p] += other.counts[t][p];
  return *this;
}

std::string ConfusionMatrix::report(const std::vector<std::string>& names) const {
  std::ostringstream o;
  char buf[256];
  const auto m = perClass();
  o << "class        precision  recall     f1  support\n";
  for (size_t c = 0; c < m.size(); ++c) {
    std::snprintf(buf, sizeof buf, "%-10s %10.4f %8.4f %7.4f %8d\n",
                  c < names.size() ? names[c].c_str() : "?", m[c].precision, m[c].recall, m[c].f1,
                  m[c].support);
    o << buf;
  }
  o << "confusion (rows: true, columns: predicted)\n          ";
  for (size_t c = 0; c < m.size(); ++c) {
    std::snprintf(buf, sizeof buf, "%8.7s", c < names.size() ? names[c].c_str() : "?");
    o << buf;
  }
  o << "\n";
  for (size_t t = 0; t < counts.size(); ++t) {
    std::snprintf(buf, sizeof buf, "%-10s", t < names.size() ? names[t].c_str() : "?");
    o << buf;
    for (int v : counts[t]) {
      std::snprintf(buf, sizeof buf, "%8d", v);
      o << buf;
    }
    o << "\n";
  }
  std::snprintf(buf, sizeof buf, "accuracy=%.4f macro_f1=%.4f n=%d\n", accuracy(), macroF1(),
                total());
  o << buf;
  return o.str();
}

}  // namespace microfer
