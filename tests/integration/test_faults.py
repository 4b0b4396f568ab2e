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
    may grow again;
  - the MTA goes away right after end of message (a raw milter client
    that closes its socket): the record was committed but the changes
    cannot be made, so the milter tempfails and purges it (no live
    sealed record for a message that was never replaced);
  - SIGHUP after SIGHUP (a reload every 20 ms) while sealed mail flows:
    every message is accepted and delivered sealed, the milter keeps
    running.
Never is the original delivered in the clear: after every step, each
message the capture server holds must be a notification (X-Sealpost-Id
naming a message in this run's own store, the tagged subject gone) and
none may hold a line of an original body.  Each tempfail must be this
run's milter's own 4.3.0 (or Postfix's 4.7.1 for a milter that is down),
with the reason in the milter's log.

    test_faults.py --build BUILD [--port-base N] [--case NAME]... [--repeat N]
--case picks kill, kill-sealing, full, mta-gone or hup (default: all
five, in that order); --repeat runs them N times (the store-full case alone in a loop:
--case full --repeat 20).  Needs root; exits 77 (skipped) without it.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import sys
import threading
import time

from harness_lib import Rig, arg_parser, check, postfix_ports, summary
from sphelpers import header_value, send

SECRET = b"fault test secret line that must never leak"


def in_store(env, msg_id):
    """Whether msg_id names a live sealed message in this run's store."""
    r = env.ctl("show", msg_id, check=False)
    return (r.returncode == 0 and msg_id.encode() in r.stdout and
            re.search(rb"^state: +active$", r.stdout, re.M) is not None)


# Captured messages whose id was found in the store (the store-full case
# starts from an empty store, so an id is looked up when first seen).
known = set()


def check_all_sealed(env, cap, step):
    """Every captured message is a notification of this run's milter and
    none carries the original body or the tagged subject."""
    bad = []
    for name in cap.names():
        m = cap.load(name)[1]
        msg_id = header_value(m, "X-Sealpost-Id")
        subject = header_value(m, "Subject") or ""
        if SECRET in m or b"fault test secret" in m:
            bad.append("%s: the original body" % name)
        elif msg_id is None:
            bad.append("%s: no X-Sealpost-Id" % name)
        elif "[secure]" in subject:
            bad.append("%s: the tagged subject" % name)
        elif name not in known and not in_store(env, msg_id):
            bad.append("%s: %s is not in this run's store" % (name, msg_id))
        else:
            known.add(name)
    check(not bad, "%s: every delivered message is a sealed notification "
          "of this run (%d) %s" % (step, cap.count(), "; ".join(bad)))


def smtp_cmd(f, line):
    f.write(line + b"\r\n")
    f.flush()
    while True:
        r = f.readline()
        if r[3:4] != b"-":
            return r


def open_data(port, timeout, subject):
    """Connects, goes as far as DATA from k@example.org to
    r@partner.example, and writes the header section with the tagged
    subject; returns the socket and its file."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    f = s.makefile("rwb")
    f.readline()
    smtp_cmd(f, b"EHLO client.sealpost.test")
    smtp_cmd(f, b"MAIL FROM:<k@example.org>")
    smtp_cmd(f, b"RCPT TO:<r@partner.example>")
    smtp_cmd(f, b"DATA")
    f.write(b"From: k@example.org\r\nSubject: [secure] %s\r\n\r\n" %
            subject)
    return s, f


def kill_mid_transaction(env, port):
    """Opens a transaction, kills the milter before DATA ends, finishes
    the DATA; returns the final reply line."""
    s, f = open_data(port, 60, b"kill")
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
    s, f = open_data(port, 120, b"big")
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
    check_all_sealed(env, cap, "killed while sealing")


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
    before = cap.count()
    reply = kill_mid_transaction(env, ports["smtp"])
    check(reply[:1] == b"4", "milter killed mid-transaction: 4xx (%r)" %
          reply.strip())
    pf.sendmail(msg(1), "-t", "-f", "q@example.org")
    time.sleep(3)
    check(cap.count() == before, "milter down: nothing delivered")
    check(queued(pf), "milter down: submission stays queued")
    env.start_milter()
    (_, m), = cap.wait(1, timeout=60)
    msg_id = header_value(m, "X-Sealpost-Id")
    check(msg_id is not None and SECRET not in m and in_store(env, msg_id),
          "milter back: the queued mail is delivered sealed")
    check_all_sealed(env, cap, "milter killed")


def run_full(env, pf, cap, ports):
    """A fresh store whose map may not grow past 1 MiB, and a message
    whose sealed form alone is 1.3 MiB: it cannot fit, whatever pages the
    store has free or could reuse."""
    env.stop_milter()
    env.set("store_max_size", "1m")
    env.set("store_map_size", "1m")
    shutil.rmtree(os.path.join(env.root, "store"))
    os.mkdir(os.path.join(env.root, "store"), 0o700)
    env.start_milter()
    before = cap.count()
    mark = len(env.log_text())
    big = msg(2) + (SECRET + b"\r\n") * 30000
    err = send(ports["smtp"], "q@example.org", ["r@partner.example"], big)
    check(err is not None and err[0] == 451 and b"sealpost" in err[1],
          "store full: SMTP client gets this milter's 451 (%r)" % (err,))
    check("action=tempfail" in env.log_text()[mark:] and
          "reason=\"store full" in env.log_text()[mark:],
          "store full: the milter logs a tempfail for a full store")
    pf.sendmail(big, "-t", "-f", "q@example.org")
    time.sleep(3)
    check(cap.count() == before, "store full: nothing more delivered")
    check(queued(pf), "store full: submission stays queued")
    check_all_sealed(env, cap, "store full")
    env.stop_milter()
    env.set("store_max_size", "1g")
    env.start_milter()
    pf.flush()
    (_, m), = cap.wait(1, timeout=60)
    msg_id = header_value(m, "X-Sealpost-Id")
    check(msg_id is not None and SECRET not in m and in_store(env, msg_id),
          "store grows again: the queued mail is delivered sealed")
    check_all_sealed(env, cap, "store grows again")
    # The next round starts from a store that is not full.
    env.stop_milter()
    env.set("store_map_size", "64m")
    env.start_milter()


def milter_packet(sock, cmd, data=b""):
    sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def milter_reply(f):
    n, = struct.unpack(">I", f.read(4))
    return f.read(n)[:1]


def eom_then_hang_up(path, sender, delay):
    """Plays an MTA over the milter protocol (version 6, every step with
    a reply) for a message a rule seals, sends end of message and closes
    the socket delay seconds later, before or while the milter sends its
    changes.  Returns the replies before end of message."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rb")
    milter_packet(s, b"O", struct.pack(">III", 6, 0x1FF, 0))
    replies = [milter_reply(f)]
    for cmd, data in ((b"C", b"localhost\0" + b"4" + struct.pack(">H", 25) +
                       b"127.0.0.1\0"),
                      (b"H", b"client.sealpost.test\0"),
                      (b"M", b"<%s>\0" % sender.encode()),
                      (b"R", b"<r@partner.example>\0"),
                      (b"L", b"Subject\0[secure] hang up\0"),
                      (b"N", b""), (b"B", SECRET + b"\r\n")):
        milter_packet(s, cmd, data)
        replies.append(milter_reply(f))
    milter_packet(s, b"E")
    if delay:
        time.sleep(delay)
    f.close()
    s.close()
    return replies


def store_rows(env):
    """The store's messages (tombstones too), by sender."""
    out = json.loads(env.ctl("list", "--json").stdout)
    if isinstance(out, dict):
        out = next(v for v in out.values() if isinstance(v, list))
    return {r["sender"]: r for r in out}


def run_mta_gone(env, pf, cap, ports):
    """The MTA hangs up right after end of message, 20 times (at once, or
    up to 2 ms later).  Depending on when libmilter notices, the session
    is dropped before end of message (nothing stored), or the milter
    commits and then cannot make its changes (tempfail, and the record
    purged), or it finishes first (sealed, logged).  Never may a live
    record stay behind for a message whose changes were refused."""
    mark = len(env.log_text())
    path = env.socket[len("unix:"):]
    tag = int(time.time() * 1000) % 10 ** 9  # fresh senders each round
    senders = ["gone%d.%d@example.org" % (tag, i) for i in range(20)]
    for i, sender in enumerate(senders):
        replies = eom_then_hang_up(path, sender, (i % 5) * 0.0005)
        check(replies[1:] == [b"c"] * 7, "MTA gone: every step before end "
              "of message continued (%r)" % replies)
    time.sleep(2)
    log = env.log_text()[mark:]
    rows = store_rows(env)
    outcomes, bad = {}, []
    for sender in senders:
        r = rows.get(sender)
        if r is None:
            what = "dropped"
        elif r["state"] == "purged" and re.search(
                r"action=tempfail id=%s .*the MTA refused" % re.escape(
                    r["id"]), log):
            what = "refused, purged"
        elif r["state"] == "active" and re.search(
                r"action=sealed .*id=%s " % re.escape(r["id"]), log):
            what = "sealed"
        else:
            what = "BAD"
            bad.append("%s: %s %s" % (sender, r["id"], r["state"]))
        outcomes[what] = outcomes.get(what, 0) + 1
    check(not bad, "MTA gone: no live record for a refused change %r %s" %
          (outcomes, "; ".join(bad)))
    check(env.proc.poll() is None, "MTA gone: the milter still runs")


def run_hup(env, pf, cap, ports):
    before = cap.count()
    mark = len(env.log_text())
    stop = threading.Event()

    def hup():
        while not stop.is_set():
            env.proc.send_signal(signal.SIGHUP)
            time.sleep(0.02)
    t = threading.Thread(target=hup)
    t.start()
    errs = []
    try:
        for i in range(20):
            data = (b"From: h@example.org\r\nTo: r@partner.example\r\n"
                    b"Subject: [secure] hup %d\r\n\r\n" % i +
                    (SECRET + b"\r\n") * 2000)
            err = send(ports["smtp"], "h@example.org", ["r@partner.example"],
                       data)
            if err is not None:
                errs.append(err)
    finally:
        stop.set()
        t.join()
    reloads = env.log_text()[mark:].count("action=reloaded")
    check(env.proc.poll() is None and reloads > 0,
          "SIGHUP storm: the milter reloaded (%d times) and still runs" %
          reloads)
    check(not errs, "SIGHUP storm: every message accepted (%r)" % errs)
    cap.wait(20 - len(errs), timeout=60)
    check(cap.count() == before + 20 - len(errs),
          "SIGHUP storm: each accepted message delivered once")
    check_all_sealed(env, cap, "SIGHUP storm")


def main():
    p = arg_parser(20300)
    p.add_argument("--case", action="append",
                   choices=["kill", "kill-sealing", "full", "mta-gone",
                            "hup"])
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    runs = {"kill": run_kill, "kill-sealing": run_kill_sealing,
            "full": run_full, "mta-gone": run_mta_gone, "hup": run_hup}
    if os.geteuid() != 0:
        print("SKIP: needs root (a private Postfix)")
        return 77
    ports = postfix_ports(a.port_base)
    with Rig("sealpost-faults.") as rig:
        env, cap, pf = rig.start_postfix(a.build, ports,
                                         ["message_size_limit=50000000"])
        for i in range(a.repeat):
            for name in a.case or ["kill", "kill-sealing", "full",
                                   "mta-gone", "hup"]:
                if a.repeat > 1:
                    print("--- round %d: %s" % (i + 1, name))
                runs[name](env, pf, cap, ports)
        leaks = [n for n in cap.names() if SECRET in cap.load(n)[1]]
        check(not leaks, "no message ever delivered in the clear")
        check_all_sealed(env, cap, "at the end")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
