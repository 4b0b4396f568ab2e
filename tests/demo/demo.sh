#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: the whole of sealpost on 127.0.0.1, in one state folder.
#
#   demo.sh BUILD [--port-base N] [--dir DIR]           run until Ctrl-C
#   demo.sh BUILD --check [--port-base N] [--dir DIR]   self-test, exit 0/1
#
# Starts a private Postfix whose SMTP listener has sealpost-milter, with a
# second listener without the milter for the mail the portal sends; a
# capture server that plays the outside world and writes every mail
# Postfix relays into a maildir; the portal (FastCGI) behind a private
# nginx; LMDB as the store; a fresh key pair made with `sealpostctl
# keygen`.  Nothing touches the system's Postfix or nginx.  Ports: N+25
# SMTP (sealed), N+26 SMTP (exempt), N+27 capture, N+80 HTTP, N+81
# FastCGI; N defaults to 23000 ($SEALPOST_DEMO_PORT_BASE).  The folder
# defaults to /tmp/sealpost-demo ($SEALPOST_DEMO_DIR); every folder above
# it must be searchable by user postfix.
#
# --check sends one mail with swaks, follows the link in the notification,
# asks for a passcode, reads it from the maildir, signs in with curl,
# checks that the page shows the subject and the body, stops everything
# and exits 0 (all good), 1 (a step failed) or 77 (cannot run here).
# Needs root (Postfix's master).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
check=no
base=${SEALPOST_DEMO_PORT_BASE:-23000}
dir=${SEALPOST_DEMO_DIR:-/tmp/sealpost-demo}
while [ $# -gt 0 ]; do
	case $1 in
	--check) check=yes ;;
	--port-base) base=$2; shift ;;
	--dir) dir=$2; shift ;;
	*) echo "usage: $0 BUILD [--check] [--port-base N] [--dir DIR]" >&2
	   exit 2 ;;
	esac
	shift
done
smtp=$((base + 25)) exempt=$((base + 26)) relay=$((base + 27))
http=$((base + 80)) fcgi=$((base + 81))
url=http://127.0.0.1:$http
cant=1
[ $check = yes ] && cant=77

say() { echo "demo: $*"; }

# --- preconditions -------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	say "needs root: Postfix's master process runs as root (try: sudo make demo)"
	exit $cant
fi
for tool in postfix postconf nginx swaks curl python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ say "$tool is not installed (run: make deps)"; exit $cant; }
done
for bin in sealpost-milter sealpost-portal sealpostctl; do
	[ -x "$build/bin/$bin" ] ||
		{ say "$build/bin/$bin is not built (run: make build)"; exit 1; }
done
build=$(cd "$build" && pwd)
if [ $check = yes ] && [ -z "${SEALPOST_DEMO_DIR:-}" ]; then
	dir=$(mktemp -d /tmp/sealpost-demo-check.XXXXXX)
fi

. "$src/tests/harness/sealpost-env.sh"
. "$src/tests/integration/portal_env.sh"

# --- stopping ------------------------------------------------------------
# Everything started is recorded in $dir/*.pid (and Postfix's own pid
# file), so an earlier demo left running in the same folder is stopped too.
# A pid is signalled only if that process names $dir in its command line:
# a stale pid file must not stop a process that reused the number.
stop_pid() { # FILE
	[ -f "$1" ] || return 0
	pid=$(tr -dc 0-9 <"$1")
	if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
		grep -qF -- "$dir"; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$1"
}

stop_all() {
	[ -f "$dir/postfix/conf/main.cf" ] &&
		"$src/tests/harness/postfix-instance.sh" stop "$dir/postfix"
	stop_pid "$dir/web/nginx/nginx.pid"
	stop_pid "$dir/portal.pid"
	stop_pid "$dir/milter.pid"
	stop_pid "$dir/capture.pid"
}

