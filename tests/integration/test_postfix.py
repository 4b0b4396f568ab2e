#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Integration: sealpost-milter behind a private Postfix.

The milter sits on smtpd_milters and non_smtpd_milters; Postfix relays to
a capture server that plays the outside world.  Checks:
  - every corpus message (SEALPOST_CORPUS, or ../shared/corpus from the
    source tree), sent to a recipient a rule matches, arrives as a
    notification that holds none of its distinctive lines, and
    `sealpostctl export ID` gives back the bytes the MTA handed over;
  - mail no rule matches arrives untouched;
  - mail submitted with `sendmail -t` is sealed too;
  - the exemption listener: mail through it is not sealed, the same mail
    through the normal port is;
  - hard inputs: no header section, no From, empty body, a NUL byte, bare
    LF, raw 8-bit headers, a 200 KB subject (folded, unbroken, UTF-8: cut
    to a 998-octet field with an ellipsis), a 3 MB body (its sealed
    chunks reach the store in several batches), 1000 recipients, Bcc
    only;
  - envelope forms Postfix delivers to a matched mailbox (a trailing dot
    on the domain, a source route) and a message with two Subject fields
    whose second holds the tag are sealed: the capture holds only the
    notification, with one Subject.

    test_postfix.py --build BUILD [--port-base N]
