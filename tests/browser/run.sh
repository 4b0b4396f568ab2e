#!/bin/bash
# SPDX-License-Identifier: MIT
# Browser tests of the portal: starts the same private nginx + portal +
# SMTP capture as the HTTP tests (tests/integration/portal_env.sh), seals
# the test messages, then runs portal.test.mjs with Debian's chromium.
#
# Usage: run.sh BUILD_DIR SOURCE_DIR
# Needs: node, /usr/bin/chromium, and npm packages in node_modules (run
# "npm ci" or "npm install" here first; make check does).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/portal_env.sh"

if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)) >&2 || {
		echo "browser tests: npm packages could not be installed"; exit 1; }
fi
trap portal_env_stop EXIT
portal_env_start "$1" "$2" || { echo "FAIL - environment did not start"; exit 1; }

# A plain message with an attachment, rights for everything.
B=plainb0undary
printf '%s\r\n' 'From: Alice Example <alice@sender.test>' 'To: bob@rcpt.test' \
    'Subject: Contract draft for review' 'Date: Fri, 04 Dec 2026 10:00:00 +0000' \
    'Message-ID: <plain1@sender.test>' 'MIME-Version: 1.0' \
    "Content-Type: multipart/mixed; boundary=\"$B\"" '' "--$B" \
    'Content-Type: text/plain; charset=utf-8' '' \
    'Hello Bob,' '' 'here is the draft of the contract. Please check section 4' \
    'and send me your comments by Friday.' '' 'Best regards,' 'Alice' \
    "--$B" 'Content-Type: text/plain; name="draft.txt"' \
    'Content-Disposition: attachment; filename="draft.txt"' '' \
    'DRAFT CONTRACT TEXT' "--$B--" >"$SP_T/plain.eml"
read -r PLAIN_ID PLAIN_REF < <(portal_env_seal -f alice@sender.test -t bob@rcpt.test "$SP_T/plain.eml")

# The hostile HTML set: every vector tries to reach the canary port.
cp "$here/hostile.eml" "$SP_T/hostile.eml"
read -r HOSTILE_ID _ < <(portal_env_seal -f mallory@sender.test -t bob@rcpt.test "$SP_T/hostile.eml")

export SP_BASE SP_T PLAIN_ID PLAIN_REF HOSTILE_ID
export SP_CANARY_PORT=${SP_CANARY_PORT:-21090}
cd "$here" && node --test --test-concurrency=1 portal.test.mjs
