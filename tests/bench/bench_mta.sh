#!/bin/bash
# SPDX-License-Identifier: MIT
# bench_mta.sh: what a milter costs Postfix, end to end.  Run by hand, as
# root; not part of the test suite's pass/fail.
#
#   tests/bench/bench_mta.sh [--quick] [--runs N] [--build DIR]
#                            [--port-base P] [--no-big] [--keep]
#                            [--out FILE] [--only V,V...] [--sizes S,S]
#
# One private Postfix (tests/harness/postfix-instance.sh) relays to
# smtp-sink on loopback.  It has one SMTP listener per variant:
#
#   none       no milter
#   opendkim   Debian's opendkim signing every message (RSA-2048)
#   donothing  tests/bench/donothing_milter: every callback, no action
#   sp-pass    sealpost-milter whose rules match nothing
#   sp-seal    sealpost-milter sealing every message
#
# For each size (5 KB, 1 MB) the milters are started afresh; then RUNS
# rounds send, on every listener in turn, N messages with
# `smtp-source -s 10` to an smtp-sink started with `-M N`: the time from
# the first connection to the sink's exit after the Nth message is the
# delivered rate.  The table gives the median of the rounds, its ratio to
# `none`, and each milter's peak resident size (VmHWM) over that size's
# rounds.  Then one 50 MB message goes through a fresh sealing milter and
# its peak resident size is reported.
#
# --only limits the variants (none is always run: it is the base);
# --sizes picks from 5KB and 1MB.  Both are for profiling one case.
#
# Ports: --port-base P (default 22000); P+1..P+5 the listeners, P+10 the
# listener without milters, P+25 the sink.  Everything stays on 127.0.0.1.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build
RUNS=5
N_SMALL=2000
N_LARGE=200
BIG=1
KEEP=0
OUT=
PORT_BASE=22000
PF=${PF_HARNESS:-$SRC/tests/harness/postfix-instance.sh}
SP_ENV=${SP_ENV_SCRIPT:-$SRC/tests/harness/sealpost-env.sh}
COUNT=$SRC/tests/bench/sink_count.py
VARIANTS="none opendkim donothing sp-pass sp-seal"
ONLY=
SIZES=5KB,1MB

# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$SRC/tests/bench/bench_lib.sh"

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) RUNS=3 N_SMALL=300 N_LARGE=30 ;;
		--runs) RUNS=$2 && shift ;;
		--build) BUILD=$(cd "$2" && pwd) && shift ;;
		--port-base) PORT_BASE=$2 && shift ;;
		--no-big) BIG=0 ;;
		--keep) KEEP=1 ;;
		--out) OUT=$2 && shift ;;
		--only) ONLY=$2 && shift ;;
		--sizes) SIZES=$2 && shift ;;
		*) bench_usage 5,7 ;;
		esac
		shift
	done
	SINK_PORT=$((PORT_BASE + 25))
	EXEMPT_PORT=$((PORT_BASE + 10))
}

port_of() { # VARIANT
	case $1 in
	none) echo $((PORT_BASE + 1)) ;;
	opendkim) echo $((PORT_BASE + 2)) ;;
	donothing) echo $((PORT_BASE + 3)) ;;
	sp-pass) echo $((PORT_BASE + 4)) ;;
	sp-seal) echo $((PORT_BASE + 5)) ;;
	esac
}

check_tools() {
	[ "$(id -u)" = 0 ] || die "needs root (Postfix's master does)"
	for t in postfix postconf smtp-source smtp-sink opendkim \
	    opendkim-genkey; do
		command -v "$t" >/dev/null || die "$t is not installed"
	done
	[ -x "$PF" ] || die "no Postfix harness at $PF"
	[ -x "$BUILD/tests/bin/donothing_milter" ] ||
		die "build first: $BUILD/tests/bin/donothing_milter is missing"
	HAVE_SP=0
	if [ -x "$BUILD/bin/sealpost-milter" ] && [ -f "$SP_ENV" ]; then
		HAVE_SP=1
	else
		echo "bench_mta: no sealpost-milter or sealpost-env.sh:" \
		    "the sp-pass and sp-seal rows are left out" >&2
		VARIANTS="none opendkim donothing"
	fi
	if [ -n "$ONLY" ]; then
		local keep=none
		for v in $VARIANTS; do
			case ",$ONLY," in *",$v,"*) keep="$keep $v" ;; esac
		done
		VARIANTS=$keep
	fi
}

