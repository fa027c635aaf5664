# The emulated censorship testbed: build and tear down three network namespaces joined by veth
# pairs, with real programs in them (see README.md for the topology).
#
#   client ──veth── isp (router + censor: iptables, dnsmasq, tc) ──veth── inet (nginx sites,
#                                                                         dnsmasq authoritative,
#                                                                         blockpage, vigil helper,
#                                                                         hostile servers)
#
# Sourced by testbed.sh and bench/probe.sh. Functions are prefixed tb_. Safety rules:
#   - addresses live only inside the namespaces made here (10.231.0.0/16 and the blockpage's
#     fingerprint address); nothing is added to the root namespace;
#   - no namespace has a route to anything but the other two, and no default route;
#   - every wait is bounded; tb_teardown runs from an EXIT trap and also removes the leftovers
#     of earlier runs whose owning process is gone (namespaces are named vtb<pid>-*).
#
# Required environment: VIGIL (the vigil binary), TB_TOOLS (folder of the testbed's tools).

TB_PREFIX=vtb
TB_ID="${TB_PREFIX}$$"
TB_NS_CLIENT="${TB_ID}-client"
TB_NS_ISP="${TB_ID}-isp"
TB_NS_INET="${TB_ID}-inet"

# Addresses (documented in README.md).
TB_CLIENT_IP=10.231.1.2
TB_ISP_CLIENT_SIDE=10.231.1.1      # also the ISP's resolver
TB_ISP_INET_SIDE=10.231.2.1
TB_AUTH_DNS=10.231.2.2             # authoritative dnsmasq ("the internet's" DNS)
TB_HELPER_IP=10.231.2.5
TB_HELPER_PORT=8080
TB_BLOCKPAGE_IP=10.231.2.6          # nginx blockpage server (target of the lying resolver)
TB_MIDDLEBOX_IP=10.231.2.7          # the censor's transparent-proxy blockpage (tb_hostile)
TB_VENDOR_IP=10.231.2.8             # a filtering product's blockpage, with the real site's headers
# A real OONI HTTP fingerprint of a filtering product (scope prod: confirms in any country).
TB_FP_VENDOR_NAME=cl.prod_checkpoint_urlfilter_blockpage
TB_FP_VENDOR_TEXT='Check Point UserCheck'
# A real OONI DNS fingerprint (data/fingerprints/fingerprints_dns.csv): ooni.ru_90, scope isp,
# expected country RU. Assigned to the blockpage server inside inet only.
TB_FP_DNS_NAME=ooni.ru_90
TB_FP_DNS_IP=46.175.31.250
TB_FP_DNS_CC=RU
# A real OONI HTTP fingerprint (fingerprints_http.csv): ooni.ru_0, scope nat, body contains.
TB_FP_HTTP_NAME=ooni.ru_0
TB_FP_HTTP_CC=RU
TB_FP_HTTP_TEXT='Доступ к сайту ограничен в соответствии с Федеральными законами'

TB_DOMAIN=vigil.test
declare -A TB_SITE_IP=(
  [www]=10.231.2.10 [nxdomain]=10.231.2.11 [dnslie]=10.231.2.12 [inject]=10.231.2.13
  [tcpdrop]=10.231.2.14 [tcprst]=10.231.2.15 [hostrst]=10.231.2.16 [snirst]=10.231.2.17
  [blockpage]=10.231.2.18 [down]=10.231.2.19 [redir1]=10.231.2.20 [redir2]=10.231.2.21
  [throttle]=10.231.2.22 [redir-rst]=10.231.2.23 [vendorbp]=10.231.2.24
  [hostile-dns]=10.231.2.30 [hostile-header]=10.231.2.31 [hostile-body]=10.231.2.32
  [hostile-trickle]=10.231.2.33 [hostile-tls]=10.231.2.34 [far-dns]=10.231.2.35
  # Platforms: the blocked and the open stand-ins.
  [wa-blocked]=10.231.2.40 [wa-open]=10.231.2.41 [wa-web]=10.231.2.42
  [tg-blocked-1]=10.231.2.43 [tg-blocked-2]=10.231.2.44 [tg-open-1]=10.231.2.45
  [tg-open-2]=10.231.2.46 [tg-web]=10.231.2.47
)
# Benchmark hosts: bench-N.vigil.test → 10.231.3.N (N = 1..TB_BENCH_HOSTS), one address per
# host so connections per host can be counted per address.
TB_BENCH_HOSTS=${TB_BENCH_HOSTS:-0}

