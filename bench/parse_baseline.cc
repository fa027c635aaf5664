// parse_baseline: the "parse-only" baseline of the benchmarks. Reads a JSONL file with the
// same line reader as vigil and parses every line with simdjson's DOM parser, nothing else,
// then prints "lines bytes seconds".
#include <chrono>
#include <cstdio>

#include <simdjson.h>

#include "core/line_reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: parse_baseline FILE.jsonl\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  auto reader = vigil::LineReader::Open(argv[1]);
  if (!reader) {
    std::fprintf(stderr, "%s\n", reader.error().ToString().c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  size_t lines = 0, errors = 0;
  for (;;) {
    auto line = (*reader)->Next();
    if (!line || !*line) break;
    simdjson::dom::element doc;
    if (parser.parse((*line)->data(), (*line)->size()).get(doc) != simdjson::SUCCESS) ++errors;
    ++lines;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu %zu %.6f\n", lines, (*reader)->bytes_consumed(), secs);
  return errors == 0 ? 0 : 1;
}
