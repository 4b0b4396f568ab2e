# Sourced by the cli test scripts, which set $tmp (a scratch folder) and
# fails=0 first.
#
# expect NAME WANT_STATUS WANT_TEXT COMMAND...: runs COMMAND, checks its
# exit status and that stdout+stderr contain WANT_TEXT (when not empty);
# prints "ok" or a FAIL line with what it got, and counts failures in
# $fails.
expect() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: got status $got, want $want"
		sed 's/^/  | /' "$tmp/out"
		fails=$((fails + 1))
	elif [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/out"; then
		echo "FAIL $name: got output:"
		sed 's/^/  | /' "$tmp/out"
		echo "  want it to contain: $text"
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}
