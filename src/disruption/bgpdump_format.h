// The one-line-per-route text format of `bgpdump -m` (RIPE NCC's bgpdump), produced from
// MrtReader records, so Vigil's output can be diffed against bgpdump's and fed to tools
// that parse it:
//   TABLE_DUMP|<time>|B|<peer ip>|<peer as>|<prefix>|<as path>|<origin>|<next hop>|
//     <local pref>|<med>|<communities>|<AG/NAG>|<aggregator>|
//   TABLE_DUMP2[_AP]|... (RIB routes; _AP adds the path id after the prefix)
//   BGP4MP[_ET][_LOCAL][_AP]|<time>|A|...  and  |W|<peer ip>|<peer as>|<prefix>
//   BGP4MP[_ET]|<time>|STATE|<peer ip>|<peer as>|<old state>|<new state>
// bgpdump's quirks are reproduced on purpose (they are what consumers of this format
// see): absent LOCAL_PREF/MED print 0, an absent NEXT_HOP prints 255.255.255.255, AS
// sets print as {a,b}, confederation segments as (a b) and [a,b], an undecodable AS_PATH
// as "! Error !", large communities are not printed, multicast and generic RIB records
// print nothing. NLRI host bits beyond the prefix length are cleared, as bgpdump does
// since 1.6.3 (Debian's 1.6.2 prints them).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "disruption/mrt_reader.h"

namespace vigil::disruption {

// Appends every `bgpdump -m` line for `record` (possibly none) to `out`.
void AppendBgpdumpLines(const MrtRecord& record, std::string& out);

// Appends bgpdump's text for an AS path ("" for no segments, "! Error !" if malformed).
void AppendBgpdumpAsPath(const AsPath& path, std::string& out);

}  // namespace vigil::disruption
