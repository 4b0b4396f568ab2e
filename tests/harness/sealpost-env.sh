#!/bin/bash
# SPDX-License-Identifier: MIT
# sealpost-env.sh: sourced by tests and the demo.  Sets up a private
# sealpost installation under one folder and runs the milter there.
#
#   source tests/harness/sealpost-env.sh
#   sp_env_init ROOT BUILD [MILTER_SOCKET]
#       ROOT/etc/sealpost.conf, ROOT/etc/rules, ROOT/keys (a fresh key
#       pair), ROOT/store, ROOT/run; MILTER_SOCKET defaults to
#       unix:ROOT/run/milter.sock.  Sets SP_ROOT, SP_BUILD, SP_CONF,
#       SP_SOCKET, SP_SRC.
#   sp_conf_set KEY VALUE       change one key in sealpost.conf
#   sp_milter_start [ARGS...]   start sealpost-milter -f in the background
#                               and wait for its socket; SP_MILTER_PID
#   sp_milter_stop [SIGNAL]     stop it (default TERM) and wait
#   sp_ctl ARGS...              run sealpostctl -c SP_CONF ARGS...
#
# Everything stays under ROOT and on loopback.

SP_SRC=${SP_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

sp_die() {
	echo "FAIL: $*" >&2
	exit 1
}

sp_write_rules() { # FILE
	cat >"$1" <<'EOR'
# Test rules: a subject tag, a recipient domain, and a skip.
rule never-newsletter {
	match sender-domain newsletter.example.com
	skip
}

rule secure-tag {
	match subject-tag "[secure]"
	encrypt encrypt-only
}

rule partners {
	match rcpt-domain partner.example
	encrypt confidential
}
EOR
}

sp_env_init() { # ROOT BUILD [SOCKET]
	SP_ROOT=$1
	SP_BUILD=$(cd "$2" && pwd)
	mkdir -p "$SP_ROOT"/{etc,keys,store,run}
	SP_ROOT=$(cd "$SP_ROOT" && pwd)
	# Postfix's daemons (user postfix) must reach the milter socket.
	chmod 755 "$SP_ROOT" "$SP_ROOT/run"
	chmod 700 "$SP_ROOT/keys" "$SP_ROOT/store"
	SP_SOCKET=${3:-unix:$SP_ROOT/run/milter.sock}
	SP_CONF=$SP_ROOT/etc/sealpost.conf
	sp_write_rules "$SP_ROOT/etc/rules"
	cat >"$SP_CONF" <<EOC
# Test configuration, written by tests/harness/sealpost-env.sh.
milter_socket = $SP_SOCKET
portal_socket = unix:$SP_ROOT/run/portal.sock
portal_url = https://portal.sealpost.test
smtp_url = smtp://127.0.0.1:10026
mail_from = sealpost@sealpost.test
store_path = $SP_ROOT/store
keys_dir = $SP_ROOT/keys
rules_file = $SP_ROOT/etc/rules
templates_dir = $SP_SRC/templates
pid_file = $SP_ROOT/run/milter.pid
brand_name = Sealpost Test
log_level = info
EOC
	sp_ctl keygen >"$SP_ROOT/keygen.log" 2>&1 ||
		sp_die "sealpostctl keygen: $(cat "$SP_ROOT/keygen.log")"
}

sp_conf_set() { # KEY VALUE
	if grep -q "^$1 *=" "$SP_CONF"; then
		sed -i "s|^$1 *=.*|$1 = $2|" "$SP_CONF"
	else
		echo "$1 = $2" >>"$SP_CONF"
	fi
}

sp_ctl() {
	"$SP_BUILD/bin/sealpostctl" -c "$SP_CONF" "$@"
}

sp_socket_ready() {
	case $SP_SOCKET in
	unix:*) [ -S "${SP_SOCKET#unix:}" ] ;;
	inet:*)
		port=${SP_SOCKET#inet:}
		port=${port%@*}
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
		;;
	esac
}

sp_milter_start() {
	"$SP_BUILD/bin/sealpost-milter" -c "$SP_CONF" -f "$@" \
		>>"$SP_ROOT/milter.log" 2>&1 &
	SP_MILTER_PID=$!
	for _ in $(seq 1 100); do
		if sp_socket_ready && grep -q "action=start" "$SP_ROOT/milter.log"; then
			return 0
		fi
		kill -0 "$SP_MILTER_PID" 2>/dev/null ||
			sp_die "milter exited: $(tail -5 "$SP_ROOT/milter.log")"
		sleep 0.1
	done
	sp_die "milter socket $SP_SOCKET did not appear"
}

sp_milter_stop() { # [SIGNAL]
	[ -n "${SP_MILTER_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$SP_MILTER_PID" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$SP_MILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$SP_MILTER_PID" 2>/dev/null || true
	SP_MILTER_PID=
	# A milter built with SEALPOST_SANITIZE reports here.
	if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" \
		"$SP_ROOT/milter.log"; then
		sp_die "sanitizer report in $SP_ROOT/milter.log: $(grep -A20 "Sanitizer\|runtime error" "$SP_ROOT/milter.log" | head -40)"
	fi
}
