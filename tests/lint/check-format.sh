#!/bin/sh
# Fails when a C file in the project is not formatted as .clang-format says.
set -eu
top=${1:-.}
cd "$top"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common milter portal-cgi sealpostctl tests -name '*.[ch]')
[ -n "$files" ] || exit 0
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "check-format: $f is not clang-format clean (run: clang-format -i $f)"
		bad=1
	fi
done
exit $bad
