#!/usr/bin/env python3
"""make-recs-corpus.py — writes tests/fuzz/corpus/recs/: the seed inputs of fuzz-recs.c. Standard
library only (random.seed(3): Mersenne Twister, getrandbits is stable across Python versions).
Small hand-written cases (valid, CRLF and blank lines, every rejection) and generated ones whose
lines straddle the scanner's 64-byte windows and the reader's 128-byte tail.

    tests/fuzz/make-recs-corpus.py [OUT_DIR]
"""
import os
import random
import sys

CASES = {
    "valid": "u1\ti1\t1\t0.9\nu1\ti9\t2\t0.8\nu2\ti3\t1\t1\nu3\ti4\t1\t-2.5\nu3\ti1\t2\t-3\n",
    "crlf-blank-no-final-newline": "u1\ti1\t1\t0.9\r\nu1\ti9\t2\t0.8\r\n\r\n\nu2\ti3\t1\t1",
    "scores-ranks": "u1\ti1\t001\t1e-3\nu1\ti2\t2\t-inf\nu1\ti3\t3\t+.5\nu1\ti4\t4\t5.\nu2\ti3\t123456789012\tinf\n",
    "rank-not-increasing": "u1\ti1\t1\t0.9\nu1\ti2\t1\t0.8\n",
    "duplicate": "u1\ti1\t1\t0.9\nu1\ti1\t2\t0.8\n",
    "not-grouped": "u1\ti1\t1\t0.9\nu2\ti2\t1\t0.8\nu1\ti3\t2\t0.8\n",
    "rank-zero": "u1\ti1\t0\t0.9\n",
    "score-dot": "u1\ti1\t1\t.\n",
    "score-two-dots": "u1\ti1\t1\t1.2.3\n",
    "five-fields": "u1\ti1\t1\t0.5\textra\n",
    "empty-item": "u1\t\t1\t0.5\n",
    "empty-user": "\ti1\t1\t0.5\n",
    "unknown-item": "u1\tzz\t1\t0.5\n",
    "rank-letters": "u1\ti1\t1x\t0.5\n",
    "score-nan": "u1\ti1\t1\tnan\n",
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "recs")
    os.makedirs(out, exist_ok=True)
    for name, text in CASES.items():
        with open(os.path.join(out, name), "w", newline="") as f:
            f.write(text)
    random.seed(3)
    # long ids and long lines (> 64 and > 128 bytes) mixed with short ones
    lines = []
    for u in range(40):
        uid = ("user-with-a-long-identifier-%d" % u) if u % 3 == 0 else "u%d" % u
        for r in range(1, 8):
            if (u + r) % 4 == 0:
                iid = "item-" + "x" * (r * 9) + str(r)
            else:
                iid = "i%d" % (1 + (u * 7 + r) % 5) if r <= 5 else "k%d" % r
            lines.append("%s\t%s\t%d\t%.6f\n" % (uid, iid, r, 1 - r / 10))
    with open(os.path.join(out, "long-lines"), "w") as f:
        f.write("".join(lines))
    # line lengths at the window boundaries: 63, 64, 65, 127, 128, 129 bytes
    lines = []
    for n, u in ((63, "a"), (64, "b"), (65, "c"), (127, "d"), (128, "e"), (129, "f")):
        head = "%s\ti1\t1\t" % u
        lines.append(head + "0." + "5" * (n - len(head) - 2) + "\n")
    with open(os.path.join(out, "boundary-lengths"), "w") as f:
        f.write("".join(lines))
    # ~300 valid lines, then an error within the last 128 bytes (the mapped reader's tail)
    lines = ["u%d\ti%d\t%d\t0.%d\n" % (u, 1 + (r % 5), r, 9 - r) for u in range(60) for r in range(1, 6)]
    lines.append("u60\ti1\t2\t0.5\nu60\ti2\t1\t0.4\n")
    with open(os.path.join(out, "error-in-tail"), "w") as f:
        f.write("".join(lines))
    with open(os.path.join(out, "binary"), "wb") as f:
        f.write(bytes(random.getrandbits(8) for _ in range(300)) + b"\t\t\n\x00\x80\xff0.1\n")


if __name__ == "__main__":
    main()
