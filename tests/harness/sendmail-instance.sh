#!/bin/bash
# SPDX-License-Identifier: MIT
# sendmail-instance.sh: a private, throw-away Sendmail 8.17 for tests,
# run from Debian's packages extracted into a cache folder (never
# installed: installing sendmail would remove Postfix).  It listens on
# loopback only and relays everything to a capture server on loopback.
# Needs root.
#
#   sendmail-instance.sh fetch                 download and extract the
#       binaries into $SEALPOST_CACHE/sendmail (default
#       /var/cache/sealpost-tests); exits 2 when that is not possible
#   sendmail-instance.sh start DIR --port PORT --relay PORT [--milter SPEC]
#       SPEC is a Sendmail socket spec (inet:PORT@127.0.0.1 or
#       local:/path); the filter gets F=T (milter down: tempfail)
#   sendmail-instance.sh stop DIR
#   sendmail-instance.sh flush DIR             (deliver the queue now)
#   sendmail-instance.sh queue DIR             (count of queued messages)
#
# Sendmail sleeps 60 s at start when the host name has no dot, so it runs
# in its own UTS namespace with the name mta.sendmail.test.  Its log goes
# only to syslog, which tests lack; -X DIR/transcript.log records the SMTP
# dialogue instead.
set -eu

cache=${SEALPOST_CACHE:-/var/cache/sealpost-tests}/sendmail
tree=$cache/tree
bin=$tree/usr/libexec/sendmail/sendmail

# die, wait_port
# shellcheck source-path=SCRIPTDIR source=script-lib.sh
. "$(dirname "$0")/script-lib.sh"

cmd_fetch() {
	[ -x "$bin" ] && return 0
	command -v m4 >/dev/null || {
		echo "sendmail-instance: m4 is not installed" >&2
		exit 2
	}
	mkdir -p "$cache/debs" "$tree"
	(cd "$cache/debs" && apt-get download sendmail-bin sendmail-cf) \
		>"$cache/fetch.log" 2>&1 || {
		echo "sendmail-instance: apt-get download failed" \
			"(see $cache/fetch.log)" >&2
		exit 2
	}
	for deb in "$cache"/debs/*.deb; do
		dpkg -x "$deb" "$tree"
	done
	# setgid makes the loader ignore LD_LIBRARY_PATH; as root it is moot.
	chmod g-s "$bin"
}

sm() { # ARGS... : run the binary in its own UTS namespace
	unshare --uts -- sh -c 'hostname mta.sendmail.test && exec "$0" "$@"' \
		"$bin" "$@"
}

write_mc() { # DIR PORT RELAY MILTER
	cat <<EOM
divert(-1)
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mta.sendmail.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$1/service.switch')dnl
define(\`QUEUE_DIR', \`$1/queue')dnl
define(\`confPID_FILE', \`$1/sendmail.pid')dnl
define(\`confDEAD_LETTER_DROP', \`$1/dead.letter')dnl
define(\`HELP_FILE', \`$1/helpfile')dnl
undefine(\`ALIAS_FILE')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confMAX_HEADERS_LENGTH', \`1048576')dnl
define(\`confAUTH_MECHANISMS', \`')dnl
define(\`confMILTER_LOG_LEVEL', \`6')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`MAIL_HUB', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $3')dnl
define(\`RELAY_MAILER_LL', \`0')dnl
MODIFY_MAILER_FLAGS(\`RELAY', \`-DFM')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Family=inet, Name=MTA, Addr=127.0.0.1, Port=$2')dnl
CLIENT_OPTIONS(\`Family=inet, Addr=127.0.0.1')dnl
EOM
	if [ -n "$4" ]; then
		echo "INPUT_MAIL_FILTER(\`sealpost', \`S=$4, F=T, T=C:5s;S:30s;R:60s;E:60s')dnl"
	fi
	echo "MAILER(\`local')dnl"
	echo "MAILER(\`smtp')dnl"
}

cmd_start() {
	dir=$1
	shift
	port="" relay="" milter=""
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=$2 ;;
		--relay) relay=$2 ;;
		--milter) milter=$2 ;;
		*) die "unknown option $1" ;;
		esac
		shift 2
	done
	[ -n "$port" ] && [ -n "$relay" ] || die "start needs --port, --relay"
	[ -x "$bin" ] || die "binaries missing: run $0 fetch first"
	mkdir -p "$dir/queue"
	dir=$(cd "$dir" && pwd)
	chmod 700 "$dir/queue"
	printf 'hosts files\naliases files\n' >"$dir/service.switch"
	: >"$dir/helpfile"
	write_mc "$dir" "$port" "$relay" "$milter" >"$dir/sendmail.mc"
	m4 -D_CF_DIR_="$tree/usr/share/sendmail/cf/" \
		"$tree/usr/share/sendmail/cf/m4/cf.m4" "$dir/sendmail.mc" \
		>"$dir/sendmail.cf" 2>"$dir/m4.log" || die "m4 failed"
	sm -C "$dir/sendmail.cf" -bd -q5s -X "$dir/transcript.log" \
		>"$dir/start.log" 2>&1 || die "start failed: $(cat "$dir/start.log")"
	wait_port "$port" 10 || die "sendmail on $port did not come up"
}

cmd_stop() {
	dir=$1
	[ -f "$dir/sendmail.pid" ] || return 0
	pid=$(head -1 "$dir/sendmail.pid")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

[ $# -ge 1 ] || die "usage: $0 fetch | start|stop|flush|queue DIR ..."
cmd=$1
shift
case $cmd in
fetch) cmd_fetch ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$1" ;;
flush) sm -C "$1/sendmail.cf" -qf >/dev/null 2>&1 || true ;;
queue) find "$1/queue" -name 'qf*' | wc -l ;;
*) die "unknown command $cmd" ;;
esac
