#!/bin/bash
# SPDX-License-Identifier: MIT
# bench_portal.sh: requests per second through one nginx, the portal next
# to its yardsticks.  Run by hand, as root; not part of pass/fail.
#
#   tests/bench/bench_portal.sh [--quick] [--runs N] [--build DIR]
#                               [--port-base P] [--keep] [--out FILE]
#                               [--only ROW,ROW...] [--workers N]
#
# One private nginx (its own prefix, config, pid and logs in a temporary
# folder) serves four rows, each measured with `wrk -t2 -c32 -d10s`:
#
#   static    a 5 KB file from disk
#   min-fcgi  tests/bench/min_fcgi (as many processes as the portal has
#             workers, unix socket): 5 KB
#   landing   the portal's landing page, GET /m/ID of a sealed message
#   read      a signed-in read of a 5 KB message, GET /m/ID/read with the
#             session cookie got by really signing in (code requested,
#             read from a local SMTP capture, posted back)
#   read-many the same over MANY (100) messages of 5 KB, each signed in to
#             by its own recipient, read in turn: more messages than a
#             worker keeps keys for, so every read unwraps its key
#
# The portal runs with --workers N workers (default 8, the portal's own
# default), min-fcgi with as many processes; after the rounds its audit writer's figures (events, commits)
# are printed under the table.
#
# RUNS rounds (default 5) go over the rows in turn, each round starting
# at the next row; the table gives the median requests/s of each row and
# its ratio to min-fcgi (--only limits the rows; min-fcgi, the base, is
# always run).  The portal rows are left out when the portal is
# not built.  Ports: P+100 (yardsticks), P+101 (portal), P+125 (SMTP
# capture), default P = 22000; everything on 127.0.0.1.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build
RUNS=5
DURATION=10s
KEEP=0
OUT=
PORT_BASE=22000
ROWS="static min-fcgi landing read read-many"
ONLY=
WORKERS=8
MANY=100

# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$SRC/tests/bench/bench_lib.sh"

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) RUNS=3 DURATION=3s ;;
		--runs) RUNS=$2 && shift ;;
		--build) BUILD=$(cd "$2" && pwd) && shift ;;
		--port-base) PORT_BASE=$2 && shift ;;
		--keep) KEEP=1 ;;
		--out) OUT=$2 && shift ;;
		--only) ONLY=$2 && shift ;;
		--workers) WORKERS=$2 && shift ;;
		*) bench_usage 5,6 ;;
		esac
		shift
	done
	HTTP_PORT=$((PORT_BASE + 100))
	PORTAL_PORT=$((PORT_BASE + 101))
	SMTP_PORT=$((PORT_BASE + 125))
}

# The capture server for the portal's code mails: whichever of the test
# suite's SMTP capture servers this tree has.
capture_script() {
	for f in tests/integration/smtp_capture.py tests/harness/capture-smtp.py; do
		if [ -f "$SRC/$f" ]; then
			echo "$SRC/$f"
			return 0
		fi
	done
	return 1
}

check_tools() {
	[ "$(id -u)" = 0 ] || die "needs root (nginx binds and switches user)"
	for t in nginx wrk curl python3; do
		command -v "$t" >/dev/null || die "$t is not installed"
	done
	[ -x "$BUILD/tests/bin/min_fcgi" ] ||
		die "build first: $BUILD/tests/bin/min_fcgi is missing"
	HAVE_PORTAL=0
	if [ -x "$BUILD/bin/sealpost-portal" ] &&
	    [ -x "$BUILD/tests/bin/seal_fixture" ] &&
	    [ -f "$SRC/packaging/nginx/sealpost-portal.inc" ] &&
	    capture_script >/dev/null; then
		HAVE_PORTAL=1
	else
		echo "bench_portal: the portal is not built here:" \
		    "the landing and read rows are left out" >&2
		ROWS="static min-fcgi"
	fi
	if [ -n "$ONLY" ]; then
		local keep=min-fcgi
		for r in $ROWS; do
			case ",$ONLY," in *",$r,"*) [ "$r" = min-fcgi ] || keep="$keep $r" ;; esac
		done
		ROWS=$keep
	fi
}

# --- nginx and what stands behind it ------------------------------------

# 5 KB of text in 64-column lines.
make_5k() { # FILE
	awk 'BEGIN { for (i = 0; i < 80; i++) printf "%063d\n", i }' >"$1"
}

