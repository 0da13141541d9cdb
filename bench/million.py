#!/usr/bin/env python3
"""poplock at 10, 100,000 and 1,000,000 live entries, side by side in one run (issue: one million grants).

For each size, with a Dovecot log of that many logins (all stamped now, so all live):
  - readlog --once over it: wall time and peak RSS;
  - the published files' size;
  - relaylock per SMTP connection (a live client, exec'ing a program that checks RELAYCLIENT):
    median wall time and peak RSS over -n runs, interleaved across the sizes so that noise hits all
    alike, and the ratio of each median to the 10-entry one;
  - showallowed: time to its first line and to its end, peak RSS, for the table and --json;
  - the daemon on the state --once left: SIGTERM to exit (status, and whether anything but one-line
    messages was printed), then a restart: time until it has published, and how many lines it read.

    mvn -B -q -DskipTests package && python3 bench/million.py [-n 15] [--sizes 10,100000,1000000]
"""
import argparse, maillog, os, signal, statistics, subprocess, tempfile, time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bin_dir = os.path.join(top, "packaging", "bin")
ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=15, help="relaylock runs per size")
ap.add_argument("--sizes", default="10,100000,1000000")
args = ap.parse_args()
sizes = [int(s) for s in args.sizes.split(",")]
work = tempfile.mkdtemp(prefix="poplock-million-")
env = dict(os.environ)
env.pop("RELAYCLIENT", None)
env.pop("POPLOCK_CONFIG", None)


def rss_of(cmd, extra_env=None):
    """Runs cmd with stdout to /dev/null: (status, wall s, peak RSS MiB) from wait4."""
    e = dict(env, **(extra_env or {}))
    t0 = time.monotonic()
    pid = os.posix_spawn(cmd[0], cmd, e, file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                                       (os.POSIX_SPAWN_OPEN, 2, f"{work}/stderr", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)])
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - t0, ru.ru_maxrss / 1024


def first_line_and_end(cmd):
    """Seconds to the first data line and to the end of showallowed's output, and its peak RSS."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = None
    lines = 0
    for line in p.stdout:
        if line.startswith(b"ADDRESS"):
            continue
        lines += 1
        if first is None:
            first = time.monotonic() - t0
    _, status, ru = os.wait4(p.pid, 0)
    return first or 0.0, time.monotonic() - t0, ru.ru_maxrss / 1024, lines


def published_bytes(d):
    total = 0
    for root, _, files in os.walk(d):
        for f in files:
            if f.startswith("relay.db"):
                total += os.path.getsize(os.path.join(root, f))
    return total


def wait_for(condition, limit):
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


results = {}
checker = f"{work}/has-relayclient"
with open(checker, "w") as f:
    f.write('#!/bin/sh\n[ "${RELAYCLIENT+set}" = set ]\n')
os.chmod(checker, 0o755)
for n in sizes:
    d = f"{work}/{n}"
    os.makedirs(d)
    log = f"{d}/mail.log"
    maillog.write_logins(log, n, "192.0.2.10")
    db = f"{d}/relay.db"
    status, wall, rss = rss_of([f"{bin_dir}/readlog", "--once", "--log", log, "--db", db])
    r = {"ingest": (status, wall, rss), "bytes": published_bytes(d)}
    results[n] = r
    print(f"{n:>9} entries: readlog --once exit {status}, {wall:.2f} s, peak RSS {rss:.0f} MiB; published {r['bytes'] / 1e6:.1f} MB",
          flush=True)

# relaylock, interleaved across sizes.
times = {n: [] for n in sizes}
rsss = {n: [] for n in sizes}
granted = {n: 0 for n in sizes}
for _ in range(args.n):
    for n in sizes:
        status, wall, rss = rss_of([f"{bin_dir}/relaylock", "--db", f"{work}/{n}/relay.db", checker], {"TCPREMOTEIP": "192.0.2.10"})
        times[n].append(wall * 1000)
        rsss[n].append(rss)
        granted[n] += status == 0
base = statistics.median(times[sizes[0]])
for n in sizes:
    m = statistics.median(times[n])
    print(f"{n:>9} entries: relaylock median {m:.1f} ms (x{m / base:.2f} of {sizes[0]}), peak RSS {max(rsss[n]):.0f} MiB, "
          f"granted {granted[n]}/{args.n}", flush=True)

for n in sizes:
    db = f"{work}/{n}/relay.db"
    for extra in ([], ["--json"]):
        first, total, rss, lines = first_line_and_end([f"{bin_dir}/showallowed", "--db", db] + extra)
        print(f"{n:>9} entries: showallowed {' '.join(extra) or '(table)':8} first line {first:.2f} s, all {lines} in {total:.2f} s, "
              f"peak RSS {rss:.0f} MiB", flush=True)

for n in sizes:
    d = f"{work}/{n}"
    db = f"{d}/relay.db"
    outs = []
    for attempt in ("start", "restart"):
        out_path = f"{d}/daemon-{attempt}.err"
        before = os.stat(db).st_mtime_ns
        t0 = time.monotonic()
        with open(out_path, "w") as err:
            p = subprocess.Popen([f"{bin_dir}/readlog", "--log", f"{d}/mail.log", "--db", db], env=env,
                                 stdout=subprocess.DEVNULL, stderr=err)
        ready = wait_for(lambda: os.stat(db).st_mtime_ns != before, 120)
        ready_s = time.monotonic() - t0
        t1 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        try:
            code = p.wait(120)
        except subprocess.TimeoutExpired:
            p.kill()
            code = "killed after 120 s"
        stop_s = time.monotonic() - t1
        text = open(out_path).read()
        read = [l for l in text.splitlines() if "summary:" in l]
        lines_read = read[-1].split("summary: ")[1].split(" lines read")[0] if read else "?"
        clean = all(l.startswith("readlog: ") for l in text.splitlines())
        print(f"{n:>9} entries: daemon {attempt}: published {ready_s:.2f} s after start" + ("" if ready else " (not within 120 s)")
              + f", {lines_read} lines read; SIGTERM -> exit {code} in {stop_s:.2f} s, "
              + ("only one-line messages" if clean else "OTHER OUTPUT: " + text[-300:].replace("\n", " | ")), flush=True)
print(f"(work files in {work})")
