#include "geo/country_db.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace vigil::geo {
namespace {

// Writes a small IPv4 MaxMind DB (format 2.0, 24-bit records) so that CountryDb is tested
// on a real file without the npm data. Values are pre-encoded data-section bytes.
class MmdbWriter {
 public:
  static std::string Str(std::string_view s) {
    std::string out(1, static_cast<char>((2 << 5) | s.size()));  // s.size() < 29
    return out + std::string(s);
  }
  static std::string Uint(int type, uint64_t v) {  // 5 = uint16, 6 = uint32, 9 = uint64
    std::string bytes;
    for (; v != 0; v >>= 8) bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
    if (type <= 7) {
      return std::string(1, static_cast<char>((static_cast<size_t>(type) << 5) | bytes.size())) +
             bytes;
    }
    return std::string{static_cast<char>(bytes.size()), static_cast<char>(type - 7)} + bytes;
  }
  static std::string Map(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out(1, static_cast<char>((7 << 5) | pairs.size()));
    for (const auto& [k, v] : pairs) out += Str(k) + v;
    return out;
  }
  static std::string Array(const std::vector<std::string>& items) {
    std::string out{static_cast<char>(items.size()), static_cast<char>(11 - 7)};
    for (const auto& item : items) out += item;
    return out;
  }

  // Maps the IPv4 prefix a.b.c.d/len to an encoded value.
  void Add(uint32_t prefix, int len, std::string value) {
    const auto data = static_cast<int64_t>(data_.size());
    data_ += value;
    int node = 0;
    for (int bit = 0; bit < len; ++bit) {
      const size_t side = (prefix >> (31 - bit)) & 1;
      if (bit == len - 1) {
        nodes_[static_cast<size_t>(node)][side] = -2 - data;  // data at offset `data`
      } else {
        if (nodes_[static_cast<size_t>(node)][side] <= 0) {
          nodes_.push_back({0, 0});
          nodes_[static_cast<size_t>(node)][side] = static_cast<int64_t>(nodes_.size() - 1);
        }
        node = static_cast<int>(nodes_[static_cast<size_t>(node)][side]);
      }
    }
  }

  std::string Build() const {
    const auto count = static_cast<uint32_t>(nodes_.size());
    std::string out;
    for (const auto& node : nodes_) {
      for (int64_t record : node) {
        uint32_t value = count;  // empty
        if (record > 0) value = static_cast<uint32_t>(record);
        if (record <= -2) value = count + 16 + static_cast<uint32_t>(-2 - record);
        for (int shift : {16, 8, 0}) out += static_cast<char>((value >> shift) & 0xff);
      }
    }
    out += std::string(16, '\0') + data_ + "\xAB\xCD\xEFMaxMind.com";
    out += Map({{"binary_format_major_version", Uint(5, 2)},
                {"binary_format_minor_version", Uint(5, 0)},
                {"build_epoch", Uint(9, 1700000000)},
                {"database_type", Str("vigil-test-country")},
                {"description", Map({{"en", Str("test")}})},
                {"ip_version", Uint(5, 4)},
                {"languages", Array({Str("en")})},
                {"node_count", Uint(6, count)},
                {"record_size", Uint(5, 24)}});
    return out;
  }

 private:
  // Per node, left and right record: >0 child node, 0 empty, <=-2 data offset (-2 - x).
  std::vector<std::array<int64_t, 2>> nodes_{{0, 0}};
  std::string data_;
};

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

class CountryDbTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) /
            ("vigil-" + std::to_string(::getpid()) + "-" + name)).string();
  }
  std::string WriteTestDb() {
    MmdbWriter w;
    w.Add(V4(8, 0, 0, 0), 8, MmdbWriter::Map({{"country_code", MmdbWriter::Str("US")}}));
    w.Add(V4(41, 202, 0, 0), 16, MmdbWriter::Map({{"country_code", MmdbWriter::Str("cm")}}));
    w.Add(V4(2, 0, 0, 0), 8,
          MmdbWriter::Map({{"country", MmdbWriter::Map({{"iso_code", MmdbWriter::Str("FR")}})}}));
    w.Add(V4(3, 0, 0, 0), 8, MmdbWriter::Map({{"country_code", MmdbWriter::Uint(5, 7)}}));
    w.Add(V4(4, 0, 0, 0), 8, MmdbWriter::Map({{"country_code", MmdbWriter::Str("")}}));
    w.Add(V4(5, 0, 0, 0), 8, MmdbWriter::Map({{"city", MmdbWriter::Str("Paris")}}));
    const std::string path = Path("test-country.mmdb");
    std::ofstream(path, std::ios::binary) << w.Build();
    return path;
  }
  std::optional<std::string> Cc(const CountryDb& db, std::string_view ip) {
    auto cc = db.Lookup(ip);
    EXPECT_TRUE(cc.has_value()) << ip << ": " << cc.error().ToString();
    return cc ? *cc : std::optional<std::string>("<error>");
  }
};

