# SPDX-License-Identifier: MIT
"""harness_lib: the frame that test_postfix.py, test_faults.py and
test_sendmail.py share around their own checks.

    check(cond, what)        prints "ok   what" or "FAIL what"; a failure
                             is kept in failures
    p = arg_parser(20100)    --build BUILD and --port-base N (default 20100)
    ports = postfix_ports(b) smtp b+25, exempt b+26, capture b+27
    with Rig("prefix.") as rig:
        env, cap, pf = rig.start_postfix(build, ports, sets)
        ...                  a Fail raised here counts as a failure
    return summary()         "N failure(s)"; the exit status

Rig owns one run's temporary folder (0755: Postfix must reach below it)
and what runs there: rig.env (the milter), rig.cap (the capture server),
rig.mta (Postfix, or anything with a stop() method).  Leaving the with
block stops them in reverse order, printing the tail of the MTA's log
(when it has a log() method) and of the milter's log if anything failed,
and removes the folder unless anything failed or keep is set.

Importing this module puts tests/harness on sys.path, so that the tests
can import sphelpers next.
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from sphelpers import Capture, Env, Fail, Postfix  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def arg_parser(port_base):
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--port-base", type=int, default=port_base)
    return p


def postfix_ports(base):
    return {"smtp": base + 25, "exempt": base + 26, "capture": base + 27}


def summary():
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


class Rig:
    def __init__(self, prefix, keep=False):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.tmp, 0o755)
        self.keep = keep
        self.env = self.cap = self.mta = None

    def path(self, name):
        return os.path.join(self.tmp, name)

    def start_milter(self, build, socket_spec=None):
        """A private sealpost under tmp/sp, its milter started."""
        self.env = Env(self.path("sp"), build, socket_spec)
        self.env.start_milter()
        return self.env

    def start_capture(self, port):
        self.cap = Capture(port, self.path("capture"))
        return self.cap

    def start_postfix(self, build, ports, sets=()):
        """The milter, the capture server on ports["capture"], and a
        Postfix under tmp/pf that relays to it with the milter on its
        smtp port; returns (env, cap, pf)."""
        self.start_milter(build)
        self.start_capture(ports["capture"])
        self.mta = Postfix(self.path("pf"), ports["smtp"], ports["exempt"],
                           ports["capture"], milter=self.env.postfix_milter(),
                           sets=sets)
        return self.env, self.cap, self.mta

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        caught = kind is not None and issubclass(kind, Fail)
        if caught:
            failures.append(str(exc))
            print("FAIL " + str(exc))
        self.stop()
        return caught

    def stop(self):
        if self.mta:
            if failures and hasattr(self.mta, "log"):
                print(self.mta.log()[-3000:])
            self.mta.stop()
        if self.cap:
            self.cap.stop()
        if self.env:
            self.env.stop_milter()
            if failures:
                print(self.env.log_text()[-3000:])
        if not failures and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept " + self.tmp)
