#!/usr/bin/env bash
# Runs crgate as its embedded default, all on loopback with data under one folder: a real
# registry:2 (Debian's docker-registry), a real redis-server with append-only persistence,
# and crgate in front of them. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/../.."

data=${CRGATE_DATA:-$PWD/.local}
registry_port=${LOCAL_REGISTRY_PORT:-5000}
redis_port=${LOCAL_REDIS_PORT:-6379}
export CRGATE_HOSTNAME=${CRGATE_HOSTNAME:-localhost}
export CRGATE_LISTEN=${CRGATE_LISTEN:-127.0.0.1:8080}
export CRGATE_METRICS_LISTEN=${CRGATE_METRICS_LISTEN:-127.0.0.1:9090}
export CRGATE_PUBLIC_URL_SCHEME=${CRGATE_PUBLIC_URL_SCHEME:-http}
export CRGATE_REGISTRY_URL=http://127.0.0.1:$registry_port
export CRGATE_REDIS_URL=redis://127.0.0.1:$redis_port
export CRGATE_DIRECTORY=${CRGATE_DIRECTORY:-$PWD/deploy/local/directory.yaml}
export CRGATE_JWT_KEY_FILE=${CRGATE_JWT_KEY_FILE:-$data/jwt-key.pem}

bash deploy/local/prerequisites.sh run
npm run --silent build

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for pair in "$registry_port:LOCAL_REGISTRY_PORT" "$redis_port:LOCAL_REDIS_PORT" \
            "${CRGATE_LISTEN##*:}:CRGATE_LISTEN" "${CRGATE_METRICS_LISTEN##*:}:CRGATE_METRICS_LISTEN"; do
  if port_busy "${pair%%:*}"; then
    echo "crgate: port ${pair%%:*} is in use; choose another with ${pair#*:}" >&2
    exit 1
  fi
done

mkdir -p "$data/registry" "$data/redis"
# The token signing key survives restarts, so logins do too.
[ -f "$CRGATE_JWT_KEY_FILE" ] || (umask 077 && node dist/cli.js keygen >"$CRGATE_JWT_KEY_FILE")
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

# The registry signs upload state with this secret; one that outlives restarts keeps uploads
# open across them (without it, registry 2.8 makes a new one at every start).
[ -f "$data/registry-http-secret" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$data/registry-http-secret")
REGISTRY_HTTP_SECRET=$(cat "$data/registry-http-secret") \
REGISTRY_HTTP_ADDR=127.0.0.1:$registry_port \
REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=$data/registry \
  docker-registry serve deploy/registry/config.yml >>"$data/registry.log" 2>&1 &
pids+=($!)
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$data/redis" \
  --appendonly yes --save '' >>"$data/redis.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do port_busy "$redis_port" && break; sleep 0.1; done
token=$(node dist/cli.js token create --user octocat --note "local run" \
  --scopes read:packages,write:packages,delete:packages)

registry="containers.$CRGATE_HOSTNAME:${CRGATE_LISTEN##*:}"
cat <<MSG
crgate: registry:2 on 127.0.0.1:$registry_port, Redis on 127.0.0.1:$redis_port, data in $data
crgate: the registry origin is http://$registry and the web origin http://$CRGATE_HOSTNAME:${CRGATE_LISTEN##*:}
crgate: users are in $CRGATE_DIRECTORY; a token for octocat (shown once):
$token
crgate: try  echo $token | docker login $registry -u octocat --password-stdin
crgate:      docker push $registry/octocat/hello:1
crgate:  or  skopeo copy --dest-tls-verify=false --dest-creds octocat:$token oci:IMAGE docker://$registry/octocat/hello:1
crgate: more tokens: CRGATE_DIRECTORY=$CRGATE_DIRECTORY CRGATE_REDIS_URL=$CRGATE_REDIS_URL node dist/cli.js token create --user LOGIN --scopes read:packages
MSG

node dist/cli.js serve &
pids+=($!)
wait -n "${pids[@]}"
