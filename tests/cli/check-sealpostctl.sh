#!/bin/sh
# Runs sealpostctl as an admin would: -n on good and bad configs, an
# unknown command, keygen, key rotation and retirement, keys list|check
# and the portal secret in a scratch keys_dir and store (SEAL_FIXTURE
# seals a message into it as the milter would).
# Usage: check-sealpostctl.sh SEALPOSTCTL SOURCE_DIR SEAL_FIXTURE
set -u
ctl=$1
src=$2
fixture=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

. "$(dirname "$0")/expect.sh"

expect "example config passes -n" 0 "sealpost.conf.example: config OK" \
	"$ctl" -c "$src/packaging/sealpost.conf.example" -n

cat >"$tmp/bad.conf" <<'CONF'
portal_url = https://portal.example
passcode_ttl = soon
portl_workers = 3
passcode_max_tries = 99
CONF
expect "bad value names file and line" 1 "bad.conf:2: passcode_ttl:" \
	"$ctl" -c "$tmp/bad.conf" -n
expect "unknown key suggests" 1 \
	"bad.conf:3: unknown key \"portl_workers\" (did you mean \"portal_workers\"?)" \
	"$ctl" -c "$tmp/bad.conf" -n
expect "bounds are named" 1 "bad.conf:4: passcode_max_tries: \"99\" is out of bounds (1..20)" \
	"$ctl" -c "$tmp/bad.conf" -n
expect "errors are counted" 1 "3 configuration errors" \
	"$ctl" -c "$tmp/bad.conf" -n
expect "a bad config stops commands too" 1 "bad.conf:2:" \
	"$ctl" -c "$tmp/bad.conf" config

echo "brand_name = x" >"$tmp/noreq.conf"
expect "missing required key" 1 "noreq.conf: missing required key portal_url" \
	"$ctl" -c "$tmp/noreq.conf" -n
expect "missing file" 1 "cannot open" "$ctl" -c "$tmp/none.conf" -n

cat >"$tmp/good.conf" <<CONF
portal_url = https://portal.example/
keys_dir = $tmp/keys
store_path = $tmp/store
CONF
expect "unknown command gives usage" 2 "usage: sealpostctl" \
	"$ctl" -c "$tmp/good.conf" frobnicate
expect "no command gives usage" 2 "usage: sealpostctl" "$ctl" -c "$tmp/good.conf"
expect "bad keys subcommand" 2 "usage: sealpostctl [-c FILE] keys list | check | retire ID" \
	"$ctl" -c "$tmp/good.conf" keys lsit
expect "config prints one value" 0 "https://portal.example" \
	"$ctl" -c "$tmp/good.conf" config portal_url
"$ctl" -c "$tmp/good.conf" config >"$tmp/printed.conf"
expect "printed config loads again" 0 "config OK" \
	"$ctl" -c "$tmp/printed.conf" -n

mkdir "$tmp/keys"
expect "keys list without keys" 1 "no key pair" "$ctl" -c "$tmp/good.conf" keys list
expect "keygen prints an id" 0 "" "$ctl" -c "$tmp/good.conf" keygen
id=$(head -n 1 "$tmp/out")
case $id in
[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) echo "ok   key id $id" ;;
*) echo "FAIL keygen: got \"$id\", want 16 hex characters"; fails=$((fails + 1)) ;;
esac
expect "keys list marks the newest" 0 "$id" "$ctl" -c "$tmp/good.conf" keys list
expect "keys list says newest" 0 "newest (seals)" "$ctl" -c "$tmp/good.conf" keys list
expect "keys check accepts 0600" 0 "1 key pair OK" "$ctl" -c "$tmp/good.conf" keys check
chmod 0644 "$tmp/keys/$id.sk"
expect "keys check refuses a readable secret" 1 "$id.sk: mode 0644" \
	"$ctl" -c "$tmp/good.conf" keys check

chmod 0600 "$tmp/keys/$id.sk"

# fail NAME MESSAGE: counts a failure of a check made outside expect.
fail() {
	echo "FAIL $1: $2"
	fails=$((fails + 1))
}

# The portal secret: made by keygen like a .sk, made again when missing,
# refused by keys check when others may read it.
mode=$(stat -c %a "$tmp/keys/portal.secret" 2>/dev/null)
if [ "$mode" = 600 ]; then echo "ok   keygen made portal.secret 0600"
else fail "keygen makes the portal secret" "got mode \"$mode\", want 600"; fi
expect "keys check reads the portal secret" 0 "portal.secret: OK" \
	"$ctl" -c "$tmp/good.conf" keys check
