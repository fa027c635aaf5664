#include "core/clock.h"

namespace vigil {

RealClock& RealClock::Instance() {
  static RealClock clock;
  return clock;
}

}  // namespace vigil
