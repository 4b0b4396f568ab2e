#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP flows of the portal through a real nginx, with curl: sign-in,
# reading, download, reply, and the refusals (enumeration, brute force,
# CSRF, expired and revoked messages).  Everything runs on 127.0.0.1.
#
# Usage: portal_http_test.sh BUILD_DIR SOURCE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/portal_env.sh"

trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; \
	cat "$SP_T/portal.log" "$SP_T/nginx/logs/error.log" 2>/dev/null; exit 1; }

n=0
# req NAME [curl args...]: headers to $SP_T/NAME.h, body to NAME.b; prints
# the status.  Every answer is checked for the security headers later.
req() {
	name=$1
	shift
	sp_curl -s -o "$SP_T/$name.b" -D "$SP_T/$name.h" -w '%{http_code}' \
	    -c "$SP_T/jar" -b "$SP_T/jar" "$@"
}
code_req() { # NAME ID ADDR CSRF: POST /code
	req "$1" --data-urlencode "csrf=$4" --data-urlencode "addr=$3" \
	    "$SP_BASE/m/$2/code"
}
signin() { # NAME ID ADDR CODE CSRF
	req "$1" --data-urlencode "csrf=$5" --data-urlencode "addr=$3" \
	    --data-urlencode "code=$4" "$SP_BASE/m/$2/signin"
}

# --- sign-in and reading -------------------------------------------------
msg m1.eml 'Alice <alice@sender.test>' bob@rcpt.test 'Quarterly numbers' \
    'Hello Bob, the numbers are in.'
read -r ID REF < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test \
    -t carol@rcpt.test "$SP_T/m1.eml")

check_eq "landing answers 200" "$(req land "$SP_BASE/m/$ID")" 200
check_has "landing names the sender" "$SP_T/land.b" alice@sender.test
check_has "landing shows the reference code" "$SP_T/land.b" "$REF"
check_has "page CSP allows the logo's origin for images" "$SP_T/land.h" \
    "img-src 'self' data: $SP_BASE;"
check_has "landing sets a pre-session cookie" "$SP_T/land.h" "HttpOnly; SameSite=Strict"
CSRF=$(csrf_of land)

before=$(mails)
check_eq "code request for a recipient answers 200" \
    "$(code_req code1 "$ID" bob@rcpt.test "$CSRF")" 200
