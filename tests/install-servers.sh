#!/usr/bin/env bash
# Tools some tests need beside the venv, installed only when missing (run by `./dev test`).
#   systemd-analyze  tests/test_deploy.py verifies deploy/beistand.service; from Debian's `systemd`
#                    package, installed with apt-get when we are root
#   nginx            tests/test_deploy.py runs `nginx -t` on deploy/nginx-telegram-webhook.conf; the
#                    package is unpacked into .venv/tools/nginx, not installed, so that no nginx
#                    service is started and nothing listens
#   chromium         tests/preview/test_browser.py drives Debian's /usr/bin/chromium headless through
#                    Playwright (never `playwright install`: no browser is downloaded); installed
#                    with apt-get when we are root
#   pango, fonts     tests/test_guide_pdf.py prints the guide with WeasyPrint (a pip package of the
#                    dev extra), which loads Debian's libpango-1.0-0 and libpangoft2-1.0-0 and needs
#                    a font (fonts-dejavu-core); installed with apt-get when we are root
# Idempotent and quiet; without apt-get (or without root for systemd) it does nothing, and the
# tests that need the tool skip outside CI and fail in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
apt_ready=
apt_update() {  # once per run, only when the package lists are empty
    if [ -z "$apt_ready" ]; then
        if [ "$(id -u)" = 0 ] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
            apt-get update -qq >/dev/null
        fi
        apt_ready=1
    fi
}

if ! have systemd-analyze && have apt-get && [ "$(id -u)" = 0 ]; then
    echo "== installing systemd (for systemd-analyze)"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

if [ ! -x /usr/bin/chromium ] && have apt-get && [ "$(id -u)" = 0 ]; then
    echo "== installing chromium (for the preview's browser tests)"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
if { ! have_lib libpangoft2-1.0.so.0 || ! have_lib libpango-1.0.so.0 \
        || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; } \
        && have apt-get && [ "$(id -u)" = 0 ]; then
    echo "== installing pango and fonts (for the guide's PDF through WeasyPrint)"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null
fi

tools=.venv/tools
if ! have nginx && [ ! -x /usr/sbin/nginx ] && [ ! -x "$tools/nginx/usr/sbin/nginx" ] && have apt-get; then
    echo "== unpacking nginx into $tools/nginx (for nginx -t)"
    apt_update
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if (cd "$tmp" && apt-get download -qq nginx >/dev/null 2>&1); then
        mkdir -p "$tools/nginx"
        dpkg-deb -x "$tmp"/nginx_*.deb "$tools/nginx"
    else
        echo "   nginx could not be downloaded; tests/test_deploy.py skips nginx -t outside CI"
    fi
fi
