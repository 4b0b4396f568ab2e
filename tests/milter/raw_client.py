#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A milter client (the MTA side of the milter protocol, version 6) for
what miltertest cannot do (it cannot stop reading mid-message, and it
crashes on header values of a few KiB).  Sends a message a rule seals.

    raw_client.py SOCKET_PATH QID hangup
        stops reading before end of message, so the milter's header and
        body changes cannot reach it: the "MTA refused a change" path.
        Exits 0 when the milter answered every step up to end of message.
    raw_client.py SOCKET_PATH QID long-subject ascii|utf8
        a tagged Subject of about 60 KB (ASCII, or two-byte characters);
        prints the reply at end of message ("REPLY=c" for continue), the
        new Subject value as sent ("SUBJECT=..." , Python repr), the
        field's size as the MTA writes it ("FIELD=N", CRLF counted), and
        "TEXT=ok" when it decodes to the subject's characters cut at a
        character boundary and an ellipsis.
"""
import email.header
import socket
import struct
import sys
import time

# Protocol steps the MTA leaves out (as Postfix does) and header values
# with their leading space; no "no reply" flags, so each step is answered.
PROTO = 0x1 | 0x2 | 0x100 | 0x200 | 0x100000
ACTIONS = 0x1 | 0x2 | 0x10  # add headers, change body, change headers


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_packet(s):
    head = b""
    while len(head) < 4:
        more = s.recv(4 - len(head))
        if not more:
            raise SystemExit("milter closed the connection")
        head += more
    n = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < n:
        more = s.recv(n - len(data))
        if not more:
            raise SystemExit("milter closed the connection")
        data += more
    return data[:1], data[1:]


def step(s, cmd, data, want=b"c"):
    s.sendall(packet(cmd, data))
    got, _ = read_packet(s)
    if got != want:
        raise SystemExit("step %r: got reply %r, want %r" % (cmd, got, want))


def head(s, qid, subject):
    step(s, b"O", struct.pack(">III", 6, ACTIONS, PROTO), want=b"O")
    s.sendall(packet(b"D", b"M" + b"i\0" + qid + b"\0"))
    step(s, b"M", b"<ann@example.org>\0")
    step(s, b"R", b"<bob@example.com>\0")
    step(s, b"L", b"From\0 ann@example.org\0")
    step(s, b"L", b"Subject\0 " + subject + b"\0")
    step(s, b"N", b"")
    step(s, b"B", b"a secret line\r\n")


def hangup(s, qid):
    head(s, qid, b"[secure] hung up at the end")
    # No more reading: on a unix socket the milter's writes (its changes
    # at end of message) then fail with EPIPE, while it still reads E.
    s.shutdown(socket.SHUT_RD)
    s.sendall(packet(b"E"))
    time.sleep(1)


def long_subject(s, qid, kind):
    text = "\u00e9" * 30000 if kind == "utf8" else "A" * 60000
    head(s, qid, b"[secure] " + text.encode())
    s.sendall(packet(b"E"))
    subject = None
    while True:
        cmd, data = read_packet(s)
        if cmd == b"m" and data[4:].split(b"\0")[0] == b"Subject":
            subject = data[4:].split(b"\0")[1].decode()
        elif cmd not in (b"h", b"m", b"b"):
            break
    print("REPLY=" + cmd.decode())
    print("SUBJECT=" + repr(subject))
    if subject is not None:
        print("FIELD=%d" % (len("Subject:" + subject) + subject.count("\n")))
        words = email.header.decode_header(subject.replace("\n ", " "))
        got = str(email.header.make_header(words))
        ok = got.endswith("\u2026") and len(got) > 1 and \
            text.startswith(got[:-1])
        print("TEXT=" + ("ok" if ok else "bad: " + repr(got[-20:])))


def main():
    path, qid, mode = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    if mode == "hangup":
        hangup(s, qid)
    else:
        long_subject(s, qid, sys.argv[4])
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
