#!/bin/bash
# SPDX-License-Identifier: MIT
# run-miltertest.sh BUILD: runs the miltertest scripts of this folder
# against a real sealpost-milter (real store, keys and rules in a temp
# folder), and checks what they leave in the store with sealpostctl.
#   early accept at end of header for mail no rule seals;
#   header and body replacement for mail that is sealed, and the
#     sealed original exported byte for byte; every content header
#     deleted, however long its name;
#   several messages (and an aborted one) on one connection;
#   tempfail when the store is full, when it is unwritable, and when
#     there is no key; tempfail and no record left when the MTA cannot
#     take the changes (raw_client.py);
#   a subject too long for a header cut to 998 octets (raw_client.py);
#   one milter at a time (the pid file lock), -h, -n.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-miltertest.sh BUILD}
source "$here/../harness/sealpost-env.sh"
command -v miltertest >/dev/null || sp_die "miltertest is not installed"

tmp=$(mktemp -d /tmp/sealpost-mt.XXXXXX)
trap 'sp_milter_stop KILL; rm -rf "$tmp"' EXIT
fails=0

mt_run() { # SCRIPT
	miltertest -s "$here/$1" -D socket="$SP_SOCKET" -D srcdir="$here" \
		>"$tmp/$1.out" 2>&1
}

mt_run_d() { # SCRIPT NAME=VALUE
	miltertest -s "$here/$1" -D socket="$SP_SOCKET" -D srcdir="$here" \
		-D "$2" >"$tmp/last.out" 2>&1
}

case_pass() { echo "ok   $1"; }
case_fail() {
	echo "FAIL $1: $2"
	[ -f "$tmp/last.out" ] && sed 's/^/    /' "$tmp/last.out"
	fails=$((fails + 1))
}

run_case() { # NAME SCRIPT
	if mt_run "$2"; then
		cp "$tmp/$2.out" "$tmp/last.out"
		return 0
	fi
	cp "$tmp/$2.out" "$tmp/last.out"
	case_fail "$1" "miltertest failed; milter log: $(tail -3 "$SP_ROOT/milter.log")"
	return 1
}

# The original that seal_replace.lua sends, as the milter rebuilds it.
expected_original() {
	printf 'From: Ann <ann@example.org>\r\nTo: bob@example.com\r\n'
	printf 'Subject: [secure] quarterly numbers\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
	printf 'The secret line: revenue up 12%%.\r\nSecond secret line.\r\n'
}

sp_env_init "$tmp/ok" "$build"
sp_milter_start
if run_case early_accept early_accept.lua; then
	grep -q "QPASS1: action=pass" "$SP_ROOT/milter.log" &&
		case_pass "early accept at end of header" ||
		case_fail "early accept" "no action=pass log line"
fi
if run_case seal_replace seal_replace.lua; then
	id=$(sed -n 's/^ID=//p' "$tmp/last.out")
	if sp_ctl export "$id" >"$tmp/exported" 2>"$tmp/export.err" &&
		cmp -s "$tmp/exported" <(expected_original); then
		case_pass "headers and body replaced, original exported byte for byte"
		sp_ctl show "$id" >"$tmp/show.out" 2>&1
		grep -q "rule: *secure-tag" "$tmp/show.out" &&
			grep -q "sender: *ann@example.org" "$tmp/show.out" &&
			grep -q "export .*admin:" "$tmp/show.out" &&
			grep -q "reference: *[A-Z0-9]\{4\}-[A-Z0-9]\{4\}" "$tmp/show.out" &&
			case_pass "metadata (sender, rule, reference) and the export in the audit trail" ||
			case_fail "audit" "$(cat "$tmp/show.out")"
	else
		case_fail "seal and export" "export of $id differs: $(cat "$tmp/export.err")"
	fi
fi
run_case "long content header name" long_content_header.lua &&
	case_pass "a content header with a 300-character name is deleted"
if run_case several_messages several_messages.lua; then
	n=$(grep -c '^ID=' "$tmp/last.out")
	[ "$n" = 3 ] && case_pass "several messages on one connection" ||
		case_fail "several messages" "got $n sealed, want 3"
fi

# The MTA cannot take the changes at end of message (the client stops
# reading): tempfail, and the record just committed is withdrawn, not
# left listed (as purged or otherwise).
if python3 "$here/raw_client.py" "${SP_SOCKET#unix:}" QHANG1 hangup \
	>"$tmp/last.out" 2>&1; then
	for _ in $(seq 1 50); do
		grep -q "QHANG1: action=tempfail" "$SP_ROOT/milter.log" && break
		sleep 0.1
	done
	hid=$(sed -n 's/.*QHANG1: action=tempfail id=\([^ ]*\) .*refused a change.*/\1/p' \
		"$SP_ROOT/milter.log")
	sp_ctl list >"$tmp/list.out" 2>&1
	if [ -n "$hid" ] && grep -q "^ID " "$tmp/list.out" &&
		! grep -q -- "$hid" "$tmp/list.out"; then
		case_pass "changes refused at end of message: tempfail, no record left"
	else
		case_fail "refused changes" "id '$hid' listed or no tempfail: $(cat "$tmp/list.out")"
	fi
