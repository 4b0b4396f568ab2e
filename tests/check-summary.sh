#!/bin/sh
# Adds up the ctest summaries of the stages of make check and prints one
# closing line: "check: N passed, N failed".
set -eu
passed=0
failed=0
for log in "$@"; do
	[ -f "$log" ] || continue
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	[ -n "$line" ] || continue
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
	t=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
	passed=$((passed + t - f))
	failed=$((failed + f))
	echo "$(dirname "$log"): $((t - f)) of $t passed"
done
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
