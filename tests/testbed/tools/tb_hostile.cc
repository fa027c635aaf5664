// tb_hostile: the testbed's misbehaving servers and its DNS injector, one small program with a
// mode per behaviour. Each listens only on the address it is given (inside a testbed
// namespace) and bounds what it does: connections at once, bytes and seconds per connection,
// and the lifetime of the process (an hour), so a forgotten instance cannot run forever.
//
//   tb_hostile dns-many ADDR:PORT COUNT      UDP DNS server: every answer carries COUNT A records
//   tb_hostile endless-header ADDR:PORT      HTTP: a status line, then header lines forever
//   tb_hostile endless-body ADDR:PORT        HTTP: a valid header, then a body that never ends
//   tb_hostile trickle ADDR:PORT             HTTP: a valid response, one byte a second
//   tb_hostile tls-garbage ADDR:PORT         TCP: random bytes where a TLS ServerHello belongs
//   tb_hostile middlebox ADDR:PORT FILE      HTTP: a censor's injected blockpage, as middleboxes
//                                            send it (minimal header, FILE as body, close)
//   tb_hostile dns-slow ADDR:PORT NAME IP MS A far-away authoritative server: answers A queries
//                                            for NAME with IP (other types: no records) after
//                                            MS milliseconds, so an injector closer to the
//                                            client wins the race every time
//   tb_hostile dns-inject LOCAL_IP NAME IP   On the ISP: for every A query for NAME sent to
//                                            LOCAL_IP:53, send a forged answer (IP) at once,
//                                            racing the real resolver's answer
//
// The injector reads queries from a raw IPPROTO_UDP socket, which receives a copy of every UDP
// datagram delivered to this namespace, and answers through the same socket, so the forged
// datagram leaves from LOCAL_IP:53 like the real one. The real resolver still answers, later.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kMaxConnections = 64;
constexpr std::size_t kMaxBytesPerConnection = std::size_t{256} << 20;
constexpr auto kMaxSecondsPerConnection = 180s;
constexpr unsigned kLifetimeSeconds = 3600;

std::atomic<int> g_connections{0};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tb_hostile: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

std::optional<sockaddr_in> ParseEndpoint(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &sa.sin_addr) != 1) return std::nullopt;
  int port = std::atoi(s.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return std::nullopt;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  return sa;
}

int Listen(const sockaddr_in& sa, int type) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) Die("bind");
  if (type == SOCK_STREAM && listen(fd, 64) != 0) Die("listen");
  return fd;
}

