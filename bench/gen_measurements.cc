// gen_measurements: writes a large JSONL of OONI measurements derived from real ones, for
// benchmarks. Each output line is a real measurement with a fresh measurement_uid, a
// shifted measurement_start_time, and a probe_cc/probe_asn drawn from a fixed list.
//
//   gen_measurements SAMPLE.jsonl OUT.jsonl --mb 200      (at least 200 MB)
//   gen_measurements SAMPLE.jsonl OUT.jsonl --count 1000000
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace {

// Replaces the string value of "key":"..." (first occurrence) with value.
void SetString(std::string& line, std::string_view key, std::string_view value) {
  std::string needle = fmt::format("\"{}\":\"", key);
  size_t at = line.find(needle);
  if (at == std::string::npos) return;
  size_t start = at + needle.size();
  size_t end = line.find('"', start);
  if (end == std::string::npos) return;
  line.replace(start, end - start, value);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: gen_measurements SAMPLE.jsonl OUT.jsonl (--mb N | --count N)\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::vector<std::string> sample;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) sample.push_back(line);
  }
  if (sample.empty()) {
    std::fprintf(stderr, "gen_measurements: no measurements in %s\n", argv[1]);
    return 1;
  }
  bool by_mb = std::strcmp(argv[3], "--mb") == 0;
  unsigned long long target = std::strtoull(argv[4], nullptr, 10);
  if (by_mb) target <<= 20;
  std::FILE* out = std::fopen(argv[2], "wb");
  if (out == nullptr) {
    std::perror(argv[2]);
    return 1;
  }
  static const char* kCountries[][2] = {{"CM", "AS30992"}, {"UG", "AS20294"}, {"IN", "AS55836"},
                                        {"IR", "AS197207"}, {"RU", "AS12389"}, {"IT", "AS30722"},
                                        {"CD", "AS37020"}, {"ET", "AS24757"}};
  unsigned long long bytes = 0, count = 0;
  std::string line;
  while (by_mb ? bytes < target : count < target) {
    const std::string& base = sample[count % sample.size()];
    const auto& cc = kCountries[(count / sample.size()) % 8];
    unsigned long long second = 1700000000ULL + count * 7;
    long long day = static_cast<long long>(second / 86400);
    // Civil date from days since epoch (Howard Hinnant's algorithm).
    long long z = day + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    unsigned long long sod = second % 86400;
    std::string when = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
    line = base;
    SetString(line, "measurement_start_time", when);
    SetString(line, "probe_cc", cc[0]);
    SetString(line, "probe_asn", cc[1]);
    std::string uid = fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:06}Z_bench_{}_{}", y, m, d, sod / 3600,
                                  sod / 60 % 60, sod % 60, count % 1000000, cc[0], count);
    if (line.find("\"measurement_uid\":\"") != std::string::npos) {
      SetString(line, "measurement_uid", uid);
    } else {
      line.insert(1, fmt::format("\"measurement_uid\":\"{}\",", uid));
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out);
    bytes += line.size();
    ++count;
  }
  std::fclose(out);
  std::fprintf(stderr, "gen_measurements: %llu measurements, %.1f MB\n", count, static_cast<double>(bytes) / 1e6);
  return 0;
}