# A message of about SIZE bytes: plain headers (From: in example.org, the
# domain opendkim signs for), then 76-column text lines.  smtp-source -F
# sends it with CRLF line ends.
make_message() { # FILE SIZE
	{
		printf 'From: Bench Sender <bench@example.org>\n'
		printf 'To: Bench Recipient <rcpt@example.net>\n'
		printf 'Subject: quarterly figures\n'
		printf 'Date: Fri, 04 Dec 2026 12:00:00 +0000\n'
		printf 'Message-ID: <bench-%s@example.org>\n' "$2"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n\n'
		awk -v n="$2" 'BEGIN {
			l = "The quick brown fox jumps over the lazy dog, " \
			    "then files its quarterly report"
			for (s = 0; s < n; s += 78)
				printf "%s %06d\n", l, s / 78 % 1000000
		}'
	} >"$1"
}

# Peak resident size of PID in KiB (0 when it is gone).
peak_rss() { # PID
	awk '/^VmHWM:/ { print $2; f = 1 } END { if (!f) print 0 }' \
	    "/proc/$1/status" 2>/dev/null || echo 0
}

# --- the milters --------------------------------------------------------

setup_opendkim() {
	local d=$T/opendkim
	mkdir -p "$d"
	opendkim-genkey -b 2048 -d example.org -s bench -D "$d" ||
		die "opendkim-genkey failed"
	cat >"$d/opendkim.conf" <<EOC
Mode s
Domain example.org
Selector bench
KeyFile $d/bench.private
Canonicalization relaxed/simple
Socket local:$T/run/opendkim.sock
UMask 000
Background no
Syslog no
PidFile $d/opendkim.pid
RequireSafeKeys false
EOC
}

# Two sealpost installations from the shared test environment: one whose
# rules match nothing smtp-source sends (a subject tag, a partner domain
# and a skip, as a site would have), one that seals everything.
setup_sealpost() {
	[ "$HAVE_SP" = 1 ] || return 0
	# shellcheck disable=SC2034 # read by sealpost-env.sh
	SP_SRC=$SRC
	# shellcheck source=/dev/null
	. "$SP_ENV"
	for v in sp-pass sp-seal; do
		sp_env_init "$T/$v" "$BUILD" "unix:$T/run/$v.sock" >/dev/null
		sp_conf_set milter_socket_group postfix
		sp_conf_set milter_socket_mode 0660
		eval "CONF_${v#sp-}=\$SP_CONF ROOT_${v#sp-}=\$SP_ROOT"
	done
	printf 'rule everything {\n\tmatch any\n\tencrypt encrypt-only\n}\n' \
	    >"$T/sp-seal/etc/rules"
}

start_sealpost() { # VARIANT
	local k=${1#sp-}
	eval "SP_CONF=\$CONF_$k SP_ROOT=\$ROOT_$k"
	# shellcheck disable=SC2034 # read by sp_milter_start
	SP_SOCKET=unix:$T/run/$1.sock
	rm -f "$T/run/$1.sock"
	: >"$SP_ROOT/milter.log"
	sp_milter_start
	eval "PID_$k=\$SP_MILTER_PID"
}

# shellcheck disable=SC2034 # PID_* are read through eval
start_milters() {
	rm -f "$T/run/opendkim.sock" "$T/run/donothing.sock"
	opendkim -f -x "$T/opendkim/opendkim.conf" >>"$T/opendkim/log" 2>&1 &
	PID_opendkim=$!
	"$BUILD/tests/bin/donothing_milter" "unix:$T/run/donothing.sock" \
	    >>"$T/run/donothing.log" 2>&1 &
	PID_donothing=$!
	wait_socket "$T/run/opendkim.sock" 10 || die "opendkim did not start"
	wait_socket "$T/run/donothing.sock" 10 ||
		die "donothing_milter did not start"
	if [ "$HAVE_SP" = 1 ]; then
		start_sealpost sp-pass
		start_sealpost sp-seal
	fi
}

# Prints "VARIANT KIB" for each milter, then stops them all.
stop_milters() {
	for v in opendkim donothing pass seal; do
		eval "pid=\${PID_$v:-}"
		[ -n "$pid" ] || continue
		echo "$v $(peak_rss "$pid")"
		stop_pid "$pid"
		eval "PID_$v="
	done
}

# --- Postfix ------------------------------------------------------------

milter_of() { # VARIANT
	case $1 in
	opendkim | donothing) echo "unix:$T/run/$1.sock" ;;
	sp-*) echo "unix:$T/run/$1.sock" ;;
	esac
}

# One listener per variant; `none` is the harness's own milter-less one.
start_postfix() {
	local conf=$T/postfix/conf port
	"$PF" start "$T/postfix" --smtp "$(port_of none)" \
	    --exempt "$EXEMPT_PORT" --relay "$SINK_PORT" \
	    --set message_size_limit=104857600 ||
		die "Postfix did not start"
	for v in $VARIANTS; do
		[ "$v" = none ] && continue
		port=$(port_of "$v")
		postconf -c "$conf" -M \
		    "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd"
		postconf -c "$conf" -P \
		    "127.0.0.1:$port/inet/smtpd_milters=$(milter_of "$v")"
	done
	postfix -c "$conf" reload >/dev/null 2>&1
	for v in $VARIANTS; do
		wait_port "$(port_of "$v")" 10 ||
			die "listener for $v did not come up"
	done
}