// Writes all of buf; false when the peer went away.
bool WriteAll(int fd, std::string_view buf) {
  while (!buf.empty()) {
    ssize_t n = send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    buf.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads (and ignores) the request's first bytes, with a short timeout.
void SwallowRequest(int fd) {
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  (void)recv(fd, buf, sizeof buf, 0);
}

// Sends head, then repeats chunk until a bound is hit or the peer leaves; pause between chunks.
void Stream(int fd, std::string_view head, const std::string& chunk,
            std::chrono::milliseconds pause) {
  const auto deadline = Clock::now() + kMaxSecondsPerConnection;
  std::size_t sent = 0;
  if (!WriteAll(fd, head)) return;
  while (Clock::now() < deadline && sent < kMaxBytesPerConnection) {
    if (!WriteAll(fd, chunk)) return;
    sent += chunk.size();
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

template <typename Handler>
[[noreturn]] void ServeTcp(const sockaddr_in& sa, Handler handler) {
  int lfd = Listen(sa, SOCK_STREAM);
  for (;;) {
    int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0) continue;
    if (g_connections.load() >= kMaxConnections) {
      close(fd);
      continue;
    }
    ++g_connections;
    std::thread([fd, handler] {
      handler(fd);
      close(fd);
      --g_connections;
    }).detach();
  }
}

void EndlessHeader(int fd) {
  SwallowRequest(fd);
  std::string line = "X-Endless: " + std::string(1000, 'h') + "\r\n";
  Stream(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", line, 0ms);
}

void EndlessBody(int fd) {
  SwallowRequest(fd);
  Stream(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body>",
         std::string(16384, 'b'), 0ms);
}

void Trickle(int fd) {
  SwallowRequest(fd);
  static const std::string kBody =
      "<html><head><title>slow</title></head><body>trickle</body></html>";
  static const std::string kResponse =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
      std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
  const auto deadline = Clock::now() + kMaxSecondsPerConnection;
  for (char c : kResponse) {
    if (Clock::now() >= deadline || !WriteAll(fd, std::string_view(&c, 1))) return;
    std::this_thread::sleep_for(1s);
  }
}

void TlsGarbage(int fd) {
  SwallowRequest(fd);  // the ClientHello
  std::mt19937 rng(42);
  std::string junk(16384, '\0');
  for (auto& c : junk) c = static_cast<char>(rng() & 0xff);
  if (!WriteAll(fd, junk)) return;
  // Keep the connection open, silent, until the client gives up (bounded).
  timeval tv{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

void MiddleboxPage(int fd, const std::string& body) {
  SwallowRequest(fd);
  WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body);
  shutdown(fd, SHUT_WR);
}

std::string ReadFile(const char* path) {
  std::string out;
  if (FILE* f = std::fopen(path, "rb")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && out.size() < (1u << 20))
      out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// Parses the question of a DNS query: (lower-case name, qtype, end offset). nullopt if malformed.
struct Question {
  std::string name;
  uint16_t qtype = 0;
  std::size_t end = 0;
};
std::optional<Question> ParseQuestion(const uint8_t* p, std::size_t n) {
  if (n < 12 || (p[2] & 0x80) != 0 || p[4] != 0 || p[5] != 1) return std::nullopt;
  Question q;
  std::size_t i = 12;
  while (i < n && p[i] != 0) {
    std::size_t len = p[i];
    if (len > 63 || i + 1 + len >= n) return std::nullopt;
    if (!q.name.empty()) q.name += '.';
    for (std::size_t k = 0; k < len; ++k) q.name += static_cast<char>(std::tolower(p[i + 1 + k]));
    i += 1 + len;
  }
  if (i + 5 > n) return std::nullopt;
  q.qtype = static_cast<uint16_t>((p[i + 1] << 8) | p[i + 2]);
  q.end = i + 5;
  return q;
}

void Put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

// A response to the query in p[0..q.end) with the given A records.
std::string BuildAnswer(const uint8_t* p, const Question& q, const std::vector<uint32_t>& addrs) {
  std::string out(reinterpret_cast<const char*>(p), q.end);
  out[2] = static_cast<char>(0x84 | (p[2] & 0x01));  // QR, AA, the query's RD
  out[3] = static_cast<char>(0x80);                  // RA, NOERROR
  out[6] = static_cast<char>(addrs.size() >> 8);
  out[7] = static_cast<char>(addrs.size() & 0xff);
  out[8] = out[9] = out[10] = out[11] = 0;
  for (uint32_t a : addrs) {
    Put16(out, 0xC00C);  // the question's name
    Put16(out, 1);       // A
    Put16(out, 1);       // IN
    Put16(out, 0);
    Put16(out, 60);  // TTL
    Put16(out, 4);
    uint32_t be = htonl(a);
    out.append(reinterpret_cast<const char*>(&be), 4);
  }
  return out;
}

[[noreturn]] void DnsMany(const sockaddr_in& sa, int count) {
  count = std::clamp(count, 1, 4000);
  int fd = Listen(sa, SOCK_DGRAM);
  std::vector<uint32_t> addrs;
  // 10.231.200.0/22: routed to the ISP, which answers host-unreachable at once.
  const uint32_t base = (10u << 24) | (231u << 16) | (200u << 8);
  for (int i = 0; i < count; ++i) addrs.push_back(base + static_cast<uint32_t>(i));
  for (;;) {
    uint8_t buf[1500];
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n <= 0) continue;
    auto q = ParseQuestion(buf, static_cast<std::size_t>(n));
    if (!q) continue;
    std::string answer = BuildAnswer(buf, *q, addrs);
    sendto(fd, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&peer), plen);
  }
}

[[noreturn]] void DnsSlow(const sockaddr_in& sa, std::string name, const std::string& ip,
                          int delay_ms) {
  in_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    std::fprintf(stderr, "tb_hostile: dns-slow: bad address\n");
    std::exit(2);
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto delay = std::chrono::milliseconds(std::clamp(delay_ms, 0, 5000));
  int fd = Listen(sa, SOCK_DGRAM);
  for (;;) {
    uint8_t buf[1500];
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n <= 0) continue;
    auto q = ParseQuestion(buf, static_cast<std::size_t>(n));
    if (!q || g_connections.load() >= kMaxConnections) continue;
    std::vector<uint32_t> addrs;
    if (q->name == name && q->qtype == 1) addrs.push_back(ntohl(addr.s_addr));
    std::string answer = BuildAnswer(buf, *q, addrs);
    ++g_connections;
    std::thread([fd, answer, peer, plen, delay] {
      std::this_thread::sleep_for(delay);
      sendto(fd, answer.data(), answer.size(), 0, reinterpret_cast<const sockaddr*>(&peer), plen);
      --g_connections;
    }).detach();
  }
}

[[noreturn]] void DnsInject(const std::string& local_ip, std::string name,
                            const std::string& forged) {
  in_addr local{}, fake{};
  if (inet_pton(AF_INET, local_ip.c_str(), &local) != 1 ||
      inet_pton(AF_INET, forged.c_str(), &fake) != 1) {
    std::fprintf(stderr, "tb_hostile: dns-inject: bad address\n");
    std::exit(2);
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
  if (fd < 0) Die("raw socket");
  std::fprintf(stderr, "tb_hostile: injecting %s A %s for queries to %s:53\n", name.c_str(),
               forged.c_str(), local_ip.c_str());
  for (;;) {
    uint8_t buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < static_cast<ssize_t>(sizeof(iphdr) + sizeof(udphdr))) continue;
    const auto* ip = reinterpret_cast<const iphdr*>(buf);
    std::size_t ihl = ip->ihl * 4u;
    if (ip->daddr != local.s_addr || static_cast<std::size_t>(n) < ihl + sizeof(udphdr)) continue;
    const auto* udp = reinterpret_cast<const udphdr*>(buf + ihl);
    if (ntohs(udp->dest) != 53) continue;
    const uint8_t* dns = buf + ihl + sizeof(udphdr);
    std::size_t dlen = static_cast<std::size_t>(n) - ihl - sizeof(udphdr);
    auto q = ParseQuestion(dns, dlen);
    if (!q || q->name != name || q->qtype != 1) continue;
    std::string answer = BuildAnswer(dns, *q, {ntohl(fake.s_addr)});
    std::string packet;
    Put16(packet, 53);
    Put16(packet, ntohs(udp->source));
    Put16(packet, static_cast<uint16_t>(8 + answer.size()));
    Put16(packet, 0);  // no checksum (allowed for IPv4)
    packet += answer;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = ip->saddr;
    if (sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
      std::perror("tb_hostile: sendto");
    } else {
      std::fprintf(stderr, "tb_hostile: injected an answer for %s\n", name.c_str());
    }
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: tb_hostile dns-many ADDR:PORT COUNT | endless-header ADDR:PORT |\n"
               "       endless-body ADDR:PORT | trickle ADDR:PORT | tls-garbage ADDR:PORT |\n"
               "       middlebox ADDR:PORT FILE | dns-slow ADDR:PORT NAME IP MS |\n"
               "       dns-inject LOCAL_IP NAME FORGED_IP\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  signal(SIGPIPE, SIG_IGN);
  alarm(kLifetimeSeconds);  // SIGALRM ends the process
  std::string mode = argv[1];
  if (mode == "dns-inject") {
    if (argc != 5) return Usage();
    DnsInject(argv[2], argv[3], argv[4]);
  }
  auto ep = ParseEndpoint(argv[2]);
  if (!ep) return Usage();
  setvbuf(stderr, nullptr, _IOLBF, 0);
  if (mode == "dns-many") {
    if (argc != 4) return Usage();
    DnsMany(*ep, std::atoi(argv[3]));
  }
  if (mode == "dns-slow") {
    if (argc != 6) return Usage();
    DnsSlow(*ep, argv[3], argv[4], std::atoi(argv[5]));
  }
  if (mode == "endless-header") ServeTcp(*ep, EndlessHeader);
  if (mode == "endless-body") ServeTcp(*ep, EndlessBody);
  if (mode == "trickle") ServeTcp(*ep, Trickle);
  if (mode == "tls-garbage") ServeTcp(*ep, TlsGarbage);
  if (mode == "middlebox") {
    if (argc != 4) return Usage();
    std::string page = ReadFile(argv[3]);
    if (page.empty()) {
      std::fprintf(stderr, "tb_hostile: cannot read %s\n", argv[3]);
      return 1;
    }
    ServeTcp(*ep, [page](int fd) { MiddleboxPage(fd, page); });
  }
  return Usage();
}
