# The watch's testbed scenario (sourced by testbed.sh): `vigil probe watch` in the client
# namespace against anchors inside the testbed, an upstream cut and a platform block on the ISP,
# and the journal uploaded to a `vigil serve` in the inet namespace.
#
#   watch_outage   the ISP drops everything beyond itself (FORWARD and its own upstream DNS):
#                  "offline" (reason "upstream") is journaled; restored: "online"; the ISP
#                  resets connections to Telegram's web stand-in: "platform-blocked"
#                  (["telegram"]); restored: "online"; the server holds the whole journal,
#                  which verifies on both sides.

TB_WATCH_SERVER_PORT=8081   # vigil serve, on the helper's address in inet

# Waits (bounded) until the watch's log holds at least N lines matching REGEX.
# tb_watch_wait SECONDS WHAT N REGEX
tb_watch_wait() {
  local secs="$1" what="$2" n="$3" re="$4"
  tb_wait_for "$secs" "the watch to log $what" \
    bash -c "[ \$(grep -Ec '$re' '$TB_DIR/watch.log') -ge $n ]"
  tb_log "ok: the watch logged $what"
}

# The ISP cuts its upstream: nothing is forwarded to the internet and its own resolver cannot
# reach the authoritative server. The link between the client and the ISP stays up.
tb_watch_cut_upstream() {
  tb_isp iptables -I FORWARD 1 -o i1 -j DROP
  tb_isp iptables -I OUTPUT 1 -o i1 -j DROP
}
tb_watch_restore_upstream() {
  tb_isp iptables -D FORWARD -o i1 -j DROP
  tb_isp iptables -D OUTPUT -o i1 -j DROP
}
# The censor resets connections to one host, as censor.sh does for WhatsApp's blocked stand-in.
tb_watch_block_host() {
  tb_isp iptables -I FORWARD 1 -i i0 -p tcp -d "$1" -j REJECT --reject-with tcp-reset
}
tb_watch_unblock_host() {
  tb_isp iptables -D FORWARD -i i0 -p tcp -d "$1" -j REJECT --reject-with tcp-reset
}

# Number of journal entries the server holds for the probe.
tb_watch_server_count() {
  sqlite3 "$TB_DIR/serve-data/vigil.sqlite" \
    "SELECT COUNT(*) FROM watch_entries WHERE probe_key = '$1'" 2>/dev/null || echo 0
}

