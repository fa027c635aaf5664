// `vigil bgp dump FILE...`: MRT files (RIPE RIS, RouteViews) as `bgpdump -m` prints them.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "apps/vigil/commands.h"
#include "disruption/bgpdump_format.h"
#include "disruption/mrt_reader.h"

namespace vigil::app {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

bool Flush(std::string& out) {
  bool ok = std::fwrite(out.data(), 1, out.size(), stdout) == out.size();
  out.clear();
  return ok;
}

// Returns the exit code: 0 if every file was read to its end and no record was malformed.
int DumpFiles(const std::vector<std::string>& files) {
  std::string out;
  out.reserve(kFlushBytes + (size_t{64} << 10));
  bool clean = true;
  for (const std::string& file : files) {
    auto reader = disruption::MrtReader::Open(file);
    if (!reader) {
      fmt::print(stderr, "vigil bgp dump: {}\n", reader.error().ToString());
      clean = false;
      continue;
    }
    uint64_t skipped = 0;
    for (;;) {
      auto next = (*reader)->Next();
      if (!next) {
        fmt::print(stderr, "vigil bgp dump: {}\n", next.error().ToString());
        clean = false;
        break;
      }
      const disruption::MrtRecord* record = *next;
      if (record == nullptr) break;
      disruption::AppendBgpdumpLines(*record, out);
      if (record->malformed()) {
        clean = false;
        for (const std::string& problem : record->problems) {
          fmt::print(stderr,
                     "vigil bgp dump: {}: offset {}: malformed MRT type {} subtype {}: {}\n", file,
                     record->offset, record->type, record->subtype, problem);
        }
      } else if (record->kind == disruption::RecordKind::kUnsupported) {
        ++skipped;
      }
      if (out.size() >= kFlushBytes && !Flush(out)) {
        fmt::print(stderr, "vigil bgp dump: cannot write to standard output\n");
        return 1;
      }
    }
    if (skipped > 0) {
      fmt::print(stderr,
                 "vigil bgp dump: {}: {} record(s) of types bgpdump does not print skipped\n", file,
                 skipped);
    }
  }
  if (!Flush(out) || std::fflush(stdout) != 0) {
    fmt::print(stderr, "vigil bgp dump: cannot write to standard output\n");
    return 1;
  }
  return clean ? 0 : 1;
}

}  // namespace

void AddBgpCommand(CLI::App& root) {
  CLI::App* bgp = root.add_subcommand("bgp", "Read BGP routing data (MRT files)");
  bgp->require_subcommand(1);
  CLI::App* dump = bgp->add_subcommand(
      "dump",
      "Print MRT files (TABLE_DUMP, TABLE_DUMP_V2 RIBs incl. ADD-PATH, BGP4MP/BGP4MP_ET updates\n"
      "and state changes; gzip or plain) exactly as `bgpdump -m` does, one line per prefix:\n"
      "  TABLE_DUMP2|time|B|peer ip|peer AS|prefix|AS path|origin|next hop|local pref|MED|\n"
      "    communities|AG or NAG|aggregator|\n"
      "  BGP4MP|time|A|...  BGP4MP|time|W|peer ip|peer AS|prefix  BGP4MP|time|STATE|...\n"
      "Lines go to standard output; malformed records are reported on standard error with\n"
      "the file and byte offset, and make the exit status 1 (their decodable part is still\n"
      "printed, as bgpdump would).");
  auto files = std::make_shared<std::vector<std::string>>();
  dump->add_option("FILE", *files, "MRT files (\"-\" reads standard input)")->required();
  dump->callback([files] { ExitCode() = DumpFiles(*files); });
}

}  // namespace vigil::app
