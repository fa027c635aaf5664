// DisruptionMonitor: the server's detection loop and webhook sender.
//
// Every `every` (default 5 minutes) it reads each known entity's signals (signals.h) over
// the look-back window, fuses them into events (disruption/fusion.h) and reconciles them
// with the stored events: a new event is saved and its "start" queued for every webhook;
// a stored event that the detector now sees ending gets its end and an "end" queued.
// The window reaches back `lookback` before the oldest ongoing event, so an outage of any
// length stays one event (the detector's baseline is learnt before it began).
// Entities: every entity with stored signal points, the country, ASN and region of every
// watching probe, and the countries and ASNs with measurements in the window.
//
// Webhooks: each (event, transition, URL) is queued once in the store (several servers
// on one PostgreSQL queue it once), claimed by one sender, POSTed as JSON with an
// X-Vigil-Delivery header (the delivery id, for receivers to de-duplicate), and retried
// with exponential backoff (30 s doubling, at most an hour apart) up to `max_attempts`.
//
// Thread-safety: DetectOnce/DeliverDue may be called from any one thread at a time;
// Start() runs them on a private thread until Stop() (or the destructor).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "disruption/fusion.h"
#include "store/store.h"

namespace vigil::server {

struct MonitorOptions {
  std::chrono::seconds every{300};
  std::chrono::seconds step{300};
  std::chrono::seconds lookback = std::chrono::days(35);
  std::vector<std::string> webhooks;
  int max_attempts = 10;
  disruption::FusionOptions fusion;
};

// POSTs body to url with the extra header lines; the HTTP status, or an Error when no
// answer came.
using WebhookPoster = std::function<Result<int>(const std::string& url, const std::string& body,
                                                const std::vector<std::string>& headers)>;

struct DetectStats {
  int entities = 0;
  int started = 0;
  int ended = 0;
  int updated = 0;
};

class DisruptionMonitor {
 public:
  DisruptionMonitor(store::Store& store, const Clock& clock, MonitorOptions options, WebhookPoster poster);
  ~DisruptionMonitor();
  DisruptionMonitor(const DisruptionMonitor&) = delete;
  DisruptionMonitor& operator=(const DisruptionMonitor&) = delete;

  Result<DetectStats> DetectOnce();
  // Sends the deliveries that are due; returns how many were delivered.
  Result<int> DeliverDue();

  void Start();
  void Stop();

 private:
  Result<void> DetectEntity(const std::string& type, const std::string& code, store::Seconds now,
                            const std::vector<std::string>& outaged_asns, DetectStats& stats);
  Result<void> Queue(const store::DisruptionEvent& e, const char* transition, store::Seconds now);

  store::Store& store_;
  const Clock& clock_;
  MonitorOptions options_;
  WebhookPoster poster_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The JSON of an event, as GET /api/v1/events and webhooks give it.
std::string EventJson(const store::DisruptionEvent& e);

}  // namespace vigil::server
