#!/bin/sh
# Runs sealpost-portal -n as the systemd unit does before a start, on a
# good setup and on each thing that must stop it (a secret key readable
# by others, a keys_dir writable by others, a missing template, a store
# folder that does not exist), and checks that the parent itself refuses
# to start when the keys are unusable instead of replacing dying workers.
# Usage: check-portal.sh SEALPOST_PORTAL SEALPOSTCTL SOURCE_DIR [PORT]
set -u
portal=$1
ctl=$2
src=$(cd "$3" && pwd)
port=${4:-${SP_CLI_PORTAL_PORT:-27590}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

. "$(dirname "$0")/expect.sh"

# conf FILE [EXTRA LINE]: a portal config in $tmp
conf() {
	cat >"$tmp/$1" <<CONF
portal_url = https://portal.example/
portal_socket = inet:$port@127.0.0.1
smtp_url = smtp://127.0.0.1:25
mail_from = portal@example.test
keys_dir = $tmp/keys
store_path = $tmp/store
templates_dir = $src/templates
${2:-}
CONF
}

mkdir -m 0700 "$tmp/keys"
conf good.conf
"$ctl" -c "$tmp/good.conf" keygen >"$tmp/id" 2>"$tmp/id.err" || {
	echo "FAIL keygen: $(cat "$tmp/id" "$tmp/id.err")"
	exit 1
}
id=$(grep -o '^[0-9a-f]\{16\}$' "$tmp/id" | head -1)
[ -f "$tmp/keys/$id.sk" ] || {
	echo "FAIL keygen: no key file for \"$id\": $(cat "$tmp/id")"
	exit 1
}
expect "a good setup passes -n" 0 "good.conf: config OK" \
	"$portal" -c "$tmp/good.conf" -n

chmod 0644 "$tmp/keys/$id.sk"
expect "a secret key readable by others fails -n" 1 "$id.sk" \
	"$portal" -c "$tmp/good.conf" -n
expect "the parent refuses to start on that key" 1 "$id.sk" \
	timeout 20 "$portal" -f -c "$tmp/good.conf"
grep -q "action=worker" "$tmp/out" &&
	{ echo "FAIL the parent started workers"; fails=$((fails + 1)); }
chmod 0600 "$tmp/keys/$id.sk"

chmod 0777 "$tmp/keys"
expect "a keys_dir writable by others fails -n" 1 "$tmp/keys" \
	"$portal" -c "$tmp/good.conf" -n
chmod 0700 "$tmp/keys"

mkdir "$tmp/tpl"
cp "$src/templates/"* "$tmp/tpl/" 2>/dev/null
rm "$tmp/tpl/portal_read.html"
conf tpl.conf "templates_dir = $tmp/tpl"
sed -i "/^templates_dir = .*\/templates$/d" "$tmp/tpl.conf"
expect "a missing template fails -n" 1 "portal_read.html" \
	"$portal" -c "$tmp/tpl.conf" -n

conf store.conf
sed -i "s#^store_path = .*#store_path = $tmp/nowhere/store#" "$tmp/store.conf"
expect "a store in a missing folder fails -n" 1 "$tmp/nowhere" \
	"$portal" -c "$tmp/store.conf" -n

mkdir -m 0700 "$tmp/empty-store"
conf empty.conf
sed -i "s#^store_path = .*#store_path = $tmp/empty-store#" "$tmp/empty.conf"
expect "an empty store folder (no store yet) passes -n" 0 "config OK" \
	"$portal" -c "$tmp/empty.conf" -n

echo "brand_name = x" >"$tmp/noreq.conf"
expect "a bad config fails -n" 1 "missing required key" \
	"$portal" -c "$tmp/noreq.conf" -n

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" -eq 0 ]
