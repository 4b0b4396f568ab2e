#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A local SMTP server that plays "the outside world" for tests.

Usage: smtp_capture.py PORT DIR
Listens on 127.0.0.1:PORT; each message accepted is written to
DIR/NNNN.eml, with the envelope in DIR/NNNN.env ("from ADDR" and one
"to ADDR" line per recipient).  Stops on SIGTERM.
"""
import os
import socketserver
import sys
import threading

LOCK = threading.Lock()
COUNT = [0]


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.send("220 capture ESMTP")
        env_from, rcpts = None, []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.send("250-capture\r\n250 8BITMIME")
            elif verb == "MAIL":
                env_from, rcpts = cmd.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                self.send("250 ok")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                self.send("250 ok")
            elif verb == "DATA":
                self.send("354 go on")
                data = []
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data.append(l)
                self.store(env_from, rcpts, b"".join(data))
                self.send("250 queued")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("250 ok")

    def store(self, env_from, rcpts, data):
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        base = os.path.join(sys.argv[2], "%04d" % n)
        with open(base + ".env.tmp", "w") as f:
            f.write("from %s\n" % env_from)
            for r in rcpts:
                f.write("to %s\n" % r)
        with open(base + ".eml", "wb") as f:
            f.write(data)
        os.rename(base + ".env.tmp", base + ".env")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    with Server(("127.0.0.1", port), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
