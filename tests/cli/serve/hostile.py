#!/usr/bin/env python3
"""hostile.py PORT PID — bad and hostile clients against a running tide-serve (loopback only):
each must get a 4xx with a JSON message, or be cut off, and the server must stay up, keep
serving others and keep its memory bounded. Bounded in count and time."""
import http.client, json, os, socket, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])

def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])

def req(method, path, body=None, headers=None, expect=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body, headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    if expect is not None and r.status != expect: sys.exit(f"{method} {path}: {r.status}, expected {expect}: {data[:200]}")
    if r.status >= 400:
        j = json.loads(data)
        if not j.get("error"): sys.exit(f"{path}: error without a message")
    return r.status, data

def alive():
    req("GET", "/healthz", expect=200)

H = {"Content-Type": "application/json"}
cases = [
    (b"{", 400), (b"not json", 400), (b"", 400), (b"[]", 400), (b"null", 400), (b"42", 400),
    (b'{"user": ["a"], "item": "i1"}', 400), (b'{"user": "u1", "item": {"x": 1}}', 400),
    (b'{"user": "u1", "item": "i1", "weight": "1"}', 400), (b'{"user": "u1", "item": "i1", "time": true}', 400),
    (b'{"user": "u1", "item": "i1", "weight": NaN}', 400), (b'{"user": "' + b"x" * 300 + b'", "item": "i1"}', 400),
    (b"[" * 20000 + b"]" * 20000, 400), (b'{"a":' * 5000 + b"1" + b"}" * 5000, 400),
    (b'{"user": "u1", "item": "i1", "text": "x", "weight": 2}', 400), (b'\xff\xfe\x00', 400),
    (json.dumps([{"user": "u1", "item": "i1"}] * 10001).encode(), 400),
    (b'{"user": "u1\\u0000", "item": "i1"}', 400), (b'{"user": "u1", "item": "nope"}', 422),
]
for body, code in cases:
    try:
        req("POST", "/v1/events", body, H, expect=code)
    except SystemExit as e:
        sys.exit(f"{e} (body {body[:80]!r})")
alive()
# Reads: unknown ids 404, bad parameters 400, wrong methods 405.
req("GET", "/v1/users/ghost/recommendations", expect=404)
req("GET", "/v1/users/ghost/interests", expect=404)
req("GET", "/v1/items/ghost/similar", expect=404)
req("GET", "/v1/users/u1/recommendations?k=-3", expect=400)
req("GET", "/v1/users/u1/recommendations?k=99999999999999999999", expect=400)
req("GET", "/v1/users/u1/recommendations?k=5&candidates=nope", expect=400)
req("GET", "/v1/search?q=", expect=400)
req("DELETE", "/v1/events", expect=405)
req("POST", "/v1/users/u1/recommendations", b"{}", H, expect=405)
# Oversized body: refused from its Content-Length, before it is read (the limit is 512 KiB here).
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n[")
resp = s.recv(4096); s.close()
if not resp.startswith(b"HTTP/1.1 413"): sys.exit(f"declared oversize body: {resp[:60]!r}")
# A body sent without Content-Length (chunked) past the limit: refused while reading.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.putrequest("POST", "/v1/events"); c.putheader("Transfer-Encoding", "chunked"); c.putheader("Content-Type", "application/json"); c.endheaders()
try:
    for _ in range(200):  # 800 KiB
        chunk = b" " * 4096
        c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    c.send(b"0\r\n\r\n")
    r = c.getresponse(); r.read()
    if r.status != 413: sys.exit(f"chunked oversize: {r.status}")
except (BrokenPipeError, ConnectionResetError):
    pass  # cut off: also fine
c.close()
alive()
rss0 = rss_kb()
# Slow clients: connections that send half a request and stall; others are still served, and
# the stalled ones are closed after the idle timeout (2 s here).
slow = []
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", port), timeout=10); s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"); slow.append(s)
t0 = time.time(); alive()
if time.time() - t0 > 2: sys.exit("a request waited behind slow clients")
time.sleep(3.5)
closed = 0
for s in slow:
    s.settimeout(2)
    try:
        closed += s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        closed += 1
    s.close()
if closed < 45: sys.exit(f"only {closed} of 50 stalled connections were closed by the timeout")
# Connection flood: more sockets than --max-connections (64 here), all opened at once.
flood = []
for _ in range(300):
    try:
        flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        break
for s in flood: s.close()
time.sleep(0.5)
alive()
# Many valid requests in parallel while the flood settles.
errs = []
def worker():
    try:
        for _ in range(30): req("GET", "/v1/users/u1/recommendations?k=5", expect=200)
    except SystemExit as e: errs.append(str(e))
ths = [threading.Thread(target=worker) for _ in range(8)]
for t in ths: t.start()
for t in ths: t.join(60)
if errs: sys.exit(errs[0])
rss1 = rss_kb()
print(f"RSS {rss0} kB before slow clients and flood, {rss1} kB after")
if rss1 > rss0 + 64 * 1024: sys.exit(f"memory grew by {rss1 - rss0} kB")
