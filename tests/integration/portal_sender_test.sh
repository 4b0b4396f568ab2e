#!/bin/bash
# SPDX-License-Identifier: MIT
# The sender's pages of the portal (/sent) through a real nginx, with
# curl: passcode sign-in with the same answer for strangers, the list of
# the sender's messages and only theirs with what recipients did,
# revocation for everyone and for one recipient, a shorter and a longer
# expiry, the refusals (CSRF, foreign Origin, someone else's message, an
# expiry past max_expire), and recipients already signed in seeing each
# change at their next request.  Everything runs on 127.0.0.1.
#
# Usage: portal_sender_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
SP_HTTP_PORT=${SP_HTTP_PORT:-24080}
SP_FCGI_PORT=${SP_FCGI_PORT:-24081}
SP_SMTP_PORT=${SP_SMTP_PORT:-24025}
. "$here/portal_env.sh"

trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; \
	cat "$SP_T/portal.log" "$SP_T/nginx/logs/error.log" 2>/dev/null; exit 1; }

# req JAR NAME [curl args...]: the answer's headers to NAME.h, body to
# NAME.b, cookies in jar.JAR; prints the status.
req() {
	jar=$1 name=$2
	shift 2
	sp_curl -s -o "$SP_T/$name.b" -D "$SP_T/$name.h" -w '%{http_code}' \
	    -c "$SP_T/jar.$jar" -b "$SP_T/jar.$jar" "$@"
}
newest_mail_to() { # ADDR
	f=$(grep -il "^to $1\$" "$SP_T"/mail/*.env 2>/dev/null | sort | tail -1)
	[ -n "$f" ] && echo "${f%.env}.eml"
}
# rcpt_signin JAR ID ADDR: a recipient signs in to message ID
rcpt_signin() {
	req "$1" "$1-land" "$SP_BASE/m/$2" >/dev/null
	c=$(csrf_of "$1-land")
	n=$(mails)
	req "$1" "$1-code" --data-urlencode "csrf=$c" --data-urlencode "addr=$3" \
	    "$SP_BASE/m/$2/code" >/dev/null
	wait_mail $((n + 1))
	code=$(grep -o 'protected message: [0-9]\{8\}' "$(newest_mail_to "$3")" |
		grep -o '[0-9]*$')
	req "$1" "$1-in" --data-urlencode "csrf=$c" --data-urlencode "addr=$3" \
	    --data-urlencode "code=$code" "$SP_BASE/m/$2/signin"
}
# sent_post NAME PATH [curl args...]: a POST of alice's sender session
sent_post() {
	name=$1 path=$2
	shift 2
	req alice "$name" --data-urlencode "csrf=$SCSRF" "$@" "$SP_BASE$path"
}

# --- messages: two from alice, one from someone else ----------------------
msg m1.eml alice@sender.test bob@rcpt.test 'Plans' 'The plans are ready.'
read -r ID1 REF1 < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test \
    -t Carol@Rcpt.test "$SP_T/m1.eml")
msg m2.eml alice@sender.test dave@rcpt.test 'Budget' 'The budget.'
read -r ID2 REF2 < <(portal_env_seal -e 86400 -f alice@sender.test \
    -t dave@rcpt.test "$SP_T/m2.eml")
msg m3.eml zed@other.test bob@rcpt.test 'Other' 'Not alice.'
read -r ID3 REF3 < <(portal_env_seal -f zed@other.test -t bob@rcpt.test \
    "$SP_T/m3.eml")

check_eq "bob signs in to the first message" "$(rcpt_signin bob "$ID1" bob@rcpt.test)" 303
check_eq "bob reads it" "$(req bob b1 "$SP_BASE/m/$ID1/read")" 200
check_eq "carol signs in" "$(rcpt_signin carol "$ID1" carol@rcpt.test)" 303
check_eq "carol reads it" "$(req carol c1 "$SP_BASE/m/$ID1/read")" 200
check_eq "dave signs in to the second message" "$(rcpt_signin dave "$ID2" dave@rcpt.test)" 303
check_eq "dave reads it" "$(req dave d1 "$SP_BASE/m/$ID2/read")" 200

# --- sender sign-in --------------------------------------------------------
check_eq "the sender page answers 200" "$(req alice s0 "$SP_BASE/sent")" 200
check_has "it asks for an address" "$SP_T/s0.b" 'action="/sent/code"'
CSRF=$(csrf_of s0)
n=$(mails)
t0=$(date +%s%N)
s1=$(req alice s1 --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=Alice@Sender.test "$SP_BASE/sent/code")
t1=$(date +%s%N)
s2=$(req alice s2 --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=nobody@nowhere.test "$SP_BASE/sent/code")
t2=$(date +%s%N)
check_eq "code request: sender and stranger get the same status" "$s1/$s2" 200/200
sed 's/Alice@Sender.test/ADDR/g' "$SP_T/s1.b" >"$SP_T/e1"
sed 's/nobody@nowhere.test/ADDR/g' "$SP_T/s2.b" >"$SP_T/e2"
cmp -s "$SP_T/e1" "$SP_T/e2" && ok "code request: the same page for both" ||
	bad "code request: the same page for both" "$(diff "$SP_T/e1" "$SP_T/e2")"
d1=$(((t1 - t0) / 1000000)); d2=$(((t2 - t1) / 1000000))
[ "$d1" -ge 400 ] && [ "$d2" -ge 400 ] &&
	ok "code requests take the fixed minimum (${d1}/${d2} ms)" ||
	bad "code requests take the fixed minimum" "${d1}/${d2} ms"
wait_mail $((n + 1))
sleep 0.3
check_eq "one mail: to the sender only" "$(mails)" $((n + 1))
SMAIL=$(newest_mail_to Alice@Sender.test)
check_has "the sender's code mail says what it is for" "$SMAIL" "messages you sent"
check_lacks "the sender's code mail holds no link" "$SMAIL" "$SP_BASE"
SCODE=$(grep -o 'messages you sent: [0-9]\{8\}' "$SMAIL" | grep -o '[0-9]*$')
check_eq "the sender's code has 8 digits" "${#SCODE}" 8

check_eq "a wrong sender code is refused" "$(req alice s3 --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=alice@sender.test --data-urlencode code=00000000 \
    "$SP_BASE/sent/signin")" 403
check_eq "the right code signs the sender in" "$(req alice s6 --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=alice@sender.test --data-urlencode "code=$SCODE" \
    "$SP_BASE/sent/signin")" 303
check_has "sign-in leads to the list" "$SP_T/s6.h" "Location: /sent"
check_has "the sender session has its own cookie" "$SP_T/s6.h" "sp_sent="
check_eq "a sender session opens no message" "$(req alice s7 "$SP_BASE/m/$ID1/read")" 303

# --- the list ---------------------------------------------------------------
check_eq "the list answers 200" "$(req alice l1 "$SP_BASE/sent")" 200
check_has "the list shows the first message" "$SP_T/l1.b" "$REF1"
check_has "the list shows the second message" "$SP_T/l1.b" "$REF2"
check_lacks "the list hides another sender's message" "$SP_T/l1.b" "$REF3"
check_lacks "the list shows no content" "$SP_T/l1.b" "plans are ready"
grep -A3 'data-rcpt="bob@rcpt.test"' "$SP_T/l1.b" >"$SP_T/l1.bob"
check_has "the list says bob opened it" "$SP_T/l1.bob" "(1 view)"
grep -A3 'data-rcpt="dave@rcpt.test"' "$SP_T/l1.b" >"$SP_T/l1.dave"
check_has "the list says dave opened his" "$SP_T/l1.dave" "(1 view)"
SCSRF=$(csrf_of l1)

# --- refusals ------------------------------------------------------------
check_eq "a wrong CSRF token is refused" "$(req alice r1 --data-urlencode csrf=x \
    "$SP_BASE/sent/$ID1/revoke")" 403
check_eq "the pre-session token is refused" "$(req alice r2 --data-urlencode "csrf=$CSRF" \
    "$SP_BASE/sent/$ID1/revoke")" 403
check_eq "a foreign Origin is refused" "$(sent_post r3 "/sent/$ID1/revoke" \
    -H 'Origin: http://evil.test')" 403
check_eq "a cross-site request is refused" "$(sent_post r4 "/sent/$ID1/revoke" \
    -H 'Sec-Fetch-Site: cross-site')" 403
check_eq "a trailing slash is no page" "$(req alice r13 "$SP_BASE/sent/")" 404
check_eq "a malformed id is no page" "$(sent_post r14 /sent/short/revoke)" 404
check_eq "an unknown action is no page" "$(sent_post r15 "/sent/$ID1/delete")" 404
check_eq "GET does not revoke" "$(req alice r5 "$SP_BASE/sent/$ID1/revoke")" 405
check_eq "bob still reads after the refusals" "$(req bob b2 "$SP_BASE/m/$ID1/read")" 200
check_eq "another sender's message cannot be revoked" "$(sent_post r6 "/sent/$ID3/revoke")" 404
check_eq "an unknown message cannot be revoked" \
    "$(sent_post r7 /sent/AAAAAAAAAAAAAAAAAAAAAA/revoke)" 404
check_eq "only a recipient can be revoked" "$(sent_post r8 "/sent/$ID1/revoke" \
    --data-urlencode rcpt=mallory@evil.test)" 400
check_eq "an expiry past max_expire is refused" "$(sent_post r9 "/sent/$ID2/expire" \
    --data-urlencode when=+400d)" 400
check_eq "a bad date is refused" "$(sent_post r10 "/sent/$ID2/expire" \
    --data-urlencode when=soon)" 400
check_eq "without a session a change is refused" "$(req eve r11 --data-urlencode "csrf=$SCSRF" \
    "$SP_BASE/sent/$ID1/revoke")" 403

# --- revoke for one recipient, then for everyone ----------------------------
check_eq "revoke for carol" "$(sent_post v1 "/sent/$ID1/revoke" \
    --data-urlencode rcpt=carol@rcpt.test)" 303
check_eq "carol, signed in, is refused at once" "$(req carol c2 "$SP_BASE/m/$ID1/read")" 410
check_has "carol sees why" "$SP_T/c2.b" "withdrew this message for carol@rcpt.test"
check_eq "carol cannot download either" "$(req carol c3 "$SP_BASE/m/$ID1/att/0")" 410
check_eq "bob still reads" "$(req bob b3 "$SP_BASE/m/$ID1/read")" 200
n=$(mails)
req carol c4 "$SP_BASE/m/$ID1" >/dev/null
req carol c5 --data-urlencode "csrf=$(csrf_of c4)" --data-urlencode addr=carol@rcpt.test \
    "$SP_BASE/m/$ID1/code" >/dev/null
sleep 0.5
check_eq "carol gets no new code" "$(mails)" "$n"
req alice l2 "$SP_BASE/sent" >/dev/null
grep -A6 'data-rcpt="Carol@Rcpt.test"' "$SP_T/l2.b" >"$SP_T/l2.carol"
check_has "the list shows carol withdrawn" "$SP_T/l2.carol" "withdrawn"
"$SP_BUILD/bin/sealpostctl" -c "$SP_T/sealpost.conf" show "$ID1" >"$SP_T/show1" 2>&1
check_has "sealpostctl show marks carol revoked" "$SP_T/show1" "Carol@Rcpt.test (revoked)"
check_has "sealpostctl show keeps bob readable" "$SP_T/show1" "$(printf 'recipient:  bob@rcpt.test\n')"
check_lacks "sealpostctl show does not mark bob" "$SP_T/show1" "bob@rcpt.test (revoked)"

check_eq "revoke for everyone" "$(sent_post v2 "/sent/$ID1/revoke")" 303
check_eq "bob, signed in, is refused at once" "$(req bob b4 "$SP_BASE/m/$ID1/read")" 410
check_has "bob sees the withdrawn page" "$SP_T/b4.b" "The sender withdrew this message on"
check_eq "revoking again is refused" "$(sent_post v3 "/sent/$ID1/revoke")" 410
req alice l3 "$SP_BASE/sent" >/dev/null
grep -A6 "data-ref=\"$REF1\"" "$SP_T/l3.b" >"$SP_T/l3.m1"
check_has "the list shows the message withdrawn" "$SP_T/l3.m1" '<dd class="state">withdrawn</dd>'

# --- expiry: shorter, then longer ------------------------------------------
check_eq "extend the expiry" "$(sent_post x1 "/sent/$ID2/expire" --data-urlencode when=+30d)" 303
req alice l4 "$SP_BASE/sent" >/dev/null
want=$(date -u -d '+30 days' +%Y-%m-%d)
grep -A6 "data-ref=\"$REF2\"" "$SP_T/l4.b" >"$SP_T/l4.m2"
check_has "the list shows the new expiry" "$SP_T/l4.m2" "<dd class=\"expires\">$want"
check_eq "dave still reads" "$(req dave d2 "$SP_BASE/m/$ID2/read")" 200
check_eq "shorten the expiry to now" "$(sent_post x2 "/sent/$ID2/expire" --data-urlencode when=now)" 303
check_eq "dave, signed in, is refused at once" "$(req dave d3 "$SP_BASE/m/$ID2/read")" 410
check_has "dave sees the expired page" "$SP_T/d3.b" "This message expired on"
check_eq "an expired message can be given a later expiry" \
    "$(sent_post x3 "/sent/$ID2/expire" --data-urlencode when=+1d)" 303
check_eq "dave reads again" "$(req dave d4 "$SP_BASE/m/$ID2/read")" 200

# --- the audit trail -----------------------------------------------------
portal_env_seal -a "$ID1" >"$SP_T/audit1"
check_has "audit: revoke for one" "$SP_T/audit1" "revoke alice@sender.test rcpt=carol@rcpt.test"
check_has "audit: revoke for all" "$SP_T/audit1" "revoke alice@sender.test all"
portal_env_seal -a "$ID2" >"$SP_T/audit2"
check_has "audit: expiry change" "$SP_T/audit2" "expire alice@sender.test expires="
portal_env_seal -a "" >"$SP_T/audit0"
check_has "audit: sender sign-in" "$SP_T/audit0" "sent-signin alice@sender.test"
check_has "audit: sender wrong code" "$SP_T/audit0" "sent-signin-failed alice@sender.test reason=wrong-code"
check_lacks "audit holds no code" "$SP_T/audit0" "$SCODE"

# --- logout ---------------------------------------------------------------
check_eq "sign out" "$(sent_post o1 /sent/logout)" 200
check_eq "after sign-out the page asks for an address" "$(req alice o2 "$SP_BASE/sent")" 200
check_has "it is the address form" "$SP_T/o2.b" 'action="/sent/code"'

missing=""
for h in "$SP_T"/*.h; do
	for want in 'Content-Security-Policy:' 'X-Content-Type-Options: nosniff' \
	    'Referrer-Policy: no-referrer' 'Cache-Control: no-store'; do
		grep -qiF -- "$want" "$h" || missing="$missing $(basename "$h"):$want"
	done
done
check_eq "security headers on every answer" "$missing" ""

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
