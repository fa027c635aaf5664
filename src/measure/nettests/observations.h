// Converting the net library's observations into the OONI data model (measure/), and the
// per-measurement record nettests fill as they go. Nettests collect typed structs here and
// serialize once, through measure's writer.
//
// Thread-safety: pure functions; an Observations value belongs to one nettest run.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "measure/measurement.h"
#include "net/http_client.h"
#include "net/network.h"
#include "net/observations.h"

namespace vigil::measure::nettests {

DnsQuery ToDnsQuery(const net::DnsQueryResult& q);
TcpConnect ToTcpConnect(const net::TcpConnectResult& c);
TlsHandshake ToTlsHandshake(const net::TlsHandshakeResult& h);
HttpTransaction ToHttpTransaction(const net::HttpTransaction& h);
NetworkEvent ToNetworkEvent(const net::NetworkEvent& e);

// The lists OONI's tests share (df-001, -002, -005, -006, -008).
struct Observations {
  std::vector<DnsQuery> queries;
  std::vector<TcpConnect> tcp_connect;
  std::vector<TlsHandshake> tls_handshakes;
  std::vector<HttpTransaction> requests;  // newest first, as OONI lists them
  std::vector<NetworkEvent> network_events;

  void Add(const net::DnsQueryResult& q) { queries.push_back(ToDnsQuery(q)); }
  void Add(const net::TcpConnectResult& c) { tcp_connect.push_back(ToTcpConnect(c)); }
  void Add(const net::TlsProbe& p);
  // Everything an HTTP fetch recorded; its transactions go before older ones.
  void Add(const net::HttpResult& r);
};

// The lists as (key, JSON array) pairs — queries, tcp_connect, tls_handshakes, requests,
// network_events — for test keys written with JsonWriter around them (Key(k).Raw(v)).
std::vector<std::pair<std::string, std::string>> ObservationsJson(const Observations& o);

// True when `bytes` is valid UTF-8 (bodies that are not are written in base64).
bool IsValidUtf8(const std::string& bytes);

}  // namespace vigil::measure::nettests
