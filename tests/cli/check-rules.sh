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

. "$(dirname "$0")/expect.sh"

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
	brand Board
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
# Envelope forms the MTA delivers to the same mailbox decide the same.
expect "test trailing dot on domain" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to bob@partner.example.
expect "test source route" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to '@relay.example:bob@partner.example'
expect "test source route in brackets" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to '<@relay.example,@b.example:bob@Partner.Example.>'
expect "test quoted local part" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to '"bob"@partner.example'
expect "test percent hack" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to 'bob%partner.example@mail.example'
expect "test unparsable recipient sealed" 0 "template: board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to '<bob@partner.example'
expect "test sender forms" 0 "none" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from '<News@Newsletter.Example.COM.>' --to y@partner.example

# Every Subject field is looked at; the matching one is shown.
printf 'From: a@corp.example\nSubject: harmless\nSubject: [secure] second\n\nbody\n' >"$tmp/two.eml"
expect "test tag in second subject" 0 "rule: secure-tag" \
	"$ctl" -c "$c" rules test "$tmp/two.eml" --from a@corp.example --to x@else.example
expect "test subject from matching field" 0 "subject: second" \
	"$ctl" -c "$c" rules test "$tmp/two.eml" --from a@corp.example --to x@else.example

# The template's rights, expiry and brand, as sealpostctl(8) says.
expect "test rights" 0 "rights: read reply reply-all forward download print" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test default expiry" 0 "expire: 2592000 seconds (default_expire)" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test default brand" 0 "brand: sealpost (brand_name)" \
	"$ctl" -c "$c" rules test "$tmp/crlf.eml" --from a@corp.example --to x@else.example
expect "test template expiry" 0 "expire: 1209600 seconds" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to y@partner.example
expect "test template brand" 0 "brand: Board" \
	"$ctl" -c "$c" rules test "$tmp/lf.eml" --from a@corp.example --to y@partner.example

# An unterminated string ends at its line, with the '}' it swallowed.
printf 'rule a { match subject-tag "[secure] ; skip }\nrule b { match any; skip; encrypt confidential }\n' >"$tmp/unterm.rules"
expect "check unterminated string" 1 'unterm.rules:1:28: expected a closing " for this string, found end of line' \
	"$ctl" -c "$c" rules check "$tmp/unterm.rules"
expect "check error after unterminated string" 1 'unterm.rules:2:27: expected one action in rule "b", found "encrypt"' \
	"$ctl" -c "$c" rules check "$tmp/unterm.rules"
expect "check unterminated string counts" 1 "2 errors" \
	"$ctl" -c "$c" rules check "$tmp/unterm.rules"

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
