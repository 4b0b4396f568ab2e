#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: every corpus message through the whole product.

One private Postfix with sealpost-milter, a capture server playing the
outside world, the portal behind a private nginx, LMDB as the store, all
on 127.0.0.1.  Every message of the corpus (SEALPOST_CORPUS, or
../shared/corpus beside the source tree), as stored with its line ends
made CRLF, is sent through Postfix to a recipient a rule matches.  For
each one:
  - the notification reaches the capture and holds none of the original's
    distinctive body lines;
  - the recipient follows the notification's link through nginx, asks
    for a passcode, reads it from the mail the portal sent (through
    Postfix's milter-free listener, into the capture) and signs in;
  - the reading page shows the subject, the text (or, for an HTML body,
    a frame whose URL serves the HTML with the same visible words) and
    the attachment names that GMime finds in the original (computed by e2e_expect, HTML-escaped as the page
    escapes them);
  - `sealpostctl export ID` gives back the original bytes (as Postfix
    handed them over, its Received: header aside).
Failures are listed per file.

    test_e2e_corpus.py --build BUILD [--port-base N]
Exits 77 (skipped) without root, nginx or the corpus.
"""
import argparse
import email
import email.policy
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sphelpers import (SANITIZER_MARKS, SRC, Capture, Env,  # noqa: E402
                       Fail, Postfix, header_value, port_open, send,
                       strip_first_received, wait_for)
from test_postfix import as_handed_over  # noqa: E402

MATCH_DOMAIN = "partner.example"
CODE_RE = re.compile(rb"protected message: ([0-9]{8})")
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# A folded MIME parameter ("charset=...", "name*0=..."); base64 has "="
# only as its final padding, so this never matches a base64 line.
PARAM_LINE = re.compile(rb"^[A-Za-z0-9*-]+=[^=]")
MIN_LINE = 6
# The usual MIME preamble, which the notification has too.
BOILERPLATE = (b"This is a multi-part message in MIME format.",)


def template_text():
    """What every notification may hold whatever the message."""
    out = b""
    for name in ("notify.txt", "notify.html"):
        out += open(os.path.join(SRC, "templates", name), "rb").read()
    return out


def distinctive_lines(data, boiler, n=5):
    """Up to n body lines of the original that are its content: at least
    MIN_LINE bytes, not MIME structure (header-like lines, folded
    parameters, boundaries, the usual preamble), not found in its header section (the notification names the sender
    and the subject on purpose) nor in the notification's templates."""
    parts = re.split(rb"\r?\n\r?\n", data, maxsplit=1)
    head, body = (parts[0], parts[1]) if len(parts) > 1 else (b"", data)
    out = []
    for line in body.splitlines():
        line = line.strip()
        if (len(line) < MIN_LINE or line in out or line.startswith(b"--")
                or HEADER_LINE.match(line) or PARAM_LINE.match(line) or
                line in head or line in boiler or line in BOILERPLATE):
            continue
        out.append(line)
        if len(out) == n:
            break
    return out


class TextOf(html.parser.HTMLParser):
    """The words a reader sees in an HTML document (not in script,
    style, head or title), whitespace collapsed."""
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.words = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth > 0:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0:
            self.words += data.split()


def visible_words(doc):
    p = TextOf()
    p.feed(doc.decode("utf-8", "replace"))
    p.close()
    return p.words


def html_shown(original, served):
    """None when the served (sanitized) HTML shows the words of the
    original HTML body in order, else what is missing."""
    want = visible_words(original)
    got = " ".join(visible_words(served))
    if not want:
        return None
    # The sanitizer may drop a hidden element; compare runs of 8 words.
    for i in range(0, len(want), 8):
        run = " ".join(want[i:i + 8])
        if run not in got:
            return run
    return None


def corpus_dir():
    d = os.environ.get("SEALPOST_CORPUS") or os.path.join(
        os.environ.get("SEALPOST_SOURCE_DIR", SRC), "..", "shared", "corpus")
    return d if os.path.isdir(d) else None


class Browser:
    """A client with its own cookies, talking to nginx on loopback."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # as a browser posting a form of the portal's own page
            headers["Origin"] = "http://127.0.0.1:%d" % self.port
            headers["Sec-Fetch-Site"] = "same-origin"
        if self.cookies:
            headers["Cookie"] = "; ".join(
                "%s=%s" % kv for kv in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return r.status, data


def expectation(build, data):
    """What e2e_expect says the page must show: a dict of lists."""
    r = subprocess.run([os.path.join(build, "tests", "bin", "e2e_expect")],
                       input=data, capture_output=True)
    if r.returncode != 0:
        raise Fail("e2e_expect: " + r.stderr.decode(errors="replace"))
    out, i = {}, 0
    buf = r.stdout
    while i < len(buf):
        nl = buf.index(b"\n", i)
        key, n = buf[i:nl].decode().split(" ")
        start = nl + 1
        out.setdefault(key, []).append(buf[start:start + int(n)])
        i = start + int(n) + 1
    return out


def notification_text(msg):
    """The decoded text/plain part of the notification, as bytes."""
    m = email.message_from_bytes(msg, policy=email.policy.default)
    part = m.get_body(preferencelist=("plain",))
    if part is None:
        return b""
    return part.get_payload(decode=True) or b""


class Case:
    def __init__(self, name, data, rcpt):
        self.name, self.data, self.rcpt = name, data, rcpt
        self.problems = []
        self.notice = self.reference = None
        self.msg_id = self.path = None
        self.browser = None
        self.csrf = None
        self.html = False
        self.done = False

    def bad(self, what):
        self.problems.append(what)


def send_all(cases, ports):
    """Each message twice: sealed (from example.org) and, as a reference
    of what Postfix hands over, through the skip rule (newsletter).
    Returns how many were accepted."""
    sent = 0
    for c in cases:
        data = as_handed_over(c.data)
        for sender in ("e2e@example.org", "e2e@newsletter.example.com"):
            err = send(ports["smtp"], sender, [c.rcpt], data)
            if err is None:
                sent += 1
            else:
                c.bad("not accepted from %s: %s" % (sender, err))
    return sent


def collect(cases, cap, n, timeout):
    """Sorts up to n captured mails into the cases, waiting at most
    timeout seconds in all (a missing one fails its case later)."""
    by_rcpt = {c.rcpt: c for c in cases}
    end = time.time() + timeout
    for _ in range(n):
        try:
            (env_, msg), = cap.wait(1, timeout=max(1, end - time.time()))
        except Fail:
            return
        c = by_rcpt.get(env_["rcpt_to"][0])
        if c is None:
            continue
        if env_["mail_from"].endswith("@newsletter.example.com"):
            c.reference = msg
        elif env_["mail_from"] == "e2e@example.org":
            c.notice = msg


def check_notice(c, http_port):
    if c.notice is None:
        c.bad("no notification reached the outside world")
        return
    c.msg_id = header_value(c.notice, "X-Sealpost-Id")
    if c.msg_id is None:
        c.bad("the outside mail is not a notification (no X-Sealpost-Id)")
        return
    lines = distinctive_lines(c.data, template_text())
    if not lines:
        print("note %s: no distinctive body line to look for" % c.name)
    leaks = [l for l in lines if l in c.notice]
    if leaks:
        c.bad("notification holds original content: %r" % leaks[0][:60])
    text = notification_text(c.notice)
    link = re.search(rb"http://127\.0\.0\.1:%d(/m/[A-Za-z0-9_-]+)" %
                     http_port, text)
    if link is None:
        c.bad("no portal link in the notification text")
        return
    c.path = link.group(1).decode()
    if c.path != "/m/" + c.msg_id:
        c.bad("link %s does not name X-Sealpost-Id %s" % (c.path, c.msg_id))


def ask_code(c, http_port):
    c.browser = Browser(http_port)
    st, page = c.browser.request("GET", c.path)
    m = re.search(rb'name="csrf" value="([^"]*)"', page)
    if st != 200 or m is None:
        c.bad("landing page: status %d, csrf %s" % (st, bool(m)))
        c.path = None
        return
    c.csrf = m.group(1).decode()
    st, _ = c.browser.request("POST", c.path + "/code",
                              {"csrf": c.csrf, "addr": c.rcpt})
    if st >= 400:
        c.bad("code request: status %d" % st)
        c.path = None


def collect_codes(cases, cap, timeout):
    """Waits for one passcode mail per case that asked; returns
    {rcpt: code}."""
    want = {c.rcpt for c in cases if c.path}
    codes = {}
    end = time.time() + timeout
    while want - set(codes) and time.time() < end:
        try:
            got = cap.wait(1, timeout=max(1, end - time.time()))
        except Fail:
            break
        for env_, msg in got:
            m = CODE_RE.search(msg)
            if m and env_["rcpt_to"][0] in want:
                codes[env_["rcpt_to"][0]] = m.group(1).decode()
    return codes


def check_page(c, build, code):
    st, _ = c.browser.request("POST", c.path + "/signin",
                              {"csrf": c.csrf, "addr": c.rcpt, "code": code})
    if st != 303:
        c.bad("sign-in with the mailed passcode: status %d, want 303" % st)
        return
    st, page = c.browser.request("GET", c.path + "/read")
    if st != 200:
        c.bad("reading page: status %d" % st)
        return
    exp = expectation(build, as_handed_over(c.data))
    subject = exp["subject"][0]
    if b"<h1>" + subject + b"</h1>" not in page:
        c.bad("page lacks the subject %r" % subject[:60])
    if exp["has_html"][0] == b"1":
        c.html = True
        if b'src="%s/html"' % c.path.encode() not in page:
            c.bad("page lacks the frame of the HTML body")
        st, served = c.browser.request("GET", c.path + "/html")
        if st != 200 or not served.strip():
            c.bad("HTML body: status %d, %d bytes" % (st, len(served)))
        else:
            missing = html_shown(exp["html"][0], served)
            if missing is not None:
                c.bad("HTML body lacks the words %r" % missing[:80])
    elif b'<pre class="body-text">' + exp["text"][0] + b"</pre>" not in page:
        c.bad("page lacks the text body (%d bytes escaped)" %
              len(exp["text"][0]))
    for name in exp.get("att", []):
        if name not in page:
            c.bad("page lacks the attachment name %r" % name[:60])


def check_export(c, env):
    r = env.ctl("export", c.msg_id, check=False)
    if r.returncode != 0:
        c.bad("sealpostctl export: exit %d: %s" % (
            r.returncode, r.stderr.decode(errors="replace")[:200]))
        return
    got = strip_first_received(r.stdout)
    if got == as_handed_over(c.data):
        return
    ref = strip_first_received(c.reference) if c.reference else None
    if got == ref:
        print("note %s: Postfix itself changes the message; the export "
              "equals what it handed over" % c.name)
        return
    c.bad("export: %d bytes, differs from the %d original bytes" % (
        len(got), len(as_handed_over(c.data))))


def start_web(root, env, ports):
    """The portal (FastCGI on --fcgi) and nginx in front of it, with the
    portal's site snippet (tests/integration/portal_env.sh)."""
    web = os.path.join(root, "web")
    os.makedirs(web)
    env.set("portal_socket", "inet:%d@127.0.0.1" % ports["fcgi"])
    env.set("portal_url", "http://127.0.0.1:%d" % ports["http"])
    env.set("smtp_url", "smtp://127.0.0.1:%d" % ports["exempt"])
    env.set("cookie_secure", "no")
    env.set("mail_from", "portal@sealpost.test")
    log = open(os.path.join(root, "portal.log"), "ab")
    portal = subprocess.Popen(
        [os.path.join(env.build, "bin", "sealpost-portal"), "-f", "-c",
         env.conf], stdout=log, stderr=log)
    nginx_pid = os.path.join(web, "nginx", "nginx.pid")
    try:
        r = subprocess.run(
            ["bash", "-c", '. "$0/tests/integration/portal_env.sh" && '
             'portal_env_nginx', SRC],
            env=dict(os.environ, SP_T=web, SP_SRC=SRC,
                     SP_HTTP_PORT=str(ports["http"]),
                     SP_FCGI_PORT=str(ports["fcgi"])),
            capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("nginx: " + r.stderr)
        wait_for(lambda: port_open(ports["fcgi"]) and
                 port_open(ports["http"]), 10, "the portal and nginx")
    except Exception:
        # what started here is stopped here: the caller never saw it
        stop_web(portal, nginx_pid)
        raise
    return portal, nginx_pid


def portal_log_problem(root):
    """A sanitizer report in the portal's log (a SEALPOST_SANITIZE
    build), or None."""
    try:
        log = open(os.path.join(root, "portal.log"), errors="replace").read()
    except FileNotFoundError:
        return None
    for mark in SANITIZER_MARKS:
        if mark in log:
            return log[log.index(mark):][:3000]
    return None


def stop_web(portal, nginx_pid):
    if nginx_pid and os.path.exists(nginx_pid):
        try:
            os.kill(int(open(nginx_pid).read().strip()), 15)
        except (OSError, ValueError):
            pass
    if portal:
        portal.terminate()
        try:
            portal.wait(10)
        except subprocess.TimeoutExpired:
            portal.kill()
            portal.wait()


def guarded(c, step, *args):
    """Runs one step for case c; an unexpected error fails c alone."""
    try:
        step(c, *args)
    except (Fail, OSError, http.client.HTTPException, KeyError,
            ValueError) as e:
        c.bad("%s: %s: %s" % (step.__name__, type(e).__name__, e))


def run(cases, env, cap, ports, build):
    t0 = time.time()
    sent = send_all(cases, ports)
    collect(cases, cap, sent, 240)
    print("# %d messages sent and captured in %.1f s" % (
        len(cases), time.time() - t0))
    for c in cases:
        guarded(c, check_notice, ports["http"])
        if c.path:
            guarded(c, ask_code, ports["http"])
    codes = collect_codes(cases, cap, 120)
    for c in cases:
        if c.path and c.rcpt not in codes:
            c.bad("no passcode mail reached the outside world")
        elif c.path:
            guarded(c, check_page, build, codes[c.rcpt])
        if c.msg_id:
            guarded(c, check_export, env)
        c.done = True
    print("# all checks done in %.1f s; %d messages have an HTML body "
          "(shown in a frame: its visible words compared)"
          % (time.time() - t0, sum(c.html for c in cases)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--port-base", type=int, default=23100)
    a = p.parse_args()
    build = os.path.abspath(a.build)
    if os.geteuid() != 0:
        print("SKIP: needs root (a private Postfix)")
        return 77
    if shutil.which("nginx") is None or shutil.which("postfix") is None:
        print("SKIP: nginx or postfix is not installed")
        return 77
    d = corpus_dir()
    if d is None:
        print("SKIP: no corpus folder: set SEALPOST_CORPUS (or put the "
              "corpus in ../shared/corpus beside the source tree)")
        return 77
    files = sorted(f for f in os.listdir(d) if not f.endswith(".md"))
    cases = [Case(f, open(os.path.join(d, f), "rb").read(),
                  "reader%d@%s" % (i, MATCH_DOMAIN))
             for i, f in enumerate(files)]
    b = a.port_base
    ports = {"smtp": b + 25, "exempt": b + 26, "capture": b + 27,
             "http": b + 80, "fcgi": b + 81}
    tmp = tempfile.mkdtemp(prefix="sealpost-e2e.")
    os.chmod(tmp, 0o755)
    env = cap = pf = portal = nginx_pid = None
    failed = []
    try:
        env = Env(os.path.join(tmp, "sp"), build)
        portal, nginx_pid = start_web(tmp, env, ports)
        env.start_milter()
        cap = Capture(ports["capture"], os.path.join(tmp, "capture"))
        pf = Postfix(os.path.join(tmp, "pf"), ports["smtp"], ports["exempt"],
                     ports["capture"], milter=env.postfix_milter(),
                     sets=["header_size_limit=1048576"])
        run(cases, env, cap, ports, build)
    except Fail as e:
        failed.append("environment: %s" % e)
    finally:
        if pf:
            pf.stop()
        if cap:
            cap.stop()
        stop_web(portal, nginx_pid)
        report = portal_log_problem(tmp)
        if report:
            failed.append("portal: sanitizer report: %s" % report)
        if env:
            try:
                env.stop_milter()
            except Fail as e:
                failed.append("milter: %s" % e)
    bad_files = 0
    for c in cases:
        if not c.done and not c.problems:
            c.bad("not checked: the run stopped before it")
        if c.problems:
            bad_files += 1
            print("FAIL %s" % c.name)
            for pr in c.problems:
                print("     - %s" % pr)
        else:
            print("ok   %s" % c.name)
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (len(cases) - bad_files, bad_files))
    failed += [c.name for c in cases if c.problems]
    if failed or os.environ.get("SEALPOST_KEEP"):
        print("kept " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
