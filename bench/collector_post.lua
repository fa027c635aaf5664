-- wrk script for bench/collector.sh: POSTs real OONI measurements to the collector
-- (POST /report/{report_id}), each made unique by the run, the thread and a per-thread
-- serial inserted as the first field, so every request stores a new measurement (not a
-- duplicate), also across the rounds of one benchmark.
-- Environment: VIGIL_BENCH_SAMPLE (one JSON measurement a line), VIGIL_BENCH_REPORT,
-- VIGIL_BENCH_TOKEN, VIGIL_BENCH_RUN (distinct for each wrk run on one store).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  samples = {}
  for line in io.lines(os.getenv("VIGIL_BENCH_SAMPLE")) do
    if #line > 2 then table.insert(samples, string.sub(line, 2)) end  -- drop the opening brace
  end
  path = "/report/" .. os.getenv("VIGIL_BENCH_REPORT")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("VIGIL_BENCH_TOKEN")
  serial = 0
  run = os.getenv("VIGIL_BENCH_RUN") or "0"
end

function request()
  serial = serial + 1
  local m = samples[(serial % #samples) + 1]
  local body = '{"format":"json","content":{"bench_serial":"' .. run .. "-" .. tid .. "-" .. serial .. '",' .. m .. "}"
  return wrk.format("POST", path, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
