#include "disruption/detect_event.h"

#include "core/json_writer.h"

namespace vigil::disruption {

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kFull:
      return "full";
    case EventKind::kPartial:
      return "partial";
  }
  return "partial";
}

void AppendEventJson(std::string& out, const Event& event) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("entity").String(event.entity);
  w.Key("start").String(FormatIsoTime(event.start));
  w.Key("end");
  if (event.end) {
    w.String(FormatIsoTime(*event.end));
  } else {
    w.Null();
  }
  w.Key("kind").String(EventKindName(event.kind));
  w.Key("score").Double(event.score);
  w.EndObject();
}

}  // namespace vigil::disruption
