#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads the running counters that `smtp-sink -c` writes to a file.

    sink_count.py FILE            print the messages received so far
    sink_count.py FILE TARGET     wait until TARGET messages have been
                                  received, then print the wall-clock
                                  time (seconds since the epoch) at which
                                  the count was seen; exit 1 after 600 s

smtp-sink rewrites one line ("sess=S quit=Q mesg=M", ended by CR) after
every message, so only the last counter in the file matters.  The file
is polled every millisecond, reading only what was appended.
"""
import re
import sys
import time

COUNTER = re.compile(rb"mesg=(\d+)[\r\n]")


def last_count(tail):
    found = COUNTER.findall(tail)
    return int(found[-1]) if found else 0


def main():
    path = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else None
    deadline = time.monotonic() + 600
    tail = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read()
            if chunk:
                tail = (tail + chunk)[-128:]
            count = last_count(tail)
            if target is None:
                print(count)
                return 0
            if count >= target:
                print(f"{time.time():.6f}")
                return 0
            if time.monotonic() > deadline:
                print(f"sink_count: {count} of {target}", file=sys.stderr)
                return 1
            if not chunk:
                time.sleep(0.001)


if __name__ == "__main__":
    sys.exit(main())
