// Event: a disruption a detector found in one entity's series, and its JSON line.
//
// An event covers [start, end); `end` is absent while the disruption is still going on
// at the end of the series. `kind` is the shape of the drop in that one series; the
// server's fusion of several signals of an entity refines it (regional, mobile,
// platform, throttling, dns), so EventKind is meant to grow. `score` is a severity in
// the detector's own unit (see each detector); `detected` is when a detector running
// live would have raised the alarm, for evaluation and alerting.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time_format.h"

namespace vigil::disruption {

enum class EventKind {
  kFull,     // the signal fell by about 90% or more
  kPartial,  // a smaller, sustained drop
};

// "full", "partial".
std::string_view EventKindName(EventKind kind);

struct Event {
  std::string entity;
  WallTime start;
  std::optional<WallTime> end;
  EventKind kind = EventKind::kPartial;
  double score = 0;
  WallTime detected;
};

// Appends {"entity","start","end","kind","score"} as one JSON object (no newline).
void AppendEventJson(std::string& out, const Event& event);

}  // namespace vigil::disruption
