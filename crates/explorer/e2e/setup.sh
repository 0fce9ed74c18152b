#!/bin/sh
# Installs what the explorer's browser test needs, once: Debian's chromium
# (no browser download: the test drives the system's) and the pinned
# playwright-core from package-lock.json. Safe to run again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if ! [ -x /usr/bin/chromium ]; then
    echo "explorer e2e: installing Debian's chromium" >&2
    if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if ! [ -f "$here/node_modules/playwright-core/package.json" ]; then
    echo "explorer e2e: installing playwright-core" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
