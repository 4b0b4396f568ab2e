#!/bin/sh
# Runs sealpostctl as an admin would: -n on good and bad configs, an
# unknown command, keygen and keys list|check in a scratch keys_dir.
# Usage: check-sealpostctl.sh SEALPOSTCTL SOURCE_DIR
set -u
ctl=$1
src=$2
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
CONF
expect "unknown command gives usage" 2 "usage: sealpostctl" \
	"$ctl" -c "$tmp/good.conf" frobnicate
expect "no command gives usage" 2 "usage: sealpostctl" "$ctl" -c "$tmp/good.conf"
expect "bad keys subcommand" 2 "usage: sealpostctl [-c FILE] keys list | check" \
	"$ctl" -c "$tmp/good.conf" keys lsit
expect "config prints one value" 0 "https://portal.example" \
	"$ctl" -c "$tmp/good.conf" config portal_url
"$ctl" -c "$tmp/good.conf" config >"$tmp/printed.conf"
expect "printed config loads again" 0 "config OK" \
	"$ctl" -c "$tmp/printed.conf" -n

mkdir "$tmp/keys"
expect "keys list without keys" 1 "no key pair" "$ctl" -c "$tmp/good.conf" keys list
expect "keygen prints an id" 0 "" "$ctl" -c "$tmp/good.conf" keygen
id=$(cat "$tmp/out")
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

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