TEST_F(CountryDbTest, LooksUpCountryCodes) {
  auto db = CountryDb::Open(WriteTestDb());
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_EQ((*db)->database_type(), "vigil-test-country");
  EXPECT_EQ(Cc(**db, "8.8.8.8"), "US");
  EXPECT_EQ(Cc(**db, "8.255.255.255"), "US");
  EXPECT_EQ(Cc(**db, "::ffff:8.0.0.1"), "US");
  EXPECT_EQ(Cc(**db, "41.202.219.1"), "CM");  // stored lower case
  EXPECT_EQ(Cc(**db, "41.203.0.0"), std::nullopt);
  EXPECT_EQ(Cc(**db, "2.3.4.5"), "FR");       // GeoLite2 layout
  EXPECT_EQ(Cc(**db, "9.0.0.0"), std::nullopt);
  EXPECT_EQ(Cc(**db, "7.255.255.255"), std::nullopt);
}

TEST_F(CountryDbTest, UnusableRecordsHaveNoCountry) {
  auto db = CountryDb::Open(WriteTestDb());
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_EQ(Cc(**db, "3.1.1.1"), std::nullopt);  // not a string
  EXPECT_EQ(Cc(**db, "4.1.1.1"), std::nullopt);  // empty
  EXPECT_EQ(Cc(**db, "5.1.1.1"), std::nullopt);  // no country at all
}

TEST_F(CountryDbTest, IPv6InIPv4DatabaseHasNoCountry) {
  auto db = CountryDb::Open(WriteTestDb());
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_EQ(Cc(**db, "2001:4860::1"), std::nullopt);
}

TEST_F(CountryDbTest, NonAddressIsInvalidArgument) {
  auto db = CountryDb::Open(WriteTestDb());
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  auto cc = (*db)->Lookup("not-an-ip");
  ASSERT_FALSE(cc.has_value());
  EXPECT_EQ(cc.error().failure, "invalid_argument");
}

TEST_F(CountryDbTest, MissingFileIsNotFound) {
  auto db = CountryDb::Open(Path("no-such.mmdb"));
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().failure, "not_found");
  EXPECT_NE(db.error().message.find("no-such.mmdb"), std::string::npos);
}

TEST_F(CountryDbTest, CorruptFileIsParseError) {
  const std::string garbage = Path("garbage.mmdb");
  std::ofstream(garbage, std::ios::binary) << std::string(4096, 'x');
  const std::string empty = Path("empty.mmdb");
  std::ofstream(empty, std::ios::binary).flush();
  MmdbWriter w;
  w.Add(V4(8, 0, 0, 0), 8, MmdbWriter::Map({{"country_code", MmdbWriter::Str("US")}}));
  const std::string good = w.Build();
  auto with = [&](const std::string& key, const std::string& from, const std::string& to) {
    std::string bad = good;
    const std::string needle = MmdbWriter::Str(key) + from;
    const size_t at = bad.find(needle);
    EXPECT_NE(at, std::string::npos) << key;
    return bad.replace(at, needle.size(), MmdbWriter::Str(key) + to);
  };
  // A search tree larger than the file, and a record size no reader knows.
  const std::string truncated = Path("truncated.mmdb");
  std::ofstream(truncated, std::ios::binary)
      << with("node_count", MmdbWriter::Uint(6, 8), MmdbWriter::Uint(6, 1000000));
  const std::string odd_record = Path("odd-record.mmdb");
  std::ofstream(odd_record, std::ios::binary)
      << with("record_size", MmdbWriter::Uint(5, 24), MmdbWriter::Uint(5, 23));
  for (const std::string& path : {garbage, empty, truncated, odd_record}) {
    auto db = CountryDb::Open(path);
    ASSERT_FALSE(db.has_value()) << path;
    EXPECT_EQ(db.error().failure, "parse_error") << path << ": " << db.error().ToString();
    EXPECT_NE(db.error().message.find(path), std::string::npos);
  }
}

TEST_F(CountryDbTest, DirectoryIsAnError) {
  auto db = CountryDb::Open(::testing::TempDir());
  ASSERT_FALSE(db.has_value());
  EXPECT_NE(db.error().message.find("cannot open country database"), std::string::npos)
      << db.error().ToString();
}

}  // namespace
}  // namespace vigil::geo