stopped=no
keep=yes
on_exit() {
	[ $stopped = yes ] && return
	stopped=yes
	say "stopping Postfix, nginx, the portal, the milter and the capture"
	stop_all
	if [ $keep = yes ]; then
		say "stopped; the state stays in $dir"
	else
		rm -rf "$dir"
		say "stopped; $dir removed"
	fi
}

fail() {
	say "FAIL: $*"
	exit 1
}

# --- starting ------------------------------------------------------------
start_all() {
	stop_all
	rm -rf "$dir/sp" "$dir/web" "$dir/postfix" "$dir/outside"
	mkdir -p "$dir"
	chmod 755 "$dir"
	sp_env_init "$dir/sp" "$build"
	sp_conf_set portal_socket "inet:$fcgi@127.0.0.1"
	sp_conf_set portal_url "$url"
	sp_conf_set smtp_url "smtp://127.0.0.1:$exempt"
	sp_conf_set mail_from "sealpost@sealpost.test"
	sp_conf_set brand_name "Sealpost demo"
	sp_conf_set cookie_secure no

	python3 "$src/tests/harness/capture-smtp.py" --port "$relay" \
		--dir "$dir/outside" --pid "$dir/capture.pid" \
		>"$dir/capture.log" 2>&1 &
	portal_env_wait_port "$relay" || fail "the capture did not start"

	sp_milter_start
	echo "$SP_MILTER_PID" >"$dir/milter.pid"

	"$build/bin/sealpost-portal" -f -c "$SP_CONF" >"$dir/portal.log" 2>&1 &
	echo $! >"$dir/portal.pid"
	portal_env_wait_port "$fcgi" ||
		fail "the portal did not start: $(tail -3 "$dir/portal.log")"

	SP_T=$dir/web SP_HTTP_PORT=$http SP_FCGI_PORT=$fcgi SP_SRC=$src
	mkdir -p "$SP_T"
	portal_env_nginx || fail "nginx did not start"
	portal_env_wait_port "$http" || fail "nginx did not listen on $http"

	"$src/tests/harness/postfix-instance.sh" start "$dir/postfix" \
		--smtp "$smtp" --exempt "$exempt" --relay "$relay" \
		--milter "$SP_SOCKET" --set header_size_limit=1048576 ||
		fail "Postfix did not start (see $dir/postfix/maillog)"
}

