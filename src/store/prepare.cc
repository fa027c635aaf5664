#include "store/prepare.h"

#include <openssl/evp.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <simdjson.h>

namespace vigil::store {
namespace {

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

// measurement_start_time, read without building a DOM (the analyzer has already
// validated the document).
Result<WallTime> StartTime(std::string_view raw, bool padded) {
  thread_local simdjson::ondemand::parser parser;
  std::string copy;
  simdjson::padded_string_view view;
  if (padded) {
    view = simdjson::padded_string_view(raw.data(), raw.size(), raw.size() + simdjson::SIMDJSON_PADDING);
  } else {
    copy.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
    copy.assign(raw);
    view = simdjson::padded_string_view(copy.data(), raw.size(), copy.capacity());
  }
  simdjson::ondemand::document doc;
  std::string_view text;
  if (parser.iterate(view).get(doc) != simdjson::SUCCESS ||
      doc.find_field_unordered("measurement_start_time").get_string().get(text) != simdjson::SUCCESS) {
    return Fail("invalid_argument", "measurement_start_time is missing or not a string");
  }
  auto t = ParseTime(text);
  if (!t) return Fail("invalid_argument", fmt::format("measurement_start_time \"{}\" is not a UTC time", text));
  return *t;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  // The algorithm is fetched once and each thread reuses its context: EVP_Digest with
  // EVP_sha256() looks the implementation up in OpenSSL's provider tables on every call.
  // SHA-256 rather than SHA-512: the CPUs' SHA extensions make it ~2.5x faster here.
  static EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* md_type = fetched != nullptr ? fetched : EVP_sha256();
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md_type, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  }
  return Hex(md, len);
}

std::string ContentKey(std::string_view raw) { return std::string(kContentKeyPrefix) + Sha256Hex(raw); }

std::string MakeMeasurementUid(WallTime t, std::string_view probe_cc, std::string_view test_name,
                               std::string_view digest_hex) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto micros = duration_cast<microseconds>(t - secs).count();
  std::string compact = FormatCompactTime(secs);  // YYYYMMDDTHHMMSSZ
  std::string ts = compact.substr(0, 8) + compact.substr(9, 6);
  std::string name;
  for (char c : test_name) {
    if (c != '_') name.push_back(c);
  }
  return fmt::format("{}.{:06d}_{}_{}_{}", ts, micros, probe_cc, name, digest_hex.substr(0, 16));
}

Result<std::string> ZstdCompress(std::string_view data, int level) {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx(ZSTD_createCCtx());
  if (!cctx) return Fail("internal_error", "cannot create a zstd context");
  // Compressed into a buffer the thread keeps: a fresh one of compressBound bytes for every
  // block was zeroed and page-faulted in each time (a third of the cost of compressing).
  thread_local std::string scratch;
  const size_t bound = ZSTD_compressBound(data.size());
  std::string large;
  std::string& out = bound <= 2 * kRawBlockBytes ? scratch : large;
  if (out.size() < bound) out.resize(bound);
  size_t n = ZSTD_compressCCtx(cctx.get(), out.data(), bound, data.data(), data.size(), level);
  if (ZSTD_isError(n)) return Fail("internal_error", std::string("zstd: ") + ZSTD_getErrorName(n));
  return std::string(out.data(), n);
}

Result<std::string> ZstdDecompress(std::string_view data, size_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size) {
    return Fail("parse_error", "stored measurement is not a complete zstd frame");
  }
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return Fail("internal_error", "cannot create a zstd context");
  std::string out(static_cast<size_t>(size), '\0');
  size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n) || n != out.size()) return Fail("parse_error", "stored measurement is corrupt (zstd)");
  return out;
}

Result<std::string> ZstdDecompressPrefix(std::string_view data, size_t size) {
  // Checked before anything is allocated: a damaged frame or row must not ask for gigabytes.
  const unsigned long long total = ZSTD_getFrameContentSize(data.data(), data.size());
  if (total == ZSTD_CONTENTSIZE_ERROR) return Fail("parse_error", "stored block is not a zstd frame");
  if ((total != ZSTD_CONTENTSIZE_UNKNOWN && total < size) || size > (size_t{1} << 30)) {
    return Fail("parse_error", "stored block is shorter than the rows that point into it");
  }
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return Fail("internal_error", "cannot create a zstd context");
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  std::string out(size, '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  // Each call makes progress until the output is full or the input ends; the bound on
  // calls keeps a hostile frame from looping.
  for (int calls = 0; o.pos < o.size && calls < 1 << 20; ++calls) {
    size_t before_in = in.pos, before_out = o.pos;
    size_t r = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(r)) return Fail("parse_error", "stored block is corrupt (zstd)");
    if (r == 0 || (in.pos == before_in && o.pos == before_out)) break;  // frame ended, or stuck
  }
  if (o.pos != size) return Fail("parse_error", "stored block is shorter than the rows that point into it");
  return out;
}