wait_mail $((before + 1))
CODE=$(last_code bob@rcpt.test)
check_eq "a code mail arrived" "${#CODE}" 8
cf=$(grep -l "^to bob@rcpt.test\$" "$SP_T"/mail/*.env | sort | tail -1)
check_has "code mail names the reference" "${cf%.env}.eml" "$REF"
check_has "code mail names the sender" "${cf%.env}.eml" alice@sender.test
check_lacks "code mail holds no link to the portal" "${cf%.env}.eml" "$SP_BASE"
check_lacks "code mail holds no sign-in path" "${cf%.env}.eml" "/m/"

check_eq "a wrong code is refused" \
    "$(signin wrong1 "$ID" bob@rcpt.test 00000000 "$CSRF")" 403
check_eq "the right code signs in" \
    "$(signin in1 "$ID" bob@rcpt.test "$CODE" "$CSRF")" 303
check_has "sign-in redirects to the message" "$SP_T/in1.h" "Location: /m/$ID/read"
check_has "session cookie is HttpOnly and SameSite=Strict" "$SP_T/in1.h" \
    "sp_session="
grep -i '^set-cookie: sp_session=' "$SP_T/in1.h" | grep -q 'HttpOnly; SameSite=Strict' &&
	ok "session cookie flags" || bad "session cookie flags" "$(grep -i set-cookie "$SP_T/in1.h")"
check_eq "read page answers 200" "$(req read1 "$SP_BASE/m/$ID/read")" 200
check_has "read page shows the subject" "$SP_T/read1.b" "Quarterly numbers"
check_has "read page shows the body" "$SP_T/read1.b" "the numbers are in"

cp "$SP_T/jar" "$SP_T/jar.bob"
rm -f "$SP_T/jar"
check_eq "a code works once" \
    "$(signin reuse "$ID" bob@rcpt.test "$CODE" "$CSRF")" 403
check_eq "without a session the read page redirects" \
    "$(req anon "$SP_BASE/m/$ID/read")" 303

# --- enumeration: the same answer, the same time -------------------------
req land2 "$SP_BASE/m/$ID" >/dev/null
CSRF=$(csrf_of land2)
t0=$(date +%s%N)
s1=$(code_req enum_rcpt "$ID" carol@rcpt.test "$CSRF")
t1=$(date +%s%N)
s2=$(code_req enum_other "$ID" mallory@evil.test "$CSRF")
t2=$(date +%s%N)
s3=$(code_req enum_none "AAAAAAAAAAAAAAAAAAAAAA" mallory@evil.test "$CSRF")
t3=$(date +%s%N)
check_eq "recipient and stranger get the same status" "$s1/$s2" 200/200
check_eq "unknown message gets the same status" "$s3" 200
sed 's/carol@rcpt.test/ADDR/g' "$SP_T/enum_rcpt.b" >"$SP_T/e1"
sed 's/mallory@evil.test/ADDR/g' "$SP_T/enum_other.b" >"$SP_T/e2"
sed 's/mallory@evil.test/ADDR/g; s/AAAAAAAAAAAAAAAAAAAAAA/'"$ID"'/g' \
    "$SP_T/enum_none.b" >"$SP_T/e3"
cmp -s "$SP_T/e1" "$SP_T/e2" && ok "recipient and stranger get the same page" ||
	bad "recipient and stranger get the same page" "$(diff "$SP_T/e1" "$SP_T/e2")"
cmp -s "$SP_T/e1" "$SP_T/e3" && ok "unknown message gets the same page" ||
	bad "unknown message gets the same page" "$(diff "$SP_T/e1" "$SP_T/e3")"
d1=$(((t1 - t0) / 1000000)); d2=$(((t2 - t1) / 1000000)); d3=$(((t3 - t2) / 1000000))
for d in $d1 $d2 $d3; do
	[ "$d" -ge 400 ] || bad "code answers take the fixed minimum" "${d} ms"
done
diff12=$((d1 > d2 ? d1 - d2 : d2 - d1)); diff13=$((d1 > d3 ? d1 - d3 : d3 - d1))
[ $diff12 -lt 200 ] && [ $diff13 -lt 200 ] && ok "code answers take the same time (${d1}/${d2}/${d3} ms)" ||
	bad "code answers take the same time" "${d1}/${d2}/${d3} ms"
sleep 0.5
if grep -q '^to mallory@evil.test$' "$SP_T"/mail/*.env; then
	bad "no mail goes to a stranger" "a mail was sent"
else
	ok "no mail goes to a stranger"
fi
check_eq "unknown message landing is 404" "$(req land404 "$SP_BASE/m/AAAAAAAAAAAAAAAAAAAAAA")" 404

# --- brute force -----------------------------------------------------------
msg m2.eml dave@sender.test erin@rcpt.test 'Brute' 'Guess me.'
read -r ID2 REF2 < <(portal_env_seal -f dave@sender.test -t erin@rcpt.test "$SP_T/m2.eml")
req land3 "$SP_BASE/m/$ID2" >/dev/null
CSRF=$(csrf_of land3)
before=$(mails)
code_req bf0 "$ID2" erin@rcpt.test "$CSRF" >/dev/null
wait_mail $((before + 1))
CODE2=$(last_code erin@rcpt.test)
WRONG=$(printf '%08d' $(((10#$CODE2 + 1) % 100000000)))
for i in 1 2 3; do signin bf$i "$ID2" erin@rcpt.test "$WRONG" "$CSRF" >/dev/null; done
# a new code must not reset the count of wrong tries
before=$(mails)
code_req bfr "$ID2" erin@rcpt.test "$CSRF" >/dev/null
wait_mail $((before + 1))
CODE2=$(last_code erin@rcpt.test)
WRONG=$(printf '%08d' $(((10#$CODE2 + 1) % 100000000)))
s4=$(signin bf4 "$ID2" erin@rcpt.test "$WRONG" "$CSRF")
s5=$(signin bf5 "$ID2" erin@rcpt.test "$WRONG" "$CSRF")
check_eq "the 5th wrong try is still a wrong try" "$s4/$s5" 403/403
check_eq "the 6th try is refused even with the right code" \
    "$(signin bf6 "$ID2" erin@rcpt.test "$CODE2" "$CSRF")" 429
check_has "the refusal says why" "$SP_T/bf6.b" "Too many wrong codes"

# 10 codes per recipient per hour; the 11th is refused, for any address
for i in 1 2 3 4 5 6 7 8 9 10; do
	s=$(code_req rl$i "$ID" frank@rate.test "$CSRF")
	[ "$s" = 200 ] || bad "codes 1-10 in an hour are given" "code $i: $s"
done
check_eq "the 11th code in an hour is refused" \
    "$(code_req rl11 "$ID" frank@rate.test "$CSRF")" 429

# --- CSRF ------------------------------------------------------------------
check_eq "code request without a token is refused" \
    "$(req c1 --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403
check_eq "code request with a wrong token is refused" \
    "$(code_req c2 "$ID" bob@rcpt.test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)" 403
check_eq "a cross-origin post is refused" \
    "$(req c3 -H 'Origin: http://evil.test' --data-urlencode "csrf=$CSRF" \
        --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403
check_eq "a cross-site fetch is refused" \
    "$(req c4 -H 'Sec-Fetch-Site: cross-site' --data-urlencode "csrf=$CSRF" \
        --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403
check_eq "Origin null without Sec-Fetch-Site is refused" \
    "$(req c7 -H 'Origin: null' --data-urlencode "csrf=$CSRF" \
        --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403
check_eq "a post with neither Origin nor Sec-Fetch-Site is refused" \
    "$(SP_NO_ORIGIN=1 req c8 --data-urlencode "csrf=$CSRF" \
        --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403
check_eq "a GET cannot change state" "$(req c5 "$SP_BASE/m/$ID/logout")" 405
cp "$SP_T/jar.bob" "$SP_T/jar"
check_eq "reply without a token is refused" \
    "$(req c6 --data-urlencode mode=reply --data-urlencode body=x "$SP_BASE/m/$ID/reply")" 403

# reply all: to the sender and the other recipients, never to oneself
BOBCSRF=$(csrf_of read1)
before=$(mails)
check_eq "reply all is sent" "$(req ra --data-urlencode "csrf=$BOBCSRF" \
    --data-urlencode mode=replyall --data-urlencode 'body=Noted.' \
    "$SP_BASE/m/$ID/reply")" 200
wait_mail $((before + 1))
ra=$(ls "$SP_T"/mail/*.env | sort | tail -1)
check_has "reply all reaches the sender" "$ra" "to alice@sender.test"
check_has "reply all reaches the other recipient" "$ra" "to carol@rcpt.test"
check_lacks "reply all skips the one replying" "$ra" "to bob@rcpt.test"

# --- HTML body, attachment, print, reply -----------------------------------
B=b0undary42
printf '%s\r\n' 'From: Grace <grace@sender.test>' 'To: heidi@rcpt.test' \
    'Subject: Report with HTML' 'Message-ID: <html1@sender.test>' \
    'MIME-Version: 1.0' "Content-Type: multipart/mixed; boundary=\"$B\"" '' \
    "--$B" 'Content-Type: text/html; charset=utf-8' '' \
    '<p>Hi <b>Heidi</b></p><script>alert(1)</script><img src="http://127.0.0.1:21090/canary.png" alt="x"><a href="javascript:alert(2)">j</a>' \
    "--$B" 'Content-Type: application/pdf; name="../../etc/re\"port.pdf"' \
    'Content-Disposition: attachment; filename="../../etc/re\"port.pdf"' \
    'Content-Transfer-Encoding: base64' '' 'JVBERi0xLjQKJcfsj6IKc2VjcmV0IGJ5dGVzCg==' \
    "--$B--" >"$SP_T/m3.eml"
read -r ID3 REF3 < <(portal_env_seal -f grace@sender.test -t heidi@rcpt.test -t ivan@rcpt.test "$SP_T/m3.eml")
rm -f "$SP_T/jar"
req land4 "$SP_BASE/m/$ID3" >/dev/null
CSRF=$(csrf_of land4)
before=$(mails)
code_req h0 "$ID3" heidi@rcpt.test "$CSRF" >/dev/null
wait_mail $((before + 1))
check_eq "sign-in to the HTML message" \
    "$(signin h1 "$ID3" heidi@rcpt.test "$(last_code heidi@rcpt.test)" "$CSRF")" 303
check_eq "HTML message read page" "$(req h2 "$SP_BASE/m/$ID3/read")" 200
check_has "HTML body is in a sandboxed frame" "$SP_T/h2.b" 'sandbox=""'
check_lacks "HTML body is not inlined" "$SP_T/h2.b" "<b>Heidi</b>"
check_has "remote content is blocked with a note" "$SP_T/h2.b" \
    "Remote content was blocked"
check_lacks "the note does not count what it cannot count" "$SP_T/h2.b" \
    "remote image"
check_eq "HTML body URL" "$(req h3 "$SP_BASE/m/$ID3/html")" 200
check_has "HTML body has the sandbox CSP" "$SP_T/h3.h" "Content-Security-Policy: sandbox; default-src 'none'"
check_has "HTML body keeps the text" "$SP_T/h3.b" "Heidi"
check_lacks "HTML body has no script" "$SP_T/h3.b" "<script"
check_lacks "HTML body has no javascript: URL" "$SP_T/h3.b" "javascript:"
check_lacks "HTML body has no remote image" "$SP_T/h3.b" "21090"
check_eq "attachment download" "$(req h4 "$SP_BASE/m/$ID3/att/0")" 200
check_has "attachment is sent as attachment" "$SP_T/h4.h" "Content-Disposition: attachment"
check_lacks "attachment name is safe" "$SP_T/h4.h" "../"
check_has "filename and filename* name the same safe file" "$SP_T/h4.h" \
    "Content-Disposition: attachment; filename=\"re_port.pdf\"; filename*=UTF-8''re_port.pdf"
check_has "attachment bytes" "$SP_T/h4.b" "secret bytes"
check_has "attachment is nosniff" "$SP_T/h4.h" "X-Content-Type-Options: nosniff"
check_eq "no such attachment" "$(req h5 "$SP_BASE/m/$ID3/att/7")" 404
check_eq "print view" "$(req h6 "$SP_BASE/m/$ID3/print")" 200
check_eq "a session is for its own message only" "$(req h7 "$SP_BASE/m/$ID/read")" 303

CSRF=$(csrf_of h2)
before=$(mails)
check_eq "reply is sent" "$(req h8 --data-urlencode "csrf=$CSRF" --data-urlencode mode=reply \
    --data-urlencode 'body=Thanks Grace, got it.' "$SP_BASE/m/$ID3/reply")" 200
wait_mail $((before + 1))
head -c 270000 /dev/zero | tr '\0' a >"$SP_T/long.txt"
check_eq "a reply longer than max_reply_size is refused" \
    "$(req h8long --data-urlencode "csrf=$CSRF" --data-urlencode mode=reply \
        --data-urlencode "body@$SP_T/long.txt" "$SP_BASE/m/$ID3/reply")" 413
check_has "the refusal says the text is too long" "$SP_T/h8long.b" "Too long"
nf=$(grep -l '^to grace@sender.test$' "$SP_T"/mail/*.env | sort | tail -1)
check_has "the reply's notification goes to the sender" "${nf:-/dev/null}" "to grace@sender.test"
RID=$(grep -o "$SP_BASE/m/[A-Za-z0-9_-]\{22\}" "${nf%.env}.eml" | head -1 | sed 's#.*/m/##')
check_eq "the notification links to the sealed reply" "${#RID}" 22
check_lacks "the notification does not carry the reply text" "${nf%.env}.eml" "got it"

# the sender reads the reply through the same sign-in
rm -f "$SP_T/jar"
req r0 "$SP_BASE/m/$RID" >/dev/null
CSRF=$(csrf_of r0)
before=$(mails)
code_req r1 "$RID" grace@sender.test "$CSRF" >/dev/null
wait_mail $((before + 1))
check_eq "the sender signs in to the reply" \
    "$(signin r2 "$RID" grace@sender.test "$(last_code grace@sender.test)" "$CSRF")" 303
check_eq "the sender reads the reply" "$(req r3 "$SP_BASE/m/$RID/read")" 200
check_has "the reply text is there" "$SP_T/r3.b" "Thanks Grace, got it."
check_has "the reply's subject" "$SP_T/r3.b" "Re: Report with HTML"
CSRF=$(csrf_of r3)
check_eq "forward to an outside address" "$(req r4 --data-urlencode "csrf=$CSRF" \
    --data-urlencode mode=forward --data-urlencode to=judy@else.test \
    --data-urlencode 'body=FYI' "$SP_BASE/m/$RID/reply")" 200
check_eq "logout" "$(req r5 --data-urlencode "csrf=$CSRF" "$SP_BASE/m/$RID/logout")" 200
check_eq "after logout the session is gone" "$(req r6 "$SP_BASE/m/$RID/read")" 303

# --- rights, expiry, revocation -------------------------------------------
msg m4.eml kim@sender.test leo@rcpt.test 'View only' 'Look, do not touch.'
read -r ID4 _ < <(portal_env_seal -r read -f kim@sender.test -t leo@rcpt.test "$SP_T/m4.eml")
rm -f "$SP_T/jar"
req v0 "$SP_BASE/m/$ID4" >/dev/null
CSRF=$(csrf_of v0)
before=$(mails)
code_req v1 "$ID4" leo@rcpt.test "$CSRF" >/dev/null
wait_mail $((before + 1))
signin v2 "$ID4" leo@rcpt.test "$(last_code leo@rcpt.test)" "$CSRF" >/dev/null
check_eq "view-only message reads" "$(req v3 "$SP_BASE/m/$ID4/read")" 200
check_lacks "view-only message offers no reply" "$SP_T/v3.b" 'value="reply"'
CSRF=$(csrf_of v3)
check_eq "view-only message refuses a reply" "$(req v4 --data-urlencode "csrf=$CSRF" \
    --data-urlencode mode=reply --data-urlencode body=x "$SP_BASE/m/$ID4/reply")" 403
check_eq "view-only message refuses printing" "$(req v5 "$SP_BASE/m/$ID4/print")" 403

msg m5.eml kim@sender.test leo@rcpt.test 'Old' 'Gone.'
read -r ID5 _ < <(portal_env_seal -e -10 -f kim@sender.test -t leo@rcpt.test "$SP_T/m5.eml")
check_eq "an expired message is gone" "$(req x1 "$SP_BASE/m/$ID5")" 410
check_lacks "the expired page shows no sender" "$SP_T/x1.b" "kim@sender.test"
read -r ID6 _ < <(portal_env_seal -R -f kim@sender.test -t leo@rcpt.test "$SP_T/m5.eml")
check_eq "a revoked message is gone" "$(req x2 "$SP_BASE/m/$ID6")" 410
check_eq "an unknown path is 404" "$(req x3 "$SP_BASE/nothing")" 404
check_eq "static CSS is served" "$(req x4 "$SP_BASE/static/portal.css")" 200

# --- the audit trail: who did what, never content ------------------------
portal_env_seal -a "$ID3" >"$SP_T/audit3"
for ev in "code-sent heidi@rcpt.test" "signin heidi@rcpt.test" \
    "view heidi@rcpt.test" "download heidi@rcpt.test att=0" \
    "print heidi@rcpt.test" "reply heidi@rcpt.test new=$RID"; do
	check_has "audit: $ev" "$SP_T/audit3" "$ev"
done
portal_env_seal -a "$ID2" >"$SP_T/audit2"
check_has "audit: failed sign-in" "$SP_T/audit2" "signin-failed erin@rcpt.test reason=wrong-code"
check_has "audit: locked sign-in" "$SP_T/audit2" "signin-failed erin@rcpt.test reason=too-many-tries"
check_lacks "audit holds no code" "$SP_T/audit2" "$CODE2"
check_lacks "audit holds no content" "$SP_T/audit3" "Thanks Grace"

# --- every answer carried the security headers ---------------------------
missing=""
for h in "$SP_T"/*.h; do
	for want in 'Content-Security-Policy:' "frame-ancestors 'self'" \
	    'X-Content-Type-Options: nosniff' 'Referrer-Policy: no-referrer'; do
		grep -qiF -- "$want" "$h" || missing="$missing $(basename "$h"):$want"
	done
	case $(basename "$h") in x4.h) ;; *)
		grep -qi 'Cache-Control: no-store' "$h" || missing="$missing $(basename "$h"):no-store" ;;
	esac
done
check_eq "security headers on every answer" "$missing" ""

# --- with cookie_secure = yes: __Host- names and Secure ---------------------
kill "$SP_PORTAL_PID" 2>/dev/null
wait "$SP_PORTAL_PID" 2>/dev/null
sed -i 's/^cookie_secure = no$/cookie_secure = yes/' "$SP_T/sealpost.conf"
"$SP_BUILD/bin/sealpost-portal" -f -c "$SP_T/sealpost.conf" 2>>"$SP_T/portal.log" &
SP_PORTAL_PID=$!
portal_env_wait_port "$SP_FCGI_PORT"
rm -f "$SP_T/jar"
req sec1 "$SP_BASE/m/$ID" >/dev/null
check_has "secure cookies carry the __Host- prefix" "$SP_T/sec1.h" "Set-Cookie: __Host-sp_pre="
grep -i '^set-cookie: __Host-sp_pre=' "$SP_T/sec1.h" | grep -q '; Secure' &&
	ok "secure cookies are Secure" || bad "secure cookies are Secure" "$(grep -i set-cookie "$SP_T/sec1.h")"
PRE=$(grep -i '^set-cookie: __Host-sp_pre=' "$SP_T/sec1.h" | sed 's/^[^=]*=//; s/;.*//')
CSRF=$(csrf_of sec1)
check_eq "the __Host- cookie is the one checked" "$(sp_curl -s -o /dev/null -w '%{http_code}' \
    -H "Cookie: __Host-sp_pre=$PRE" --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 200
check_eq "an unprefixed cookie is not" "$(sp_curl -s -o /dev/null -w '%{http_code}' \
    -H "Cookie: sp_pre=$PRE" --data-urlencode "csrf=$CSRF" \
    --data-urlencode addr=bob@rcpt.test "$SP_BASE/m/$ID/code")" 403

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
