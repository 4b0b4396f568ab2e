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
import os
import subprocess
import sys
import time

from harness_lib import Rig, arg_parser, check, summary
from sphelpers import HERE, Fail, header_value, port_open, send, wait_for

SM = os.path.join(HERE, "sendmail-instance.sh")


class Sendmail:
    """A private Sendmail under folder (sendmail-instance.sh)."""

    def __init__(self, folder, port, relay, milter):
        self.folder = folder
        r = subprocess.run([SM, "start", folder, "--port", str(port),
                            "--relay", str(relay), "--milter", milter],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("sendmail start: " + r.stderr)

    def flush(self):
        subprocess.run([SM, "flush", self.folder], capture_output=True)

    def stop(self):
        subprocess.run([SM, "stop", self.folder])


def run_cases(env, cap, port, milter_port, sm):
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
    sm.flush()
    time.sleep(1)
    check(cap.count() == 2, "milter down: nothing delivered (%d captured, "
          "want 2)" % cap.count())


def main():
    a = arg_parser(20200).parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    r = subprocess.run([SM, "fetch"], capture_output=True, text=True)
    if r.returncode != 0:
        print("SKIP: no Sendmail binaries: " + r.stderr.strip())
        return 77
    b = a.port_base
    port, relay, mport = b + 25, b + 27, b + 30
    milter = "inet:%d@127.0.0.1" % mport
    with Rig("sealpost-sm.") as rig:
        env = rig.start_milter(a.build, milter)
        cap = rig.start_capture(relay)
        rig.mta = Sendmail(rig.path("sm"), port, relay, milter)
        run_cases(env, cap, port, mport, rig.mta)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