rm "$tmp/keys/portal.secret"
expect "refused keygen still makes a missing secret" 1 \
	"made the portal secret $tmp/keys/portal.secret" \
	"$ctl" -c "$tmp/good.conf" keygen
expect "keygen refuses a second pair" 1 "run sealpostctl keygen --rotate" \
	"$ctl" -c "$tmp/good.conf" keygen
[ -f "$tmp/keys/portal.secret" ] || fail "portal secret made again" "missing"
chmod 0604 "$tmp/keys/portal.secret"
expect "keys check refuses a readable portal secret" 1 \
	"portal.secret: mode 0604" "$ctl" -c "$tmp/good.conf" keys check
chmod 0600 "$tmp/keys/portal.secret"

# A message sealed to the first pair, then a rotation.
printf 'From: a@example.org\nTo: b@example.org\nSubject: x\n\nbody\n' \
	>"$tmp/msg.eml"
msg=$("$fixture" -c "$tmp/good.conf" -f a@example.org -t b@example.org \
	"$tmp/msg.eml" | cut -d' ' -f1)
[ -n "$msg" ] || fail "seal a message" "seal_fixture printed no id"
expect "keys list counts messages per key" 0 "1/1           newest (seals)" \
	"$ctl" -c "$tmp/good.conf" keys list
expect "rotate says to reload the milter" 0 "Reload the milter (SIGHUP)" \
	"$ctl" -c "$tmp/good.conf" keygen --rotate
new=$(head -n 1 "$tmp/out")
[ "$new" != "$id" ] || fail "rotate" "got the old id $id again"
"$ctl" -c "$tmp/good.conf" keys list >"$tmp/list" 2>&1
first=$(sed -n 2p "$tmp/list")
case $first in
"$new "*"0/0 "*"newest (seals)") echo "ok   keys list marks the rotated key newest" ;;
*) fail "keys list after rotate" "got first line \"$first\", want $new ... 0/0 ... newest (seals)" ;;
esac
grep -q "^$id .* 1/1\$" "$tmp/list" ||
	fail "keys list after rotate" "want $id with 1/1 in: $(cat "$tmp/list")"
expect "an old message still exports after rotation" 0 "" \
	"$ctl" -c "$tmp/good.conf" export "$msg" -o "$tmp/exported.eml"
cmp -s "$tmp/msg.eml" "$tmp/exported.eml" ||
	fail "export after rotation" "exported bytes differ from the original"
expect "rotation is audited with the admin" 0 "key-rotate admin:" \
	"$fixture" -c "$tmp/good.conf" -a ""

# Retirement: refused while a message needs the key, done after purge.
expect "retire refused while in use" 1 "still opens 1 active message" \
	"$ctl" -c "$tmp/good.conf" keys retire "$id"
expect "retire refuses the newest key" 1 "is the newest" \
	"$ctl" -c "$tmp/good.conf" keys retire "$new"
expect "retire refuses a malformed id" 2 "not a key id" \
	"$ctl" -c "$tmp/good.conf" keys retire ../x
expect "expire the old message" 0 "" "$ctl" -c "$tmp/good.conf" expire "$msg" now
expect "purge the old message" 0 "" "$ctl" -c "$tmp/good.conf" purge
expect "keys list counts a purged message as inactive" 0 "0/1" \
	"$ctl" -c "$tmp/good.conf" keys list
expect "retire after purge" 0 "moved to $tmp/keys/retired/" \
	"$ctl" -c "$tmp/good.conf" keys retire "$id"
[ -f "$tmp/keys/retired/$id.sk" ] && [ -f "$tmp/keys/retired/$id.pk" ] &&
	[ ! -e "$tmp/keys/$id.pk" ] && [ ! -e "$tmp/keys/$id.sk" ] ||
	fail "retire moves the pair" "got: $(ls -R "$tmp/keys")"
mode=$(stat -c %a "$tmp/keys/retired")
[ "$mode" = 700 ] || fail "retired/ mode" "got $mode, want 700"
expect "retirement is audited with the admin" 0 "key-retire admin:" \
	"$fixture" -c "$tmp/good.conf" -a ""
"$ctl" -c "$tmp/good.conf" keys list >"$tmp/list" 2>&1
if grep -q "^$id" "$tmp/list"; then fail "keys list after retire" "still lists $id"
else echo "ok   keys list leaves the retired key out"; fi
expect "keys check after retire" 0 "1 key pair OK, newest $new" \
	"$ctl" -c "$tmp/good.conf" keys check

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
