#!/usr/bin/env python3
"""feed.py PORT USERS ITEMS RATE SECONDS — posts RATE events a second (10 per request) for
SECONDS, to apply a background write load while wrk measures reads. Prints what it achieved."""
import http.client, json, random, sys, time
port, users, items, rate, secs = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
U = open(users).read().split(); I = open(items).read().split()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
t0 = time.time(); sent = 0
while time.time() - t0 < secs:
    body = json.dumps([{"user": random.choice(U), "item": random.choice(I)} for _ in range(10)])
    c.request("POST", "/v1/events", body, {"Content-Type": "application/json"}); r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(f"status {r.status}")
    sent += 10
    lag = sent / rate - (time.time() - t0)
    if lag > 0: time.sleep(lag)
print(f"feed: {sent / (time.time() - t0):.0f} events/s applied")
