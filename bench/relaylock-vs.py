#!/usr/bin/env python3
"""relaylock of this checkout against another build's, interleaved on the same database.

    python3 bench/relaylock-vs.py DB OTHER_RELAYLOCK [-n 40]

OTHER_RELAYLOCK is another checkout's packaging/bin/relaylock (built there). Each run execs
/bin/true for the client 192.0.2.10, alternating the two, so that machine noise hits both alike;
prints median wall and CPU time (user+sys, all threads, from wait4).
"""
import argparse, os, statistics, time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("db")
ap.add_argument("other")
ap.add_argument("-n", type=int, default=40)
args = ap.parse_args()
cands = {"other": args.other, "this checkout": f"{top}/packaging/bin/relaylock"}
env = {k: v for k, v in os.environ.items() if k not in ("RELAYCLIENT", "POPLOCK_CONFIG")}
env["TCPREMOTEIP"] = "192.0.2.10"
res = {k: ([], []) for k in cands}
for _ in range(args.n):
    for name, path in cands.items():
        t0 = time.monotonic()
        pid = os.posix_spawn(path, [path, "--db", args.db, "/bin/true"], env,
                             file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
        _, _, ru = os.wait4(pid, 0)
        res[name][0].append((time.monotonic() - t0) * 1000)
        res[name][1].append((ru.ru_utime + ru.ru_stime) * 1000)
for name, (wall, cpu) in res.items():
    print(f"{name:14} wall median {statistics.median(wall):6.1f} ms  CPU median {statistics.median(cpu):6.1f} ms")
