# The censoring ISP's policy: one rule per blocking technique, each aimed at its own host in
# the testbed's internet (names: <site>.vigil.test, addresses in lib.sh). Sourced by lib.sh.
# Throttling is not here: the throttling scenario adds and removes its tc qdisc itself.

# dnsmasq options for the ISP's resolver, one per line.
tb_censor_dns_rules() {
  # NXDOMAIN injection: the resolver says the name does not exist.
  echo "--address=/nxdomain.$TB_DOMAIN/"
  # Lying resolver: the name resolves to the blockpage server's fingerprinted address.
  echo "--address=/dnslie.$TB_DOMAIN/$TB_FP_DNS_IP"
  # The name the injector races (tb_start_servers): resolved at its far-away authority.
  echo "--server=/inject.$TB_DOMAIN/${TB_SITE_IP[far-dns]}"
  # Benchmark hosts (bench/probe.sh): see tb_bench_technique.
  if [ "$TB_BENCH_HOSTS" -gt 0 ]; then
    local n
    for n in $(seq 1 "$TB_BENCH_HOSTS"); do
      case $(tb_bench_technique "$n") in
        nxdomain) echo "--address=/bench-$n.$TB_DOMAIN/" ;;
        dnslie) echo "--address=/bench-$n.$TB_DOMAIN/$TB_FP_DNS_IP" ;;
      esac
    done
  fi
}

# iptables rules in the ISP namespace (forwarded traffic from the client).
tb_censor_apply() {
  local ipt=(ip netns exec "$TB_NS_ISP" iptables)
  # Connect dropped: SYNs vanish, the probe times out.
  "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "${TB_SITE_IP[tcpdrop]}" -j DROP
  # Connect refused: the censor answers the SYN with a RST.
  "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "${TB_SITE_IP[tcprst]}" -j REJECT --reject-with tcp-reset
  # Keyword RST on the HTTP Host header (any destination).
  "${ipt[@]}" -A FORWARD -i i0 -p tcp --dport 80 -m string --algo bm --icase \
    --string "Host: hostrst.$TB_DOMAIN" -j REJECT --reject-with tcp-reset
  # RST on the TLS SNI: the server name appears in clear in the ClientHello.
  "${ipt[@]}" -A FORWARD -i i0 -p tcp --dport 443 -m string --algo bm \
    --string "snirst.$TB_DOMAIN" -j REJECT --reject-with tcp-reset
  # Transparent HTTP blockpage: port 80 of one site is redirected to the censor's middlebox,
  # which answers every request with its blockpage.
  "${ipt[@]}" -t nat -A PREROUTING -i i0 -p tcp -d "${TB_SITE_IP[blockpage]}" --dport 80 \
    -j DNAT --to-destination "$TB_MIDDLEBOX_IP:80"
  # A filtering product's blockpage, reached the same way but answering with the site's headers.
  "${ipt[@]}" -t nat -A PREROUTING -i i0 -p tcp -d "${TB_SITE_IP[vendorbp]}" --dport 80 \
    -j DNAT --to-destination "$TB_VENDOR_IP:80"
  # Platforms: the "blocked" stand-ins of WhatsApp's endpoints and Telegram's data centres.
  "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "${TB_SITE_IP[wa-blocked]}" -j REJECT --reject-with tcp-reset
  "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "${TB_SITE_IP[tg-blocked-1]}" -j DROP
  "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "${TB_SITE_IP[tg-blocked-2]}" -j DROP
  # Benchmark hosts (bench/probe.sh): addresses 10.231.3.N.
  if [ "$TB_BENCH_HOSTS" -gt 0 ]; then
    local n
    for n in $(seq 1 "$TB_BENCH_HOSTS"); do
      case $(tb_bench_technique "$n") in
        tcpdrop) "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "10.231.3.$n" -j DROP ;;
        tcprst) "${ipt[@]}" -A FORWARD -i i0 -p tcp -d "10.231.3.$n" -j REJECT --reject-with tcp-reset ;;
        blockpage) "${ipt[@]}" -t nat -A PREROUTING -i i0 -p tcp -d "10.231.3.$n" --dport 80 \
                     -j DNAT --to-destination "$TB_MIDDLEBOX_IP:80" ;;
        snirst) "${ipt[@]}" -A FORWARD -i i0 -p tcp --dport 443 -m string --algo bm \
                  --string "bench-$n.$TB_DOMAIN" -j REJECT --reject-with tcp-reset ;;
      esac
    done
  fi
}

# The technique that blocks benchmark host N (bench-N.vigil.test): hosts whose last digit is
# 7, 8 or 9 (30%) are blocked, by DNS NXDOMAIN or a lying resolver (7), a dropped connect, that
# is a timeout, or a refused one (8), a transparent blockpage or an SNI reset (9), alternating
# with the tens digit; the others are left alone.
tb_bench_technique() {
  local odd=$((($1 / 10) % 2))
  case "$(($1 % 10))$odd" in
    70) echo nxdomain ;;
    71) echo dnslie ;;
    80) echo tcpdrop ;;
    81) echo tcprst ;;
    90) echo blockpage ;;
    91) echo snirst ;;
    *) echo none ;;
  esac
}
