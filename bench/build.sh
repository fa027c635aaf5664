# Sourced by the bench scripts: builds the given targets with the `release` preset
# (RelWithDebInfo, -O2 -g: what a packager ships, and perf can read it) in build/release,
# or, when BUILD names another folder, a Release build there (tests off).
#   . bench/build.sh; bench_build TARGET...   # sets BUILD
bench_build() {
  BUILD=${BUILD:-build/release}
  if [ "$BUILD" = build/release ]; then
    cmake --preset release >/dev/null
  else
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD" --target "$@" >/dev/null
}
