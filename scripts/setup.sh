#!/usr/bin/env bash
# Installs what Strix needs to build and test on Debian 12, and only what is missing:
# the packages of deps.txt through apt-get (non-interactive), then the web UI's npm
# packages (npm ci from web/package-lock.json). Idempotent, and quick when everything is
# there (one dpkg-query, one lock file comparison).
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' deps.txt | awk 'NF {print $1}')
missing=()
for pkg in $want; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all $(wc -w <<<"$want") Debian packages present"
fi

# The web UI's packages, exactly as locked. Reinstalled only when the lock file changed.
if [ -f web/package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm is missing (it comes with Node.js 20 or later)" >&2
    exit 1
  fi
  stamp=web/node_modules/.strix-lock
  if [ ! -f "$stamp" ] || ! cmp -s web/package-lock.json "$stamp"; then
    echo "setup: npm ci in web/"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    cp web/package-lock.json "$stamp"
  else
    echo "setup: web/node_modules matches web/package-lock.json"
  fi
fi
