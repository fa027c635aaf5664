// SortedWindow: the last `cap` values of a stream, also kept sorted, so that the window's
// median and its median absolute deviation are read without sorting it again. Vigil's
// detector reads both every hour of bins over windows of a week (2,016 five-minute values);
// selecting them afresh each time was most of its run time.
//
// The results equal those of selecting over a copy (nth_element): the same order statistics,
// the mean of the two middle ones for an even count, and |x - center| computed the same way.
// Values must not be NaN.
//
// Thread-safety: none (one detector's state).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <limits>
#include <vector>

namespace vigil::disruption {

class SortedWindow {
 public:
  // Appends `v`; the oldest values leave once there are more than `cap`.
  void Push(double v, size_t cap) {
    arrival_.push_back(v);
    sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), v), v);
    while (arrival_.size() > cap) {
      sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), arrival_.front()));
      arrival_.pop_front();
    }
  }

  size_t size() const { return sorted_.size(); }
  bool empty() const { return sorted_.empty(); }

  // NaN when empty.
  double Median() const {
    const size_t n = sorted_.size();
    if (n == 0) return std::numeric_limits<double>::quiet_NaN();
    if (n % 2 == 1) return sorted_[n / 2];
    return (sorted_[n / 2 - 1] + sorted_[n / 2]) / 2;
  }

  // The median of |x - center| over the window (NaN when empty): the distances, in
  // increasing order, come from walking outwards from `center` through the sorted values.
  double MedianAbsoluteDeviation(double center) const {
    const size_t n = sorted_.size();
    if (n == 0) return std::numeric_limits<double>::quiet_NaN();
    const size_t want = n / 2;  // the order statistic wanted (and the one before, n even)
    size_t right = static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), center) - sorted_.begin());
    size_t left = right;  // values [0, left) lie below center, [right, n) at or above it
    double previous = 0, current = 0;
    for (size_t k = 0; k <= want; ++k) {
      previous = current;
      const bool take_left =
          left > 0 && (right == n || std::abs(sorted_[left - 1] - center) <= std::abs(sorted_[right] - center));
      current = take_left ? std::abs(sorted_[--left] - center) : std::abs(sorted_[right++] - center);
    }
    return n % 2 == 1 ? current : (previous + current) / 2;
  }

 private:
  std::deque<double> arrival_;
  std::vector<double> sorted_;
};

}  // namespace vigil::disruption