TB_PIDS=()
TB_DIR=""

tb_log() { printf 'testbed: %s\n' "$*" >&2; }
tb_die() { printf 'testbed: FAIL: %s\n' "$*" >&2; exit 1; }

tb_in() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
tb_client() { ip netns exec "$TB_NS_CLIENT" "$@"; }
tb_isp() { ip netns exec "$TB_NS_ISP" "$@"; }
tb_inet() { ip netns exec "$TB_NS_INET" "$@"; }

# Exits with 77 (ctest SKIP_RETURN_CODE) when the testbed cannot run here.
tb_require() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "testbed: SKIP: needs root (network namespaces, iptables, tc)" >&2; exit 77
  fi
  if ! ip netns list >/dev/null 2>&1; then
    echo "testbed: SKIP: 'ip netns' is not available" >&2; exit 77
  fi
  local missing=()
  for tool in nginx dnsmasq iptables tc openssl jq timeout; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "testbed: SKIP: missing ${missing[*]} (run scripts/setup)" >&2; exit 77
  fi
  [ -x "${VIGIL:-}" ] || tb_die "VIGIL must name the vigil binary (got '${VIGIL:-}')"
  [ -d "${TB_TOOLS:-}" ] || tb_die "TB_TOOLS must name the folder of the testbed tools"
}

# Removes the namespaces (and their processes) of earlier runs whose owner process is gone.
tb_clean_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${TB_PREFIX}[0-9]+-" || true); do
    pid="${ns#"$TB_PREFIX"}"; pid="${pid%%-*}"
    if ! kill -0 "$pid" 2>/dev/null; then
      tb_log "removing leftover namespace $ns (owner $pid is gone)"
      tb_kill_ns "$ns"
      ip netns del "$ns" 2>/dev/null || true
      rm -rf "/etc/netns/$ns"
    fi
  done
}

# Kills every process inside one of our namespaces (by pid, as listed by ip netns pids).
tb_kill_ns() {
  local ns="$1" pids i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [ -z "${pids// /}" ] && return 0
    if [ "$i" -lt 5 ]; then kill $pids 2>/dev/null || true; else kill -9 $pids 2>/dev/null || true; fi
    sleep 0.2
  done
}

tb_teardown() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [ -n "${TB_MONITOR_PID:-}" ] && kill "$TB_MONITOR_PID" 2>/dev/null
  local pid
  for pid in "${TB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for ns in "$TB_NS_CLIENT" "$TB_NS_ISP" "$TB_NS_INET"; do
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
      tb_kill_ns "$ns"
      ip netns del "$ns" 2>/dev/null
    fi
    rm -rf "/etc/netns/$ns"
  done
  for pid in "${TB_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  if [ -n "$TB_DIR" ] && [ -d "$TB_DIR" ]; then
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ -n "${TB_KEEP:-}" ]; then
      tb_log "kept $TB_DIR for inspection"
    else
      rm -rf "$TB_DIR"
    fi
  fi
  exit "$rc"
}

# Waits (bounded) until a command succeeds. tb_wait_for SECONDS DESCRIPTION CMD...
tb_wait_for() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tb_die "timed out after ${secs}s waiting for $what"
}

tb_bg() {  # tb_bg LOGNAME NS CMD... — starts a background process inside a namespace
  local name="$1" ns="$2"; shift 2
  ip netns exec "$ns" "$@" >"$TB_DIR/$name.log" 2>&1 &
  TB_PIDS+=($!)
}

