#!/usr/bin/env python3
"""relaylock's cost per SMTP connection, side by side with a C baseline and an empty JVM.

Each candidate is run N times (interleaved, so machine noise hits all alike) exec'ing /bin/true,
as tcpserver would run it; wall time, CPU time (user+sys of the whole process, JVM threads
included) and peak RSS come from wait4(). Prints medians and ratios against the C baseline.

    mvn -B -q -DskipTests package && python3 bench/relaylock.py [-n 30] [--entries 10000] [--java /path/to/java]
"""
import argparse, maillog, os, resource, shutil, statistics, subprocess, sys, tempfile

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=30, help="runs per candidate")
ap.add_argument("--java", default=shutil.which("java"), help="java to run relaylock and the empty JVM with")
ap.add_argument("--entries", type=int, default=10000, help="live entries in the database")
ap.add_argument("--also-java", action="append", default=[], help="another JDK's java to run relaylock with (its archive made first)")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="poplock-bench-")
for c in ("baseline", "measure"):
    subprocess.run(["gcc", "-O2", "-o", f"{work}/{c}", f"{top}/bench/{c}.c"], check=True)
javac = os.path.join(os.path.dirname(os.path.realpath(args.java)), "javac")
subprocess.run([javac, "-d", work, f"{top}/bench/Empty.java"], check=True)

# A published database written by the real readlog: --entries live entries (a busy site's
# worth by default), the client's among them, sorting after all the others.
log = f"{work}/mail.log"
maillog.write_logins(log, args.entries, "192.0.2.10")
db = f"{work}/relay.db"
env = dict(os.environ, JAVA=args.java, TCPREMOTEIP="192.0.2.10")
subprocess.run([f"{top}/packaging/bin/readlog", "--once", "--log", log, "--db", db], check=True, env=env, stderr=subprocess.DEVNULL)

def feature(java):
    out = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True).stderr
    return next(l.split("=")[1].strip().split(".")[0] for l in out.splitlines() if "java.specification.version" in l)

# relaylock's class archive for each JDK, as the package makes it.
subprocess.run([f"{top}/packaging/bin/poplock-archive", args.java] + args.also_java, check=True, env=env)

class Launcher(list):
    """relaylock through its launcher, with JAVA set for this candidate."""
    def __init__(self, java, cmd):
        super().__init__(cmd)
        self.java = java

candidates = {
    "C stat+setenv+execv": [f"{work}/baseline", db, "/bin/true"],
    f"empty JVM {feature(args.java)}": [args.java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", work, "Empty"],
}
for java in [args.java] + args.also_java:
    candidates[f"relaylock JDK {feature(java)}"] = Launcher(java, [f"{top}/packaging/bin/relaylock", "--db", db, "/bin/true"])
samples = {name: [] for name in candidates}

def run(cmd):
    run_env = dict(env, JAVA=cmd.java) if isinstance(cmd, Launcher) else env
    out = subprocess.run([f"{work}/measure"] + list(cmd), env=run_env, check=True, capture_output=True, text=True).stdout.split()
    wall_us, cpu_us, rss_kb, status = map(int, out)
    if status != 0:
        sys.exit(f"{cmd[0]} exited {status}")
    return wall_us / 1e6, cpu_us / 1e6, rss_kb / 1024

for name, cmd in candidates.items():  # warm the page cache once
    run(cmd)
for _ in range(args.n):
    for name, cmd in candidates.items():
        samples[name].append(run(cmd))

base_wall = statistics.median(s[0] for s in samples["C stat+setenv+execv"])
base_cpu = statistics.median(s[1] for s in samples["C stat+setenv+execv"])
print(f"{args.n} runs each, interleaved, exec'ing /bin/true, {args.entries} entries in the database; medians (peak: the highest)")
print(f"{'candidate':24} {'wall ms':>9} {'CPU ms':>9} {'peak MiB':>9} {'wall/C':>8} {'CPU/C':>8}")
for name, s in samples.items():
    wall = statistics.median(x[0] for x in s)
    cpu = statistics.median(x[1] for x in s)
    rss = max(x[2] for x in s)
    print(f"{name:24} {wall*1000:9.1f} {cpu*1000:9.1f} {rss:9.1f} {wall/base_wall:8.0f}x {cpu/max(base_cpu,1e-6):8.0f}x")
shutil.rmtree(work)