Needs root (Postfix's master); exits 77 (skipped) without it.
"""
import email.header
import os
import re
import smtplib
import sys

from harness_lib import Rig, arg_parser, check, postfix_ports, summary
from sphelpers import SRC, crlf, header_value, send, strip_first_received

MATCH_RCPT = "reader@partner.example"


def corpus_dir():
    d = os.environ.get("SEALPOST_CORPUS") or os.path.join(
        SRC, "..", "shared", "corpus")
    return d if os.path.isdir(d) else None


HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
BOILERPLATE = (b"This is a multi-part message in MIME format.",)


def distinctive_lines(data, n=3):
    """Up to n long body lines of the original that are content, not
    MIME structure (header-like lines, boundaries, the usual preamble)
    and not the subject, which the notification shows on purpose."""
    parts = re.split(rb"\r?\n\r?\n", data, maxsplit=1)
    body = parts[1] if len(parts) > 1 else data
    subject = header_value(data, "Subject") or ""
    out = []
    for line in body.splitlines():
        line = line.strip()
        if (len(line) < 24 or line in out or line.startswith(b"--") or
                HEADER_LINE.match(line) or line in BOILERPLATE or
                line.decode(errors="replace") in subject):
            continue
        out.append(line)
        if len(out) == n:
            break
    return out


def as_handed_over(original):
    """The bytes an MTA hands a milter: CRLF line ends, a final CRLF."""
    data = crlf(original)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def check_sealed(env, name, original, captured, reference=None):
    """captured: the notification; reference: the same message delivered
    unsealed by the same Postfix (a skip rule), which shows the bytes
    Postfix hands over (it adds a missing blank line after the header
    section, for one).  The export must equal it, Received: aside."""
    env_, msg = captured
    msg_id = header_value(msg, "X-Sealpost-Id")
    ok = msg_id is not None
    ok = ok and "multipart/alternative" in (
        header_value(msg, "Content-Type") or "")
    leaks = [l for l in distinctive_lines(original) if l in msg]
    ok = ok and not leaks
    check(ok, "%s: arrives as a notification, no content%s" % (
        name, " (leaked: %r)" % leaks[:1] if leaks else ""))
    if msg_id is None:
        return None
    got = strip_first_received(env.export(msg_id))
    want = as_handed_over(original)
    if reference is not None:
        want = strip_first_received(reference)
        if want != as_handed_over(original):
            print("note %s: Postfix itself changes the message (%d bytes "
                  "sent, %d handed over)" % (name, len(original), len(want)))
    check(got == want, "%s: export gives back what Postfix handed over "
          "(%d bytes, want %d)" % (name, len(got), len(want)))
    return msg_id


def check_subject(msg, want):
    """The notification's Subject: 7-bit, tag removed, decoding to want."""
    raw = header_value(msg, "Subject") or ""
    text = str(email.header.make_header(email.header.decode_header(raw)))
    check(raw.isascii() and text == want,
          "subject of the notification: %r decodes to %r, want %r" % (
              raw, text, want))


def check_long_subject(msg, char):
    """A subject too long for a header is cut to a Subject field of at
    most 998 octets (CRLF counted), at a character boundary, with an
    ellipsis."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    m = re.search(r"^Subject:.*?(?=\r\n[^ \t])", head, re.M | re.S)
    field = m.group(0) if m else ""
    raw = header_value(msg, "Subject") or ""
    text = str(email.header.make_header(email.header.decode_header(raw)))
    body = text[:-1]
    check(0 < len(field) <= 998 and len(field) > 900 and
          text.endswith("\u2026") and body and body == char * len(body),
          "long subject: a Subject field of %d octets (want 900 to 998), "
          "text %r...%r (want %r repeated, then an ellipsis)" % (
              len(field), text[:12], text[-4:], char))


def send_pair(ports, tag, data, rcpts=None):
    """Sends data sealed (sender tag@example.org) and, as the reference,
    unsealed (tag@newsletter.example.com, which a skip rule passes)."""
    errs = [send(ports["smtp"], tag + "@example.org", rcpts or [MATCH_RCPT],
                 data),
            send(ports["smtp"], tag + "@newsletter.example.com",
                 rcpts or [MATCH_RCPT], data)]
    return errs[0] or errs[1]


def collect_pairs(cap, n, timeout):
    """Returns {tag: (sealed capture, reference bytes)} for n pairs."""
    got = {}
    for env_, msg in cap.wait(2 * n, timeout=timeout):
        tag, dom = env_["mail_from"].split("@")
        got.setdefault(tag, [None, None])
        got[tag][0 if dom == "example.org" else 1] = (env_, msg)
    return {t: (v[0], v[1][1] if v[1] else None) for t, v in got.items()}


def run_corpus(env, cap, ports):
    d = corpus_dir()
    if d is None:
        print("SKIP corpus: no corpus folder (set SEALPOST_CORPUS)")
        return
    files = sorted(f for f in os.listdir(d) if not f.endswith(".md"))
    originals = {}
    for i, f in enumerate(files):
        data = open(os.path.join(d, f), "rb").read()
        tag = "corpus%d" % i
        err = send_pair(ports, tag, data)
        check(err is None, "corpus %s: accepted (%s)" % (f, err))
        originals[tag] = (f, data)
    for tag, (sealed, ref) in collect_pairs(cap, len(originals),
                                            240).items():
        f, data = originals[tag]
        check_sealed(env, "corpus " + f, data, sealed, ref)


def run_untouched(cap, ports):
    data = (b"From: Ann <ann@example.org>\r\nTo: bob@example.com\r\n"
            b"Subject: lunch on friday\r\nMessage-ID: <u1@example.org>\r\n"
            b"\r\nplain text that must pass untouched\r\n")
    check(send(ports["smtp"], "ann@example.org", ["bob@example.com"], data)
          is None, "unmatched: accepted")
    (_, msg), = cap.wait(1)
    check(strip_first_received(msg) == data,
          "unmatched mail arrives untouched")


def run_sendmail(env, pf, cap):
    data = (b"From: ann@example.org\nTo: t@partner.example\n"
            b"Subject: submitted locally\n\n"
            b"local submission secret line, must be sealed\n")
    pf.sendmail(data, "-t", "-f", "ann@example.org")
    (_, msg), = cap.wait(1)
    check(header_value(msg, "X-Sealpost-Id") is not None and
          b"local submission secret" not in msg,
          "sendmail -t submission is sealed")


def run_exempt(cap, ports):
    data = (b"From: portal@sealpost.test\r\nTo: x@example.com\r\n"
            b"Subject: [secure] your passcode\r\n\r\n"
            b"passcode mail body 314159\r\n")
    send(ports["exempt"], "portal@sealpost.test", ["x@example.com"], data)
    (_, msg), = cap.wait(1)
    check(header_value(msg, "X-Sealpost-Id") is None and
          b"passcode mail body 314159" in msg,
          "mail through the exempt listener is not sealed")
    send(ports["smtp"], "portal@sealpost.test", ["x@example.com"], data)
    (_, msg), = cap.wait(1)
    check(header_value(msg, "X-Sealpost-Id") is not None and
          b"passcode mail body 314159" not in msg,
          "the same mail through the normal port is sealed")


def send_raw_rcpt(port, sender, rcpt, data):
    """Like send, but the RCPT TO argument goes out exactly as given
    (smtplib would rewrite a source route)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
        s.ehlo("client.sealpost.test")
        code, text = s.mail(sender)
        if code != 250:
            return (code, text)
        code, text = s.docmd("RCPT TO:" + rcpt)
        if code not in (250, 251):
            return (code, text)
        code, text = s.data(data)
        return None if code == 250 else (code, text)


def only_notification(msg, secret):
    return (header_value(msg, "X-Sealpost-Id") is not None and
            secret not in msg and
            "multipart/alternative" in (header_value(msg, "Content-Type")
                                        or ""))


def run_envelope_forms(cap, ports):
    for i, rcpt in enumerate(["<bob@partner.example.>",
                              "<@relay.example:bob@partner.example>",
                              "<<@relay.example:bob@partner.example>>"]):
        secret = b"envelope form %d secret body line" % i
        data = (b"From: ann@example.org\r\nTo: bob@partner.example\r\n"
                b"Subject: form %d\r\n\r\n" % i + secret + b"\r\n")
        err = send_raw_rcpt(ports["smtp"], "ann@example.org", rcpt, data)
        check(err is None, "RCPT TO:%s: accepted (%s)" % (rcpt, err))
        if err is not None:
            continue
        (env_, msg), = cap.wait(1, timeout=30)
        check(only_notification(msg, secret),
              "RCPT TO:%s (delivered to %s): only the notification" % (
                  rcpt, ",".join(env_["rcpt_to"])))


def run_two_subjects(cap, ports):
    secret = b"two subjects secret body line"
    data = (b"From: ann@example.org\r\nTo: x@example.com\r\n"
            b"Subject: harmless\r\nSubject: [secure] second\r\n\r\n" +
            secret + b"\r\n")
    err = send(ports["smtp"], "ann@example.org", ["x@example.com"], data)
    check(err is None, "two Subjects: accepted (%s)" % (err,))
    if err is not None:
        return
    (_, msg), = cap.wait(1, timeout=30)
    check(only_notification(msg, secret),
          "two Subjects, tag in the second: only the notification")
    head = msg.split(b"\r\n\r\n", 1)[0]
    subjects = [l for l in head.split(b"\r\n")
                if l.lower().startswith(b"subject:")]
    check(len(subjects) == 1 and b"harmless" not in head and
          b"[secure]" not in head,
          "two Subjects: the notification has one, tag removed (%r)" % (
              subjects,))
    check_subject(msg, "second")


def hard_inputs():
    long_subject = b"Subject: [secure] " + b"\r\n ".join(
        b"word%05d lorem ipsum dolor sit amet" % i for i in range(5700))
    return [
        ("no header section", b"no header section secret line here\r\n"
         b"second line of the headerless message\r\n"),
        ("no From", b"To: r@partner.example\r\nSubject: no from\r\n\r\n"
         b"message without a From header secret\r\n"),
        ("empty body", b"From: a@example.org\r\nSubject: empty\r\n\r\n"),
        ("NUL byte", b"From: a@example.org\r\nSubject: nul\r\n\r\n"
         b"before the nul byte secret\x00after the nul byte secret\r\n"),
        ("bare LF", b"From: a@example.org\nSubject: bare lf\n\n"
         b"bare line feed line one secret\nline two also secret\n"),
        ("raw 8-bit headers", b"From: J\xf6rg <j@example.org>\r\n"
         b"Subject: [secure] Gr\xfc\xdfe \xe2\x82\xac\r\n\r\n"
         b"eight bit header message secret body\r\n"),
        ("200 KB subject", long_subject + b"\r\nFrom: a@example.org\r\n\r\n"
         b"the body under a very long subject secret\r\n"),
        ("unbroken 200 KB subject", b"Subject: [secure] " + b"A" * 200000 +
         b"\r\nFrom: a@example.org\r\n\r\nunder an unbroken subject secret\r\n"),
        ("60 KB UTF-8 subject", b"Subject: [secure] " +
         "\u00e9".encode() * 30000 + b"\r\nFrom: a@example.org\r\n\r\n"
         b"under a long utf-8 subject secret\r\n"),
        ("Bcc only", b"From: a@example.org\r\nBcc: hidden@partner.example\r\n"
         b"Subject: bcc\r\n\r\nblind copy only message secret body\r\n"),
        ("3 MB body", b"From: a@example.org\r\nSubject: big\r\n\r\n"
         + b"".join(b"line %07d of a three megabyte body secret\r\n" % i
                    for i in range(70000))),
    ]


def run_hard(env, cap, ports):
    for i, (name, data) in enumerate(hard_inputs()):
        err = send_pair(ports, "hard%d" % i, data)
        check(err is None, "%s: accepted (%s)" % (name, err))
        if err is None:
            (sealed, ref), = collect_pairs(cap, 1, 30).values()
            check_sealed(env, name, data, sealed, ref)
            if name == "raw 8-bit headers":
                check_subject(sealed[1], "Gr\u00fc\u00dfe \u20ac")
            if name == "unbroken 200 KB subject":
                check_long_subject(sealed[1], "A")
            if name == "60 KB UTF-8 subject":
                check_long_subject(sealed[1], "\u00e9")
    rcpts = ["r%04d@partner.example" % i for i in range(1000)]
    data = (b"From: a@example.org\r\nSubject: many\r\n\r\n"
            b"thousand recipients secret body line\r\n")
    err = send(ports["smtp"], "many@example.org", rcpts, data)
    check(err is None, "1000 recipients: accepted (%s)" % (err,))
    got, ids = set(), set()
    while len(got) < 1000:
        env_, msg = cap.wait(1, timeout=60)[0]
        got.update(env_["rcpt_to"])
        ids.add(header_value(msg, "X-Sealpost-Id"))
        if b"thousand recipients secret" in msg:
            ids.add("LEAK")
    check(got == set(rcpts) and len(ids) == 1 and None not in ids,
          "1000 recipients: all get the same sealed notification")
    listed = env.ctl("list").stdout.decode(errors="replace")
    check("purged" not in listed.lower() and
          "action=withdraw" not in env.log_text(),
          "hard inputs: no record left behind by a refused try")


def main():
    a = arg_parser(20100).parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (a private Postfix)")
        return 77
    ports = postfix_ports(a.port_base)
    with Rig("sealpost-pf.",
             keep=bool(os.environ.get("SEALPOST_KEEP"))) as rig:
        env, cap, pf = rig.start_postfix(a.build, ports,
                                         ["header_size_limit=1048576"])
        run_untouched(cap, ports)
        run_envelope_forms(cap, ports)
        run_two_subjects(cap, ports)
        run_exempt(cap, ports)
        run_sendmail(env, pf, cap)
        run_hard(env, cap, ports)
        run_corpus(env, cap, ports)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
