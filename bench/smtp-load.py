#!/usr/bin/env python3
"""Connections per second through tcpserver -c 20, on loopback: relaylock in front of a stand-in
for qmail-smtpd (prints a banner and RELAYCLIENT, exits), against the same without relaylock
(tcpserver alone, and with a tcprules CDB, the high-volume alternative). Bounded: a fixed number
of connections per candidate, 40 clients at a time.

    mvn -B -q -DskipTests package && python3 bench/smtp-load.py [-n 400] [--entries 10000] [--java PATH] [--also-java PATH]
"""
import argparse, maillog, concurrent.futures, os, shutil, socket, subprocess, tempfile, time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=400, help="connections per candidate")
ap.add_argument("--java", default=shutil.which("java"))
ap.add_argument("--also-java", action="append", default=[], help="another JDK's java to run relaylock with")
ap.add_argument("--entries", type=int, default=10000, help="live entries in the database")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="poplock-load-")
smtpd = f"{work}/smtpd"
with open(smtpd, "w") as f:
    f.write('#!/bin/sh\nprintf "220 stand-in ESMTP RELAYCLIENT=%s\\r\\n" "${RELAYCLIENT-unset}"\n')
os.chmod(smtpd, 0o755)
log = f"{work}/mail.log"
maillog.write_logins(log, args.entries, "127.0.0.1")
env = dict(os.environ, JAVA=args.java)
db, cdb = f"{work}/relay.db", f"{work}/tcp.smtp.cdb"
subprocess.run([f"{top}/packaging/bin/readlog", "--once", "--log", log, "--db", db, "--tcprules", cdb],
               check=True, env=env, stderr=subprocess.DEVNULL)

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        data = b""
        while chunk := s.recv(256):
            data += chunk
    return data.startswith(b"220 ") and b"RELAYCLIENT=\r\n" in data

# relaylock's class archive for each JDK, as the package makes it.
subprocess.run([f"{top}/packaging/bin/poplock-archive", args.java] + args.also_java, check=True, env=env, stdout=subprocess.DEVNULL)

def measure(name, server_args, java=args.java):
    port = free_port()
    server = subprocess.Popen(["tcpserver", "-q", "-R", "-H", "-l", "localhost", "-c", "20"] + server_args[:-1]
                              + ["127.0.0.1", str(port)] + server_args[-1], env=dict(env, JAVA=java))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            ok = sum(pool.map(lambda _: connect(port), range(args.n)))
        elapsed = time.perf_counter() - start
        print(f"{name:40} {args.n:6d} {ok:6d} {args.n / elapsed:10.1f}")
    finally:
        server.terminate()
        server.wait()

print(f"{'candidate':40} {'conns':>6} {'right':>6} {'conns/s':>10}")
measure("tcpserver + smtpd (no relay check)", [["/usr/bin/env", "RELAYCLIENT=", smtpd]])
measure("tcpserver -x tcprules CDB + smtpd", ["-x", cdb, [smtpd]])
for java in [args.java] + args.also_java:
    out = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True).stderr
    feature = next(l.split("=")[1].strip() for l in out.splitlines() if "java.specification.version" in l)
    measure(f"tcpserver + relaylock (JDK {feature}) + smtpd", [[f"{top}/packaging/bin/relaylock", "--db", db, smtpd]], java)
shutil.rmtree(work)