else
	case_fail "refused changes" "raw_client.py: $(cat "$tmp/last.out")"
fi

# A tagged subject too long for a replacement header (about 60 KB, the
# most the milter protocol carries) is sealed: the notification's
# Subject is cut to a field of at most 998 octets, at a character
# boundary, with an ellipsis.
for kind in ascii utf8; do
	python3 "$here/raw_client.py" "${SP_SOCKET#unix:}" QLONG1 long-subject \
		"$kind" >"$tmp/last.out" 2>&1 || true
	field=$(sed -n 's/^FIELD=//p' "$tmp/last.out")
	if grep -q "^REPLY=c$" "$tmp/last.out" && grep -q "^TEXT=ok$" "$tmp/last.out" &&
		[ "${field:-0}" -le 998 ] && [ "${field:-0}" -ge 900 ]; then
		case_pass "a 60 KB $kind subject: sealed, Subject cut to $field octets"
	else
		case_fail "long $kind subject" "field ${field:-none}, want 900 to 998"
	fi
done

# A second milter refuses to start while the first runs (the pid file
# is locked), before it touches the socket: the first keeps serving.
sock=${SP_SOCKET#unix:}
ino=$(stat -c %i "$sock")
rc=0
timeout 10 "$SP_BUILD/bin/sealpost-milter" -c "$SP_CONF" -f \
	>"$tmp/second.out" 2>&1 || rc=$?
cp "$tmp/second.out" "$tmp/last.out"
if [ "$rc" = 1 ] &&
	grep -q "already running (pid $SP_MILTER_PID," "$tmp/second.out" &&
	[ "$(stat -c %i "$sock" 2>/dev/null)" = "$ino" ] &&
	[ "$(cat "$SP_ROOT/run/milter.pid")" = "$SP_MILTER_PID" ] &&
	run_case "second milter refused" early_accept.lua; then
	case_pass "a second milter refuses to start; the first keeps its socket"
else
	case_fail "second milter" "exit $rc, want 1, or socket or pid file changed"
fi

# SIGHUP: a good rules file is swapped in (mail to newrule.example is
# then sealed); a bad one is refused and the old rules stay.
printf '\nrule added {\n\tmatch rcpt-domain newrule.example\n\tencrypt confidential\n}\n' \
	>>"$SP_ROOT/etc/rules"
kill -HUP "$SP_MILTER_PID"
for _ in $(seq 1 50); do
	grep -q "action=reloaded rules=4" "$SP_ROOT/milter.log" && break
	sleep 0.1
done
grep -q "action=reloaded rules=4" "$SP_ROOT/milter.log" &&
	kill -0 "$SP_MILTER_PID" &&
	case_pass "SIGHUP reloads the rules, the milter keeps running" ||
	case_fail "SIGHUP reload" "no action=reloaded rules=4"
echo 'rule broken { match nonsense' >>"$SP_ROOT/etc/rules"
kill -HUP "$SP_MILTER_PID"
for _ in $(seq 1 50); do
	grep -q "action=reload-failed kept" "$SP_ROOT/milter.log" && break
	sleep 0.1
done
if grep -q "action=reload-failed kept" "$SP_ROOT/milter.log" &&
	run_case "bad reload keeps old rules" early_accept.lua &&
	run_case "bad reload keeps old rules" seal_replace.lua; then
	case_pass "a bad rules file on SIGHUP is refused, the old rules stay"
else
	case_fail "bad reload" "old rules not kept (see log)"
fi
if run_case "header section over the cap" huge_header.lua &&
	grep -q 'QHUGE1: action=tempfail .*header section too large' \
		"$SP_ROOT/milter.log"; then
	case_pass "header section over the cap: tempfail, logged"
fi
sp_milter_stop

# Limits: a permanent refusal, logged, for a message over
# max_message_size and for one with more than max_recipients.
sp_env_init "$tmp/limits" "$build"
sp_conf_set max_message_size 4k
sp_conf_set max_recipients 3
# A stale pid file (naming a live process that is no milter) is taken
# over: only the lock counts.
echo $$ >"$SP_ROOT/run/milter.pid"
sp_milter_start
[ "$(cat "$SP_ROOT/run/milter.pid")" = "$SP_MILTER_PID" ] &&
	case_pass "a stale pid file is taken over" ||
	case_fail "stale pid file" "pid file: $(cat "$SP_ROOT/run/milter.pid"), want $SP_MILTER_PID"
if mt_run_d reject.lua nrcpt=1 &&
	grep -q "QREJ1: action=reject reason=too-big" "$SP_ROOT/milter.log"; then
	case_pass "over max_message_size: 552, logged"
else
	case_fail "too big" "no reject or no log line"
fi
if mt_run_d reject.lua nrcpt=4 &&
	grep -q "QREJ1: action=reject reason=too-many-recipients" \
		"$SP_ROOT/milter.log"; then
	case_pass "over max_recipients: 550, logged"
else
	case_fail "too many recipients" "no reject or no log line"
fi
sp_milter_stop

# Detached (no -f): the lock survives daemon()'s fork, the pid file
# names the daemon, and a second start is refused.
rm -f "$SP_ROOT/run/milter.pid"
"$build/bin/sealpost-milter" -c "$SP_CONF" >"$tmp/daemon.out" 2>&1 || true
for _ in $(seq 1 50); do
	[ -s "$SP_ROOT/run/milter.pid" ] && sp_socket_ready && break
	sleep 0.1
done
dpid=$(cat "$SP_ROOT/run/milter.pid" 2>/dev/null || echo 0)
rc=0
timeout 10 "$build/bin/sealpost-milter" -c "$SP_CONF" -f \
	>"$tmp/last.out" 2>&1 || rc=$?
if [ "$dpid" -gt 1 ] && kill -0 "$dpid" 2>/dev/null && [ "$rc" = 1 ] &&
	grep -q "already running (pid $dpid," "$tmp/last.out"; then
	case_pass "a detached milter holds the pid file lock"
else
	case_fail "detached milter" "pid $dpid, second start exit $rc, want 1"
fi
if [ "$dpid" -gt 1 ]; then
	kill "$dpid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
fi
[ -e "$SP_ROOT/run/milter.pid" ] &&
	case_fail "pid file after stop" "still there" ||
	case_pass "the pid file is removed on a clean stop"

# -h: usage on stdout, exit 0; an unknown option: usage, exit 78.
rc=0
"$build/bin/sealpost-milter" -h >"$tmp/last.out" 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -q "^usage: sealpost-milter" "$tmp/last.out" &&
	case_pass "-h prints the usage, exit 0" ||
	case_fail "-h" "exit $rc, want 0"
rc=0
"$build/bin/sealpost-milter" -x >"$tmp/last.out" 2>&1 || rc=$?
[ "$rc" = 78 ] && grep -q "^usage: sealpost-milter" "$tmp/last.out" &&
	case_pass "an unknown option: usage, exit 78" ||
	case_fail "unknown option" "exit $rc, want 78"

# -n checks config, rules and keys; a bad rules file is refused with
# its file and line.
if "$build/bin/sealpost-milter" -c "$SP_CONF" -n >"$tmp/n.out" 2>&1 &&
	grep -q "^$SP_CONF: config OK, 3 rules" "$tmp/n.out"; then
	case_pass "-n accepts a good config"
else
	case_fail "-n good" "$(cat "$tmp/n.out")"
fi
echo 'rule bad {' >>"$SP_ROOT/etc/rules"
rc=0
"$build/bin/sealpost-milter" -c "$SP_CONF" -n >"$tmp/n.out" 2>&1 || rc=$?
if [ "$rc" = 78 ] && grep -q "rules:[0-9]*:" "$tmp/n.out"; then
	case_pass "-n refuses a bad rules file, naming file and line"
else
	case_fail "-n bad" "exit $rc: $(cat "$tmp/n.out")"
fi

# No key: everything else works, sealing tempfails.
sp_env_init "$tmp/nokey" "$build"
rm -f "$SP_ROOT"/keys/*
if "$build/bin/sealpost-milter" -c "$SP_CONF" -n >"$tmp/n.out" 2>&1 &&
	grep -q "warning: .*tempfailed" "$tmp/n.out"; then
	case_pass "-n without a key: a warning, exit 0"
else
	case_fail "-n without a key" "$(cat "$tmp/n.out")"
fi
sp_milter_start
tempfail_case() { # NAME
	if run_case "$1" tempfail.lua; then
		grep -q "QFAIL1: action=tempfail" "$SP_ROOT/milter.log" &&
			case_pass "$1: tempfail, logged" ||
			case_fail "$1" "no action=tempfail log line"
	fi
}

tempfail_case "no key"
run_case "no key, pass" early_accept.lua &&
	case_pass "mail not sealed still passes without a key"
sp_milter_stop

# Store full: a map that cannot grow past a small cap.
sp_env_init "$tmp/full" "$build"
sp_conf_set store_map_size 1m
sp_conf_set store_max_size 1m
sp_milter_start
tempfail_case "store full"
sp_milter_stop

# Store unwritable: the milter runs as nobody, the store is root's.
if id nobody >/dev/null 2>&1; then
	sp_env_init "$tmp/ro" "$build"
	sp_conf_set milter_user nobody
	chmod 755 "$SP_ROOT/store"
	chmod 644 "$SP_ROOT"/keys/*.pk
	chmod 755 "$SP_ROOT/keys"
	sp_milter_start
	tempfail_case "store unwritable"
	sp_milter_stop
fi

[ "$fails" = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all miltertest cases passed"
