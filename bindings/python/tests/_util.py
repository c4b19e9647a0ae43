"""Helpers shared by the test modules."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SCOPE_SOURCE_DIR") or os.path.normpath(
    os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))  # the package under bindings/python


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


_CANNED_SERVER = r'''
import selectors, socket, sys
body = sys.stdin.buffer.read()
head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
reply = head % len(body) + body
served = 0
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(128)
ls.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
bufs = {}
print(ls.getsockname()[1], flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            try:
                c, _ = ls.accept()
            except BlockingIOError:
                continue
            c.setblocking(False)
            bufs[c] = b""
            sel.register(c, selectors.EVENT_READ)
            continue
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            del bufs[s]
            s.close()
            continue
        buf = bufs[s] + data
        out = []
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            hdr = buf[:end].lower()
            n = 0
            i = hdr.find(b"\r\ncontent-length:")
            if i >= 0:
                n = int(hdr[i + 17:].split(b"\r\n", 1)[0])
            if len(buf) < end + 4 + n:
                break
            if buf.startswith(b"GET /__served "):
                b = str(served).encode()
                out.append(head % len(b) + b)
            else:
                served += 1
                out.append(reply)
            buf = buf[end + 4 + n:]
        bufs[s] = buf
        try:
            s.sendall(b"".join(out))
        except OSError:
            pass
'''


class CannedServer:
    """A loopback HTTP/1.1 server (keep-alive) in a child process, answering
    every request with 200 and @body: cheap enough for thousands of requests
    per second and outside this process, so that RSS measured here is the
    library's and the bindings' alone. ``served()`` asks it (over HTTP, not
    counted) how many requests it answered. Stopped by PID."""

    def __init__(self, body):
        import subprocess
        self.proc = subprocess.Popen([sys.executable, "-c", _CANNED_SERVER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.proc.stdin.write(body if isinstance(body, bytes) else body.encode())
        self.proc.stdin.close()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise RuntimeError("canned server did not start (exit %s)" % self.proc.returncode)
        self.port = int(line)
        self.url = "http://127.0.0.1:%d" % self.port

    def served(self):
        import urllib.request
        with urllib.request.urlopen(self.url + "/__served", timeout=5) as r:
            return int(r.read())

    def close(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(10)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *e):
        self.close()
