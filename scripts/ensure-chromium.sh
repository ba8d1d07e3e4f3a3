#!/usr/bin/env bash
# Make sure Debian's `chromium` is installed for the browser tests; quiet and quick when it already is.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure-chromium: chromium is missing and this is not root (no sudo to install it)" >&2
        exit 1
    fi
fi

echo "ensure-chromium: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "ensure-chromium: chromium still missing" >&2; exit 1; }
echo "ensure-chromium: $(chromium --version 2>/dev/null || echo chromium installed)" >&2
