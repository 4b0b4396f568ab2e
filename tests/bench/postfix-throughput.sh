#!/bin/bash
# SPDX-License-Identifier: MIT
# postfix-throughput.sh BUILD [COUNT] [SIZE]: delivered messages per second
# through a private Postfix on loopback (smtp-source, 10 sessions, into
# smtp-sink), without the milter, with the milter and mail no rule seals,
# and with the milter sealing every message.  Run by hand, as root, on a
# quiet machine (the numbers move a lot on a busy one).  Ports 20525-20527.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: postfix-throughput.sh BUILD [COUNT] [SIZE]}
count=${2:-600}
size=${3:-5000}
source "$here/../harness/sealpost-env.sh"
pfi=$here/../harness/postfix-instance.sh

tmp=$(mktemp -d /tmp/sealpost-bench.XXXXXX)
chmod 755 "$tmp"
smtp-sink -u postfix 127.0.0.1:20527 200 &
sink=$!
trap 'kill $sink 2>/dev/null; sp_milter_stop; "$pfi" stop "$tmp/pf"; rm -rf "$tmp"' EXIT

run() { # LABEL MILTER(yes|no) SUBJECT
	local m="" start end
	rm -rf "$tmp/pf"
	[ "$2" = yes ] && m="--milter $SP_SOCKET"
	# shellcheck disable=SC2086
	"$pfi" start "$tmp/pf" --smtp 20525 --exempt 20526 --relay 20527 $m
	start=$(date +%s.%N)
	smtp-source -s 10 -m "$count" -l "$size" -S "$3" -f a@example.org \
		-t b@example.com 127.0.0.1:20525
	while [ "$("$pfi" queue "$tmp/pf")" != 0 ]; do sleep 0.05; done
	end=$(date +%s.%N)
	printf '%-24s %8.1f msg/s\n' "$1" \
		"$(echo "$count / ($end - $start)" | bc -l)"
	"$pfi" stop "$tmp/pf"
}

sp_env_init "$tmp/sp" "$build"
sp_milter_start
run "no milter" no "hello"
run "milter, not sealed" yes "hello"
run "milter, sealed" yes "[secure] hello"
echo "sealed: $(grep -c action=sealed "$SP_ROOT/milter.log") of $count"
