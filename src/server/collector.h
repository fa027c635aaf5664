// Collector: the receiving end of OONI's collector protocol (what `vigil probe upload` and
// OONI Probe speak):
//   POST /report                 {probe_cc, probe_asn, software_name, software_version,
//                                 test_name, test_version, data_format_version, format:"json"}
//                                → {"report_id", "backend_version", "supported_formats"}
//   POST /report/{report_id}     {"format":"json","content":{measurement}}
//                                → {"measurement_uid"}
//   POST /report/{report_id}/close → {}
//
// report_id has OONI's shape, 20240124T141213Z_webconnectivity_IT_30722_n1_<16 chars>, and
// carries its own proof: the last 8 of the 16 characters are a MAC (under the server's
// report key) of the rest. No report table is kept, so any node that shares the key (the
// same --report-key file) accepts a report another node opened, and a restart loses
// nothing. An id whose MAC does not verify is an unknown report (404).
//
// On each measurement: the verdict and fingerprint (analysis::Analyzer), country and ASN
// when the measurement lacks them (from the report, else the client's address through
// GeoDb), the row built by store::PrepareMeasurement (raw bytes kept exactly as they
// appeared inside "content"), then stored through GroupCommit (concurrent submissions share
// one transaction). The answer is sent only after that returned, i.e. after the commit: an acknowledged measurement is durable. Submitting the
// same measurement again stores nothing and answers the uid stored the first time.
//
// Thread-safety: every method is blocking (it waits for the store) and may be called from
// many threads at once; keeps a pool of Analyzers. Store, Clock, GeoDb and Metrics must
// outlive the Collector.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>


#include "analysis/analyzer.h"
#include "core/clock.h"
#include "geo/geo_db.h"
#include "measure/test_list.h"
#include "net/http_server.h"
#include "server/group_commit.h"
#include "server/metrics.h"
#include "store/store.h"

namespace vigil::server {

struct ReportInfo {
  std::string test_name;  // without underscores, as in the id ("webconnectivity")
  std::string probe_cc;
  uint32_t probe_asn = 0;
};

class Collector {
 public:
  // `geo` may be null (no enrichment from addresses). `report_key` is the MAC key of
  // report ids (any bytes, at least 16).
  // `categories` (may be null) gives measurements their Citizen Lab category_code.
  Collector(store::Store& store, const Clock& clock, const geo::GeoDb* geo,
            std::string report_key, Metrics& metrics, std::string backend_version,
            std::shared_ptr<const measure::CategoryIndex> categories = nullptr);
  ~Collector();

  net::HttpServerResponse OpenReport(std::string_view body);
  net::HttpServerResponse Submit(std::string_view report_id, std::string_view body,
                                 std::string_view client_address);
  // Submit in two steps, so the HTTP worker need not wait for the commit: Prepare
  // validates, analyses and builds the row (or the rejection to send), CommitAsync
  // stores it and calls `done` on the writer thread once it is durable (or failed; `done`
  // must be quick: post the rest elsewhere); Answer turns the outcome into the reply.
  std::variant<net::HttpServerResponse, store::PendingMeasurement> Prepare(std::string_view report_id,
                                                                         std::string_view body,
                                                                         std::string_view client_address);
  void CommitAsync(store::PendingMeasurement row, std::function<void(Result<store::InsertOutcome>)> done);
  net::HttpServerResponse Answer(const Result<store::InsertOutcome>& outcome);
  net::HttpServerResponse Close(std::string_view report_id);

  // The report's parts, or nullopt when the id is malformed or its MAC does not verify.
  std::optional<ReportInfo> VerifyReportId(std::string_view report_id) const;
  std::string MakeReportId(std::string_view test_name, std::string_view probe_cc,
                           uint32_t probe_asn) const;

 private:
  std::unique_ptr<analysis::Analyzer> TakeAnalyzer();
  void ReturnAnalyzer(std::unique_ptr<analysis::Analyzer> a);
  net::HttpServerResponse Reject(int status, std::string_view reason, std::string_view message);

  const Clock& clock_;
  const geo::GeoDb* geo_;
  std::shared_ptr<const measure::CategoryIndex> categories_;
  std::string report_key_;
  // Report ids whose MAC checked out, so a probe's many submissions to one report verify it
  // once (bounded: emptied when full).
  mutable std::mutex verified_mu_;
  mutable std::unordered_map<std::string, ReportInfo> verified_;
  Metrics& metrics_;
  std::string backend_version_;
  analysis::AnalysisContext ctx_;
  std::mutex mu_;
  std::vector<std::unique_ptr<analysis::Analyzer>> analyzers_;
  GroupCommit writer_;
};

}  // namespace vigil::server
