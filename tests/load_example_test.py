#!/usr/bin/python3
"""scope-load end to end: nginx on a free loopback port (started and stopped
here), a JSON mix, the --json report checked against itself and nginx's access
log, the wrk2-style text report, an .hlog file and bad input."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
FIX = os.environ["SCOPE_FIXTURES"]
failures = 0
passes = 0


def check(cond, what):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print("FAIL:", what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


d = tempfile.mkdtemp(prefix="scope-load-ex-")
port = free_port()
os.makedirs(f"{d}/html")
for name, size in (("100b.txt", 100), ("16k.txt", 16384)):
    with open(f"{d}/html/{name}", "w") as f:
        f.write("a" * size)
with open(f"{d}/nginx.conf", "w") as f:
    f.write(f"""daemon off; master_process off; worker_processes 1;
error_log {d}/error.log; pid {d}/nginx.pid;
events {{ worker_connections 256; }}
http {{ log_format t '$status $request_method $uri';
  access_log {d}/access.log t; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  server {{ listen 127.0.0.1:{port}; root {d}/html;
    location /user {{ return 200 'u'; }} location /reserve {{ return 200 'r'; }} }} }}
""")
ngx = subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf"], stderr=subprocess.DEVNULL)
try:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.01)
    url = f"http://127.0.0.1:{port}/"
    hlog = f"{d}/run.hlog"
    out = subprocess.run([BIN, "-t2", "-c4", "-d1s", "-R400", "--mix", f"{FIX}/load/hotel-mix.json",
                          "--json", "--hdr-log", hlog, "--percentiles", "50,99", url],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0, f"--json run exit {out.returncode}: {out.stderr}")
    j = json.loads(out.stdout)
    check(j["sent"] == j["completed"] + j["errors"] + j["in_flight"], "sent balance")
    check(j["sent"] + j["backlog"] == 400, f"400 intended sends, got {j['sent']} + {j['backlog']}")
    check(abs(j["rate"] - 400) <= 8, f"achieved {j['rate']}")
    names = [t["name"] for t in j["types"]]
    check(names == ["search", "recommend", "user", "reserve"], f"types {names}")
    check(sum(t["completed"] for t in j["types"]) == j["completed"], "types sum to the total")
    check(sum(t["latency"]["count"] for t in j["types"]) == j["latency"]["count"],
          "type histograms sum to the total")
    check(set(j["latency"]["percentiles_us"]) == {"50", "99"}, "requested percentiles")
    check(j["status"].get("200") == j["completed"], f"statuses {j['status']}")
    ngx.send_signal(signal.SIGQUIT)
    ngx.wait(10)
    log = open(f"{d}/access.log").read().split("\n")
    posts = sum(1 for l in log if l.startswith("200 POST"))
    want_posts = sum(t["completed"] for t in j["types"] if t["name"] in ("user", "reserve"))
    check(want_posts <= posts <= want_posts + j["in_flight"], f"POSTs {posts} vs {want_posts}")
    lines = [l for l in open(hlog) if not l.startswith("#") and not l.startswith('"')]
    check(any(l.startswith("Tag=search,") for l in lines), "hlog has Tag=search lines")
    check(all(",HISTF" in l for l in lines) and len(lines) >= 2, "hlog interval lines")
    # wrk2-style text and bad input
    ngx = subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf"], stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    out = subprocess.run([BIN, "--closed", "-t1", "-c2", "-d300ms", "-L", url + "100b.txt"],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and "Latency Distribution (HdrHistogram - Recorded Latency)" in out.stdout
          and " 99.000%" in out.stdout and "Detailed Percentile spectrum" in out.stdout
          and "Requests/sec:" in out.stdout, "text report:\n" + out.stdout + out.stderr)
    bad = subprocess.run([BIN, "-R", "abc", url], capture_output=True, text=True, timeout=10)
    check(bad.returncode == 2 and "--rate" in bad.stderr, "bad -R: " + bad.stderr)
    with open(f"{d}/bad.json", "w") as f:
        f.write('{"types": [{"name": "x", "weight": "heavy"}]}')
    bad = subprocess.run([BIN, "-R10", "-d100ms", "--mix", f"{d}/bad.json", url],
                         capture_output=True, text=True, timeout=10)
    check(bad.returncode == 1 and "weight" in bad.stderr, "bad mix: " + bad.stderr)
finally:
    if ngx.poll() is None:
        ngx.send_signal(signal.SIGQUIT)
        try:
            ngx.wait(10)
        except subprocess.TimeoutExpired:
            ngx.kill()
            ngx.wait()
    shutil.rmtree(d, ignore_errors=True)

print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