# Both servers in one nginx, two workers, no access log (every row pays
# the same).  The portal's server includes the packaged location snippet
# as a site would.
write_nginx_conf() {
	local portal=""
	if [ "$HAVE_PORTAL" = 1 ]; then
		portal="upstream sealpost_portal { server unix:$T/run/portal.sock; }
	server {
		listen 127.0.0.1:$PORTAL_PORT;
		root $SRC/templates;
		include $SRC/packaging/nginx/sealpost-portal.inc;
	}"
	fi
	cat >"$T/nginx/nginx.conf" <<EOC
user www-data www-data;
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	sendfile on;
	client_body_temp_path $T/nginx/tmp/body;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	proxy_temp_path $T/nginx/tmp/proxy;
	scgi_temp_path $T/nginx/tmp/scgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		root $T/www;
		location = /static5k.txt { }
		location = /fcgi {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:$T/run/min_fcgi.sock;
		}
	}
	$portal
}
EOC
}

start_nginx() {
	mkdir -p "$T/nginx/tmp" "$T/www"
	chmod 0777 "$T/nginx/tmp"
	make_5k "$T/www/static5k.txt"
	write_nginx_conf
	nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
	    -e "$T/nginx/error.log" || die "nginx did not start"
	wait_port "$HTTP_PORT" 5 || die "nginx is not listening"
}

start_min_fcgi() {
	"$BUILD/tests/bin/min_fcgi" "$T/run/min_fcgi.sock" "$WORKERS" \
	    >"$T/min_fcgi.log" 2>&1 &
	FCGI_PID=$!
	wait_socket "$T/run/min_fcgi.sock" 5 || die "min_fcgi did not start"
}

# --- the portal ---------------------------------------------------------

write_portal_conf() {
	local d=$T/portal
	mkdir -p "$d/keys" "$d/store" "$d/mail"
	chmod 0700 "$d/keys"
	: >"$d/rules"
	cat >"$d/sealpost.conf" <<EOC
portal_socket = unix:$T/run/portal.sock
portal_url = http://127.0.0.1:$PORTAL_PORT
smtp_url = smtp://127.0.0.1:$SMTP_PORT
mail_from = portal@sealpost.test
store_path = $d/store
keys_dir = $d/keys
templates_dir = $SRC/templates
rules_file = $d/rules
cookie_secure = no
portal_workers = $WORKERS
brand_name = Bench Corp
EOC
}

# A 5 KB text message from alice to RCPT, sealed into the store as the
# milter would (the first also makes the portal's key pair); prints its id.
seal_one() { # RCPT
	local d=$T/portal id
	{
		printf 'From: Alice <alice@sender.test>\r\n'
		printf 'To: %s\r\n' "$1"
		printf 'Subject: Quarterly numbers\r\n'
		printf 'Message-ID: <bench-read-%s>\r\n' "$1"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
		make_5k /dev/stdout | sed 's/$/\r/'
	} >"$d/msg.eml"
	read -r id _ < <("$BUILD/tests/bin/seal_fixture" \
	    -c "$d/sealpost.conf" -f alice@sender.test -t "$1" \
	    "$d/msg.eml") || die "seal_fixture failed"
	[ -n "$id" ] || die "seal_fixture printed no id"
	echo "$id"
}

# Sets MSG_ID (bob's message) and, with read-many, seals MANY more, one to
# each of r1@rcpt.test, r2@rcpt.test...: "ID ADDR" lines in $T/many.
seal_messages() {
	local i
	MSG_ID=$(seal_one bob@rcpt.test)
	case " $ROWS " in *" read-many "*) ;; *) return 0 ;; esac
	: >"$T/many"
	for i in $(seq 1 "$MANY"); do
		echo "$(seal_one "r$i@rcpt.test") r$i@rcpt.test" >>"$T/many"
	done
}

start_portal() {
	local d=$T/portal
	write_portal_conf
	python3 "$(capture_script)" "$SMTP_PORT" "$d/mail" \
	    >"$d/capture.log" 2>&1 &
	CAPTURE_PID=$!
	wait_port "$SMTP_PORT" 5 || die "the SMTP capture did not start"
	seal_messages
	"$BUILD/bin/sealpost-portal" -f -c "$d/sealpost.conf" \
	    >"$d/portal.log" 2>&1 &
	PORTAL_PID=$!
	wait_socket "$T/run/portal.sock" 10 ||
		die "the portal did not start: $(tail -3 "$d/portal.log")"
	# The socket is mode 0660; a site puts nginx's user in its group.
	chgrp www-data "$T/run/portal.sock"
}