tb_make_namespaces() {
  ip netns add "$TB_NS_CLIENT"
  ip netns add "$TB_NS_ISP"
  ip netns add "$TB_NS_INET"
  # Veth pairs are created inside the namespaces, never in the root namespace.
  ip -n "$TB_NS_CLIENT" link add c0 type veth peer name i0 netns "$TB_NS_ISP"
  ip -n "$TB_NS_ISP" link add i1 type veth peer name n0 netns "$TB_NS_INET"
  for ns in "$TB_NS_CLIENT" "$TB_NS_ISP" "$TB_NS_INET"; do ip -n "$ns" link set lo up; done
  ip -n "$TB_NS_CLIENT" addr add "$TB_CLIENT_IP/24" dev c0
  ip -n "$TB_NS_CLIENT" link set c0 up
  ip -n "$TB_NS_ISP" addr add "$TB_ISP_CLIENT_SIDE/24" dev i0
  ip -n "$TB_NS_ISP" addr add "$TB_ISP_INET_SIDE/24" dev i1
  ip -n "$TB_NS_ISP" link set i0 up
  ip -n "$TB_NS_ISP" link set i1 up
  ip -n "$TB_NS_INET" addr add "$TB_AUTH_DNS/24" dev n0
  ip -n "$TB_NS_INET" link set n0 up
  local name ip n
  for ip in $TB_HELPER_IP $TB_BLOCKPAGE_IP $TB_MIDDLEBOX_IP $TB_VENDOR_IP "${TB_SITE_IP[@]}"; do
    ip -n "$TB_NS_INET" addr add "$ip/32" dev n0
  done
  ip -n "$TB_NS_INET" addr add "$TB_FP_DNS_IP/32" dev n0
  if [ "$TB_BENCH_HOSTS" -gt 0 ]; then
    for n in $(seq 1 "$TB_BENCH_HOSTS"); do ip -n "$TB_NS_INET" addr add "10.231.3.$n/32" dev n0; done
  fi
  # Routes: only between our namespaces.
  ip -n "$TB_NS_CLIENT" route add 10.231.0.0/16 via "$TB_ISP_CLIENT_SIDE"
  ip -n "$TB_NS_CLIENT" route add "$TB_FP_DNS_IP/32" via "$TB_ISP_CLIENT_SIDE"
  ip -n "$TB_NS_ISP" route add 10.231.3.0/24 via "$TB_AUTH_DNS"
  ip -n "$TB_NS_ISP" route add "$TB_FP_DNS_IP/32" via "$TB_AUTH_DNS"
  ip -n "$TB_NS_INET" route add 10.231.1.0/24 via "$TB_ISP_INET_SIDE"
  tb_isp sysctl -qw net.ipv4.ip_forward=1
  # The hostile resolver's answers (10.231.200.0/22): nobody serves them and the ISP refuses
  # them with a RST (ICMP errors would be rate-limited, making the time taken random).
  ip -n "$TB_NS_ISP" route add 10.231.200.0/22 via "$TB_AUTH_DNS"
  tb_isp iptables -A FORWARD -i i0 -p tcp -d 10.231.200.0/22 -j REJECT --reject-with tcp-reset
  tb_isp iptables -A FORWARD -i i0 -d 10.231.200.0/22 -j DROP
  # The client's system resolver (getaddrinfo) is the ISP's resolver: ip netns exec
  # bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
  mkdir -p "/etc/netns/$TB_NS_CLIENT" "/etc/netns/$TB_NS_INET"
  printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$TB_ISP_CLIENT_SIDE" >"/etc/netns/$TB_NS_CLIENT/resolv.conf"
  printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$TB_AUTH_DNS" >"/etc/netns/$TB_NS_INET/resolv.conf"
  printf '127.0.0.1 localhost\n' >"/etc/netns/$TB_NS_CLIENT/hosts"
  printf '127.0.0.1 localhost\n' >"/etc/netns/$TB_NS_INET/hosts"
}

# The test CA and one server certificate for every name the testbed serves.
tb_make_pki() {
  local d="$TB_DIR/pki" sans="" name
  mkdir -p "$d"
  for name in "${!TB_SITE_IP[@]}"; do sans+="DNS:$name.$TB_DOMAIN,"; done
  sans+="DNS:*.$TB_DOMAIN,DNS:web.whatsapp.com,DNS:v.whatsapp.net,DNS:web.telegram.org"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=Vigil testbed CA $TB_ID" -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null || tb_die "openssl: cannot make the test CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=www.$TB_DOMAIN" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || tb_die "openssl: cannot make a key"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$sans" >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null || tb_die "openssl: cannot sign"
  # The censor's blockpage server has a certificate for its own name only, as a real one would:
  # a probe sent there by a lying resolver fails TLS verification for the site it asked for.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=blocked.isp.test" \
    -keyout "$d/blockpage.key" -out "$d/blockpage.csr" 2>/dev/null || tb_die "openssl: cannot make a key"
  printf 'subjectAltName=DNS:blocked.isp.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$d/blockpage-ext.cnf"
  openssl x509 -req -in "$d/blockpage.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/blockpage-ext.cnf" -out "$d/blockpage.pem" 2>/dev/null || tb_die "openssl: cannot sign"
  TB_CA="$d/ca.pem"
}

