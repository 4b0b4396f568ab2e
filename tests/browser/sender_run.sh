#!/bin/bash
# SPDX-License-Identifier: MIT
# Browser tests of revocation and expiry as a recipient sees them: the
# same private nginx + portal + SMTP capture as the other portal tests
# (tests/integration/portal_env.sh), on ports of their own, then
# sender.test.mjs with Debian's chromium.
#
# Usage: sender_run.sh BUILD_DIR SOURCE_DIR
# Needs: node, /usr/bin/chromium, and npm packages in node_modules (as
# run.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
SP_HTTP_PORT=${SP_HTTP_PORT:-24280}
SP_FCGI_PORT=${SP_FCGI_PORT:-24281}
SP_SMTP_PORT=${SP_SMTP_PORT:-24225}
. "$here/../integration/portal_env.sh"

if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)) >&2 || {
		echo "browser tests: npm packages could not be installed"; exit 1; }
fi
trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; exit 1; }

# seal NAME FROM SUBJECT TO...: the message's id into NAME_ID
seal() {
	var=$1 from=$2 subject=$3
	shift 3
	printf '%s\r\n' "From: $from" "To: $1" "Subject: $subject" \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8' '' \
	    "This is the message called $subject." >"$SP_T/$var.eml"
	args=()
	for t in "$@"; do args+=(-t "$t"); done
	read -r id _ < <(portal_env_seal -f "$from" "${args[@]}" "$SP_T/$var.eml")
	export "${var}_ID=$id"
}
seal ALL alice@sender.test 'Withdrawn for all' bob@rcpt.test
seal ONE alice@sender.test 'Withdrawn for one' bob@rcpt.test carol@rcpt.test
seal EXP alice@sender.test 'Expired by the sender' dave@rcpt.test
seal ADMREV zed@other.test 'Revoked by the admin' erin@rcpt.test
seal ADMEXP zed@other.test 'Expired by the admin' erin@rcpt.test

export SP_BASE SP_T SP_BUILD
cd "$here" && node --test --test-concurrency=1 sender.test.mjs
