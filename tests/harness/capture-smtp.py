#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""capture-smtp: a small SMTP server that plays "the outside world" in
tests.  Every message it accepts is written, byte for byte as received
(dot-unstuffed, CRLF kept), to DIR/new/NAME.eml, and its envelope to
DIR/new/NAME.env as JSON ({"mail_from": ..., "rcpt_to": [...],
"helo": ...}); addresses as in the command, without the angle brackets
and with a quoted local part kept whole ("b o b"@partner.example).  The .env file is written last, so a test can wait for it.

    capture-smtp.py --port PORT --dir DIR [--host 127.0.0.1] [--pid FILE]
                    [--fail-rcpt ADDR]...  (answers 550 to that RCPT)

It listens on loopback only.  SIGTERM stops it.
"""
import argparse
import asyncio
import json
import os
import signal
import time

MAX_SIZE = 200 * 1024 * 1024
counter = 0


def store(folder, mail_from, rcpts, helo, data):
    global counter
    counter += 1
    name = "%d.%06d.%d" % (int(time.time()), counter, os.getpid())
    new = os.path.join(folder, "new")
    tmp = os.path.join(folder, "tmp")
    for ext, blob in ((".eml", data),
                      (".env", json.dumps({"mail_from": mail_from,
                                           "rcpt_to": rcpts,
                                           "helo": helo}).encode())):
        path = os.path.join(tmp, name + ext)
        with open(path, "wb") as f:
            f.write(blob)
        os.rename(path, os.path.join(new, name + ext))


def envelope_address(cmd):
    """The address of a MAIL FROM or RCPT TO command line: the path after
    the first colon without its angle brackets, ESMTP parameters after it
    dropped.  A quoted local part is kept whole, quotes included, with
    the spaces, '>' and backslash-escaped characters it may hold
    (RCPT TO:<"b o b"@partner.example> gives "b o b"@partner.example).
    A path without brackets ends at the first space."""
    arg = cmd.split(":", 1)[1].lstrip(" ") if ":" in cmd else ""
    if not arg.startswith("<"):
        return arg.split(" ")[0]
    out, quoted, i = [], False, 1
    while i < len(arg):
        c = arg[i]
        if quoted and c == "\\" and i + 1 < len(arg):
            out.append(arg[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == ">" and not quoted:
            break
        out.append(c)
        i += 1
    return "".join(out)


async def read_data(reader):
    """Reads DATA up to the lone dot; returns the unstuffed bytes."""
    lines = []
    size = 0
    while True:
        line = await reader.readuntil(b"\n")
        if line in (b".\r\n", b".\n"):
            break
        if line.startswith(b"."):
            line = line[1:]
        size += len(line)
        if size <= MAX_SIZE:
            lines.append(line)
    return b"".join(lines), size


async def session(reader, writer, args):
    mail_from, rcpts, helo = None, [], ""

    def reply(text):
        writer.write(text.encode() + b"\r\n")

    reply("220 capture.sealpost.test ESMTP capture")
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            break
        cmd = line.decode("utf-8", "replace").strip()
        verb = cmd[:4].upper()
        if verb in ("EHLO", "HELO"):
            helo = cmd[5:]
            if verb == "EHLO":
                reply("250-capture.sealpost.test\r\n250-8BITMIME\r\n"
                      "250-SMTPUTF8\r\n250-SIZE %d\r\n250 PIPELINING"
                      % MAX_SIZE)
            else:
                reply("250 capture.sealpost.test")
        elif verb == "MAIL":
            mail_from = envelope_address(cmd)
            rcpts = []
            reply("250 2.1.0 ok")
        elif verb == "RCPT":
            addr = envelope_address(cmd)
            if addr in args.fail_rcpt:
                reply("550 5.1.1 refused by capture")
            else:
                rcpts.append(addr)
                reply("250 2.1.5 ok")
        elif verb == "DATA":
            if mail_from is None or not rcpts:
                reply("503 5.5.1 need MAIL and RCPT")
                continue
            reply("354 go ahead")
            await writer.drain()
            data, size = await read_data(reader)
            if size > MAX_SIZE:
                reply("552 5.3.4 too big")
            else:
                store(args.dir, mail_from, rcpts, helo, data)
                reply("250 2.0.0 captured")
            mail_from, rcpts = None, []
        elif verb == "RSET":
            mail_from, rcpts = None, []
            reply("250 2.0.0 ok")
        elif verb == "NOOP":
            reply("250 2.0.0 ok")
        elif verb == "QUIT":
            reply("221 2.0.0 bye")
            break
        else:
            reply("502 5.5.2 not implemented")
        await writer.drain()
    try:
        await writer.drain()
        writer.close()
    except ConnectionError:
        pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--pid")
    p.add_argument("--fail-rcpt", action="append", default=[])
    args = p.parse_args()
    if not (args.host.startswith("127.") or args.host == "::1"):
        raise SystemExit("capture-smtp: loopback addresses only")
    for sub in ("new", "tmp"):
        os.makedirs(os.path.join(args.dir, sub), exist_ok=True)
    server = await asyncio.start_server(
        lambda r, w: session(r, w, args), args.host, args.port,
        limit=MAX_SIZE)
    if args.pid:
        with open(args.pid, "w") as f:
            f.write("%d\n" % os.getpid())
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
