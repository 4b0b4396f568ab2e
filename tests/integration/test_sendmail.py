#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Integration: sealpost-milter behind a private Sendmail 8.17
(INPUT_MAIL_FILTER with F=T), relaying to a capture server.
  - mail a rule matches arrives sealed, and exports byte for byte;
  - mail no rule matches arrives untouched (body and subject);
  - with the milter down, MAIL FROM gets 4xx and nothing is delivered.

    test_sendmail.py --build BUILD [--port-base N]
Needs root and Debian's sendmail packages, fetched (not installed) by
tests/harness/sendmail-instance.sh; exits 77 (skipped) when either is
missing.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from sphelpers import (HERE, Capture, Env, Fail, header_value,  # noqa: E402
                       port_open, send, wait_for)

SM = os.path.join(HERE, "sendmail-instance.sh")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run_cases(env, cap, port, milter_port, sm_dir):
    sealed = (b"From: ann@example.org\r\nTo: r@partner.example\r\n"
              b"Subject: [secure] budget\r\n\r\n"
              b"sendmail path secret body line\r\n")
    check(send(port, "ann@example.org", ["r@partner.example"], sealed)
          is None, "matched mail accepted by Sendmail")
    (_, msg), = cap.wait(1)
    msg_id = header_value(msg, "X-Sealpost-Id")
    check(msg_id is not None and b"secret body line" not in msg and
          header_value(msg, "Subject") == "budget",
          "matched mail arrives sealed, subject tag removed")
    if msg_id:
        got = env.export(msg_id)
        check(got == sealed, "export gives back the original (%d bytes, "
              "want %d)" % (len(got), len(sealed)))
    plain = (b"From: ann@example.org\r\nTo: bob@example.com\r\n"
             b"Subject: lunch\r\n\r\nplain body passes untouched\r\n")
    check(send(port, "ann@example.org", ["bob@example.com"], plain) is None,
          "unmatched mail accepted")
    (_, msg), = cap.wait(1)
    check(msg.endswith(b"\r\n\r\nplain body passes untouched\r\n") and
          header_value(msg, "X-Sealpost-Id") is None and
          header_value(msg, "Subject") == "lunch",
          "unmatched mail arrives untouched")
    env.stop_milter()
    wait_for(lambda: not port_open(milter_port), 15, "milter port to close")
    err = send(port, "ann@example.org", ["r@partner.example"], sealed)
    check(err is not None and 400 <= err[0] < 500,
          "milter down: 4xx (got %r)" % (err,))
    subprocess.run([SM, "flush", sm_dir], capture_output=True)
    time.sleep(1)
    check(cap.count() == 2, "milter down: nothing delivered (%d captured, "
          "want 2)" % cap.count())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--port-base", type=int, default=20200)
    a = p.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    r = subprocess.run([SM, "fetch"], capture_output=True, text=True)
    if r.returncode != 0:
        print("SKIP: no Sendmail binaries: " + r.stderr.strip())
        return 77
    b = a.port_base
    port, relay, mport = b + 25, b + 27, b + 30
    tmp = tempfile.mkdtemp(prefix="sealpost-sm.")
    os.chmod(tmp, 0o755)
    sm_dir = os.path.join(tmp, "sm")
    env = cap = None
    started = False
    try:
        env = Env(os.path.join(tmp, "sp"), a.build,
                  "inet:%d@127.0.0.1" % mport)
        env.start_milter()
        cap = Capture(relay, os.path.join(tmp, "capture"))
        r = subprocess.run([SM, "start", sm_dir, "--port", str(port),
                            "--relay", str(relay), "--milter",
                            "inet:%d@127.0.0.1" % mport],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("sendmail start: " + r.stderr)
        started = True
        run_cases(env, cap, port, mport, sm_dir)
    except Fail as e:
        failures.append(str(e))
        print("FAIL " + str(e))
    finally:
        if started:
            subprocess.run([SM, "stop", sm_dir])
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
