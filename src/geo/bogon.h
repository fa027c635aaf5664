// IsBogon: whether an address is special-purpose, private or reserved, i.e. not a
// globally routed unicast address that a measurement could meaningfully attribute to a
// network or country (a DNS answer of 10.0.0.1 or 127.0.0.1 is a classic sign of
// DNS-based blocking).
//
// The list, from the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 as
// updated by RFC 8190), the IANA IPv6 Address Space registry, RFC 5771 (multicast) and
// RFC 1112 (class E):
//
//   IPv4                       why
//   0.0.0.0/8                  "this network" (RFC 791)
//   10.0.0.0/8                 private (RFC 1918)
//   100.64.0.0/10              shared address space, carrier-grade NAT (RFC 6598)
//   127.0.0.0/8                loopback (RFC 1122)
//   169.254.0.0/16             link-local (RFC 3927)
//   172.16.0.0/12              private (RFC 1918)
//   192.0.0.0/24               IETF protocol assignments (RFC 6890), taken whole as the
//                              usual bogon lists do
//   192.0.2.0/24               documentation, TEST-NET-1 (RFC 5737)
//   192.168.0.0/16             private (RFC 1918)
//   198.18.0.0/15              benchmarking (RFC 2544)
//   198.51.100.0/24            documentation, TEST-NET-2 (RFC 5737)
//   203.0.113.0/24             documentation, TEST-NET-3 (RFC 5737)
//   224.0.0.0/4                multicast (RFC 5771)
//   240.0.0.0/4                reserved (RFC 1112), including 255.255.255.255, limited
//                              broadcast (RFC 919)
//
//   IPv6
//   ::ffff:0:0/96              IPv4-mapped (RFC 4291): a bogon when the IPv4 address is
//   64:ff9b::/96               NAT64 well-known prefix (RFC 6052): likewise by the
//                              embedded IPv4 address
//   2002::/16                  6to4 (RFC 3056): likewise by the IPv4 address in bits 16-47
//   2001:2::/48                benchmarking (RFC 5180)
//   2001:10::/28               ORCHID, deprecated (RFC 4843)
//   2001:db8::/32              documentation (RFC 3849)
//   3fff::/20                  documentation (RFC 9637)
//   everything outside 2000::/3, the only block IANA allocates for global unicast. This
//   covers ::/128 unspecified, ::1/128 loopback, ::/96 IPv4-compatible (deprecated),
//   64:ff9b:1::/48 local-use NAT64 (RFC 8215), 100::/64 discard-only (RFC 6666),
//   5f00::/16 SRv6 SIDs (RFC 9602), fc00::/7 unique local (RFC 4193), fe80::/10
//   link-local, fec0::/10 site-local (deprecated), ff00::/8 multicast and all
//   unassigned space.
//
// Not bogons: 192.88.99.0/24 (6to4 relay anycast, deprecated by RFC 7526 but still
// announced), 2001::/32 Teredo, and the anycast/AS112/AMT blocks the registries mark
// globally reachable.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "geo/ip_address.h"

namespace vigil::geo {

bool IsBogon(const IpAddress& ip);

// Text that is not an IP address is not a bogon (false); callers that must tell the two
// apart call ParseIp first.
bool IsBogon(std::string_view ip);

}  // namespace vigil::geo
