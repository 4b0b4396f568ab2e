#!/bin/bash
# SPDX-License-Identifier: MIT
# postfix-instance.sh: a private, throw-away Postfix for tests, apart from
# the system one.  Its config, queue and data directories and its log are
# all under DIR; it listens on loopback only and relays everything to a
# capture server on loopback.  Needs root (Postfix's master does).
#
#   postfix-instance.sh start DIR --smtp PORT --exempt PORT --relay PORT
#                       [--milter SPEC] [--set name=value]...
#       SMTP listener with the milter on 127.0.0.1:--smtp; a listener
#       without milters on 127.0.0.1:--exempt (for mail the portal sends,
#       which must not be sealed again); relayhost [127.0.0.1]:--relay.
#       SPEC goes on smtpd_milters and non_smtpd_milters, with
#       milter_default_action = tempfail.
#   postfix-instance.sh stop DIR
#   postfix-instance.sh set DIR name=value...   (postconf -e, then reload)
#   postfix-instance.sh sendmail DIR ARGS...    (Postfix's sendmail -C DIR)
#   postfix-instance.sh flush DIR               (retry deferred mail now)
#   postfix-instance.sh queue DIR               (count of queued messages)
#   postfix-instance.sh log DIR                 (the instance's log file)
set -eu

# die, wait_port
# shellcheck source-path=SCRIPTDIR source=script-lib.sh
. "$(dirname "$0")/script-lib.sh"

write_master_cf() { # DIR SMTP EXEMPT
	cat >"$1/conf/master.cf" <<EOM
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$2 inet n - n - - smtpd
127.0.0.1:$3 inet n - n - - smtpd
  -o smtpd_milters= -o non_smtpd_milters=
  -o syslog_name=postfix-exempt
pickup unix n - n 1 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOM
}

write_main_cf() { # DIR RELAY
	cat >"$1/conf/main.cf" <<EOM
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
meta_directory = /etc/postfix
myhostname = mx.sealpost.test
mydomain = sealpost.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$2
smtp_dns_support_level = disabled
smtpd_relay_restrictions = permit_mynetworks, reject
local_header_rewrite_clients =
smtp_line_length_limit = 0
disable_mime_output_conversion = yes
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maillog_file = $1/maillog
maillog_file_prefixes = $1
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 60s
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
EOM
}

cmd_start() {
	dir=$1
	shift
	smtp="" exempt="" relay="" milter=""
	sets=""
	while [ $# -gt 0 ]; do
		case $1 in
		--smtp) smtp=$2 ;;
		--exempt) exempt=$2 ;;
		--relay) relay=$2 ;;
		--milter) milter=$2 ;;
		--set) sets="$sets $2" ;;
		*) die "unknown option $1" ;;
		esac
		shift 2
	done
	[ -n "$smtp" ] && [ -n "$exempt" ] && [ -n "$relay" ] ||
		die "start needs --smtp, --exempt and --relay"
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
	dir=$(cd "$dir" && pwd)
	# Postfix opens files under data_directory as user postfix: every
	# folder above DIR must be searchable by it.
	chmod 755 "$dir"
	chown postfix "$dir/data"
	write_main_cf "$dir" "$relay"
	write_master_cf "$dir" "$smtp" "$exempt"
	if [ -n "$milter" ]; then
		postconf -c "$dir/conf" -e "smtpd_milters = $milter" \
			"non_smtpd_milters = $milter"
	fi
	for s in $sets; do
		postconf -c "$dir/conf" -e "$s"
	done
	postfix -c "$dir/conf" check >"$dir/check.log" 2>&1 ||
		die "postfix check failed: $(cat "$dir/check.log")"
	postfix -c "$dir/conf" start >>"$dir/check.log" 2>&1 ||
		die "postfix start failed: $(cat "$dir/check.log")"
	wait_port "$smtp" 20 || die "smtpd on $smtp did not come up"
	wait_port "$exempt" 5 || die "smtpd on $exempt did not come up"
}

cmd_stop() {
	dir=$1
	[ -f "$dir/conf/main.cf" ] || return 0
	postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
	i=0
	while [ -f "$dir/queue/pid/master.pid" ] && [ "$i" -lt 50 ]; do
		pid=$(tr -d ' ' <"$dir/queue/pid/master.pid")
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

cmd_set() {
	dir=$1
	shift
	postconf -c "$dir/conf" -e "$@"
	postfix -c "$dir/conf" reload >/dev/null 2>&1
}

cmd_queue() {
	find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" \
		"$1/queue/hold" "$1/queue/maildrop" -type f 2>/dev/null | wc -l
}

[ $# -ge 2 ] || die "usage: $0 start|stop|set|sendmail|flush|queue|log DIR ..."
cmd=$1
dir=$2
shift 2
case $cmd in
start) cmd_start "$dir" "$@" ;;
stop) cmd_stop "$dir" ;;
set) cmd_set "$dir" "$@" ;;
sendmail) exec sendmail -C "$dir/conf" "$@" ;;
flush) postqueue -c "$dir/conf" -f ;;
queue) cmd_queue "$dir" ;;
log) cat "$dir/maillog" 2>/dev/null || true ;;
*) die "unknown command $cmd" ;;
esac