banner() {
	cat <<EOT

sealpost demo is running (everything on 127.0.0.1; state in $dir).

  Send mail to be sealed (Postfix with the milter, port $smtp):
    swaks --server 127.0.0.1:$smtp --from alice@example.com \\
      --to bob@partner.example --header "Subject: [secure] hello" \\
      --body "This text stays in the vault."
  Rules ($dir/sp/etc/rules): mail whose subject has the tag
  "[secure]", or with a recipient at partner.example, is sealed; other
  mail passes as is.

  The outside world (every mail Postfix delivers, one file per mail):
    $dir/outside/new/*.eml
  The notification there links to the portal. Open it, ask for a code;
  the passcode mail lands in the same folder. Read the latest code with:
    grep -ho 'protected message: [0-9]*' $dir/outside/new/*.eml | tail -1

  Portal (nginx in front of the portal):  $url
    each message has its page at $url/m/ID, the link in its
    notification; sign in there with the recipient's address and code.
  sealpostctl:  $build/bin/sealpostctl -c $SP_CONF list
  Logs:  $dir/sp/milter.log, $dir/portal.log, $dir/postfix/maillog

Ctrl-C stops everything the demo started.
EOT
}

# --- the self-test -------------------------------------------------------
wait_file() { # GLOB-PATTERN-IN-GREP SECONDS: a new .eml holding a pattern
	for _ in $(seq $(($2 * 10))); do
		f=$(grep -l -- "$1" "$dir"/outside/new/*.eml 2>/dev/null | tail -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

self_test() {
	body="demo self-test body line $$-$RANDOM"
	swaks --server "127.0.0.1:$smtp" --from alice@example.com \
		--to bob@example.net --header "Subject: [secure] demo check" \
		--body "$body" >"$dir/swaks.log" 2>&1 ||
		fail "swaks: $(tail -3 "$dir/swaks.log")"
	note=$(wait_file "X-Sealpost-Id" 30) ||
		fail "no notification in $dir/outside/new"
	grep -q -- "$body" "$note" && fail "the notification holds the body"
	say "ok: the notification reached the outside world without the body"
	link=$(python3 - "$note" "$url" <<'EOP'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
t = m.get_body(preferencelist=("plain",)).get_content()
r = re.search(re.escape(sys.argv[2]) + r"/m/[A-Za-z0-9_-]+", t)
print(r.group(0) if r else "")
EOP
	)
	[ -n "$link" ] || fail "no portal link in the notification"
	jar=$dir/cookies
	curl -s -c "$jar" -b "$jar" -o "$dir/landing.html" "$link" ||
		fail "GET $link"
	csrf=$(grep -o 'name="csrf" value="[^"]*"' "$dir/landing.html" |
		head -1 | sed 's/.*value="//; s/"$//')
	[ -n "$csrf" ] || fail "no sign-in form at $link"
	# the portal takes a form only from its own pages: say so as a
	# browser would
	origin=${link%%/m/*}
	curl -s -c "$jar" -b "$jar" -o /dev/null "$link/code" \
		-H "Origin: $origin" -H "Sec-Fetch-Site: same-origin" \
		--data-urlencode "csrf=$csrf" --data-urlencode "addr=bob@example.net" ||
		fail "POST $link/code"
	codemail=$(wait_file "protected message: [0-9]" 30) ||
		fail "no passcode mail in $dir/outside/new"
	code=$(grep -o 'protected message: [0-9]*' "$codemail" | grep -o '[0-9]*$')
	grep -q '"helo": "mx.sealpost.test"' "${codemail%.eml}.env" ||
		fail "the passcode mail did not come through the demo's Postfix"
	say "ok: passcode mail reached the outside world through Postfix"
	st=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
		"$link/signin" -H "Origin: $origin" -H "Sec-Fetch-Site: same-origin" \
		--data-urlencode "csrf=$csrf" \
		--data-urlencode "addr=bob@example.net" --data-urlencode "code=$code")
	[ "$st" = 303 ] || fail "sign-in answered $st, want 303"
	curl -s -c "$jar" -b "$jar" -o "$dir/read.html" "$link/read" ||
		fail "GET $link/read"
	grep -q "<h1>\[secure\] demo check</h1>" "$dir/read.html" ||
		fail "the page does not show the subject"
	grep -q -- "$body" "$dir/read.html" || fail "the page does not show the body"
	say "ok: signed in with the mailed code; the page shows subject and body"
}

trap on_exit EXIT
if [ $check = yes ]; then
	trap 'exit 130' INT
	trap 'exit 143' TERM
else
	# Ctrl-C is how the demo is meant to end: a clean stop is success.
	trap 'exit 0' INT TERM
fi
say "starting in $dir (ports $smtp, $exempt, $relay, $http, $fcgi)"
start_all
if [ $check = yes ]; then
	self_test
	# A SEALPOST_SANITIZE build reports at exit: stop first, then look.
	stop_all
	if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" \
		"$dir/sp/milter.log" "$dir/portal.log"; then
		fail "sanitizer report in the log named above"
	fi
	say "PASS"
	[ -z "${SEALPOST_DEMO_DIR:-}" ] && keep=no
	exit 0
fi
banner
while :; do
	for p in milter portal capture; do
		pid=$(cat "$dir/$p.pid" 2>/dev/null)
		kill -0 "$pid" 2>/dev/null ||
			fail "the $p stopped (see its log in $dir)"
	done
	sleep 1
done
