#!/bin/sh
# Fails when C code calls a function that is banned in this project:
# unbounded copies and formats, and conversions that cannot report errors.
set -eu
top=${1:-.}
cd "$top"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common milter portal-cgi sealpostctl tests -name '*.[ch]')
[ -n "$files" ] || exit 0
pattern='\<(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\('
# shellcheck disable=SC2086
if grep -nE "$pattern" $files; then
	echo "check-banned: use strlcpy-style helpers, snprintf, strtok_r, strtol"
	exit 1
fi
exit 0
