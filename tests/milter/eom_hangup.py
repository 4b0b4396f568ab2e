#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A milter client (the MTA side of the milter protocol, version 6) that
sends a message a rule seals and stops reading before end of message, so
the milter's header and body changes cannot reach it: the milter's
"MTA refused a change" path.  miltertest cannot do that.

    eom_hangup.py SOCKET_PATH QID
Exits 0 when the milter answered every step up to end of message.
"""
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


def main():
    path, qid = sys.argv[1], sys.argv[2].encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    step(s, b"O", struct.pack(">III", 6, ACTIONS, PROTO), want=b"O")
    s.sendall(packet(b"D", b"M" + b"i\0" + qid + b"\0"))
    step(s, b"M", b"<ann@example.org>\0")
    step(s, b"R", b"<bob@example.com>\0")
    step(s, b"L", b"From\0 ann@example.org\0")
    step(s, b"L", b"Subject\0 [secure] hung up at the end\0")
    step(s, b"N", b"")
    step(s, b"B", b"a secret line\r\n")
    # No more reading: on a unix socket the milter's writes (its changes
    # at end of message) then fail with EPIPE, while it still reads E.
    s.shutdown(socket.SHUT_RD)
    s.sendall(packet(b"E"))
    time.sleep(1)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
