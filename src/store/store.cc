#include "store/store.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "store/prepare.h"

namespace vigil::store {
namespace {

constexpr std::array<std::pair<OrderBy, std::string_view>, 5> kOrderNames{{
    {OrderBy::kMeasurementStartTime, "measurement_start_time"},
    {OrderBy::kInput, "input"},
    {OrderBy::kProbeCc, "probe_cc"},
    {OrderBy::kProbeAsn, "probe_asn"},
    {OrderBy::kTestName, "test_name"},
}};

constexpr std::array<std::pair<Axis, std::string_view>, 6> kAxisNames{{
    {Axis::kMeasurementStartDay, "measurement_start_day"},
    {Axis::kProbeCc, "probe_cc"},
    {Axis::kProbeAsn, "probe_asn"},
    {Axis::kDomain, "domain"},
    {Axis::kCategoryCode, "category_code"},
    {Axis::kTestName, "test_name"},
}};

bool IsUpperCc(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

}  // namespace

Result<std::string> StoredMeasurement::RawJson() const {
  if (raw_json) return *raw_json;
  return ZstdDecompress(raw_zstd);
}

Result<std::string> RawFromBlock(std::string_view block_zstd, uint64_t offset, uint64_t size) {
  // Decompress only up to the row's end: half the block on average.
  if (offset > (uint64_t{1} << 32) || size > (uint64_t{1} << 32)) {
    return Fail("parse_error", "stored block reference is out of range");
  }
  auto prefix = ZstdDecompressPrefix(block_zstd, offset + size);
  if (!prefix) return tl::unexpected(prefix.error());
  return prefix->substr(offset);
}

std::string_view OrderByName(OrderBy o) {
  for (const auto& [v, name] : kOrderNames) {
    if (v == o) return name;
  }
  return {};
}

std::optional<OrderBy> ParseOrderBy(std::string_view s) {
  if (s == "test_start_time") return OrderBy::kMeasurementStartTime;  // OONI accepts both
  for (const auto& [v, name] : kOrderNames) {
    if (name == s) return v;
  }
  return std::nullopt;
}

std::string_view AxisName(Axis a) {
  for (const auto& [v, name] : kAxisNames) {
    if (v == a) return name;
  }
  return {};
}

std::optional<Axis> ParseAxis(std::string_view s) {
  for (const auto& [v, name] : kAxisNames) {
    if (name == s) return v;
  }
  return std::nullopt;
}

std::optional<uint32_t> ParseAsn(std::string_view s) {
  if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s.remove_prefix(2);
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> BlockingToText(analysis::Blocking b) {
  switch (b) {
    case analysis::Blocking::kNull:
      return std::nullopt;
    case analysis::Blocking::kFalse:
      return "false";
    default:
      return std::string(analysis::BlockingName(b));
  }
}

analysis::Blocking BlockingFromText(const std::optional<std::string>& s) {
  using analysis::Blocking;
  if (!s) return Blocking::kNull;
  for (Blocking b : {Blocking::kFalse, Blocking::kDns, Blocking::kTcpIp, Blocking::kHttpFailure,
                     Blocking::kHttpDiff}) {
    if (BlockingToText(b) == *s) return b;
  }
  return Blocking::kNull;
}

Result<void> ValidateMeasurement(const StoredMeasurement& m) {
  auto bad = [&](std::string_view what) {
    return Fail("invalid_argument",
                fmt::format("measurement {}: {}", m.measurement_uid.empty() ? "(no uid)" : m.measurement_uid, what));
  };
  if (m.idempotency_key.empty() || m.idempotency_key.size() > 512) return bad("idempotency key must be 1-512 bytes");
  if (m.measurement_uid.empty() || m.measurement_uid.size() > 256) return bad("measurement_uid must be 1-256 bytes");
  if (m.test_name.empty() || m.test_name.size() > 64) return bad("test_name must be 1-64 bytes");
  if (m.report_id.size() > 512) return bad("report_id is longer than 512 bytes");
  if (!IsUpperCc(m.probe_cc)) return bad("probe_cc must be two upper-case letters");
  auto year = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(m.measurement_start_time)).year();
  if (year < std::chrono::year(2000) || year > std::chrono::year(2999)) {
    return bad("measurement_start_time is outside years 2000-2999");
  }
  if (m.raw_block) {
    if (!m.raw_zstd.empty()) return bad("raw bytes are both in a block and in their own frame");
  } else if (m.raw_zstd.empty()) {
    return bad("raw measurement is empty");
  }
  return {};
}

Result<void> ValidateBatch(std::span<const StoredMeasurement> batch, std::span<const RawBlock> blocks) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].zstd.empty() || blocks[i].raw_size == 0) {
      return Fail("invalid_argument", fmt::format("block {} is empty", i));
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const StoredMeasurement& m = batch[i];
    auto v = ValidateMeasurement(m);
    if (v && m.raw_block) {
      if (*m.raw_block >= blocks.size()) {
        v = Fail("invalid_argument", fmt::format("block {} is not in the batch", *m.raw_block));
      } else if (m.raw_size == 0 || m.raw_offset > blocks[*m.raw_block].raw_size ||
                 m.raw_size > blocks[*m.raw_block].raw_size - m.raw_offset) {
        v = Fail("invalid_argument", fmt::format("its bytes are not inside block {}", *m.raw_block));
      }
    }
    if (!v) return Fail("invalid_argument", fmt::format("batch row {}: {}", i, v.error().message));
  }
  return {};
}