tb_make_content() {
  local w="$TB_DIR/www"
  mkdir -p "$w/site" "$w/blockpage" "$w/vendor"
  cat >"$w/site/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Vigil testbed independent newspaper</title></head>
<body><h1>Independent newspaper</h1>
<p>Reporting on elections, courts and the environment. This page is served by nginx inside the
censorship testbed; its length and title are what the control compares with.</p>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut
labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco.</p>
</body></html>
EOF
  # A body large enough to judge the download speed (the probe needs >= 64 KiB).
  head -c 393216 /dev/zero | tr '\0' 'v' >"$w/site/big.bin"
  # The blockpage: carries a real OONI HTTP fingerprint (ooni.ru_0, body contains).
  cat >"$w/blockpage/index.html" <<EOF
<html><head><meta charset="utf-8"><title>Blocked</title></head>
<body><p>$TB_FP_HTTP_TEXT</p></body></html>
EOF
  # A filtering product's page (a real OONI fingerprint, body contains).
  cat >"$w/vendor/index.html" <<EOF
<html><head><title>Access to this site is restricted</title></head>
<body><p>$TB_FP_VENDOR_TEXT</p><p>The page you requested is not available on this network.</p></body></html>
EOF
}

# nginx binds each address it serves (not the wildcard), so that the hostile servers can own
# port 80/443 on their addresses and nothing listens on the "down" site's address.
tb_write_nginx_conf() {
  local c="$TB_DIR/nginx.conf" pki="$TB_DIR/pki" w="$TB_DIR/www"
  local site_listen="" ip name n
  for name in "${!TB_SITE_IP[@]}"; do
    case "$name" in down|hostile-*|redir*|far-dns) continue ;; esac
    ip=${TB_SITE_IP[$name]}
    site_listen+="    listen $ip:80; listen $ip:443 ssl;"$'\n'
    case "$name" in wa-*) site_listen+="    listen $ip:5222;"$'\n' ;; esac
  done
  if [ "$TB_BENCH_HOSTS" -gt 0 ]; then
    for n in $(seq 1 "$TB_BENCH_HOSTS"); do
      site_listen+="    listen 10.231.3.$n:80; listen 10.231.3.$n:443 ssl;"$'\n'
    done
  fi
  cat >"$c" <<EOF
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 8192;
pid $TB_DIR/nginx.pid;
error_log $TB_DIR/nginx-error.log warn;
events { worker_connections 2048; }
http {
  client_body_temp_path $TB_DIR/nginx-tmp/body;
  proxy_temp_path $TB_DIR/nginx-tmp/proxy;
  fastcgi_temp_path $TB_DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $TB_DIR/nginx-tmp/uwsgi;
  scgi_temp_path $TB_DIR/nginx-tmp/scgi;
  types { text/html html; application/octet-stream bin; }
  default_type text/html;
  log_format tb '\$host \$msec \$request_time \$remote_addr \$server_addr \$connection \$status \$request_uri';
  access_log $TB_DIR/nginx-access.log tb;
  server_tokens off;
  keepalive_timeout 5s;
  ssl_certificate $pki/server.pem;
  ssl_certificate_key $pki/server.key;

  # The blockpage server, on its own address and on the DNS fingerprint's address. Like a
  # censor's middlebox it answers with its own headers, not the site's.
  server {
    listen $TB_BLOCKPAGE_IP:80; listen $TB_BLOCKPAGE_IP:443 ssl;
    listen $TB_FP_DNS_IP:80; listen $TB_FP_DNS_IP:443 ssl;
    root $w/blockpage;
    ssl_certificate $pki/blockpage.pem;
    ssl_certificate_key $pki/blockpage.key;
    etag off;
    add_header X-Filter-Notice "blocked by court order" always;
    location / { try_files /index.html =404; }
  }
  # A filtering product's blockpage server configured like the websites: the same header names
  # as the real site (OONI Probe's header rule alone would call its answer the real site).
  server {
    listen $TB_VENDOR_IP:80;
    root $w/vendor;
    location / { try_files /index.html =404; }
  }
  # The websites: all serve the same newspaper (/big: a large body for the speed figure).
  server {
$site_listen
    root $w/site;
    location = / { try_files /index.html =404; }
    location = /big { try_files /big.bin =404; }
    location / { try_files \$uri /index.html; }
  }
  # Redirect chain: redir1 → redir2 (http) → www (https); redir-rst → a Host the censor resets.
$(tb_redirect_server redir1 "http://redir2.$TB_DOMAIN/hop2")
$(tb_redirect_server redir2 "https://www.$TB_DOMAIN/final")
$(tb_redirect_server redir-rst "http://hostrst.$TB_DOMAIN/")
  # WhatsApp Web over http redirects to https, as the whatsapp test expects.
  server {
    listen ${TB_SITE_IP[wa-web]}:80;
    server_name web.whatsapp.com;
    location / { return 302 https://web.whatsapp.com/; }
  }
}
EOF
  mkdir -p "$TB_DIR/nginx-tmp"
}

