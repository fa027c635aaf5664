// tb_measure: runs a command with a deadline and reports its wall time, peak memory and exit
// status, so the testbed can assert that the probe finished in bounded time and memory.
//
//   tb_measure SECONDS STATS_FILE -- COMMAND [ARGS...]
//
// Writes to STATS_FILE one line: "wall_ms=N max_rss_kb=N status=N timed_out=0|1". When the
// deadline passes the command gets SIGTERM, then SIGKILL 5 s later. Exits with the command's
// exit status (128+signal when it was killed). SIGTERM and SIGINT sent to tb_measure are passed
// on to the command, so a testbed torn down early does not leave it running.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
volatile sig_atomic_t g_child = 0;
void Forward(int sig) {
  if (g_child > 0) kill(g_child, sig);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[3], "--") != 0) {
    std::fprintf(stderr, "usage: tb_measure SECONDS STATS_FILE -- COMMAND [ARGS...]\n");
    return 2;
  }
  const long limit_s = std::strtol(argv[1], nullptr, 10);
  const char* stats_path = argv[2];
  const auto start = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child < 0) {
    std::perror("tb_measure: fork");
    return 2;
  }
  if (child == 0) {
    execvp(argv[4], argv + 4);
    std::perror("tb_measure: exec");
    _exit(127);
  }
  g_child = child;
  signal(SIGTERM, Forward);
  signal(SIGINT, Forward);
  bool timed_out = false;
  int status = 0;
  rusage usage{};
  for (;;) {
    pid_t r = wait4(child, &status, WNOHANG, &usage);
    if (r == child) break;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      std::perror("tb_measure: wait4");
      return 2;
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (!timed_out && elapsed > std::chrono::seconds(limit_s)) {
      timed_out = true;
      kill(child, SIGTERM);
    }
    if (timed_out && elapsed > std::chrono::seconds(limit_s + 5)) kill(child, SIGKILL);
    usleep(20000);
  }
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* f = std::fopen(stats_path, "w")) {
    std::fprintf(f, "wall_ms=%lld max_rss_kb=%ld status=%d timed_out=%d\n",
                 static_cast<long long>(wall_ms), usage.ru_maxrss, code, timed_out ? 1 : 0);
    std::fclose(f);
  }
  return code;
}
