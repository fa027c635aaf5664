#include "prober/state_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/failure.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "geo/ip_address.h"

namespace vigil::prober {
namespace {

constexpr std::string_view kFormat = "vigil-prober-state";

tl::unexpected<Error> Bad(const std::string& what) {
  return Fail(std::string(failure::kParseError), "prober state: " + what);
}

Result<SurveyedBlock> ParseBlock(json::Element e) {
  auto o = json::AsObject(e);
  if (!o) return Bad("a block is not an object");
  SurveyedBlock out;
  auto name = json::StringField(*o, "block");
  if (!name) return Bad("a block has no \"block\"");
  auto slash = name->find('/');
  auto ip = geo::ParseIp(name->substr(0, slash));
  if (slash == std::string_view::npos || name->substr(slash) != "/24" || !ip || !ip->IsV4() ||
      (ip->V4() & 0xff) != 0) {
    return Bad("bad block '" + std::string(*name) + "'");
  }
  out.survey.prefix = ip->V4();
  auto availability = json::Field(*o, "availability");
  auto a = availability ? json::AsDouble(*availability) : std::nullopt;
  if (!a || !std::isfinite(*a) || *a < 0 || *a > 1) {
    return Bad("block " + std::string(*name) + ": availability must be in [0, 1]");
  }
  out.survey.availability = *a;
  auto er = json::Field(*o, "ever_responsive");
  auto list = er ? json::AsArray(*er) : std::nullopt;
  if (!list) return Bad("block " + std::string(*name) + ": no ever_responsive list");
  int last = -1;
  for (auto item : *list) {
    auto octet = json::AsInt(item);
    if (!octet || *octet <= last || *octet > 255) {
      return Bad("block " + std::string(*name) + ": ever_responsive must be ascending octets");
    }
    last = static_cast<int>(*octet);
    out.survey.ever_responsive.push_back(static_cast<uint8_t>(*octet));
  }
  if (auto ents = json::Field(*o, "entities")) {
    auto arr = json::AsArray(*ents);
    if (!arr) return Bad("block " + std::string(*name) + ": entities is not a list");
    for (auto item : *arr) {
      auto eo = json::AsObject(item);
      auto type = eo ? json::StringField(*eo, "type") : std::nullopt;
      auto code = eo ? json::StringField(*eo, "code") : std::nullopt;
      if (!type || !code) return Bad("block " + std::string(*name) + ": bad entity");
      out.entities.push_back({std::string(*type), std::string(*code)});
    }
  }
  return out;
}

}  // namespace

std::string SerializeState(const ProberState& state) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("format").String(kFormat);
  w.Key("version").Int(1);
  w.Key("method").String(state.method);
  w.Key("created").String(state.created);
  w.Key("passes").Int(state.passes);
  w.Key("probes").Uint(state.probes);
  w.Key("seconds").Double(state.seconds);
  w.Key("max_rate").Double(state.max_rate);
  w.Key("blocks").BeginArray();
  for (const auto& b : state.blocks) {
    out += '\n';
    w.BeginObject();
    w.Key("block").String(BlockName(b.survey.prefix));
    w.Key("availability").Double(b.survey.availability);
    w.Key("ever_responsive").BeginArray();
    for (uint8_t octet : b.survey.ever_responsive) w.Uint(octet);
    w.EndArray();
    w.Key("entities").BeginArray();
    for (const auto& e : b.entities) {
      w.BeginObject().Key("type").String(e.type).Key("code").String(e.code).EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

Result<ProberState> ParseState(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  json::Element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return Bad("not JSON");
  auto o = json::AsObject(root);
  if (!o || json::StringField(*o, "format") != kFormat) return Bad("not a prober state file");
  auto version = json::Field(*o, "version");
  if (!version || json::AsInt(*version) != 1) return Bad("unsupported version");
  ProberState state;
  state.method = std::string(json::StringField(*o, "method").value_or(""));
  state.created = std::string(json::StringField(*o, "created").value_or(""));
  if (auto passes = json::Field(*o, "passes")) {
    state.passes = static_cast<int>(json::AsInt(*passes).value_or(0));
  }
  if (auto probes = json::Field(*o, "probes")) {
    state.probes = static_cast<uint64_t>(std::max<int64_t>(0, json::AsInt(*probes).value_or(0)));
  }
  if (auto seconds = json::Field(*o, "seconds")) state.seconds = json::AsDouble(*seconds).value_or(0);
  if (auto rate = json::Field(*o, "max_rate")) state.max_rate = json::AsDouble(*rate).value_or(0);
  auto blocks = json::Field(*o, "blocks");
  auto list = blocks ? json::AsArray(*blocks) : std::nullopt;
  if (!list) return Bad("no blocks list");
  for (auto item : *list) {
    auto block = ParseBlock(item);
    if (!block) return tl::unexpected(block.error());
    state.blocks.push_back(std::move(*block));
  }
  return state;
}

Result<void> WriteStateFile(const std::string& path, const ProberState& state) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << SerializeState(state);
    f.flush();
    if (!f) return Fail(std::string(failure::kIoError), "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Fail(std::string(failure::kIoError), "cannot rename " + tmp + " to " + path);
  }
  return {};
}

Result<ProberState> ReadStateFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Fail(std::string(failure::kIoError), "cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  auto state = ParseState(ss.str());
  if (!state) return Fail(state.error().failure, path + ": " + state.error().message);
  return state;
}

}  // namespace vigil::prober
