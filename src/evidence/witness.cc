#include "evidence/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/private_file.h"
#include "evidence/checkpoint.h"
#include "evidence/merkle.h"
#include "evidence/note.h"

namespace vigil::evidence {
namespace {

constexpr size_t kMaxProofLines = 63;
constexpr size_t kMaxRequest = kMaxNoteBytes + 64 * 64;

Witness::Answer Status(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

}  // namespace

std::string FormatAddCheckpoint(uint64_t old_size, std::span<const Hash> proof, std::string_view signed_checkpoint) {
  std::string out = fmt::format("old {}\n", old_size);
  for (const Hash& h : proof) out += Base64Of(h) + "\n";
  out += "\n";
  out += signed_checkpoint;
  return out;
}

Witness::Witness(SigningKey key, std::vector<WitnessedLog> logs, std::string path, const Clock& clock, int lock_fd)
    : key_(std::move(key)), logs_(std::move(logs)), path_(std::move(path)), clock_(clock), lock_fd_(lock_fd) {}

Witness::~Witness() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<Witness>> Witness::Open(SigningKey key, std::vector<WitnessedLog> logs,
                                               const std::string& state_path, const Clock& clock) {
  // A lock file beside the state: flock, not a POSIX record lock, and on a file of its own.
  const std::string lock_path = state_path + ".lock";
  if (auto r = MakePrivateFolders(std::filesystem::path(lock_path).parent_path().string()); !r) {
    return tl::unexpected(r.error());
  }
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("io_error", fmt::format("cannot open {}: {}", lock_path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Fail("io_error", fmt::format("another witness process uses {}", state_path));
  }
  std::unique_ptr<Witness> w(new Witness(std::move(key), std::move(logs), state_path, clock, fd));
  std::ifstream in(state_path);
  std::string line;
  for (int n = 1; in && std::getline(in, line); ++n) {
    // "<size> <base64 root> <origin>"
    std::istringstream fields(line);
    std::string size_text, root_text;
    fields >> size_text >> root_text;
    std::string origin;
    std::getline(fields, origin);
    if (!origin.empty() && origin[0] == ' ') origin.erase(0, 1);
    auto root = HashFromBase64(root_text);
    if (size_text.empty() || size_text.find_first_not_of("0123456789") != std::string::npos || !root || origin.empty()) {
      return Fail("parse_error", fmt::format("{}:{}: not a witness state line", state_path, n));
    }
    w->state_[origin] = State{std::stoull(size_text), *root};
  }
  return w;
}

Result<void> Witness::Save() {
  std::string text;
  for (const auto& [origin, s] : state_) text += fmt::format("{} {} {}\n", s.size, Base64Of(s.root), origin);
  auto written = WritePrivateFile(path_, text);
  if (!written) return tl::unexpected(written.error());
  return {};
}

Witness::State Witness::Last(const std::string& origin) const {
  std::lock_guard lock(mu_);
  auto it = state_.find(origin);
  return it == state_.end() ? State{} : it->second;
}

Witness::Answer Witness::AddCheckpoint(std::string_view request) {
  if (request.size() > kMaxRequest) return Status(400, "the request is too large");
  const size_t first_nl = request.find('\n');
  if (first_nl == std::string_view::npos || !request.starts_with("old ")) {
    return Status(400, "the request starts with 'old <size>'");
  }
  const std::string_view old_text = request.substr(4, first_nl - 4);
  if (old_text.empty() || old_text.size() > 20 || old_text.find_first_not_of("0123456789") != std::string_view::npos ||
      (old_text.size() > 1 && old_text[0] == '0')) {
    return Status(400, "the old size is a decimal number without leading zeros");
  }
  const uint64_t old_size = std::stoull(std::string(old_text));
  std::vector<Hash> proof;
  size_t at = first_nl + 1;
  for (;;) {
    const size_t nl = request.find('\n', at);
    if (nl == std::string_view::npos) return Status(400, "the proof lines end with an empty line");
    if (nl == at) {
      at = nl + 1;
      break;
    }
    if (proof.size() == kMaxProofLines) return Status(400, "more than 63 proof lines");
    auto h = HashFromBase64(request.substr(at, nl - at));
    if (!h) return Status(400, "a proof line is not the base64 of a hash");
    proof.push_back(*h);
    at = nl + 1;
  }
  auto note = ParseNote(request.substr(at));
  if (!note) return Status(400, "the checkpoint is not a signed note: " + note.error().message);
  auto checkpoint = ParseCheckpointBody(note->text);
  if (!checkpoint) return Status(400, "not a checkpoint: " + checkpoint.error().message);
  const WitnessedLog* log = nullptr;
  for (const auto& l : logs_) {
    if (l.origin == checkpoint->origin) log = &l;
  }
  if (log == nullptr) return Status(404, "unknown log origin");
  auto verified = VerifyNote(*note, log->keys);
  if (!verified) return Status(403, "the log's signature: " + verified.error().message);
  if (old_size > checkpoint->size) return Status(400, "the old size is above the checkpoint's size");

  std::lock_guard lock(mu_);
  const State last = state_.count(log->origin) ? state_[log->origin] : State{0, EmptyTreeHash()};
  if (old_size != last.size) return {409, "text/x.tlog.size", fmt::format("{}\n", last.size)};
  if (checkpoint->size == 0 && checkpoint->root != EmptyTreeHash()) return Status(422, "an empty tree has the empty root");
  if (old_size == 0) {
    if (!proof.empty()) return Status(422, "no proof is needed from the empty tree");
  } else if (!VerifyConsistency(old_size, checkpoint->size, last.root, checkpoint->root, proof)) {
    // A log that shows a tree inconsistent with the one cosigned before has forked.
    return Status(422, fmt::format("the checkpoint of size {} is not consistent with the one of size {} cosigned "
                                   "before: the log may have forked",
                                   checkpoint->size, old_size));
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch()).count();
  const NoteSignature cosig = Cosign(key_, note->text, static_cast<uint64_t>(now));
  const State before = last;
  state_[log->origin] = State{checkpoint->size, checkpoint->root};
  if (auto saved = Save(); !saved) {
    state_[log->origin] = before;
    return Status(500, "cannot keep the witness state: " + saved.error().message);
  }
  return {200, "text/plain; charset=utf-8", cosig.Line()};
}

}  // namespace vigil::evidence