wait_queue_empty() {
	for _ in $(seq 1 600); do
		[ "$("$PF" queue "$T/postfix")" = 0 ] && return 0
		sleep 0.05
	done
	die "Postfix queue did not drain: see $T/postfix/maillog"
}

# --- one measurement ----------------------------------------------------

# Sends N copies of FILE through VARIANT's listener and prints the
# delivered rate: N over the time from the first connection to the sink's
# count reaching N more than before.
run_one() { # VARIANT FILE N
	local base waiter t0 t1 rc=0
	base=$("$COUNT" "$T/sink.out")
	"$COUNT" "$T/sink.out" $((base + $3)) >"$T/t1" &
	waiter=$!
	t0=$EPOCHREALTIME
	smtp-source -s 10 -m "$3" -F "$2" -f bench@example.org \
	    -t rcpt@example.net -M client.example.org \
	    "127.0.0.1:$(port_of "$1")" >"$T/source.log" 2>&1 || rc=$?
	[ "$rc" = 0 ] || die "smtp-source on $1 failed: $(cat "$T/source.log")"
	wait "$waiter" || die "the sink did not get $3 messages from $1"
	t1=$(cat "$T/t1")
	wait_queue_empty
	awk -v n="$3" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", n / (b - a) }'
}

# The outside world: one smtp-sink for the whole run, its counters in a
# file that sink_count.py reads.
start_sink() {
	smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 256 >"$T/sink.out" 2>&1 &
	SINK_PID=$!
	wait_port "$SINK_PORT" 5 || die "smtp-sink did not start"
}

# Writes "NAME KIB" lines to FILE: the largest RssAnon seen for each
# running milter, sampled every 100 ms until killed.
sample_anon() { # FILE
	local -A max=()
	local v pid k kib
	while :; do
		for v in opendkim donothing pass seal; do
			eval "pid=\${PID_$v:-}"
			[ -n "$pid" ] || continue
			while read -r k kib _; do
				[ "$k" = RssAnon: ] || continue
				[ "$kib" -gt "${max[$v]:-0}" ] && max[$v]=$kib
			done <"/proc/$pid/status" 2>/dev/null || true
		done
		for v in "${!max[@]}"; do
			echo "$v ${max[$v]}"
		done >"$1"
		sleep 0.1
	done
}

# All rounds for one size: milters started afresh, a short warm-up on
# every listener, then RUNS rounds over the variants, starting each round
# at the next variant so that none always runs first.
bench_size() { # LABEL FILE N
	local round v rate sampler
	start_milters
	sample_anon "$T/anon-$1" &
	sampler=$!
	for v in $VARIANTS; do
		run_one "$v" "$2" 20 >/dev/null
	done
	for round in $(seq 1 "$RUNS"); do
		# shellcheck disable=SC2086 # VARIANTS is a list of words
		for v in $(bench_rotation "$round" $VARIANTS); do
			rate=$(run_one "$v" "$2" "$3")
			echo "$1 $v $round $rate" >>"$T/rates"
			printf '  %-5s round %d %-10s %8s msg/s\n' "$1" "$round" \
			    "$v" "$rate" >&2
		done
	done
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	stop_milters | while read -r v kib; do
		echo "$1 $v $kib" >>"$T/rss"
	done
}

# Writes "ANON FILE" (KiB): the largest RssAnon and RssFile seen in PID's
# status every 20 ms until PID ends or the sampler is stopped.  VmHWM
# counts both; RssFile is mostly the store's memory map (page cache the
# kernel can take back), RssAnon is the milter's own memory.
sample_rss() { # PID FILE
	local anon=0 file=0 k v
	while kill -0 "$1" 2>/dev/null; do
		while read -r k v _; do
			case $k in
			RssAnon:) [ "$v" -gt "$anon" ] && anon=$v ;;
			RssFile:) [ "$v" -gt "$file" ] && file=$v ;;
			esac
		done <"/proc/$1/status"
		# whole or not at all: the sampler may be killed at any point
		echo "$anon $file" >"$2.tmp" && mv -f "$2.tmp" "$2"
		sleep 0.02
	done
}

