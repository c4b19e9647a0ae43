"""Issue 8's benchmark: a Prometheus range query of N points (S series on
one time grid) to a wide pandas DataFrame, through the bindings and through
the usual Python route, in one run.

  libscope: scope.Prometheus.query_range() (libcurl + the C streaming
            parser writing into the SeriesSet's columns) ->
            SeriesSet.to_pandas(wide=True)
  peer:     urllib.request GET of the same URL -> json.loads -> float() of
            every value -> the same wide DataFrame

The response is a canned /api/v1/query_range body of the exact API shape
(status, data.resultType "matrix", result[].metric / values [[t, "v"]...]),
served over loopback HTTP by a server process this script starts on a free
127.0.0.1 port and stops by PID. Each client runs in a fresh child process
of /usr/bin/python3 (numpy and pandas imported before timing); the time is
wall-clock of fetch + parse + DataFrame, the memory is the growth of the
child's peak RSS (VmHWM, reset through /proc/self/clear_refs) over it. Both
frames are checked to hold the same values.

usage: SCOPE_LIBRARY=build/libscope.so.0 PYTHONPATH=bindings/python \\
       /usr/bin/python3 bindings/python/bench/bench_prom_range.py [points] [series]
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

T0 = 1_700_000_000  # seconds
STEP = 15


def hwm_reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def hwm_and_rss():
    hwm = rss = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return hwm, rss


def write_body(path, points, nseries):
    steps = points // nseries
    with open(path, "w") as f:
        f.write('{"status":"success","data":{"resultType":"matrix","result":[')
        for i in range(nseries):
            if i:
                f.write(",")
            f.write('{"metric":{"__name__":"bench_metric","instance":"node%d","job":"bench"},'
                    '"values":[' % i)
            f.write(",".join('[%d,"%r"]' % (T0 + STEP * k, k * 0.5 + i) for k in range(steps)))
            f.write("]}")
        f.write("]}}")


def serve(path, port_file):
    import http.server
    with open(path, "rb") as f:
        body = f.read()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            if not self.path.startswith("/api/v1/query_range"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.timeout = 1
    deadline = time.monotonic() + 1800  # bounded: the parent stops it far sooner
    while time.monotonic() < deadline:
        srv.handle_request()


def window(points, nseries):
    steps = points // nseries
    return T0 * 10**9, (T0 + STEP * (steps - 1)) * 10**9, STEP * 10**9


def child_scope(url, points, nseries):
    import numpy as np  # noqa: F401
    import pandas  # noqa: F401
    import scope
    start, end, step = window(points, nseries)
    pc = scope.Prometheus(url, timeout=600, max_retries=-1)
    hwm_reset()
    _, rss0 = hwm_and_rss()
    t = time.perf_counter()
    # one request, as the peer makes (the canned body answers any window)
    s = pc.query_range("bench_metric", start, end, step, max_points=1_000_000, no_split=True)
    df = s.to_pandas(wide=True)
    secs = time.perf_counter() - t
    hwm, _ = hwm_and_rss()
    return secs, hwm - rss0, check(df, points, nseries)


def child_json(url, points, nseries):
    import urllib.parse
    import urllib.request
    import numpy as np
    import pandas as pd
    start, end, step = window(points, nseries)
    q = urllib.parse.urlencode({"query": "bench_metric", "start": start / 1e9, "end": end / 1e9,
                                "step": step / 1e9})
    hwm_reset()
    _, rss0 = hwm_and_rss()
    t = time.perf_counter()
    with urllib.request.urlopen(url + "/api/v1/query_range?" + q, timeout=600) as resp:
        doc = json.loads(resp.read())
    cols, index = {}, None
    for r in doc["data"]["result"]:
        vs = r["values"]
        if index is None:
            index = pd.to_datetime(np.array([v[0] for v in vs], dtype=np.float64) * 1e9)
        key = "%s{%s}" % (r["metric"]["__name__"], ",".join(
            '%s="%s"' % kv for kv in sorted(r["metric"].items()) if kv[0] != "__name__"))
        cols[key] = np.array([float(v[1]) for v in vs], dtype=np.float64)
    df = pd.DataFrame(cols, index=index)
    secs = time.perf_counter() - t
    hwm, _ = hwm_and_rss()
    return secs, hwm - rss0, check(df, points, nseries)


def check(df, points, nseries):
    """The frame's shape and an independent value check; returns a digest
    both sides must agree on."""
    import numpy as np
    steps = points // nseries
    assert df.shape == (steps, nseries), df.shape
    assert df.index[0].value == T0 * 10**9 and df.index[-1].value == (T0 + STEP * (steps - 1)) * 10**9
    cols = sorted(df.columns, key=lambda c: int(c.split('node')[1].split('"')[0]))
    for i, c in enumerate(cols):
        col = df[c].to_numpy()
        assert col[0] == i and col[-1] == (steps - 1) * 0.5 + i, (c, col[0], col[-1])
    return float(np.nansum(df.to_numpy()))


def free_port_wait(port_file, proc, limit=600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                return int(f.read())
        if proc.poll() is not None:
            raise SystemExit("the server exited with %s" % proc.returncode)
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        fn = {"scope": child_scope, "json": child_json}[sys.argv[2]]
        print(json.dumps(fn(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))))
        return
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    nseries = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as d:
        body = os.path.join(d, "body.json")
        write_body(body, points, nseries)
        size = os.path.getsize(body)
        port_file = os.path.join(d, "port")
        srv = subprocess.Popen([sys.executable, __file__, "--serve", body, port_file])
        try:
            port = free_port_wait(port_file, srv)
            url = "http://127.0.0.1:%d" % port
            res = {}
            for side in ("scope", "json"):
                out = subprocess.run([sys.executable, __file__, "--child", side, url,
                                      str(points), str(nseries)], check=True,
                                     capture_output=True, text=True, timeout=1200)
                res[side] = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            os.kill(srv.pid, signal.SIGTERM)
            srv.wait(10)
    (ts, ms, ds), (tj, mj, dj) = res["scope"], res["json"]
    assert ds == dj, (ds, dj)
    print("Prometheus range query of %d points (%d series x %d steps, %.0f MiB of JSON over "
          "loopback HTTP) to a wide DataFrame, %s"
          % (points, nseries, points // nseries, size / 2**20, sys.executable))
    print("  libscope Prometheus.query_range + to_pandas(wide=True): %8.3f s  peak +%8.1f MiB"
          % (ts, ms / 2**20))
    print("  peer urllib + json.loads + float() + DataFrame:         %8.3f s  peak +%8.1f MiB"
          % (tj, mj / 2**20))
    print("  ratio: %.1fx faster, %.3f of the peer's peak memory" % (tj / ts, ms / mj))


if __name__ == "__main__":
    main()