tb_redirect_server() {  # NAME TARGET: a server on NAME's address that redirects everything
  local rip=${TB_SITE_IP[$1]}
  printf '  server {\n    listen %s:80; listen %s:443 ssl;\n    location / { return 302 %s; }\n  }\n' \
    "$rip" "$rip" "$2"
}

tb_start_dns() {
  local hosts="$TB_DIR/inet.hosts" name
  : >"$hosts"
  for name in "${!TB_SITE_IP[@]}"; do
    printf '%s %s.%s\n' "${TB_SITE_IP[$name]}" "$name" "$TB_DOMAIN" >>"$hosts"
  done
  if [ "$TB_BENCH_HOSTS" -gt 0 ]; then
    for n in $(seq 1 "$TB_BENCH_HOSTS"); do printf '10.231.3.%s bench-%s.%s\n' "$n" "$n" "$TB_DOMAIN" >>"$hosts"; done
  fi
  # The authoritative server of the testbed's internet: NXDOMAIN for names it does not know.
  tb_bg dnsmasq-inet "$TB_NS_INET" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root \
    --pid-file= --no-resolv --no-hosts --addn-hosts="$hosts" --local="/$TB_DOMAIN/" \
    --listen-address="$TB_AUTH_DNS" --bind-interfaces --port=53 --cache-size=0 --log-queries \
    --log-facility="$TB_DIR/dnsmasq-inet.queries"
  # The ISP's resolver: forwards to the authoritative server, except where the censor lies.
  local rules=()
  while read -r rule; do [ -n "$rule" ] && rules+=("$rule"); done < <(tb_censor_dns_rules)
  tb_bg dnsmasq-isp "$TB_NS_ISP" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root \
    --pid-file= --no-resolv --no-hosts --server="$TB_AUTH_DNS" \
    --listen-address="$TB_ISP_CLIENT_SIDE" --bind-interfaces --port=53 --cache-size=0 \
    --log-queries --log-facility="$TB_DIR/dnsmasq-isp.queries" "${rules[@]}"
}

tb_start_servers() {
  tb_bg nginx "$TB_NS_INET" nginx -c "$TB_DIR/nginx.conf" -p "$TB_DIR"
  local t="$TB_TOOLS"
  tb_bg hostile-dns "$TB_NS_INET" "$t/tb_hostile" dns-many "${TB_SITE_IP[hostile-dns]}:53" 400
  tb_bg hostile-header "$TB_NS_INET" "$t/tb_hostile" endless-header "${TB_SITE_IP[hostile-header]}:80"
  tb_bg hostile-body "$TB_NS_INET" "$t/tb_hostile" endless-body "${TB_SITE_IP[hostile-body]}:80"
  tb_bg hostile-trickle "$TB_NS_INET" "$t/tb_hostile" trickle "${TB_SITE_IP[hostile-trickle]}:80"
  tb_bg hostile-tls "$TB_NS_INET" "$t/tb_hostile" tls-garbage "${TB_SITE_IP[hostile-tls]}:443"
  tb_bg middlebox "$TB_NS_INET" "$t/tb_hostile" middlebox "$TB_MIDDLEBOX_IP:80" \
    "$TB_DIR/www/blockpage/index.html"
  # inject.vigil.test's own authoritative server is far away (300 ms), the censor's injector
  # on the ISP is close: the forged answer arrives first, the real one after it.
  tb_bg far-dns "$TB_NS_INET" "$t/tb_hostile" dns-slow "${TB_SITE_IP[far-dns]}:53" \
    "inject.$TB_DOMAIN" "${TB_SITE_IP[inject]}" 300
  # Racing DNS injector on the ISP: forged answers for inject.vigil.test (see tb_hostile.cc).
  tb_bg injector "$TB_NS_ISP" "$t/tb_hostile" dns-inject "$TB_ISP_CLIENT_SIDE" \
    "inject.$TB_DOMAIN" "$TB_FP_DNS_IP"
  tb_bg helper "$TB_NS_INET" "$VIGIL" helper --listen "$TB_HELPER_IP:$TB_HELPER_PORT" \
    --resolver "$TB_AUTH_DNS:53" --ca-file "$TB_CA" --timeout-ms "${TB_HELPER_TIMEOUT_MS:-5000}"
}

