# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# script-lib.sh: sourced by the harness and benchmark scripts (bash) for
# what each of them needs the same way.  Defines functions only.
#
#   script_name              the running script's name without .sh
#   die MESSAGE...           "NAME: MESSAGE" on stderr (NAME from
#                            script_name), then exit 1
#   wait_port PORT SECONDS   0 once 127.0.0.1:PORT takes a connection,
#                            1 after SECONDS (tried every 0.1 s)
#   wait_socket PATH SECONDS 0 once PATH is a socket, 1 after SECONDS
#   stop_pid PID             SIGTERM, then up to 5 s for PID to end (and
#                            reaps it when it is this shell's child);
#                            nothing for an empty PID

script_name() {
	local name=${0##*/}
	echo "${name%.sh}"
}

die() {
	echo "$(script_name): $*" >&2
	exit 1
}

wait_port() { # PORT SECONDS
	local i=0
	while [ "$i" -lt $(($2 * 10)) ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wait_socket() { # PATH SECONDS
	local i=0
	while [ "$i" -lt $(($2 * 10)) ]; do
		[ -S "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

stop_pid() { # PID
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	wait "$1" 2>/dev/null || true
}