namespace {
bool IsEntityType(std::string_view t) { return t == "country" || t == "region" || t == "asn"; }
bool ShortText(std::string_view s, size_t max) { return !s.empty() && s.size() <= max; }
}  // namespace

Result<void> ValidateSignalPoint(const SignalPoint& p) {
  if (!IsEntityType(p.entity_type)) return Fail("invalid_argument", "entity_type must be country, region or asn");
  if (!ShortText(p.entity_code, 64)) return Fail("invalid_argument", "entity_code must be 1-64 bytes");
  if (!ShortText(p.datasource, 64)) return Fail("invalid_argument", "datasource must be 1-64 bytes");
  if (p.step <= 0 || p.step > 86400 * 7) return Fail("invalid_argument", "step must be 1 s to 7 days");
  if (!std::isfinite(p.value)) return Fail("invalid_argument", "value must be a finite number");
  return {};
}

Result<void> ValidateCheckin(const WatchCheckin& c) {
  if (!ShortText(c.probe_key, 128)) return Fail("invalid_argument", "probe_key must be 1-128 bytes");
  if (!IsUpperCc(c.cc)) return Fail("invalid_argument", "cc must be two upper-case letters");
  if (c.region.size() > 64) return Fail("invalid_argument", "region is longer than 64 bytes");
  if (!ShortText(c.state, 64)) return Fail("invalid_argument", "state must be 1-64 bytes");
  return {};
}

Result<void> ValidateWatchEntry(const WatchEntry& e) {
  if (!ShortText(e.probe_key, 128)) return Fail("invalid_argument", "probe_key must be 1-128 bytes");
  if (e.seq < 0) return Fail("invalid_argument", "seq must be >= 0");
  if (!ShortText(e.entry, 1 << 20)) return Fail("invalid_argument", "entry must be 1 byte to 1 MiB");
  if (!ShortText(e.hash, 128) || !ShortText(e.signature, 256)) {
    return Fail("invalid_argument", "hash and signature are required");
  }
  return {};
}

Result<void> ValidateEvent(const DisruptionEvent& e) {
  if (!IsEntityType(e.entity_type)) return Fail("invalid_argument", "entity_type must be country, region or asn");
  if (!ShortText(e.entity_code, 64)) return Fail("invalid_argument", "entity_code must be 1-64 bytes");
  if (!ShortText(e.kind, 32)) return Fail("invalid_argument", "kind must be 1-32 bytes");
  if (e.end && *e.end < e.start) return Fail("invalid_argument", "an event cannot end before it starts");
  if (!std::isfinite(e.score)) return Fail("invalid_argument", "score must be a finite number");
  return {};
}

}  // namespace vigil::store
