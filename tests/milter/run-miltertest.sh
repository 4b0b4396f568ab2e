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
#     there is no key.
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
sp_milter_start
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

# -n checks config, rules and keys; a bad rules file is refused with
# its file and line.
if "$build/bin/sealpost-milter" -c "$SP_CONF" -n >"$tmp/n.out" 2>&1 &&
	grep -q "ok, 3 rules" "$tmp/n.out"; then
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
