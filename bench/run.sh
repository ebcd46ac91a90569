#!/usr/bin/env bash
# crgate's benchmark (npm run bench): builds crgate, starts a fresh registry:2, nginx in front
# of it (bench/nginx.conf), Redis, crgate and a dockerd on loopback in a temp folder, runs
# bench/driver.ts against the registry direct, through nginx and through crgate, and prints
# one table. Everything it starts is stopped, and the folder removed, however the run ends.
#
# The dockerd (for the timed `docker pull`s) keeps its data, exec root and socket in the temp
# folder and touches no network: vfs storage, no bridge, no iptables. It needs root, as
# dockerd does.
#
# crgate runs with a directory of one user, bench (owner of bench/...), and a signing key of
# its own; the driver signs in with a personal access token of bench's, kept in a file of the
# temp folder that only this user can read.
#
# Sizes: BENCH_ROUNDS (4), BENCH_BLOB_MIB (1024), BENCH_CHUNK_MIB (64), BENCH_LOAD_SECONDS (4),
# BENCH_TOKEN_LOAD_SECONDS (2), BENCH_LARGE_BLOB_GIB (5), BENCH_PULL_ROUNDS (6),
# BENCH_PULL_LAYER_MIB (4).
# BENCH_CRGATE_LOG_LEVEL (warn): the registry's access log is off, so crgate's is too.
set -euo pipefail

cd "$(dirname "$0")/.."
started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/crgate-bench.XXXXXX")
pids=()

# Stops what this script started, by process id. crgate drains in-flight requests on SIGTERM,
# nginx and dockerd shut down; whatever is still up after 10 s is killed outright.
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
    console.log(s.address().port); s.close(); });"
}

# Polls a URL on loopback until it answers with a status below 500, for up to 15 s.
wait_for() {
  local url=$1 what=$2 log=$3
  for _ in $(seq 150); do
    if curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$url" | grep -q '^[234]'; then return 0; fi
    sleep 0.1
  done
  echo "bench: $what did not start; its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
}

# registry:2, Redis, wrk (the load generator), nginx and docker.io, installed when missing.
bash deploy/local/prerequisites.sh bench