tb_port_open() { tb_in "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }

tb_wait_ready() {
  tb_wait_for 30 "nginx" tb_port_open "$TB_NS_INET" "${TB_SITE_IP[www]}" 80
  tb_wait_for 30 "nginx (https)" tb_port_open "$TB_NS_INET" "${TB_SITE_IP[www]}" 443
  tb_wait_for 30 "the test helper" tb_port_open "$TB_NS_INET" "$TB_HELPER_IP" "$TB_HELPER_PORT"
  tb_wait_for 30 "the hostile HTTP servers" tb_port_open "$TB_NS_INET" "${TB_SITE_IP[hostile-trickle]}" 80
  tb_wait_for 30 "the ISP resolver" tb_client bash -c \
    "getent ahostsv4 www.$TB_DOMAIN | grep -q ${TB_SITE_IP[www]}"
  tb_wait_for 30 "the client's route through the ISP" tb_port_open "$TB_NS_CLIENT" "${TB_SITE_IP[www]}" 80
}

# Builds everything. Call after tb_require; installs the teardown trap first.
tb_setup() {
  trap tb_teardown EXIT
  trap 'exit 130' INT TERM
  tb_clean_stale
  TB_DIR=$(mktemp -d "/tmp/vigil-testbed.$TB_ID.XXXXXX")
  chmod 755 "$TB_DIR"  # nginx workers read the pages
  # shellcheck source=censor.sh
  source "$(dirname "${BASH_SOURCE[0]}")/censor.sh"
  tb_make_namespaces
  tb_make_pki
  tb_make_content
  tb_write_nginx_conf
  tb_start_dns
  tb_start_servers
  tb_censor_apply
  tb_wait_ready
  tb_log "up: $TB_NS_CLIENT / $TB_NS_ISP / $TB_NS_INET, files in $TB_DIR"
}

# Runs `vigil probe run` in the client namespace with the testbed's helper, resolver and CA.
# tb_probe OUTFILE [extra flags...]. Sets TB_PROBE_MS (wall time), TB_PROBE_RSS_KB (peak
# memory) and TB_PROBE_RC; a run longer than TB_PROBE_LIMIT seconds (default 120) is killed.
# TB_RESOLVER overrides the UDP resolver (default: the ISP's).
tb_probe() {
  local out="$1"; shift
  local stats="$out.stats"
  # In the background with `wait`, so a signal runs the teardown trap at once.
  tb_client "$TB_TOOLS/tb_measure" "${TB_PROBE_LIMIT:-120}" "$stats" -- "$VIGIL" probe run \
    --helper "http://$TB_HELPER_IP:$TB_HELPER_PORT/" \
    --resolver "${TB_RESOLVER:-$TB_ISP_CLIENT_SIDE:53}" \
    --ca-file "$TB_CA" --outbox "$out.outbox.sqlite" --out "$out" "$@" \
    >"$out.stdout" 2>"$out.stderr" &
  local pid=$!
  TB_PIDS+=("$pid")
  set +e
  wait "$pid"
  TB_PROBE_RC=$?
  set -e
  TB_PROBE_MS=$(sed -n 's/.*wall_ms=\([0-9]*\).*/\1/p' "$stats")
  TB_PROBE_RSS_KB=$(sed -n 's/.*max_rss_kb=\([0-9]*\).*/\1/p' "$stats")
  tb_log "probe: exit $TB_PROBE_RC in ${TB_PROBE_MS} ms, peak memory ${TB_PROBE_RSS_KB} KiB"
  if [ "$TB_PROBE_RC" -ne 0 ]; then
    tail -n 20 "$out.stderr" >&2
    tb_die "vigil probe run exited with $TB_PROBE_RC"
  fi
}
