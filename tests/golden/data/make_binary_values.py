#!/usr/bin/env python3
"""Writes the binary-value fixtures of tests/golden/data/ (see README.md there).

  make_binary_values.py SOURCE_DIR

binary-values.jsonl: measurements whose HTTP header values and bodies are OONI binary
values ({"format":"base64","data":...}, df-001-httpt):
  1-2  Web Connectivity in the shape ooniprobe-android 1.2 (Measurement Kit 0.7) wrote in
       2017: headers as a map only, binary values where the bytes were not UTF-8. Built by
       hand (no real one is at hand): an Iranian iframe blockpage whose body is windows-1256
       text (not UTF-8), and a WireFilter blockpage whose Server header ends in a Latin-1 byte.
  3-5  real measurements of data/samples/ooni-sample.jsonl (OONI, see its README) with every
       HTTP header value and body re-encoded in the binary form, bytes unchanged.
binary-values-malformed.jsonl: the same first measurement broken one way per line.
The output is deterministic: rerun after changing this script and commit both files.
"""
import base64, copy, json, os, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "."
OUT = os.path.join(SRC, "tests", "golden", "data")


def binary(b):
    return {"format": "base64", "data": base64.b64encode(b).decode()}


def maybe_binary(b):
    """What Measurement Kit and OONI Probe write: a string when UTF-8, else binary."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return binary(b)


UA = "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0.2526.106 Safari/537.36"


def android_2017(n, cc, asn, url, ip, body, headers, control_title, control_length, start):
    host = url.split("/")[2]
    return {
        "annotations": {"engine_name": "libmeasurement_kit", "engine_version": "0.7.13",
                        "network_type": "wifi", "platform": "android"},
        "data_format_version": "0.2.0",
        "id": "00000000-0000-4000-8000-00000000000%d" % n,
        "input": url,
        "input_hashes": [],
        "measurement_start_time": start,
        "options": [],
        "probe_asn": asn,
        "probe_cc": cc,
        "probe_city": None,
        "probe_ip": "127.0.0.1",
        "report_id": "%sZ_%s_VigilBinaryValuesFixture%02dBuiltInTheShapeOfOoniprobeAndroid2017" % (
            start.replace("-", "").replace(" ", "T").replace(":", ""), asn, n),
        "software_name": "ooniprobe-android",
        "software_version": "1.2.0",
        "test_helpers": {"backend": "https://a.web-connectivity.th.ooni.io:4442"},
        "test_keys": {
            "agent": "redirect",
            "client_resolver": "91.99.101.12",
            "retries": 0,
            "socksproxy": None,
            "queries": [{"answers": [{"answer_type": "A", "ipv4": ip, "ttl": None}], "failure": None,
                         "hostname": host, "query_type": "A", "resolver_hostname": None,
                         "resolver_port": None}],
            "dns_experiment_failure": None,
            "dns_consistency": "consistent",
            "tcp_connect": [{"ip": ip, "port": 80, "status": {"blocked": False, "failure": None, "success": True}}],
            "requests": [{
                "failure": None,
                "request": {"body": "", "headers": {"Accept-Language": "en-US;q=0.8,en;q=0.5", "User-Agent": UA},
                            "method": "GET", "tor": {"exit_ip": None, "exit_name": None, "is_tor": False},
                            "url": url},
                "response": {"body": body, "code": 403, "headers": headers},
            }],
            "http_experiment_failure": None,
            "control": {
                "dns": {"addrs": [ip], "failure": None},
                "http_request": {"body_length": control_length, "failure": None,
                                 "headers": {"Content-Type": "text/html; charset=utf-8", "Server": "nginx"},
                                 "status_code": 200, "title": control_title},
                "tcp_connect": {"%s:80" % ip: {"failure": None, "status": True}},
            },
            "control_failure": None,
            "body_length_match": False,
            "body_proportion": 0.0,
            "headers_match": False,
            "status_code_match": False,
            "title_match": False,
            "accessible": False,
            "blocking": "http-diff",
        },
        "test_name": "web_connectivity",
        "test_runtime": 1.8712,
        "test_start_time": start,
        "test_version": "0.0.1",
    }


# Iran's iframe blockpage, with a windows-1256 title ("فیلتر", filtered): not UTF-8.
IR_BODY = (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
           b"<title>\xdd\xed\xe1\xca\xd1 M1-6</title></head><body>"
           b'<iframe src="http://10.10.34.34?type=Invalid Site&policy=MainPolicy " style="width: 100%; '
           b'height: 100%" scrolling="no" marginwidth="0" marginheight="0" frameborder="0" vspace="0" '
           b'hspace="0"></iframe></body></html>')
WIREFILTER_BODY = (b"<html><head><title>Access denied</title></head><body><h1>Access denied</h1>"
                   b"<p>The requested page is blocked by the network policy.</p></body></html>")


def fixtures():
    ir = android_2017(1, "IR", "AS44244", "http://www.bbc.com/persian/", "151.101.12.81", binary(IR_BODY),
                      {"Connection": binary(b"close"), "Content-Type": "text/html"},
                      "BBC News فارسی", 351224, "2017-10-14 08:21:05")
    ae = android_2017(2, "AE", "AS5384", "http://www.grindr.com/", "52.85.200.11",
                      maybe_binary(WIREFILTER_BODY),
                      {"Content-Type": "text/html", "Server": maybe_binary(b"Protected by WireFilter 8000 \xae")},
                      "Grindr", 48211, "2017-11-02 17:40:12")
    out = [ir, ae]
    with open(os.path.join(SRC, "data", "samples", "ooni-sample.jsonl"), encoding="utf-8") as f:
        lines = [json.loads(l) for l in f if l.strip()]
    for line in (16, 26, 3):  # httpDiffWithInconsistentDNS, a real page, a redirect chain
        out.append(reencode(lines[line - 1]))
    return out


def reencode(m):
    m = copy.deepcopy(m)
    for r in m["test_keys"].get("requests") or []:
        for part in (r.get("request"), r.get("response")):
            if not part:
                continue
            if isinstance(part.get("headers_list"), list):
                part["headers_list"] = [[k, binary(v.encode())] for k, v in part["headers_list"]]
            if isinstance(part.get("headers"), dict):
                part["headers"] = {k: binary(v.encode()) for k, v in part["headers"].items()}
            if isinstance(part.get("body"), str):
                part["body"] = binary(part["body"].encode())
    return m


def malformed(first):
    def change(f):
        m = copy.deepcopy(first)
        f(m["test_keys"])
        return m
    resp = lambda tk: tk["requests"][0]["response"]
    return [
        change(lambda tk: resp(tk).update(body={"format": "base64", "data": "not base64!"})),
        change(lambda tk: resp(tk)["headers"].update(Connection={"format": "hex", "data": "636c6f7365"})),
        change(lambda tk: resp(tk)["headers"].update(Connection={"format": "base64"})),
        change(lambda tk: resp(tk)["headers"].update(Connection=42)),
        change(lambda tk: tk["queries"][0]["answers"][0].update(ipv4=binary(b"\x97\x65\x0c\x51"))),
    ]


def write(name, ms):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        for m in ms:
            f.write(json.dumps(m, ensure_ascii=False, separators=(",", ":")) + "\n")


good = fixtures()
write("binary-values.jsonl", good)
write("binary-values-malformed.jsonl", malformed(good[0]))
