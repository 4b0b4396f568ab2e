#!/bin/bash
# SPDX-License-Identifier: MIT
# The portal part of "make demo": a local SMTP capture that plays the
# outside world, the portal and nginx in front of it, on 127.0.0.1, in
# $SEALPOST_DEMO_DIR (default /tmp/sealpost-demo).  It seals one sample
# message so that there is something to read at once.
#
# Usage: portal_demo.sh start BUILD_DIR | stop
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
export SP_HTTP_PORT=${SP_HTTP_PORT:-21080}
export SP_FCGI_PORT=${SP_FCGI_PORT:-21081}
export SP_SMTP_PORT=${SP_SMTP_PORT:-21025}
. "$src/tests/integration/portal_env.sh"
dir=${SEALPOST_DEMO_DIR:-/tmp/sealpost-demo}

stop() {
	for f in "$dir/nginx/nginx.pid" "$dir/portal.pid" "$dir/smtp.pid"; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

start() {
	SP_BUILD=$(cd "$1" && pwd)
	SP_SRC=$src
	SP_T=$dir
	stop
	mkdir -p "$dir/keys" "$dir/mail"
	chmod 0755 "$dir"
	chmod 0700 "$dir/keys"
	portal_env_config
	nohup python3 "$src/tests/integration/smtp_capture.py" "$SP_SMTP_PORT" \
	    "$dir/mail" >"$dir/smtp.log" 2>&1 &
	echo $! >"$dir/smtp.pid"
	printf '%s\r\n' 'From: Alice <alice@example.com>' 'To: bob@example.net' \
	    'Subject: Welcome to the sealpost demo' 'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset=utf-8' '' \
	    'This message was sealed; you are reading it in the portal.' \
	    >"$dir/sample.eml"
	read -r id ref < <(portal_env_seal -f alice@example.com -t bob@example.net \
	    "$dir/sample.eml")
	nohup "$SP_BUILD/bin/sealpost-portal" -f -c "$dir/sealpost.conf" \
	    >"$dir/portal.log" 2>&1 &
	echo $! >"$dir/portal.pid"
	portal_env_nginx
	portal_env_wait_port "$SP_HTTP_PORT"
	echo "portal: $SP_BASE/m/$id (reference $ref; sign in as bob@example.net)"
	echo "portal: mail the portal sends (codes, reply notices) lands in $dir/mail/"
	echo "portal: stop with: SEALPOST_DEMO_DIR=$dir $0 stop"
}

case "${1:-}" in
start) start "${2:-build}" ;;
stop) stop ;;
*) echo "usage: $0 start BUILD_DIR | stop" >&2; exit 2 ;;
esac
