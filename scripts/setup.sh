#!/usr/bin/env bash
# Installs everything conman and its tests need on a fresh Debian machine (as root), then builds conman.
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=()
need() { command -v "$1" >/dev/null 2>&1 || pkgs+=("$2"); }
need runc runc
need skopeo skopeo
need umoci umoci
need docker-registry docker-registry
need iptables iptables
need catatonit catatonit
need htpasswd apache2-utils
need ip iproute2
need openssl openssl
[ -x /usr/lib/cni/bridge ] || pkgs+=(containernetworking-plugins)
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx sh || pkgs+=(busybox-static)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${pkgs[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "setup: missing ${pkgs[*]} (run as root to install them)" >&2
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent >/dev/null
