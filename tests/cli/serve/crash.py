#!/usr/bin/env python3
"""crash.py — kill -9 tide-serve under load, again and again, and check durability.

Each round starts the server on the same log, runs 4 client threads posting events (batches of
1-4) whose times are unique sequence numbers, SIGKILLs the server at a random moment, and keeps
the set of events whose POST was acknowledged (HTTP 200). After the last round a fresh server
replays the log: every acknowledged event must be in its users' histories, and no event may be
there twice. Loopback only; every loop bounded in count and time.
usage: crash.py TIDE_BIN DATA MODEL LOGDIR ROUNDS SEED"""
import atexit, http.client, json, os, random, re, signal, subprocess, sys, threading, time

bin_dir, data, model, logdir, rounds, seed = sys.argv[1:7]
rounds, rng = int(rounds), random.Random(int(seed))
users = [f"u{i}" for i in range(20)]
items = [f"i{i}" for i in range(40)]
BASE = 1800000000
acked, seq_lock, seq = set(), threading.Lock(), [0]
live = []  # a server still running when this script exits (a failed check) is killed
atexit.register(lambda: [p.kill() for p in live if p.poll() is None])

def start(errpath, sync):
    err = open(errpath, "w")
    p = subprocess.Popen([f"{bin_dir}/tide-serve", "--data", data, "--model", model, "--log", logdir,
                          "--sync", sync, "--listen", "127.0.0.1:0"], stderr=err)
    live.append(p)
    t0 = time.time()
    while time.time() - t0 < 20:
        m = re.search(r"http://127\.0\.0\.1:(\d+)", open(errpath).read())
        if m: return p, int(m.group(1))
        if p.poll() is not None: sys.exit(f"server exited at start: {open(errpath).read()}")
        time.sleep(0.05)
    p.kill(); sys.exit("server did not start in 20 s")

def client(port, stop, rng):
    conn = None
    deadline = time.time() + 10
    while not stop.is_set() and time.time() < deadline:
        with seq_lock:
            n = rng.randint(1, 4)
            ts = list(range(seq[0], seq[0] + n)); seq[0] += n
        evs = [{"user": rng.choice(users), "item": rng.choice(items), "time": BASE + t} for t in ts]
        try:
            if conn is None: conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/v1/events", json.dumps(evs), {"Content-Type": "application/json"})
            r = conn.getresponse(); r.read()
            if r.status == 200:
                with seq_lock: acked.update((e["user"], e["time"]) for e in evs)
            else:
                sys.exit(f"unexpected status {r.status}")
        except (OSError, http.client.HTTPException):
            return  # the server died: this batch was not acknowledged

def history(port):
    out = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for u in users:
        conn.request("GET", f"/v1/users/{u}?limit=100000"); r = conn.getresponse(); j = json.loads(r.read())
        if r.status != 200: out[u] = []; continue
        out[u] = [e["time"] for e in j["recent"] if e["time"] >= BASE]
    return out

def check(port, label):
    h = history(port)
    for u, ts in h.items():
        if len(ts) != len(set(ts)): sys.exit(f"{label}: user {u} has an event applied twice")
    have = {(u, t) for u, ts in h.items() for t in ts}
    missing = acked - have
    if missing: sys.exit(f"{label}: {len(missing)} acknowledged events lost, e.g. {sorted(missing)[:3]}")
    return len(have)

t_start = time.time()
for r in range(rounds):
    sync = ["batch", "none", "always"][r % 3]
    p, port = start(f"{logdir}.err.{r}", sync)
    if r and r % 4 == 0: check(port, f"round {r} after restart")
    stop = threading.Event()
    ths = [threading.Thread(target=client, args=(port, stop, random.Random(rng.random()))) for _ in range(4)]
    for t in ths: t.start()
    time.sleep(rng.uniform(0.1, 0.4))
    p.send_signal(signal.SIGKILL); p.wait()
    stop.set()
    for t in ths: t.join(15)
    if time.time() - t_start > 240: sys.exit("took longer than 240 s")
p, port = start(f"{logdir}.err.final", "batch")
n = check(port, "final")
p.send_signal(signal.SIGTERM); p.wait(20)
if p.returncode != 0: sys.exit(f"exit code {p.returncode} after SIGTERM")
print(f"{rounds} kills: {len(acked)} acknowledged events, {n} applied after the last restart, none lost, none twice")
if len(acked) < rounds * 5: sys.exit("too few events acknowledged for the test to mean anything")
