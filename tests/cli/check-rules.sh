#!/bin/sh
# Runs "sealpostctl rules check" and "rules test" as an admin would, on
# scratch rules files and messages (CRLF, bare LF, no header section).
# Usage: check-rules.sh SEALPOSTCTL [SOURCE_DIR]
set -u
ctl=$1
src=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect NAME WANT_STATUS WANT_TEXT COMMAND...: runs COMMAND, checks its
# exit status and that stdout+stderr contain WANT_TEXT.
expect() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: got status $got, want $want"
		sed 's/^/  | /' "$tmp/out"
		fails=$((fails + 1))
	elif ! grep -qF -- "$text" "$tmp/out"; then
		echo "FAIL $name: got output:"
		sed 's/^/  | /' "$tmp/out"
		echo "  want it to contain: $text"
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

cat >"$tmp/rules" <<'RULES'
rule secure-tag {
	match subject-tag "[secure]"
	encrypt encrypt-only
}
rule partners {
	match rcpt-domain partner.example .gov.example
	except sender-domain newsletter.example.com
	encrypt board
}
rule internal { match rcpt-domain corp.example; skip }
template board {
	rights read reply
	expire 14d
}
RULES
cat >"$tmp/bad.rules" <<'RULES'
rule a {
	match rcpt-domain bad..example
	encrypt nothing
}
rule a { match any }
RULES
cat >"$tmp/sealpost.conf" <<CONF
portal_url = https://portal.example/
rules_file = $tmp/rules
CONF
c="$tmp/sealpost.conf"

expect "check default rules file" 0 "$tmp/rules: 3 rules, 1 templates" \
	"$ctl" -c "$c" rules check
expect "check named file" 0 "3 rules, 1 templates" \
	"$ctl" -c "$c" rules check "$tmp/rules"
expect "check bad file fails" 1 "bad.rules:2:20: expected a domain name, found \"bad..example\"" \
	"$ctl" -c "$c" rules check "$tmp/bad.rules"
expect "check lists every error" 1 "bad.rules:5:20: expected encrypt or skip in rule \"a\", found \"}\"" \
	"$ctl" -c "$c" rules check "$tmp/bad.rules"
expect "check counts errors" 1 "4 errors" \
	"$ctl" -c "$c" rules check "$tmp/bad.rules"
expect "check missing file" 1 "cannot open" \
	"$ctl" -c "$c" rules check "$tmp/nope"

printf 'From: a@corp.example\r\nSubject: [SECURE] =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n' >"$tmp/crlf.eml"
printf 'From: a@corp.example\nSubject: plans\n\nbody\n' >"$tmp/lf.eml"
printf 'just a body line\nand another\n' >"$tmp/nohdr.eml"

expect "test tag rule" 0 "rule: secure-tag" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test subject without tag" 0 "subject: Grüße" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test template" 0 "template: encrypt-only" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test any recipient" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to x@else.example '<y@a.gov.example>'
expect "test no header section" 0 "subject: (no Subject)" \
	"$ctl" -c "$c" rules test "$tmp/nohdr.eml" --from a@corp.example --to y@partner.example
expect "test skip" 0 "action: skip" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to y@corp.example
expect "test none" 0 "none" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from news@newsletter.example.com --to y@partner.example
expect "test needs --to" 2 "usage: sealpostctl [-c FILE] rules" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example
expect "test other rules file" 1 "bad.rules:2:20" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@b.example --to c@d.example --rules "$tmp/bad.rules"
expect "test missing message" 1 "nope.eml" \
	"$ctl" -c "$c" rules test "$tmp/nope.eml" --from a@b.example --to c@d.example
expect "unknown subcommand" 2 "usage: sealpostctl [-c FILE] rules" \
	"$ctl" -c "$c" rules frob

if [ -n "$src" ]; then
	# The EXAMPLES of sealpost-rules(5) load as they are written.
	sed -n '/^\.SH EXAMPLES/,/^\.SH NOTES/p' "$src/docs/man/sealpost-rules.5" |
		sed -n '/^\.EX/,/^\.EE/p' | grep -v '^\.E[XE]' >"$tmp/man.rules"
	expect "man page example loads" 0 "man.rules: 5 rules, 1 templates" \
		"$ctl" -c "$c" rules check "$tmp/man.rules"
fi

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