# Started first: it takes seconds to answer, time the build fills.
docker_dir="$work/docker"
docker_host="unix://$docker_dir/docker.sock"
# A Unix socket's path is limited to about 100 bytes (containerd's, deeper in, too).
if [ ${#docker_dir} -gt 60 ]; then
  echo "bench: $docker_dir is too long a path for dockerd's sockets; set a shorter TMPDIR" >&2
  exit 1
fi
mkdir -p "$docker_dir"
dockerd --storage-driver=vfs --iptables=false --ip-forward=false --ip-masq=false \
  --bridge=none --userland-proxy=false --data-root="$docker_dir/data" \
  --exec-root="$docker_dir/exec" --pidfile="$docker_dir/docker.pid" --host="$docker_host" \
  >"$work/dockerd.log" 2>&1 &
pids+=("$!")

echo "building crgate" >&2
npx tsc -p tsconfig.build.json

registry_port=$(free_port)
nginx_port=$(free_port)
redis_port=$(free_port)
crgate_port=$(free_port)
metrics_port=$(free_port)
registry_root="$work/registry"
log_level=${BENCH_CRGATE_LOG_LEVEL:-warn}
directory="$work/directory.yaml"
printf 'users: [bench]\n' >"$directory"
# A key file, as in production: without one crgate signs with a key that dies with it.
(umask 077 && node dist/cli.js keygen >"$work/signing-key.pem")

REGISTRY_HTTP_ADDR="127.0.0.1:$registry_port" \
  REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$registry_root" \
  REGISTRY_LOG_ACCESSLOG_DISABLED=true REGISTRY_LOG_LEVEL=error \
  docker-registry serve deploy/registry/config.yml >"$work/registry.log" 2>&1 &
registry_pid=$!
pids+=("$registry_pid")

mkdir -p "$work/nginx"
sed -e "s|@WORK@|$work|g" -e "s|@USER@|$(id -un)|g" -e "s|@NGINX_PORT@|$nginx_port|g" \
  -e "s|@REGISTRY_PORT@|$registry_port|g" bench/nginx.conf >"$work/nginx/nginx.conf"
# -e: the log of the start itself, before nginx.conf's error_log applies.
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" -g 'daemon off;' \
  >"$work/nginx.log" 2>&1 &
nginx_pid=$!
pids+=("$nginx_pid")

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
  >"$work/redis.log" 2>&1 &
pids+=("$!")

CRGATE_LISTEN="127.0.0.1:$crgate_port" CRGATE_METRICS_LISTEN="127.0.0.1:$metrics_port" \
  CRGATE_REGISTRY_URL="http://127.0.0.1:$registry_port" \
  CRGATE_REDIS_URL="redis://127.0.0.1:$redis_port" \
  CRGATE_PUBLIC_URL_SCHEME=http CRGATE_HOSTNAME=localhost CRGATE_LOG_LEVEL="$log_level" \
  CRGATE_DIRECTORY="$directory" CRGATE_JWT_KEY_FILE="$work/signing-key.pem" \
  node dist/cli.js serve >"$work/crgate.log" 2>&1 &
crgate_pid=$!
pids+=("$crgate_pid")

wait_for "http://127.0.0.1:$registry_port/v2/" registry "$work/registry.log"
wait_for "http://127.0.0.1:$nginx_port/v2/" nginx "$work/nginx/error.log"
# crgate's readiness covers the registry and Redis both.
wait_for "http://127.0.0.1:$metrics_port/readyz" crgate "$work/crgate.log"

# The token goes to a file, never to the terminal or a command line. It can pull and push
# bench/..., which is all the driver does.
pat_file="$work/pat"
(umask 077 && CRGATE_REDIS_URL="redis://127.0.0.1:$redis_port" CRGATE_DIRECTORY="$directory" \
  node dist/cli.js token create --user bench --scopes read:packages,write:packages \
  --note benchmark >"$pat_file")

for _ in $(seq 150); do
  /usr/bin/docker --host "$docker_host" version >/dev/null 2>&1 && break
  sleep 0.2
done
if ! /usr/bin/docker --host "$docker_host" version >/dev/null 2>&1; then
  echo "bench: dockerd did not start; its log:" >&2
  tail -n 40 "$work/dockerd.log" >&2
  exit 1
fi

# The driver runs in the background and is waited for: bash runs a trap only once the
# foreground command has ended, and an interrupted run must stop now, not at its end.
BENCH_WORK_DIR="$work" BENCH_REGISTRY_PORT="$registry_port" BENCH_REGISTRY_PID="$registry_pid" \
  BENCH_REGISTRY_ROOT="$registry_root" BENCH_NGINX_PORT="$nginx_port" \
  BENCH_NGINX_PID="$nginx_pid" BENCH_CRGATE_PORT="$crgate_port" \
  BENCH_CRGATE_PID="$crgate_pid" BENCH_CRGATE_HOST="containers.localhost:$crgate_port" \
  BENCH_CRGATE_METRICS_PORT="$metrics_port" \
  BENCH_CRGATE_LOG_LEVEL="$log_level" BENCH_PAT_FILE="$pat_file" \
  BENCH_DOCKER_HOST="$docker_host" BENCH_DOCKER_CONFIG="$work/docker-client" \
  BENCH_CLK_TCK="$(getconf CLK_TCK)" \
  node node_modules/ts-node/dist/bin.js --transpile-only bench/driver.ts &
pids=("$!" "${pids[@]}")
status=0
wait "${pids[0]}" || status=$?

if [ "$status" -ne 0 ] && [ -s "$work/crgate.log" ]; then
  echo "bench: crgate's log (last lines):" >&2
  tail -n 20 "$work/crgate.log" >&2
fi
echo "bench: whole run took $((SECONDS - started)) s" >&2
exit "$status"
