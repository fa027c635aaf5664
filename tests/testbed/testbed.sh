#!/usr/bin/env bash
# Runs one testbed scenario: builds the testbed (lib.sh), runs `vigil probe run` in the client
# namespace against one technique of the censoring ISP (censor.sh), and asserts the verdict.
#
#   VIGIL=build/.../apps/vigil/vigil TB_TOOLS=build/.../tests/testbed tests/testbed/testbed.sh NAME
#   (or: ctest -R testbed_NAME --output-on-failure)
#
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no ip netns). TB_KEEP=1 keeps the files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=watch.sh
source "$here/watch.sh"

scenario="${1:-}"
[ -n "$scenario" ] || { echo "usage: testbed.sh SCENARIO" >&2; exit 2; }

# ---- assertions ---------------------------------------------------------------------------

# The probe's measurements and `vigil analyze`'s verdicts for them.
M=""   # measurement JSONL of the last probe run
V=""   # verdict JSONL (vigil analyze) of the last probe run

run_probe() {  # run_probe NAME [flags...]
  local name="$1"; shift
  M="$TB_DIR/$name.jsonl"
  tb_probe "$M" "$@"
  [ -s "$M" ] || tb_die "$name: the probe wrote no measurement"
  V="$TB_DIR/$name.verdict.jsonl"
  "$VIGIL" analyze "$M" >"$V" 2>"$V.stderr" || { cat "$V.stderr" >&2; tb_die "vigil analyze failed"; }
  tb_log "$name: $(jq -c '{input, test_name, blocking, accessible, anomaly, confirmed, fingerprint, why}' "$V")"
}

# expect WHAT JQ_FILTER EXPECTED: jq over the measurement (WHAT=m) or the verdict (WHAT=v).
expect() {
  local what="$1" filter="$2" want="$3" file got
  file=$([ "$what" = m ] && echo "$M" || echo "$V")
  got=$(jq -r "$filter" "$file" | sed -n 1p)
  if [ "$got" != "$want" ]; then
    tb_die "expected $filter = $want, got $got (in $file)"
  fi
  tb_log "ok: $filter = $got"
}

# Checks the verdict: blocking and accessible, the probe's own verdict agreeing with analyze's.
expect_verdict() {  # expect_verdict BLOCKING ACCESSIBLE
  expect v '.blocking | tostring' "$1"
  expect v '.accessible | tostring' "$2"
  expect m '.test_keys.blocking | tostring' "$1"
}

expect_confirmed() {  # expect_confirmed FINGERPRINT_NAME
  expect v '.confirmed | tostring' true
  expect v '.fingerprint' "$1"
}

