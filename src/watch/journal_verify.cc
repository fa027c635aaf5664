#include "watch/journal_verify.h"

#include <sodium.h>

#include <array>
#include <cstdio>

#include <fmt/format.h>

#include "core/json_read.h"
#include "core/time_format.h"

namespace vigil::watch {
namespace {

constexpr std::string_view kStates[] = {"online", "offline", "platform-blocked", "dns-tampered",
                                        "throttled"};
constexpr std::string_view kKinds[] = {"start", "state", "summary"};

bool IsLowerHex(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

template <std::size_t N>
bool OneOf(std::string_view s, const std::string_view (&set)[N]) {
  for (auto v : set) {
    if (v == s) return true;
  }
  return false;
}

void InitSodium() {
  // Fails only without an entropy source; verification itself needs none.
  [[maybe_unused]] static const int once = sodium_init();
}

tl::unexpected<Error> Bad(std::string failure, int64_t seq, std::string what) {
  return Fail(std::move(failure), fmt::format("seq {}: {}", seq, what));
}

}  // namespace

std::string ToHex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

bool FromHex(std::string_view hex, unsigned char* out, std::size_t size) {
  if (hex.size() != size * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < size; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return true;
}

std::string Sha256Hex(std::string_view data) {
  InitSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return ToHex(digest.data(), digest.size());
}

Result<EntryFields> ParseEntry(std::string_view text) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Fail("parse_error", "the entry is not JSON");
  }
  auto obj = json::AsObject(root);
  if (!obj) return Fail("parse_error", "the entry is not a JSON object");
  EntryFields f;
  auto int_field = [&](std::string_view key) -> std::optional<int64_t> {
    auto e = json::Field(*obj, key);
    return e ? json::AsInt(*e) : std::nullopt;
  };
  auto v = int_field("v");
  auto seq = int_field("seq");
  auto key = json::StringField(*obj, "probe_key");
  auto time = json::StringField(*obj, "time");
  auto kind = json::StringField(*obj, "kind");
  auto state = json::StringField(*obj, "state");
  auto prev = json::StringField(*obj, "prev_hash");
  auto details = json::Field(*obj, "details");
  if (!v || *v != 1) return Fail("parse_error", "\"v\" must be 1");
  if (!seq || *seq < 0) return Fail("parse_error", "\"seq\" must be an integer >= 0");
  f.v = *v;
  f.seq = *seq;
  if (!key || !IsLowerHex(*key, 2 * crypto_sign_PUBLICKEYBYTES)) {
    return Bad("parse_error", f.seq, "\"probe_key\" must be 64 lowercase hex digits");
  }
  if (!time || time->size() != 20 || time->back() != 'Z' || !ParseTime(*time)) {
    return Bad("parse_error", f.seq, "\"time\" must be YYYY-MM-DDTHH:MM:SSZ");
  }
  if (!kind || !OneOf(*kind, kKinds)) return Bad("parse_error", f.seq, "unknown \"kind\"");
  if (!state || !OneOf(*state, kStates)) return Bad("parse_error", f.seq, "unknown \"state\"");
  if (!prev || !IsLowerHex(*prev, 64)) {
    return Bad("parse_error", f.seq, "\"prev_hash\" must be 64 lowercase hex digits");
  }
  if (!details || !json::AsObject(*details)) {
    return Bad("parse_error", f.seq, "\"details\" must be an object");
  }
  if (f.seq == 0 && *prev != kZeroHash) {
    return Bad("fork", f.seq, "the first entry's prev_hash must be 64 zeros");
  }
  f.probe_key = std::string(*key);
  f.time = std::string(*time);
  f.kind = std::string(*kind);
  f.state = std::string(*state);
  f.prev_hash = std::string(*prev);
  f.details = json::Minify(*details);
  return f;
}

Result<EntryFields> VerifyRecord(const JournalRecord& record) {
  auto fields = ParseEntry(record.entry);
  if (!fields) return fields;
  const int64_t seq = fields->seq;
  if (Sha256Hex(record.entry) != record.hash) {
    return Bad("bad_hash", seq, "hash is not the SHA-256 of the entry's text");
  }
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  if (!FromHex(record.signature, sig.data(), sig.size())) {
    return Bad("bad_signature", seq, "signature must be 128 hex digits");
  }
  if (!FromHex(fields->probe_key, pk.data(), pk.size())) {
    return Bad("parse_error", seq, "malformed probe_key");
  }
  InitSodium();
  if (crypto_sign_verify_detached(sig.data(),
                                  reinterpret_cast<const unsigned char*>(record.entry.data()),
                                  record.entry.size(), pk.data()) != 0) {
    return Bad("bad_signature", seq, "the signature does not verify under probe_key");
  }
  return fields;
}

Result<EntryFields> VerifyNext(const JournalRecord& record, std::string_view probe_key,
                               const ChainTip& tip) {
  auto fields = VerifyRecord(record);
  if (!fields) return fields;
  const int64_t seq = fields->seq;
  if (fields->probe_key != probe_key) {
    return Bad("wrong_key", seq, "signed by another probe key");
  }
  if (seq != tip.seq + 1) {
    return Bad("gap", seq, fmt::format("expected seq {} next", tip.seq + 1));
  }
  if (fields->prev_hash != tip.hash) {
    return Bad("fork", seq, "prev_hash does not name the previous entry's hash");
  }
  return fields;
}

VerifyReport VerifyJournal(const std::vector<JournalRecord>& records) {
  VerifyReport report;
  ChainTip tip;
  for (const auto& record : records) {
    ++report.entries;
    if (report.probe_key.empty()) {
      if (auto f = ParseEntry(record.entry)) report.probe_key = f->probe_key;
    }
    auto fields = VerifyNext(record, report.probe_key, tip);
    if (!fields) {
      if (report.first_bad_seq < 0) report.first_bad_seq = tip.seq + 1;
      report.problems.push_back(fields.error().ToString());
      // Continue from this record so that one bad entry is reported once, not as a cascade.
      if (auto f = ParseEntry(record.entry)) {
        tip.seq = f->seq;
        tip.hash = record.hash;
      } else {
        tip.seq += 1;
        tip.hash = record.hash;
      }
      continue;
    }
    tip.seq = fields->seq;
    tip.hash = record.hash;
    if (report.problems.empty()) report.last_seq = tip.seq;
  }
  report.ok = report.problems.empty();
  return report;
}

}  // namespace vigil::watch
