# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# bench_lib.sh: sourced by bench_mta.sh and bench_portal.sh for what the
# two benchmarks do alike: the temporary folder, the order of the rows in
# a round, medians, and the report's first line.  It sources
# tests/harness/script-lib.sh (die, wait_port, wait_socket, stop_pid).
# Defines functions only; they read SRC, T, KEEP, OUT and LOAD0.
#
# Rates are kept in $T/rates, one "ROW ROUND RATE" line each (bench_mta
# puts the message size first).

# shellcheck source-path=SCRIPTDIR source=../harness/script-lib.sh
. "$SRC/tests/harness/script-lib.sh"

# Prints lines LINES (a sed range) of the script's header as its usage.
bench_usage() { # LINES
	sed -n "$1p" "$0" | sed 's/^# *//' >&2
	exit 2
}

# T: a fresh folder under /tmp with run/ in it, both 0755, and an empty
# $T/rates.
bench_tmpdir() { # PREFIX
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 0755 "$T"
	mkdir -p "$T/run"
	chmod 0755 "$T/run"
	: >"$T/rates"
}

# Removes T, or says where it is with --keep.
bench_drop_tmpdir() {
	if [ "$KEEP" = 1 ]; then
		echo "$(script_name): kept $T" >&2
	elif [ -n "${T:-}" ]; then
		rm -rf "$T"
	fi
}

bench_loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# The words after ROUND, rotated left by ROUND: each round starts at the
# next row, so that no row always runs first.
bench_rotation() { # ROUND WORD...
	local round=$1 i
	shift
	for i in $(seq 0 $(($# - 1))); do
		echo "${@:$(((i + round) % $# + 1)):1}"
	done
}

# The median of the numbers on stdin, one a line: the middle one printed
# with ODD-FORMAT, or the mean of the middle two with EVEN-FORMAT (printf
# formats, without the newline); "-" when there are none.
bench_median() { # ODD-FORMAT EVEN-FORMAT
	sort -g | awk -v odd="$1\n" -v even="$2\n" '{ a[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) printf odd, a[(NR + 1) / 2]
		else printf even, (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The median over rounds of ROW's rate over BASE's rate in the same
# round, from "ROW ROUND RATE" lines on stdin: steadier than the ratio of
# medians when the machine's load drifts during the run.
bench_paired() { # BASE ROW
	awk -v b="$1" -v r="$2" '$1 == b { base[$2] = $3 }
	    $1 == r { a[$2] = $3 }
	    END { for (k in a) if (base[k] > 0) printf "%.4f\n", a[k] / base[k] }' |
	    bench_median %.2f %.2f
}

ratio() { # VALUE BASE
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b == 0) print "-"
		else printf "%.2f\n", a / b }'
}

# The report's first line: when, how many cores, the load around the run.
bench_report_head() {
	echo "$(date -u '+%F %H:%M UTC'), $(nproc) cores; load average" \
	    "at start $LOAD0, at end $(bench_loadavg)."
}

# Runs FUNCTION, its output also to the file OUT when one was given.
bench_output() { # FUNCTION
	if [ -n "$OUT" ]; then
		"$1" | tee "$OUT"
	else
		"$1"
	fi
}