# One 50 MB message through a fresh sealing milter (its store already
# holds what the rounds sealed): its peak RSS.
bench_big() {
	local rate kib sampler anon file
	[ "$HAVE_SP" = 1 ] && [ "$BIG" = 1 ] || return 0
	make_message "$T/msg-50m.eml" 52428800
	start_sealpost sp-seal
	sample_rss "$PID_seal" "$T/big.rss" &
	sampler=$!
	rate=$(run_one sp-seal "$T/msg-50m.eml" 1)
	kib=$(peak_rss "$PID_seal")
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	read -r anon file <"$T/big.rss" ||
		die "no memory sample of the milter during the 50 MB message"
	stop_pid "$PID_seal"
	PID_seal=
	BIG_LINE=$(awk -v k="$kib" -v r="$rate" -v a="$anon" -v f="$file" '
	    BEGIN {
		printf "50 MB message sealed: milter peak RSS (VmHWM) %.1f " \
		    "MiB, %s; largest RssAnon %.1f MiB, RssFile %.1f MiB; " \
		    "end to end %.1f s", k / 1024,
		    k < 32768 ? "under 32 MiB" : "NOT under 32 MiB",
		    a / 1024, f / 1024, 1 / r }')
}

# --- the report ---------------------------------------------------------

median_of() { # SIZE VARIANT
	awk -v s="$1" -v v="$2" '$1 == s && $2 == v { print $4 }' "$T/rates" |
	    bench_median %s %.1f
}

# The median over rounds of VARIANT's rate over none's rate in the same
# round.
paired_of() { # SIZE VARIANT
	awk -v s="$1" '$1 == s { print $2, $3, $4 }' "$T/rates" |
	    bench_paired none "$2"
}

runs_of() { # SIZE VARIANT
	awk -v s="$1" -v v="$2" '$1 == s && $2 == v { printf "%s ", $4 }' \
	    "$T/rates"
}

# "HWM (ANON) MiB": VmHWM at the end, and the largest RssAnon sampled.
rss_of() { # SIZE VARIANT
	local anon
	anon=$(awk -v v="${2#sp-}" '$1 == v { print $2 }' "$T/anon-$1" \
	    2>/dev/null)
	awk -v s="$1" -v v="${2#sp-}" -v a="${anon:-0}" '$1 == s && $2 == v {
		printf "%.1f (%.1f) MiB", $3 / 1024, a / 1024; f = 1 }
		END { if (!f) print "-" }' "$T/rss"
}

report() {
	local b5 b1 m5 m1
	b5=$(median_of 5KB none)
	b1=$(median_of 1MB none)
	bench_report_head
	echo
	echo "Delivered msg/s, median of $RUNS rounds ($N_SMALL messages of" \
	    "5 KB, $N_LARGE of 1 MB per round; smtp-source -s 10)."
	echo
	echo "Peak RSS: the milter's VmHWM at the end of that size's rounds," \
	    "and in brackets the largest RssAnon sampled (VmHWM also counts" \
	    "the pages of the LMDB map the milter has touched)."
	echo
	echo "Ratio: median rate over none's median rate; paired: median over" \
	    "rounds of the rate over none's rate in the same round."
	echo
	echo "| milter | 5 KB msg/s | ratio | paired | peak RSS | 1 MB msg/s | ratio | paired | peak RSS |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for v in $VARIANTS; do
		m5=$(median_of 5KB "$v")
		m1=$(median_of 1MB "$v")
		echo "| $v | $m5 | $(ratio "$m5" "$b5") | $(paired_of 5KB "$v") |" \
		    "$(rss_of 5KB "$v") | $m1 | $(ratio "$m1" "$b1") |" \
		    "$(paired_of 1MB "$v") | $(rss_of 1MB "$v") |"
	done
	echo
	echo "Every round (msg/s):"
	echo
	for v in $VARIANTS; do
		echo "    $v  5 KB: $(runs_of 5KB "$v")"
		echo "    $v  1 MB: $(runs_of 1MB "$v")"
	done
	[ -z "${BIG_LINE:-}" ] || printf '\n%s\n' "$BIG_LINE"
}

cleanup() {
	stop_milters >/dev/null 2>&1 || true
	# A milter whose start failed half-way (sp_milter_start exits).
	stop_pid "${SP_MILTER_PID:-}"
	[ -z "${T:-}" ] || "$PF" stop "$T/postfix" 2>/dev/null || true
	stop_pid "${SINK_PID:-}"
	bench_drop_tmpdir
}

main() {
	parse_args "$@"
	check_tools
	bench_tmpdir sp-bench-mta
	trap cleanup EXIT
	: >"$T/rss"
	make_message "$T/msg-5k.eml" 5120
	make_message "$T/msg-1m.eml" 1048576
	setup_opendkim
	setup_sealpost
	LOAD0=$(bench_loadavg)
	start_sink
	start_postfix
	echo "bench_mta: $RUNS rounds; variants: $VARIANTS" >&2
	case ",$SIZES," in *,5KB,*) bench_size 5KB "$T/msg-5k.eml" "$N_SMALL" ;; esac
	case ",$SIZES," in *,1MB,*) bench_size 1MB "$T/msg-1m.eml" "$N_LARGE" ;; esac
	bench_big
	bench_output report
}

main "$@"
