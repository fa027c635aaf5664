#include "analysis/verdict.h"

namespace vigil::analysis {

const char* BlockingName(Blocking b) {
  switch (b) {
    case Blocking::kDns: return "dns";
    case Blocking::kTcpIp: return "tcp_ip";
    case Blocking::kHttpFailure: return "http-failure";
    case Blocking::kHttpDiff: return "http-diff";
    case Blocking::kNull:
    case Blocking::kFalse: return "";
  }
  return "";
}

}  // namespace vigil::analysis