scenario_watch_outage() {
  command -v sqlite3 >/dev/null 2>&1 || { echo "testbed: SKIP: sqlite3 is missing" >&2; exit 77; }
  local data="$TB_DIR/serve-data" token key journal="$TB_DIR/watch/watch.sqlite"
  local server="http://$TB_HELPER_IP:$TB_WATCH_SERVER_PORT"
  # The server and a probe token (vigil user add / token create), then vigil serve in inet.
  printf 'watch-probe-password\n' | "$VIGIL" user add watcher --role probe --password-stdin \
    --data "$data" >/dev/null
  token=$("$VIGIL" token create --user watcher --data "$data" | tail -n 1)
  [ -n "$token" ] || tb_die "no probe token"
  tb_bg serve "$TB_NS_INET" "$VIGIL" serve --listen "$TB_HELPER_IP:$TB_WATCH_SERVER_PORT" \
    --data "$data"
  tb_wait_for 30 "vigil serve" tb_port_open "$TB_NS_INET" "$TB_HELPER_IP" "$TB_WATCH_SERVER_PORT"
  ls "$data"/vigil.sqlite >/dev/null 2>&1 || tb_die "vigil serve made no $data/vigil.sqlite"

  # Anchors inside the testbed: the ISP as gateway and resolver, the authoritative server as the
  # "public" resolver, www as the major site, the WhatsApp and Telegram web stand-ins.
  cat >"$TB_DIR/anchors.json" <<JSON
{"gateway": "$TB_ISP_CLIENT_SIDE:53", "system_resolver": "$TB_ISP_CLIENT_SIDE:53",
 "public_resolver": "$TB_AUTH_DNS:53", "dns_names": ["www.$TB_DOMAIN"],
 "sites": [{"host": "www.$TB_DOMAIN", "address": "${TB_SITE_IP[www]}:443"}],
 "platforms": {"whatsapp": [{"host": "web.whatsapp.com", "address": "${TB_SITE_IP[wa-web]}:443"}],
               "telegram": [{"host": "web.telegram.org", "address": "${TB_SITE_IP[tg-web]}:443"}]},
 "download_url": null, "timeout_ms": 1000}
JSON
  tb_bg watch "$TB_NS_CLIENT" "$VIGIL" probe watch --journal "$journal" \
    --anchors "$TB_DIR/anchors.json" --interval 500ms --tls-every 1 --summary-every 5s \
    --checkin-every 2s --server "$server" --token "$token" --cc CM --asn AS30987 \
    --region CM-NW --ca-file "$TB_CA"
  local watch_pid="${TB_PIDS[-1]}"
  tb_watch_wait 30 "online" 1 'now online'
  key=$(sed -n 's/.*probe key \([0-9a-f]\{64\}\).*/\1/p' "$TB_DIR/watch.log" | head -n 1)
  [ -n "$key" ] || tb_die "the watch did not print its probe key"
  tb_wait_for 30 "the first check-in" bash -c "[ \"\$(sqlite3 '$data/vigil.sqlite' \
    \"SELECT COUNT(*) FROM watch_checkins WHERE probe_key = '$key'\")\" -gt 0 ]"
  tb_log "ok: the probe checked in"

  tb_log "cutting the ISP's upstream"
  tb_watch_cut_upstream
  tb_watch_wait 30 "offline (upstream cut)" 1 'now offline: upstream cut'
  local before
  before=$(tb_watch_server_count "$key")
  sleep 3  # an outage long enough for a few rounds and a summary
  tb_watch_restore_upstream
  tb_watch_wait 30 "online again" 2 'now online'

  tb_log "resetting connections to Telegram's web stand-in"
  tb_watch_block_host "${TB_SITE_IP[tg-web]}"
  tb_watch_wait 30 "platform-blocked (telegram)" 1 'now platform-blocked: telegram unreachable'
  tb_watch_unblock_host "${TB_SITE_IP[tg-web]}"
  tb_watch_wait 30 "online after the block" 3 'now online'

  # Everything journaled so far reaches the server (the check-in every 2 s uploads the rest; a
  # sync started just before the cut may first have to exhaust its retries).
  local last
  last=$(sed -n 's/^journal seq \([0-9]*\) committed.*/\1/p' "$TB_DIR/watch.log" | tail -n 1)
  tb_wait_for 120 "the server to hold seq $last" bash -c \
    "[ \"\$(sqlite3 '$data/vigil.sqlite' \"SELECT COALESCE(MAX(seq), -1) FROM watch_entries WHERE probe_key = '$key'\")\" -ge $last ]"
  tb_log "ok: the server holds the journal up to seq $last (it held $before when the outage began)"
  grep -q 'uploaded' "$TB_DIR/watch.log" || tb_die "the watch logged no upload"

  kill -TERM "$watch_pid"
  local i
  for i in $(seq 1 100); do kill -0 "$watch_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$watch_pid" 2>/dev/null && tb_die "the watch did not stop on SIGTERM within 10 s"
  grep -q 'vigil probe watch: stopped' "$TB_DIR/watch.log" || tb_die "the watch did not stop cleanly"
  tb_log "ok: the watch stopped on SIGTERM"

  # The journal verifies, and records the outage and the block with their details.
  "$VIGIL" probe journal verify "$journal" >"$TB_DIR/verify.txt" || { cat "$TB_DIR/verify.txt" >&2; tb_die "the journal does not verify"; }
  tb_log "ok: $(tail -n 1 "$TB_DIR/verify.txt")"
  local entries="$TB_DIR/entries.jsonl"
  sqlite3 "$journal" "SELECT entry FROM entries ORDER BY seq" >"$entries"
  [ "$(jq -c 'select(.kind == "state" and .state == "offline") | .details' "$entries" | head -n 1)" \
    = '{"reason":"upstream"}' ] || tb_die "no offline/upstream entry in $entries"
  tb_log "ok: offline (upstream) is journaled"
  [ "$(jq -c 'select(.kind == "state" and .state == "platform-blocked") | .details.platforms' \
    "$entries" | head -n 1)" = '["telegram"]' ] || tb_die "no platform-blocked entry in $entries"
  tb_log "ok: platform-blocked [telegram] is journaled"
  # The server's copy is the same chain: same hashes for every seq it holds (at least up to
  # $last; an entry committed after $last was read may have been uploaded before the stop).
  local diffs server held
  server=$(sqlite3 "$data/vigil.sqlite" "SELECT seq || ' ' || hash FROM watch_entries WHERE probe_key = '$key' ORDER BY seq")
  held=$(printf '%s\n' "$server" | wc -l)
  [ "$held" -gt "$last" ] || tb_die "the server holds $held entries, fewer than seq 0..$last"
  diffs=$(diff <(printf '%s\n' "$server") \
    <(sqlite3 "$journal" "SELECT seq || ' ' || hash FROM entries ORDER BY seq" | head -n "$held") || true)
  [ -z "$diffs" ] || tb_die "the server's journal differs: $diffs"
  tb_log "ok: the server's entries 0..$((held - 1)) match the probe's"
  # No address of the volunteer was sent: nothing in the server's watch tables holds one.
  if sqlite3 "$data/vigil.sqlite" "SELECT * FROM watch_probes; SELECT * FROM watch_checkins;" |
    grep -q "$TB_CLIENT_IP"; then
    tb_die "the server recorded the probe's IP address"
  fi
  tb_log "ok: the server holds no client address"
}
