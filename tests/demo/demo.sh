#!/bin/sh
# make demo: starts the local demo on loopback: the portal behind nginx,
# with a local SMTP capture playing the outside world (portal_demo.sh).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
echo "demo: built into $build/bin:"
ls "$build/bin" 2>/dev/null || true
if [ -x "$build/bin/sealpost-portal" ] && [ -x "$build/tests/bin/seal_fixture" ]; then
	bash "$here/portal_demo.sh" start "$build"
else
	echo "demo: the portal is not built yet; nothing to start."
fi
