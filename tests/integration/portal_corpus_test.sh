#!/bin/bash
# SPDX-License-Identifier: MIT
# Every message of the shared corpus through the portal: sealed, signed
# in to, read, its HTML body and each attachment fetched, through nginx.
# No answer may be a server error; every page must carry its headers.
#
# Usage: portal_corpus_test.sh BUILD_DIR SOURCE_DIR
# The corpus is read from $SEALPOST_CORPUS, else ../shared/corpus beside
# the source folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/portal_env.sh"
corpus=${SEALPOST_CORPUS:-$(cd "$2" && pwd)/../shared/corpus}
if [ ! -d "$corpus" ]; then
	echo "SKIP - corpus not found at $corpus (set SEALPOST_CORPUS):" \
	    "nothing tested"
	exit 77
fi

pass=0
fail=0
trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; exit 1; }

get() { # JAR URL [curl args]: prints the status, headers to $SP_T/h
	jar=$1
	url=$2
	shift 2
	sp_curl -s -o "$SP_T/b" -D "$SP_T/h" -w '%{http_code}' -c "$jar" -b "$jar" \
	    "$@" "$url"
}
headers_ok() {
	grep -qi "^Content-Security-Policy:" "$SP_T/h" &&
	    grep -qi "^X-Content-Type-Options: nosniff" "$SP_T/h"
}

i=0
for f in "$corpus"/*; do
	case $f in *.md) continue ;; esac
	i=$((i + 1))
	name=$(basename "$f")
	addr="reader$i@rcpt.test"
	read -r id _ < <(portal_env_seal -f sender@corpus.test -t "$addr" "$f") || {
		echo "FAIL - $name: could not be sealed"; fail=$((fail + 1)); continue; }
	jar="$SP_T/jar$i"
	get "$jar" "$SP_BASE/m/$id" >/dev/null
	csrf=$(grep -o 'name="csrf" value="[^"]*"' "$SP_T/b" | head -1 | sed 's/.*value="//; s/"$//')
	before=$(grep -l "^to $addr\$" "$SP_T"/mail/*.env 2>/dev/null | wc -l)
	get "$jar" "$SP_BASE/m/$id/code" --data-urlencode "csrf=$csrf" \
	    --data-urlencode "addr=$addr" >/dev/null
	for _ in $(seq 50); do
		[ "$(grep -l "^to $addr\$" "$SP_T"/mail/*.env 2>/dev/null | wc -l)" -gt "$before" ] && break
		sleep 0.1
	done
	mf=$(grep -l "^to $addr\$" "$SP_T"/mail/*.env | sort | tail -1)
	code=$(grep -o 'protected message: [0-9]\{8\}' "${mf%.env}.eml" | grep -o '[0-9]*$')
	s=$(get "$jar" "$SP_BASE/m/$id/signin" --data-urlencode "csrf=$csrf" \
	    --data-urlencode "addr=$addr" --data-urlencode "code=$code")
	[ "$s" = 303 ] || { echo "FAIL - $name: sign-in $s"; fail=$((fail + 1)); continue; }
	s=$(get "$jar" "$SP_BASE/m/$id/read")
	bad=""
	[ "$s" = 200 ] && headers_ok || bad="$bad read=$s"
	urls=$(grep -o "/m/$id/\(html\|att/[0-9]*\)" "$SP_T/b" | sort -u)
	for u in $urls; do
		s=$(get "$jar" "$SP_BASE$u")
		case $s in 200 | 404) headers_ok || bad="$bad $u:headers" ;;
		*) bad="$bad $u=$s" ;; esac
	done
	if [ -z "$bad" ]; then
		pass=$((pass + 1))
		echo "ok - $name ($(echo "$urls" | grep -c /) parts fetched)"
	else
		fail=$((fail + 1))
		echo "FAIL - $name:$bad"
	fi
done
grep -q "ERROR: AddressSanitizer\|runtime error" "$SP_T/portal.log" &&
	{ echo "FAIL - sanitizer report in the portal log"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
