#!/usr/bin/env bash
# Installs what the network-fault tests need (test/support/network-namespace.ts): Debian's
# `iproute2` (ip: network namespaces, veth pairs, links up and down) and `nftables` (nft: the DNAT
# rule and the packet-loss and partition rules, always inside a test's own namespace, never on the
# host's tables). Idempotent: does nothing, and no network access, when `ip` and `nft` are there.
# .ci/run calls it; on a developer machine run it once (as root, or with sudo). The tests themselves
# need root (CAP_NET_ADMIN) to create namespaces.
set -euo pipefail

log() { printf '[network-tools] %s\n' "$*" >&2; }

# ip and nft live in /usr/sbin (/sbin), which a non-root PATH may lack.
have() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1; }

pkgs=()
have ip || pkgs+=(iproute2)
have nft || pkgs+=(nftables)
if ((${#pkgs[@]})); then
  log "installing Debian packages: ${pkgs[*]}"
  sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
fi
for tool in ip nft; do
  have "$tool" || {
    log "ERROR: $tool is missing after installing iproute2 and nftables"
    exit 1
  }
done
PATH="$PATH:/usr/sbin:/sbin"
log "available: $(ip -V 2>&1 | head -n 1); $(nft --version 2>&1 | head -n 1)"
