#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Integration: faults while sealing, behind a private Postfix.
  - the milter is SIGKILLed in the middle of an SMTP transaction (before
    Postfix hands it the message), and again while it is storing the
    sealed chunks of a large message: the client gets 4xx, nothing
    reaches the outside world, no message appears in the store; mail
    submitted
    with sendmail while the milter is down stays in Postfix's queue and
    is delivered sealed once the milter is back;
  - the store is full: the same, and delivery (sealed) once the store
    may grow again.
Never is the original delivered in the clear.

    test_faults.py --build BUILD [--port-base N]
Needs root; exits 77 (skipped) without it.
"""
import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from sphelpers import (Capture, Env, Fail, Postfix, header_value,  # noqa
                       send)

failures = []
SECRET = b"fault test secret line that must never leak"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def smtp_cmd(f, line):
    f.write(line + b"\r\n")
    f.flush()
    while True:
        r = f.readline()
        if r[3:4] != b"-":
            return r


def kill_mid_transaction(env, port):
    """Opens a transaction, kills the milter before DATA ends, finishes
    the DATA; returns the final reply line."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rwb")
    f.readline()
    smtp_cmd(f, b"EHLO client.sealpost.test")
    smtp_cmd(f, b"MAIL FROM:<k@example.org>")
    smtp_cmd(f, b"RCPT TO:<r@partner.example>")
    smtp_cmd(f, b"DATA")
    f.write(b"From: k@example.org\r\nSubject: [secure] kill\r\n\r\n")
    f.write((SECRET + b"\r\n") * 2000)
    f.flush()
    env.stop_milter(signal.SIGKILL)
    reply = smtp_cmd(f, (SECRET + b"\r\n") + b".")
    smtp_cmd(f, b"QUIT")
    s.close()
    return reply


def store_bytes(env):
    d = os.path.join(env.root, "store")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def kill_while_sealing(env, port):
    """Sends a 24 MB message to be sealed and SIGKILLs the milter once the
    store has grown by 2 MB, that is while it is storing sealed chunks of
    the body; returns the client's final reply line."""
    base = store_bytes(env)
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    f = s.makefile("rwb")
    f.readline()
    smtp_cmd(f, b"EHLO client.sealpost.test")
    smtp_cmd(f, b"MAIL FROM:<k@example.org>")
    smtp_cmd(f, b"RCPT TO:<r@partner.example>")
    smtp_cmd(f, b"DATA")
    f.write(b"From: k@example.org\r\nSubject: [secure] big\r\n\r\n")
    line = SECRET + b" " + b"x" * 400 + b"\r\n"
    for _ in range(24 * 1024 * 1024 // len(line)):
        f.write(line)
    f.write(b".\r\n")
    f.flush()
    end = time.time() + 60
    while store_bytes(env) < base + 2 * 1024 * 1024 and time.time() < end:
        time.sleep(0.01)
    grown = store_bytes(env) - base
    env.stop_milter(signal.SIGKILL)
    reply = f.readline()
    smtp_cmd(f, b"QUIT")
    s.close()
    return reply, grown


def run_kill_sealing(env, pf, cap, ports):
    before = cap.count()
    reply, grown = kill_while_sealing(env, ports["smtp"])
    check(grown >= 2 * 1024 * 1024, "the milter was storing chunks when "
          "killed (store grew %d bytes)" % grown)
    check(reply[:1] == b"4", "milter killed while sealing: 4xx (%r)" %
          reply.strip())
    env.start_milter()
    time.sleep(2)
    check(cap.count() == before, "killed while sealing: nothing delivered")
    listed = env.ctl("list").stdout
    check(b"k@example.org" not in listed,
          "killed while sealing: no message in the store")


def msg(n):
    return (b"From: q@example.org\r\nTo: r@partner.example\r\n"
            b"Subject: [secure] queued %d\r\n\r\n" % n + SECRET + b"\r\n")


def queued(pf, timeout=20):
    """Whether Postfix holds the message: a retried submission shows as
    its maildrop file and, for a moment, a new incoming file too."""
    end = time.time() + timeout
    while time.time() < end:
        if pf.queue() >= 1:
            return True
        time.sleep(0.2)
    return False


def run_kill(env, pf, cap, ports):
    reply = kill_mid_transaction(env, ports["smtp"])
    check(reply[:1] == b"4", "milter killed mid-transaction: 4xx (%r)" %
          reply.strip())
    pf.sendmail(msg(1), "-t", "-f", "q@example.org")
    time.sleep(3)
    check(cap.count() == 0, "milter down: nothing delivered")
    check(queued(pf), "milter down: submission stays queued")
    env.start_milter()
    (_, m), = cap.wait(1, timeout=60)
    check(header_value(m, "X-Sealpost-Id") is not None and SECRET not in m,
          "milter back: the queued mail is delivered sealed")


def run_full(env, pf, cap, ports):
    env.stop_milter()
    env.set("store_max_size", "1m")
    env.set("store_map_size", "1m")
    shutil.rmtree(os.path.join(env.root, "store"))
    os.mkdir(os.path.join(env.root, "store"), 0o700)
    env.start_milter()
    big = msg(2) + (SECRET + b"\r\n") * 30000
    err = send(ports["smtp"], "q@example.org", ["r@partner.example"], big)
    check(err is not None and 400 <= err[0] < 500,
          "store full: SMTP client gets 4xx (%r)" % (err,))
    pf.sendmail(big, "-t", "-f", "q@example.org")
    time.sleep(3)
    check(cap.count() == 1, "store full: nothing more delivered")
    check(queued(pf), "store full: submission stays queued")
    env.stop_milter()
    env.set("store_max_size", "1g")
    env.start_milter()
    pf.flush()
    (_, m), = cap.wait(1, timeout=60)
    check(header_value(m, "X-Sealpost-Id") is not None and SECRET not in m,
          "store grows again: the queued mail is delivered sealed")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--port-base", type=int, default=20300)
    a = p.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (a private Postfix)")
        return 77
    b = a.port_base
    ports = {"smtp": b + 25, "exempt": b + 26, "capture": b + 27}
    tmp = tempfile.mkdtemp(prefix="sealpost-faults.")
    os.chmod(tmp, 0o755)
    env = cap = pf = None
    try:
        env = Env(os.path.join(tmp, "sp"), a.build)
        env.start_milter()
        cap = Capture(ports["capture"], os.path.join(tmp, "capture"))
        pf = Postfix(os.path.join(tmp, "pf"), ports["smtp"], ports["exempt"],
                     ports["capture"], milter=env.postfix_milter(),
                     sets=["message_size_limit=50000000"])
        run_kill(env, pf, cap, ports)
        run_kill_sealing(env, pf, cap, ports)
        run_full(env, pf, cap, ports)
        leaks = [n for n in cap.names() if SECRET in cap.load(n)[1]]
        check(not leaks, "no message ever delivered in the clear")
    except Fail as e:
        failures.append(str(e))
        print("FAIL " + str(e))
    finally:
        if pf:
            if failures:
                print(pf.log()[-3000:])
            pf.stop()
        if cap:
            cap.stop()
        if env:
            env.stop_milter()
            if failures:
                print(env.log_text()[-3000:])
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept " + tmp)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
