#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks capture-smtp.py's envelope parsing: the address table, and one
real SMTP session on an ephemeral loopback port whose .env record must
hold the addresses whole (quoted local parts with spaces included)."""
import asyncio
import glob
import importlib.util
import json
import os
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "capture_smtp", os.path.join(HERE, "capture-smtp.py"))
cap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cap)

CASES = [  # (name, command line, want)
    ("plain rcpt", "RCPT TO:<bob@partner.example>", "bob@partner.example"),
    ("quoted local part with spaces", 'RCPT TO:<"b o b"@partner.example>',
     '"b o b"@partner.example'),
    ("quoted local part with > and an escaped quote",
     'RCPT TO:<"a>\\"b"@x.example> NOTIFY=NEVER', '"a>\\"b"@x.example'),
    ("parameters dropped", "MAIL FROM:<ann@example.org> SIZE=10 BODY=8BITMIME",
     "ann@example.org"),
    ("quoted sender", 'MAIL FROM:<"ann smith"@example.org> SIZE=5',
     '"ann smith"@example.org'),
    ("null sender", "MAIL FROM:<>", ""),
    ("space after the colon", "MAIL FROM: <ann@example.org>",
     "ann@example.org"),
    ("no brackets", "RCPT TO:bob@example.com", "bob@example.com"),
]
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    failures += 0 if cond else 1


async def reply(reader):
    """Reads one (possibly multi-line) SMTP reply."""
    line = await reader.readuntil(b"\r\n")
    while line[3:4] == b"-":
        line = await reader.readuntil(b"\r\n")
    return line


async def session_case(folder):
    args = types.SimpleNamespace(dir=folder, fail_rcpt=[])
    server = await asyncio.start_server(
        lambda r, w: cap.session(r, w, args), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reply(reader)
    for line in ["EHLO t", 'MAIL FROM:<"ann smith"@example.org> SIZE=20',
                 'RCPT TO:<"b o b"@partner.example>',
                 "RCPT TO:<carol@partner.example> NOTIFY=NEVER", "DATA",
                 "Subject: x\r\n\r\nbody\r\n.", "QUIT"]:
        writer.write(line.encode() + b"\r\n")
        await reply(reader)
    writer.close()
    server.close()
    await server.wait_closed()


def main():
    for name, line, want in CASES:
        got = cap.envelope_address(line)
        check(got == want, "%s: got %r, want %r" % (name, got, want))
    folder = tempfile.mkdtemp(prefix="sealpost-cap.")
    for sub in ("new", "tmp"):
        os.makedirs(os.path.join(folder, sub))
    asyncio.run(session_case(folder))
    envs = glob.glob(os.path.join(folder, "new", "*.env"))
    env = json.load(open(envs[0])) if len(envs) == 1 else {}
    want = {"mail_from": '"ann smith"@example.org',
            "rcpt_to": ['"b o b"@partner.example', "carol@partner.example"]}
    got = {k: env.get(k) for k in want}
    check(got == want, "session record: got %r, want %r" % (got, want))
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
