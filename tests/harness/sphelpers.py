# SPDX-License-Identifier: MIT
"""sphelpers: what the integration tests and the demo share.

    env = Env(root, build)            # a private sealpost under root
    env.start_milter(); env.stop_milter(sig)
    cap = Capture(port, folder)       # the outside world
    pf = Postfix(folder, smtp, exempt, relay, milter=env.postfix_milter())
    send(port, sender, rcpts, data)   # SMTP submission, bytes as given
    cap.wait(n) -> list of (envelope dict, bytes)
    env.export(id) -> bytes

Everything listens on 127.0.0.1 only.  Capture and Postfix claim their
ports first (claim_port): a port another process listens on, or one that
another test run holds, fails the test at once instead of letting two
runs with the same ports deliver into each other's capture servers
(Postfix listens with SO_REUSEPORT, so a second instance on the same
port starts without an error and takes half of the connections).
"""
import errno
import fcntl
import json
import os
import signal
import smtplib
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


# What AddressSanitizer, LeakSanitizer and UBSan print: a milter built
# with SEALPOST_SANITIZE fails the tests that drive it.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")


class Fail(Exception):
    pass


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    raise Fail("timed out waiting for " + what)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def claim_port(port):
    """Makes port (on 127.0.0.1) this process's own: an exclusive lock on
    a lock file named for the port, then a check that nobody listens on
    it.  Returns the lock file; the claim lasts until it is closed (or
    the process ends).  Raises Fail when the port is taken."""
    lock = open("/tmp/sealpost-test-port-%d.lock" % port, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise Fail("port %d is held by another test run (same "
                   "--port-base?)" % port)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    except OSError as e:
        lock.close()
        if e.errno == errno.EADDRINUSE:
            raise Fail("port %d on 127.0.0.1 is in use by another "
                       "process (another test run?)" % port)
        raise
    finally:
        s.close()
    return lock


class Env:
    """A sealpost installation under root (see sealpost-env.sh)."""

    def __init__(self, root, build, socket_spec=None):
        self.root = os.path.abspath(root)
        self.build = os.path.abspath(build)
        cmd = 'source "$0/sealpost-env.sh" && sp_env_init "$1" "$2" $3'
        r = subprocess.run(["bash", "-c", cmd, HERE, self.root, self.build,
                            socket_spec or ""], capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("env init: " + r.stderr + r.stdout)
        self.conf = os.path.join(self.root, "etc", "sealpost.conf")
        self.socket = socket_spec or "unix:" + os.path.join(
            self.root, "run", "milter.sock")
        self.proc = None
        self.log = os.path.join(self.root, "milter.log")

    def set(self, key, value):
        lines = [l for l in open(self.conf).read().splitlines()
                 if not l.startswith(key + " ")]
        lines.append("%s = %s" % (key, value))
        open(self.conf, "w").write("\n".join(lines) + "\n")

    def postfix_milter(self):
        """The socket as Postfix writes it: unix:/path or
        inet:HOST:PORT (libmilter and Sendmail say inet:PORT@HOST)."""
        if self.socket.startswith("inet:"):
            port, host = self.socket[5:].split("@")
            return "inet:%s:%s" % (host, port)
        return self.socket

    def socket_ready(self):
        if self.socket.startswith("unix:"):
            return os.path.exists(self.socket[5:])
        return port_open(int(self.socket.split(":")[1].split("@")[0]))

    def start_milter(self):
        mark = len(self.log_text())
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "bin", "sealpost-milter"), "-c",
             self.conf, "-f"], stdout=logf, stderr=logf)

        def up():
            if self.proc.poll() is not None:
                raise Fail("milter exited: " + self.log_text()[-2000:])
            return (self.socket_ready() and
                    "action=start" in self.log_text()[mark:])
        wait_for(up, 10, "the milter socket")

    def stop_milter(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        log = self.log_text()
        for mark in SANITIZER_MARKS:
            if mark in log:
                raise Fail("the milter log has a sanitizer report: " +
                           log[log.index(mark):][:3000])

    def log_text(self):
        try:
            return open(self.log, errors="replace").read()
        except FileNotFoundError:
            return ""

    def ctl(self, *args, check=True):
        r = subprocess.run([os.path.join(self.build, "bin", "sealpostctl"),
                            "-c", self.conf] + list(args),
                           capture_output=True)
        if check and r.returncode != 0:
            raise Fail("sealpostctl %s: %s" % (" ".join(args),
                                               r.stderr.decode()))
        return r

    def export(self, msg_id):
        return self.ctl("export", msg_id).stdout


class Capture:
    def __init__(self, port, folder, extra=()):
        self.port, self.folder = port, folder
        self.claim = claim_port(port)
        self.proc = subprocess.Popen(
            ["python3", os.path.join(HERE, "capture-smtp.py"), "--port",
             str(port), "--dir", folder] + list(extra))

        def up():
            if self.proc.poll() is not None:
                raise Fail("the capture server on port %d exited" % port)
            return port_open(port)
        wait_for(up, 10, "the capture server")
        self.seen = set()

    def names(self):
        new = os.path.join(self.folder, "new")
        return sorted(f[:-4] for f in os.listdir(new) if f.endswith(".env"))

    def count(self):
        return len(self.names())

    def load(self, name):
        new = os.path.join(self.folder, "new")
        env = json.load(open(os.path.join(new, name + ".env")))
        return env, open(os.path.join(new, name + ".eml"), "rb").read()

    def wait(self, n, timeout=30):
        """Waits for n messages not returned before; returns them."""
        wait_for(lambda: len(set(self.names()) - self.seen) >= n, timeout,
                 "%d captured message(s)" % n)
        fresh = [x for x in self.names() if x not in self.seen][:n]
        self.seen.update(fresh)
        return [self.load(x) for x in fresh]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.claim.close()


class Postfix:
    script = os.path.join(HERE, "postfix-instance.sh")

    def __init__(self, folder, smtp, exempt, relay, milter=None, sets=()):
        self.folder = folder
        self.claims = [claim_port(smtp)]
        self.claims.append(claim_port(exempt))
        args = [self.script, "start", folder, "--smtp", str(smtp),
                "--exempt", str(exempt), "--relay", str(relay)]
        if milter:
            args += ["--milter", milter]
        for s in sets:
            args += ["--set", s]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("postfix start: " + r.stderr)

    def run(self, *args, data=None):
        return subprocess.run([self.script] + list(args[:1]) + [self.folder]
                              + list(args[1:]), input=data,
                              capture_output=True)

    def sendmail(self, data, *args):
        r = self.run("sendmail", *args, data=data)
        if r.returncode != 0:
            raise Fail("sendmail: " + r.stderr.decode())

    def queue(self):
        return int(self.run("queue").stdout.decode().strip() or 0)

    def flush(self):
        self.run("flush")

    def log(self):
        return self.run("log").stdout.decode(errors="replace")

    def stop(self):
        self.run("stop")
        for c in self.claims:
            c.close()


def send(port, sender, rcpts, data):
    """Submits data as is (no line ending changes) over SMTP.  Returns
    None on success, or the SMTP error (code, text)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
            s.ehlo("client.sealpost.test")
            s.sendmail(sender, rcpts, data)
        return None
    except smtplib.SMTPResponseException as e:
        return (e.smtp_code, e.smtp_error)
    except smtplib.SMTPRecipientsRefused as e:
        return list(e.recipients.values())[0]
    except smtplib.SMTPDataError as e:
        return (e.smtp_code, e.smtp_error)


def header_value(msg, name):
    """The first header named name in msg (bytes), unfolded, or None."""
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    for i, line in enumerate(lines):
        if line.lower().startswith(name.lower().encode() + b":"):
            v = line.split(b":", 1)[1]
            for cont in lines[i + 1:]:
                if cont[:1] not in (b" ", b"\t"):
                    break
                v += cont
            return v.strip().decode(errors="replace")
    return None


def crlf(data):
    """Every line end as CRLF, as an MTA hands a message to a milter."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def strip_first_received(data):
    """data without its first header if that is a Received: header."""
    if not data.lower().startswith(b"received:"):
        return data
    i = 0
    while True:
        j = data.index(b"\r\n", i)
        if data[j + 2:j + 3] not in (b" ", b"\t"):
            return data[j + 2:]
        i = j + 2
