"""Hand-over benchmark: N points (S series on one time grid, as a
Prometheus range query returns them) to a wide pandas DataFrame.

  libscope: a SeriesSet already in C memory -> SeriesSet.to_pandas(wide=True)
            (numpy views of the C columns, one copy into the frame)
  peer:     the same points as a Prometheus /api/v1/query_range JSON response
            -> json.loads + float() of every value -> the same wide DataFrame,
            as a Python client without libscope does it

Both run in the same invocation, each in a fresh child process of
/usr/bin/python3, timed with time.perf_counter; peak memory is the growth
of the child's peak RSS (VmHWM, reset through /proc/self/clear_refs) during
the timed step. Note: until libscope's Prometheus client lands, the libscope
side starts from a filled series set: it does not include the C HTTP/JSON
parse, which the full benchmark of issue 8 will add.

usage: SCOPE_LIBRARY=build/libscope.so.0 PYTHONPATH=bindings/python \\
       /usr/bin/python3 bindings/python/bench/bench_handover.py [points] [series]
"""
import json
import os
import subprocess
import sys
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


def child_scope(points, nseries):
    import numpy as np
    import pandas  # noqa: F401 (imported before timing, as in the peer)
    import scope
    steps = points // nseries
    ts = (T0 + STEP * np.arange(steps, dtype=np.int64)) * 1_000_000_000
    s = scope.SeriesSet()
    for i in range(nseries):
        s.add("bench_metric", {"instance": "node%d" % i}).extend(ts, np.arange(steps) * 0.5 + i)
    del ts
    hwm_reset()
    _, rss0 = hwm_and_rss()
    t = time.perf_counter()
    df = s.to_pandas(wide=True)
    secs = time.perf_counter() - t
    hwm, _ = hwm_and_rss()
    assert df.shape == (steps, nseries), df.shape
    assert df.iloc[-1, -1] == (steps - 1) * 0.5 + nseries - 1
    return secs, hwm - rss0


def child_json(points, nseries):
    import numpy as np
    import pandas as pd
    steps = points // nseries
    parts = []
    for i in range(nseries):
        vals = ",".join('[%d,"%r"]' % (T0 + STEP * k, k * 0.5 + i) for k in range(steps))
        parts.append('{"metric":{"__name__":"bench_metric","instance":"node%d"},"values":[%s]}'
                     % (i, vals))
    body = '{"status":"success","data":{"resultType":"matrix","result":[%s]}}' % ",".join(parts)
    del parts
    hwm_reset()
    _, rss0 = hwm_and_rss()
    t = time.perf_counter()
    doc = json.loads(body)
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
    assert df.shape == (steps, nseries), df.shape
    assert df.iloc[-1, -1] == (steps - 1) * 0.5 + nseries - 1
    return secs, hwm - rss0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        fn = {"scope": child_scope, "json": child_json}[sys.argv[2]]
        print(json.dumps(fn(int(sys.argv[3]), int(sys.argv[4]))))
        return
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    nseries = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    res = {}
    for side in ("scope", "json"):
        out = subprocess.run([sys.executable, __file__, "--child", side, str(points),
                              str(nseries)], check=True, capture_output=True, text=True)
        res[side] = json.loads(out.stdout.strip().splitlines()[-1])
    (ts, ms), (tj, mj) = res["scope"], res["json"]
    print("hand-over of %d points (%d series x %d steps) to a wide DataFrame, %s"
          % (points, nseries, points // nseries, sys.executable))
    print("  libscope SeriesSet.to_pandas(wide=True): %8.3f s  peak +%7.1f MiB" % (ts, ms / 2**20))
    print("  peer json.loads + float():               %8.3f s  peak +%7.1f MiB" % (tj, mj / 2**20))
    print("  ratio: %.1fx faster, %.3f of the peer's peak memory" % (tj / ts, ms / mj))


if __name__ == "__main__":
    main()
