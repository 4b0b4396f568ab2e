#!/bin/bash
# SPDX-License-Identifier: MIT
# The portal's audit writer through a real nginx, with curl: the portal
# runs one writer beside its workers; every read is in the audit trail
# once, whether the writer answers, is killed and replaced, or is stuck
# (the worker then records the view itself, and the writer, woken, drops
# the late copy); and when no view can be recorded (the store is full)
# the page is refused and shows nothing of the message.  Everything runs
# on 127.0.0.1.
#
# Usage: portal_audit_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
SP_HTTP_PORT=${SP_HTTP_PORT:-25080}
SP_FCGI_PORT=${SP_FCGI_PORT:-25081}
SP_SMTP_PORT=${SP_SMTP_PORT:-25025}
. "$here/portal_env.sh"

trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; \
	cat "$SP_T/portal.log" "$SP_T/nginx/logs/error.log" 2>/dev/null; exit 1; }

# req NAME [curl args...]: headers to $SP_T/NAME.h, body to NAME.b; prints
# the status.
req() {
	name=$1
	shift
	sp_curl -s -o "$SP_T/$name.b" -D "$SP_T/$name.h" -w '%{http_code}' \
	    -c "$SP_T/jar" -b "$SP_T/jar" "$@"
}
# signin_to ID ADDR: a fresh session for ADDR on message ID; prints the
# status of the sign-in (303 when it worked).
signin_to() {
	rm -f "$SP_T/jar"
	req s0 "$SP_BASE/m/$1" >/dev/null
	c=$(csrf_of s0)
	n=$(mails)
	req s1 --data-urlencode "csrf=$c" --data-urlencode "addr=$2" \
	    "$SP_BASE/m/$1/code" >/dev/null
	wait_mail $((n + 1))
	req s2 --data-urlencode "csrf=$c" --data-urlencode "addr=$2" \
	    --data-urlencode "code=$(last_code "$2")" "$SP_BASE/m/$1/signin"
}
# The portal's children by name (the writer calls itself sealpost-audit).
children() { # NAME
	for p in $(pgrep -P "$SP_PORTAL_PID"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && echo "$p"
	done
}
views() { # ID: the "view" events of message ID in the audit trail
	portal_env_seal -a "$1" | grep -c "^view "
}
# wait_for COUNT CMD...: until CMD prints COUNT lines (5 s at most)
wait_for() {
	want=$1
	shift
	i=0
	while [ "$("$@" | wc -l)" != "$want" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# --- one writer beside the workers ---------------------------------------
check_eq "the portal runs one audit writer" "$(children sealpost-audit | wc -l)" 1
check_eq "and its two workers" "$(children sealpost-portal | wc -l)" 2

msg m1.eml alice@sender.test bob@rcpt.test 'Audit me' 'Every read counts.'
read -r ID _ < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test "$SP_T/m1.eml")
check_eq "bob signs in" "$(signin_to "$ID" bob@rcpt.test)" 303
check_eq "bob reads" "$(req r1 "$SP_BASE/m/$ID/read")" 200
check_has "the page shows the message" "$SP_T/r1.b" "Every read counts."
check_eq "the read is in the audit trail" "$(views "$ID")" 1
for k in 2 3 4 5 6; do req "r$k" "$SP_BASE/m/$ID/read" >/dev/null; done
check_eq "six reads, six views" "$(views "$ID")" 6

# --- the writer killed: replaced, and the read waits for the new one ------
W1=$(children sealpost-audit)
kill -KILL "$W1"
check_eq "a read while the writer is down" "$(req k1 "$SP_BASE/m/$ID/read")" 200
check_eq "it is in the audit trail" "$(views "$ID")" 7
wait_for 1 children sealpost-audit
W2=$(children sealpost-audit)
check_eq "a new writer took over" "$([ -n "$W2" ] && [ "$W2" != "$W1" ] && echo yes)" yes
check_has "the death is logged" "$SP_T/portal.log" "action=audit-writer-died pid=$W1"

# --- the writer stuck: the worker records the view itself, once ----------
kill -STOP "$W2"
t0=$(date +%s%N)
check_eq "a read while the writer is stuck" "$(req t1 "$SP_BASE/m/$ID/read")" 200
t1=$(date +%s%N)
check_eq "it waited for the writer first (3 s and the grace)" \
    "$([ $(((t1 - t0) / 1000000)) -ge 3000 ] && echo yes)" yes
check_has "the miss is logged" "$SP_T/portal.log" "action=audit-writer-missed"
check_eq "the worker recorded the view" "$(views "$ID")" 8
kill -CONT "$W2"
check_eq "the woken writer answers again" "$(req t2 "$SP_BASE/m/$ID/read")" 200
check_eq "the late copy was dropped: one view each" "$(views "$ID")" 9

# --- the HTML body is the message too: recorded before it is sent --------
printf 'From: alice@sender.test\r\nTo: bob@rcpt.test\r\nSubject: Audit my HTML\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Every HTML read counts.</p>\r\n' >"$SP_T/m3.eml"
read -r ID3 _ < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test "$SP_T/m3.eml")
check_eq "bob signs in to the HTML message" "$(signin_to "$ID3" bob@rcpt.test)" 303
check_eq "bob fetches its HTML body alone" "$(req h1 "$SP_BASE/m/$ID3/html")" 200
check_has "the frame shows the HTML body" "$SP_T/h1.b" "Every HTML read counts."
check_eq "the HTML body fetch is in the audit trail" \
    "$(portal_env_seal -a "$ID3" | grep -c '^view bob@rcpt.test html')" 1

# --- nothing shown that cannot be recorded --------------------------------
# A new store of 1 MiB at most, filled up after bob signed in.
kill "$SP_PORTAL_PID" 2>/dev/null
wait "$SP_PORTAL_PID" 2>/dev/null
check_has "the writer logs its figures when it stops" "$SP_T/portal.log" "late=1"
sed -i "s|^store_path = .*|store_path = $SP_T/small|" "$SP_T/sealpost.conf"
printf 'store_map_size = 1m\nstore_max_size = 1m\n' >>"$SP_T/sealpost.conf"
read -r ID2 _ < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test "$SP_T/m1.eml")
"$SP_BUILD/bin/sealpost-portal" -f -c "$SP_T/sealpost.conf" 2>>"$SP_T/portal.log" &
SP_PORTAL_PID=$!
portal_env_wait_port "$SP_FCGI_PORT"
check_eq "bob signs in to the message in the small store" "$(signin_to "$ID2" bob@rcpt.test)" 303
check_eq "and reads it" "$(req f1 "$SP_BASE/m/$ID2/read")" 200
# sealed fillers of shrinking size until none fits, then reads (each one
# an event) until one cannot be recorded
for size in 200000 20000 2000; do
	head -c $size /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$SP_T/filler"
	printf 'From: f@x.test\r\nSubject: filler\r\n\r\n' | cat - "$SP_T/filler" >"$SP_T/filler.eml"
	k=0
	while [ $k -lt 1000 ] && portal_env_seal -f f@x.test -t g@y.test "$SP_T/filler.eml" >/dev/null 2>&1; do
		k=$((k + 1))
	done
done
k=0
while [ $k -lt 2000 ] && [ "$(req f2 "$SP_BASE/m/$ID2/read")" = 200 ]; do
	k=$((k + 1))
done
check_eq "a read that cannot be recorded is refused" "$(req f2 "$SP_BASE/m/$ID2/read")" 503
check_lacks "and shows nothing of the message" "$SP_T/f2.b" "Every read counts."
check_has "it says to try again" "$SP_T/f2.b" "try again"
check_has "the failure is logged with what was refused" "$SP_T/portal.log" \
    "action=audit-failed event=view actor=bob@rcpt.test"
check_eq "a refused print too" "$(req f3 "$SP_BASE/m/$ID2/print")" 503
check_eq "the log does not say the refused print happened" \
    "$(grep -F "$ID2" "$SP_T/portal.log" | tail -1 | grep -o 'action=[a-z-]*')" \
    action=audit-failed

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
