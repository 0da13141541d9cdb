"""The Dovecot log the relaylock benchmarks have the real readlog publish: a busy site's worth of
live entries, the benchmark client's among them."""
import time

def write_logins(path, entries, client_ip):
    """entries - 1 logins from 10.x.y.z, then alice's from client_ip, all stamped now."""
    stamp = time.strftime("%b %e %H:%M:%S")
    with open(path, "w") as f:
        for i in range(entries - 1):
            f.write(f"{stamp} pop3-login: Info: Login: user=<user{i}>, method=PLAIN, rip=10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}, "
                    f"lip=192.0.2.1, mpid=1, session=<s{i}>\n")
        f.write(f"{stamp} pop3-login: Info: Login: user=<alice>, method=PLAIN, rip={client_ip}, lip=192.0.2.1, mpid=1, session=<a>\n")
