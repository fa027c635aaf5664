#include "disruption/sorted_window.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::disruption {
namespace {

// What the detector computed before SortedWindow: selection over a copy.
double SelectMedian(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

TEST(SortedWindowTest, MedianAndDeviationEqualSelectionOverACopy) {
  // Random streams with many ties (values on a coarse grid) and windows of odd and even
  // sizes, including while the window fills up: the results must be bit-identical.
  std::mt19937 rng(42);
  for (size_t cap : {1u, 2u, 3u, 24u, 25u, 340u, 2016u}) {
    SortedWindow w;
    std::deque<double> reference;
    for (int i = 0; i < 3000; ++i) {
      const double v = (rng() % 4 == 0) ? std::floor(static_cast<double>(rng() % 200) / 7.0)
                                        : static_cast<double>(rng() % 100000) / 997.0 - 40.0;
      w.Push(v, cap);
      reference.push_back(v);
      while (reference.size() > cap) reference.pop_front();
      ASSERT_EQ(w.size(), reference.size());
      if (i % 7 != 0) continue;
      const std::vector<double> copy(reference.begin(), reference.end());
      const double center = SelectMedian(copy);
      ASSERT_EQ(w.Median(), center) << "cap " << cap << " step " << i;
      std::vector<double> deviations;
      for (double x : copy) deviations.push_back(std::abs(x - center));
      ASSERT_EQ(w.MedianAbsoluteDeviation(center), SelectMedian(deviations)) << "cap " << cap << " step " << i;
      // Around another center too (the detector always uses the median, but the walk
      // must not depend on it).
      deviations.clear();
      for (double x : copy) deviations.push_back(std::abs(x - 3.5));
      ASSERT_EQ(w.MedianAbsoluteDeviation(3.5), SelectMedian(deviations)) << "cap " << cap << " step " << i;
    }
  }
}

TEST(SortedWindowTest, EmptyIsNaN) {
  SortedWindow w;
  EXPECT_TRUE(std::isnan(w.Median()));
  EXPECT_TRUE(std::isnan(w.MedianAbsoluteDeviation(0)));
}

}  // namespace
}  // namespace vigil::disruption
