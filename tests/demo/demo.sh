#!/bin/sh
# make demo: starts the local demo on loopback.  The milter and the portal
# are not built yet, so for now the demo stops after the build.
set -eu
build=${1:-build}
echo "demo: built into $build/bin:"
ls "$build/bin" 2>/dev/null || true
echo "demo: the milter and the portal do not exist yet; nothing to start."
