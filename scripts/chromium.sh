#!/usr/bin/env bash
# Installs the browser the status page test drives (test/e2e/status-page.test.ts): Debian's
# `chromium`, used by playwright-core with executablePath /usr/bin/chromium. Never
# `npx playwright install`, which downloads a browser from a CDN this machine cannot reach.
# Idempotent: does nothing (and no network access) when /usr/bin/chromium is already there.
# .ci/run calls it; on a developer machine run it once (as root, or with sudo).
set -euo pipefail

CHROMIUM="${SIDESTREAM_CHROMIUM:-/usr/bin/chromium}"

log() { printf '[chromium] %s\n' "$*" >&2; }

if [[ ! -x "$CHROMIUM" ]]; then
  log "installing Debian's chromium"
  sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2
fi
[[ -x "$CHROMIUM" ]] || {
  log "ERROR: $CHROMIUM is missing after installing the chromium package"
  exit 1
}
log "available: $("$CHROMIUM" --headless --no-sandbox --version 2>/dev/null | head -n 1)"