# GET or POST with cookie jar JAR; prints the status, body to FILE.
req() { # JAR FILE CURL-ARGS...
	local jar=$1 f=$2
	shift 2
	# Origin and Sec-Fetch-Site as a browser sends them with a form of
	# the portal's own page (the portal refuses a POST without them)
	curl -s -o "$f" -w '%{http_code}' -c "$jar" -b "$jar" \
	    -H "Origin: http://127.0.0.1:$PORTAL_PORT" \
	    -H "Sec-Fetch-Site: same-origin" "$@"
}

# Signs in to message ID as ADDR the way a person does, with the files of
# the exchange under DIR; prints the session's "name=value" cookie.
sign_in_as() { # ID ADDR DIR
	local base="http://127.0.0.1:$PORTAL_PORT/m/$1" addr=$2 w=$3
	local csrf code st env cookie
	mkdir -p "$w"
	st=$(req "$w/jar" "$w/land.html" "$base")
	[ "$st" = 200 ] || die "landing page answered $st"
	csrf=$(grep -o 'name="csrf" value="[^"]*"' "$w/land.html" |
	    head -1 | sed 's/.*value="//; s/"$//')
	st=$(req "$w/jar" "$w/code.html" --data-urlencode "csrf=$csrf" \
	    --data-urlencode "addr=$addr" "$base/code")
	[ "$st" = 200 ] || die "code request answered $st"
	for _ in $(seq 1 100); do
		env=$(grep -lx "to $addr" "$T"/portal/mail/*.env 2>/dev/null |
		    head -1)
		[ -n "$env" ] && break
		sleep 0.1
	done
	[ -n "$env" ] || die "no code mail arrived for $addr"
	code=$(grep -o '\<[0-9]\{8\}\>' "${env%.env}.eml" | head -1)
	st=$(req "$w/jar" "$w/signin.html" --data-urlencode "csrf=$csrf" \
	    --data-urlencode "addr=$addr" \
	    --data-urlencode "code=$code" "$base/signin")
	[ "$st" = 303 ] || die "sign-in answered $st"
	cookie=$(awk '$6 == "sp_session" { print $6 "=" $7 }' "$w/jar")
	[ -n "$cookie" ] || die "no session cookie after sign-in"
	st=$(curl -s -o "$w/read.html" -w '%{http_code}' \
	    -H "Cookie: $cookie" "$base/read")
	[ "$st" = 200 ] || die "signed-in read answered $st"
	grep -q 000000000000079 "$w/read.html" ||
		die "the read page does not show the message"
	echo "$cookie"
}

# Bob signs in (SESSION_COOKIE); with read-many, every recipient of
# $T/many too, ten at a time, and $T/many.lua makes wrk go round them.
sign_in() {
	local id addr pids=()
	SESSION_COOKIE=$(sign_in_as "$MSG_ID" bob@rcpt.test "$T/portal/bob")
	[ -f "$T/many" ] || return 0
	while read -r id addr; do
		sign_in_as "$id" "$addr" "$T/portal/$addr" >"$T/portal/$addr.cookie" &
		pids+=($!)
		if [ ${#pids[@]} = 10 ]; then
			wait "${pids[@]}"
			pids=()
		fi
	done <"$T/many"
	[ ${#pids[@]} = 0 ] || wait "${pids[@]}"
	{
		echo "local paths, cookies, i = {}, {}, 0"
		while read -r id addr; do
			[ -s "$T/portal/$addr.cookie" ] ||
				die "$addr did not sign in"
			echo "table.insert(paths, \"/m/$id/read\")"
			echo "table.insert(cookies, \"$(cat "$T/portal/$addr.cookie")\")"
		done <"$T/many"
		echo "request = function()"
		echo "  i = i % #paths + 1"
		echo "  return wrk.format(\"GET\", paths[i], { Cookie = cookies[i] })"
		echo "end"
	} >"$T/many.lua"
}

# --- measuring ----------------------------------------------------------

url_of() { # ROW
	case $1 in
	static) echo "http://127.0.0.1:$HTTP_PORT/static5k.txt" ;;
	min-fcgi) echo "http://127.0.0.1:$HTTP_PORT/fcgi" ;;
	landing) echo "http://127.0.0.1:$PORTAL_PORT/m/$MSG_ID" ;;
	read) echo "http://127.0.0.1:$PORTAL_PORT/m/$MSG_ID/read" ;;
	read-many) echo "http://127.0.0.1:$PORTAL_PORT" ;;
	esac
}

# Every row must answer 200 before it is timed.
check_rows() {
	local st
	for r in $ROWS; do
		[ "$r" != read-many ] || continue # each read checked at sign-in
		if [ "$r" = read ]; then
			st=$(curl -s -o /dev/null -w '%{http_code}' \
			    -H "Cookie: $SESSION_COOKIE" "$(url_of "$r")")
		else
			st=$(curl -s -o /dev/null -w '%{http_code}' "$(url_of "$r")")
		fi
		[ "$st" = 200 ] || die "$r answered $st"
	done
}

# Prints the requests/s wrk saw; fails when any answer was not 2xx/3xx.
run_one() { # ROW
	local out=$T/wrk.out
	if [ "$1" = read ]; then
		wrk -t2 -c32 -d"$DURATION" -H "Cookie: $SESSION_COOKIE" \
		    "$(url_of "$1")" >"$out" 2>&1 || die "wrk failed on $1"
	elif [ "$1" = read-many ]; then
		wrk -t2 -c32 -d"$DURATION" -s "$T/many.lua" \
		    "$(url_of "$1")" >"$out" 2>&1 || die "wrk failed on $1"
	else
		wrk -t2 -c32 -d"$DURATION" "$(url_of "$1")" >"$out" 2>&1 ||
			die "wrk failed on $1"
	fi
	if grep -q 'Non-2xx\|Socket errors' "$out"; then
		die "$1: errors under load: $(grep 'Non-2xx\|Socket errors' "$out")"
	fi
	awk '/^Requests\/sec:/ { print $2 }' "$out"
}

bench_rows() {
	local round r rate
	for round in $(seq 1 "$RUNS"); do
		# shellcheck disable=SC2086 # ROWS is a list of words
		for r in $(bench_rotation "$round" $ROWS); do
			rate=$(run_one "$r")
			echo "$r $round $rate" >>"$T/rates"
			printf '  round %d %-9s %10s req/s\n' "$round" "$r" \
			    "$rate" >&2
		done
	done
}

median_of() { # ROW
	awk -v r="$1" '$1 == r { print $3 }' "$T/rates" | bench_median %s %.2f
}

# The median over rounds of ROW's rate over min-fcgi's in the same round.
paired_of() { # ROW
	bench_paired min-fcgi "$1" <"$T/rates"
}

report() {
	local base m
	base=$(median_of min-fcgi)
	bench_report_head
	echo
	echo "Requests/s, median of $RUNS rounds of" \
	    "\`wrk -t2 -c32 -d$DURATION\` per row."
	echo
	echo "Ratio: median over min-fcgi's median; paired: median over rounds" \
	    "of the rate over min-fcgi's rate in the same round."
	echo
	echo "| row | req/s | ratio to min-fcgi | paired | every round |"
	echo "|---|---:|---:|---:|---|"
	for r in $ROWS; do
		m=$(median_of "$r")
		echo "| $r | $m | $(ratio "$m" "$base") | $(paired_of "$r") |" \
		    "$(awk -v r="$r" '$1 == r { printf "%s ", $3 }' "$T/rates")|"
	done
	if [ -n "${WRITER_LINE:-}" ]; then
		echo
		echo "Portal: $WORKERS workers, min-fcgi $WORKERS processes; the audit writer, at the end:" \
		    "$WRITER_LINE."
	fi
}

cleanup() {
	[ -f "${T:-}/nginx/nginx.pid" ] && stop_pid "$(cat "$T/nginx/nginx.pid")"
	stop_pid "${FCGI_PID:-}"
	stop_pid "${PORTAL_PID:-}"
	stop_pid "${CAPTURE_PID:-}"
	bench_drop_tmpdir
}

main() {
	parse_args "$@"
	check_tools
	bench_tmpdir sp-bench-portal
	trap cleanup EXIT
	LOAD0=$(bench_loadavg)
	start_min_fcgi
	if [ "$HAVE_PORTAL" = 1 ]; then
		start_portal
	fi
	start_nginx
	if [ "$HAVE_PORTAL" = 1 ]; then
		sign_in
	fi
	check_rows
	echo "bench_portal: $RUNS rounds; rows: $ROWS" >&2
	bench_rows
	if [ "$HAVE_PORTAL" = 1 ]; then
		# the writer logs its figures when the portal stops
		stop_pid "$PORTAL_PID"
		PORTAL_PID=
		WRITER_LINE=$(grep -o 'events=[0-9]* commits=[0-9]*' \
		    "$T/portal/portal.log" | tail -1)
	fi
	bench_output report
}

main "$@"
