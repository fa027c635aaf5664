#include "geo/country_db.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/failure.h"

namespace vigil::geo {
namespace {

// A two-letter code in upper case, or nullopt for anything else.
std::optional<std::string> CountryCode(const MMDB_entry_data_s& data) {
  if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2) {
    return std::nullopt;
  }
  std::string code(data.utf8_string, data.data_size);
  for (char& c : code) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return code;
}

}  // namespace

void CountryDb::MmdbCloser::operator()(MMDB_s* mmdb) const {
  MMDB_close(mmdb);
  delete mmdb;
}

CountryDb::CountryDb(std::string path, std::unique_ptr<MMDB_s, MmdbCloser> mmdb)
    : path_(std::move(path)), mmdb_(std::move(mmdb)) {}

CountryDb::~CountryDb() = default;

Result<std::unique_ptr<CountryDb>> CountryDb::Open(const std::string& mmdb_path) {
  std::error_code ec;
  if (!std::filesystem::exists(mmdb_path, ec) && !ec) {
    return Fail(std::string(failure::kNotFound),
                fmt::format("country database {} does not exist", mmdb_path));
  }
  if (std::filesystem::is_regular_file(mmdb_path, ec) &&
      std::filesystem::file_size(mmdb_path, ec) == 0 && !ec) {
    return Fail(std::string(failure::kParseError),
                fmt::format("country database {} is empty", mmdb_path));
  }
  auto mmdb = std::make_unique<MMDB_s>();
  const int status = MMDB_open(mmdb_path.c_str(), MMDB_MODE_MMAP, mmdb.get());
  const int saved_errno = errno;
  if (status != MMDB_SUCCESS) {
    // MMDB_open frees what it allocated when it fails, so MMDB_close must not run.
    const std::string message = fmt::format("cannot open country database {}: {}", mmdb_path,
                                            MMDB_strerror(status));
    if (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR ||
        status == MMDB_OUT_OF_MEMORY_ERROR) {
      return Fail(std::string(failure::kIoError),
                  saved_errno != 0 ? message + " (" + std::strerror(saved_errno) + ")" : message);
    }
    return Fail(std::string(failure::kParseError), message);
  }
  return std::unique_ptr<CountryDb>(
      new CountryDb(mmdb_path, std::unique_ptr<MMDB_s, MmdbCloser>(mmdb.release())));
}

std::string CountryDb::database_type() const {
  const char* type = mmdb_->metadata.database_type;
  return type == nullptr ? std::string() : std::string(type);
}

Result<std::optional<std::string>> CountryDb::Lookup(const IpAddress& ip) const {
  sockaddr_storage storage{};
  if (ip.IsV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, ip.bytes.data() + 12, 4);
    std::memcpy(&storage, &sin, sizeof sin);
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    std::memcpy(&sin6.sin6_addr, ip.bytes.data(), 16);
    std::memcpy(&storage, &sin6, sizeof sin6);
  }
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) return std::nullopt;
  if (mmdb_error != MMDB_SUCCESS) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: lookup of {} failed: {}", path_, ip.ToString(),
                            MMDB_strerror(mmdb_error)));
  }
  if (!result.found_entry) return std::nullopt;

  MMDB_entry_data_s data{};
  int status = MMDB_get_value(&result.entry, &data, "country_code", nullptr);
  if (status == MMDB_SUCCESS && data.has_data) return CountryCode(data);
  if (status != MMDB_SUCCESS && status != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR &&
      status != MMDB_INVALID_LOOKUP_PATH_ERROR) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: record for {} is unreadable: {}", path_, ip.ToString(),
                            MMDB_strerror(status)));
  }
  data = {};
  status = MMDB_get_value(&result.entry, &data, "country", "iso_code", nullptr);
  if (status == MMDB_SUCCESS) return CountryCode(data);
  if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
      status == MMDB_INVALID_LOOKUP_PATH_ERROR) {
    return std::nullopt;
  }
  return Fail(std::string(failure::kParseError),
              fmt::format("{}: record for {} is unreadable: {}", path_, ip.ToString(),
                          MMDB_strerror(status)));
}

Result<std::optional<std::string>> CountryDb::Lookup(std::string_view ip) const {
  const std::optional<IpAddress> parsed = ParseIp(ip);
  if (!parsed) {
    return Fail(std::string(failure::kInvalidArgument),
                fmt::format("'{}' is not an IP address", ip));
  }
  return Lookup(*parsed);
}

}  // namespace vigil::geo
