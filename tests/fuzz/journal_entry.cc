// libFuzzer target for watch journal entries as the server receives them: the text, hash
// and signature (split from the input at the first two newlines) must verify or fail with
// an Error, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "watch/journal_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  vigil::watch::JournalRecord r;
  auto a = in.find('\n');
  auto b = a == std::string_view::npos ? a : in.find('\n', a + 1);
  r.entry = std::string(in.substr(0, a));
  if (a != std::string_view::npos) r.hash = std::string(in.substr(a + 1, b == std::string_view::npos ? b : b - a - 1));
  if (b != std::string_view::npos) r.signature = std::string(in.substr(b + 1));
  (void)vigil::watch::ParseEntry(r.entry);
  (void)vigil::watch::VerifyRecord(r);
  (void)vigil::watch::VerifyNext(r, std::string(64, 'a'), {});
  return 0;
}