# Every failure string the measurement records, one per line (not the control's, and not
# dns_no_answer: an AAAA query without answer next to a successful A query is normal).
failures() {
  jq -r '.test_keys | [.http_experiment_failure, (.queries // [])[].failure,
          (.tcp_connect // [])[].status.failure, (.tls_handshakes // [])[].failure,
          (.requests // [])[].failure] | map(select(. != null and . != "dns_no_answer")) | .[]' "$M"
}

expect_failure() {  # expect_failure REGEX: some recorded failure matches
  local list all
  list=$(failures)
  all=$(sort -u <<<"$list" | tr '\n' ' ')
  if ! grep -Eq "$1" <<<"$list"; then
    tb_die "expected a recorded failure matching /$1/, got: ${all:-none}"
  fi
  tb_log "ok: recorded failures: $all"
}

# The probe finished within LIMIT seconds and PEAK MiB of memory.
expect_bounded() {  # expect_bounded LIMIT_S PEAK_MIB
  [ "$TB_PROBE_MS" -le $(($1 * 1000)) ] || tb_die "the probe took ${TB_PROBE_MS} ms (bound: $1 s)"
  [ "$TB_PROBE_RSS_KB" -le $(($2 * 1024)) ] || tb_die "the probe peaked at ${TB_PROBE_RSS_KB} KiB (bound: $2 MiB)"
  tb_log "ok: finished in ${TB_PROBE_MS} ms (bound $1 s), peak ${TB_PROBE_RSS_KB} KiB (bound $2 MiB)"
}

url() { echo "$1://$2.$TB_DOMAIN${3:-/}"; }

# ---- scenarios ----------------------------------------------------------------------------

scenario_accessible_http() {
  run_probe site --input "$(url http www)"
  expect_verdict false true
  expect m '.test_keys.requests[0].response.code' 200
}

scenario_accessible_https() {
  run_probe site --input "$(url https www)"
  expect_verdict false true
  expect m '.test_keys.tls_handshakes[0].failure | tostring' null
}

scenario_dns_nxdomain() {
  run_probe nx --input "$(url http nxdomain)"
  expect_verdict dns false
  expect_failure '^dns_nxdomain_error$'
  # The name exists for the control: the helper resolved the real address.
  expect m ".test_keys.control.dns.addrs | index(\"${TB_SITE_IP[nxdomain]}\") != null" true
}

scenario_dns_lie() {
  run_probe lie --input "$(url http dnslie)" --cc "$TB_FP_DNS_CC"
  expect_verdict dns false
  expect_confirmed "$TB_FP_DNS_NAME"
  expect m "[.test_keys.queries[].answers[]?.ipv4] | index(\"$TB_FP_DNS_IP\") != null" true
  # Over HTTPS the blockpage server cannot prove it is the site.
  run_probe lie-https --input "$(url https dnslie)" --cc "$TB_FP_DNS_CC"
  expect_verdict dns false
  expect_confirmed "$TB_FP_DNS_NAME"
  expect_failure '^ssl_invalid_hostname$'
}

# The injector in the ISP namespace answers first with the fingerprint address; dnsmasq's real
# answer (from the name's authority, 300 ms away) follows. The UDP resolver records both; the
# system resolver, which keeps the first answer, got the forged one.
scenario_dns_injection() {
  run_probe inject --input "$(url http inject)" --cc "$TB_FP_DNS_CC"
  local udp_answers
  udp_answers=$(jq -c '[.test_keys.queries[] | select(.engine != "system" and .query_type == "A")
                        | .answers[]?.ipv4] | unique' "$M")
  tb_log "A answers from the UDP resolver: $udp_answers"
  expect m "[.test_keys.queries[] | select(.engine != \"system\") | .answers[]?.ipv4] | index(\"$TB_FP_DNS_IP\") != null" true
  expect m "[.test_keys.queries[] | select(.engine != \"system\") | .answers[]?.ipv4] | index(\"${TB_SITE_IP[inject]}\") != null" true
  grep -q "injected an answer" "$TB_DIR/injector.log" || tb_die "the injector never fired"
  expect m "[.test_keys.queries[] | select(.engine == \"system\") | .answers[]?.ipv4] | index(\"$TB_FP_DNS_IP\") != null" true
  expect_verdict dns false
  expect_confirmed "$TB_FP_DNS_NAME"
}

scenario_tcp_drop() {
  run_probe drop --input "$(url http tcpdrop)" --timeout-ms 3000
  expect_verdict tcp_ip false
  expect_failure '^generic_timeout_error$'
}

scenario_tcp_reset() {
  run_probe rst --input "$(url http tcprst)"
  expect_verdict tcp_ip false
  expect_failure '^connection_refused$'
}

scenario_http_host_rst() {
  run_probe hostrst --input "$(url http hostrst)"
  expect_verdict http-failure false
  expect_failure '^connection_reset$'
  # The TCP connect itself succeeded: only the request carrying the Host was reset.
  expect m '[.test_keys.tcp_connect[] | select(.status.success)] | length > 0' true
}

scenario_tls_sni_rst() {
  run_probe snirst --input "$(url https snirst)"
  expect_verdict http-failure false
  expect_failure '^connection_reset$'
  expect m '[.test_keys.tcp_connect[] | select(.status.success)] | length > 0' true
}

scenario_http_blockpage() {
  run_probe blockpage --input "$(url http blockpage)" --cc "$TB_FP_HTTP_CC"
  expect_verdict http-diff false
  expect_confirmed "$TB_FP_HTTP_NAME"
}

# The page has the real site's header names, so OONI Probe's header rule alone would call it
# accessible; the confirmed fingerprint makes it blocking (docs/methodology.md).
scenario_vendor_blockpage() {
  run_probe vendorbp --input "$(url http vendorbp)"
  expect m '([.test_keys.requests[0].response.headers | keys[] | ascii_downcase] | sort) ==
            ([.test_keys.control.http_request.headers | keys[] | ascii_downcase] | sort)' true
  expect_verdict http-diff false
  expect_confirmed "$TB_FP_VENDOR_NAME"
  expect v '.why | test("overrides the comparison with the control")' true
}

scenario_website_down() {
  run_probe down --input "$(url http down)"
  expect_verdict false false
  expect_failure '^connection_refused$'
}

scenario_redirect_chain() {
  run_probe redir --input "$(url http redir1)"
  expect_verdict false true
  # redir1 → redir2 → https://www/final: three requests, the last one a 200 over HTTPS.
  expect m '.test_keys.requests | length' 3
  expect m '[.test_keys.requests[].request.url] | map(select(startswith("https://www."))) | length' 1
  expect m '[.test_keys.requests[].response.code] | sort | .[0]' 200
}

scenario_redirect_to_blocked() {
  run_probe redirrst --input "$(url http redir-rst)"
  expect_verdict http-failure false
  expect_failure '^connection_reset$'
}

# The same large page, first at full speed, then through a tbf qdisc on the ISP's interface
# toward the client (the download direction).
scenario_throttling() {
  local page
  page=$(url https throttle /big)
  run_probe fast --input "$page"
  expect_verdict false true
  expect m '.test_keys.x_throttled | tostring' false
  tb_isp tc qdisc add dev i0 root tbf rate 400kbit burst 16kb latency 500ms
  run_probe slow --input "$page"
  tb_isp tc qdisc del dev i0 root
  expect_verdict false true
  expect m '.test_keys.x_throttled | tostring' true
  expect m '.test_keys.x_download_speed_bps < 600000' true
  tb_log "download speed throttled: $(jq '.test_keys.x_download_speed_bps' "$M") bit/s"
}

# The platform tests' endpoints, pointed at testbed stand-ins (--platform-config). "blocked":
# every WhatsApp host on an address the censor resets, Telegram's data centres on addresses
# it drops; "open": the same services on addresses it leaves alone.
platform_config() {  # platform_config FILE blocked|open
  local wa web tg1 tg2
  if [ "$2" = blocked ]; then
    wa=${TB_SITE_IP[wa-blocked]} web=${TB_SITE_IP[wa-blocked]}
    tg1=${TB_SITE_IP[tg-blocked-1]} tg2=${TB_SITE_IP[tg-blocked-2]}
  else
    wa=${TB_SITE_IP[wa-open]} web=${TB_SITE_IP[wa-web]}
    tg1=${TB_SITE_IP[tg-open-1]} tg2=${TB_SITE_IP[tg-open-2]}
  fi
  cat >"$1" <<EOF
{
  "hosts": {"e1.whatsapp.net": "$wa", "e2.whatsapp.net": "$wa",
            "v.whatsapp.net": "$web", "web.whatsapp.com": "$web",
            "web.telegram.org": "${TB_SITE_IP[tg-web]}"},
  "whatsapp_endpoints": ["e1.whatsapp.net", "e2.whatsapp.net"],
  "telegram_datacenters": ["$tg1", "$tg2"],
  "step_timeout_ms": 3000
}
EOF
}

scenario_platform_blocked() {
  local t
  platform_config "$TB_DIR/platforms-open.json" open
  platform_config "$TB_DIR/platforms-blocked.json" blocked
  for t in whatsapp telegram; do
    run_probe "$t-open" --test "$t" --platform-config "$TB_DIR/platforms-open.json"
    expect v '.test_name' "$t"
    expect v '.anomaly | tostring' false
    run_probe "$t-blocked" --test "$t" --platform-config "$TB_DIR/platforms-blocked.json"
    expect v '.anomaly | tostring' true
  done
  expect m '.test_keys.telegram_tcp_blocking | tostring' true
}

# ---- hostile network input ----------------------------------------------------------------

# A UDP resolver whose every answer carries 400 A records, in 10.231.200.0/22, which the ISP
# refuses with a RST. The probe keeps a bounded number of them and fails to connect to each.
scenario_hostile_dns_many() {
  TB_RESOLVER="${TB_SITE_IP[hostile-dns]}:53" run_probe dnsmany \
    --input "$(url http hostile-dns)" --no-system-resolver --timeout-ms 3000
  expect_bounded 90 256
  tb_log "A answers kept: $(jq '[.test_keys.queries[] | select(.query_type == "A") | .answers[]?] | length' "$M")," \
    "connects: $(jq '.test_keys.tcp_connect | length' "$M")"
  expect m '[.test_keys.queries[] | select(.query_type == "A") | .answers[]?] | length >= 200' true
  expect_failure '^connection_refused$'
  expect_verdict dns false
}

scenario_hostile_endless_header() {
  run_probe header --input "$(url http hostile-header)"
  expect_bounded 90 256
  expect_failure '.'
}

# A body that never ends: the probe keeps the first max_body_bytes (1 MiB) and marks the body
# truncated, as OONI Probe does; a truncated body is not a failure in OONI's data format.
scenario_hostile_endless_body() {
  run_probe body --input "$(url http hostile-body)"
  expect_bounded 90 256
  expect m '.test_keys.requests[0].response.body_is_truncated | tostring' true
  expect m '(.test_keys.requests[0].response.body | length) <= 1048576 + 65536' true
}

# One byte a second: no single read times out, so only the fetch's overall deadline ends it.
scenario_hostile_trickle() {
  TB_PROBE_LIMIT=180 run_probe trickle --input "$(url http hostile-trickle)" --timeout-ms 5000
  expect_bounded 150 256
  expect_failure '^generic_timeout_error$'
}

scenario_hostile_tls_garbage() {
  run_probe tlsgarbage --input "$(url https hostile-tls)" --timeout-ms 5000
  expect_bounded 90 256
  expect_failure '^ssl_|eof_error|connection_reset|unknown_failure'
}

# ---- main ---------------------------------------------------------------------------------

# `testbed.sh exec CMD...`: builds the testbed, runs CMD (e.g. bash) with the TB_* variables
# exported, tears down when CMD ends. For poking at the testbed by hand.
if [ "$scenario" = exec ]; then
  shift
  tb_require
  tb_setup
  export TB_DIR TB_CA TB_NS_CLIENT TB_NS_ISP TB_NS_INET TB_HELPER_IP TB_HELPER_PORT TB_ISP_CLIENT_SIDE
  set +e
  "$@"
  exit $?
fi
if ! declare -F "scenario_$scenario" >/dev/null; then
  echo "testbed.sh: unknown scenario '$scenario'; known:" >&2
  declare -F | awk '{print $3}' | sed -n 's/^scenario_/  /p' >&2
  exit 2
fi
tb_require
tb_setup
"scenario_$scenario"
tb_log "PASS: $scenario"