Result<std::vector<RawBlock>> PackBlocks(std::span<StoredMeasurement* const> rows,
                                         std::span<const std::string_view> raws, uint32_t first_block,
                                         int level) {
  if (rows.size() != raws.size()) return Fail("internal_error", "PackBlocks: one raw text per row");
  std::vector<RawBlock> blocks;
  std::string text;
  text.reserve(kRawBlockBytes);
  auto close = [&]() -> Result<void> {
    if (text.empty()) return {};
    auto z = ZstdCompress(text, level);
    if (!z) return tl::unexpected(z.error());
    blocks.push_back(RawBlock{std::move(*z), text.size()});
    text.clear();
    return {};
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!text.empty() && text.size() + raws[i].size() > kRawBlockBytes) {
      if (auto r = close(); !r) return tl::unexpected(r.error());
    }
    StoredMeasurement& m = *rows[i];
    m.raw_block = first_block + static_cast<uint32_t>(blocks.size());
    m.raw_offset = text.size();
    m.raw_size = raws[i].size();
    m.raw_zstd.clear();
    text.append(raws[i]);
  }
  if (auto r = close(); !r) return tl::unexpected(r.error());
  return blocks;
}

Result<std::string_view> StoredBytesReader::Read(std::optional<int64_t> block, uint64_t offset, uint64_t size,
                                                 std::string_view raw_zstd) {
  if (!block) {
    block_.reset();
    auto raw = ZstdDecompress(raw_zstd, size);
    if (!raw) return tl::unexpected(raw.error());
    if (raw->size() != size) return Fail("parse_error", "a stored measurement is shorter than its recorded size");
    text_ = std::move(*raw);
    return std::string_view(text_);
  }
  if (block_ != block) {
    block_.reset();
    auto z = load_(*block);
    if (!z) return tl::unexpected(z.error());
    auto text = ZstdDecompress(*z);
    if (!text) return tl::unexpected(text.error());
    text_ = std::move(*text);
    block_ = block;
  }
  if (offset > text_.size() || size > text_.size() - offset) {
    return Fail("parse_error", fmt::format("block {} is shorter than the rows that point into it", *block));
  }
  return std::string_view(text_).substr(offset, size);
}

Result<StoredMeasurement> PrepareMeasurement(const analysis::AnalysisRecord& record,
                                             std::string_view raw, const PrepareOptions& options,
                                             bool padded) {
  // The analyser has read the start time already; parse the raw bytes only for a record
  // that does not carry it.
  Result<WallTime> start = Fail("invalid_argument", "measurement_start_time is missing or not a string");
  if (!record.measurement_start_time.empty()) {
    if (auto t = ParseTime(record.measurement_start_time)) {
      start = *t;
    } else {
      start = Fail("invalid_argument",
                   fmt::format("measurement_start_time \"{}\" is not a UTC time", record.measurement_start_time));
    }
  } else {
    start = StartTime(raw, padded);
  }
  if (!start) return tl::unexpected(start.error());
  StoredMeasurement m;
  m.report_id = record.report_id;
  m.input = record.input;
  m.domain = analysis::DomainOf(record.input);
  m.test_name = record.test_name;
  m.probe_cc = record.probe_cc.empty() ? "ZZ" : record.probe_cc;
  m.probe_asn = ParseAsn(record.probe_asn).value_or(0);
  m.measurement_start_time = std::chrono::floor<std::chrono::seconds>(*start);
  m.verdict = record.verdict;
  m.category_code = options.category_code;
  m.raw_size = raw.size();
  if (record.measurement_uid && !record.measurement_uid->empty()) {
    m.measurement_uid = *record.measurement_uid;
    m.idempotency_key = *record.measurement_uid;
  } else {
    m.idempotency_key = ContentKey(raw);  // only keyed by the bytes when there is no uid
    m.measurement_uid = MakeMeasurementUid(options.received_at.value_or(*start), m.probe_cc, m.test_name,
                                           std::string_view(m.idempotency_key).substr(kContentKeyPrefix.size()));
  }
  if (options.already_stored && options.already_stored(m.idempotency_key)) {
    m.already_stored = true;
    return m;
  }
  if (!options.compress) {
    m.raw_block = 0;
    return m;
  }
  auto z = ZstdCompress(raw, options.zstd_level);
  if (!z) return tl::unexpected(z.error());
  m.raw_zstd = std::move(*z);
  return m;
}

}  // namespace vigil::store
