#!/usr/bin/env bash
# make run: starts strixd with embedded storage in ./var (API and web UI on 127.0.0.1:8888)
# and a local strix-agent that sends this machine's Linux metrics to it every 10 s. On
# first run it creates an admin token (printed, kept in var/admin.token, mode 600) and an
# ingest token for the agent (var/agent.token). There is no default web user: on a
# terminal it offers to create the first admin, otherwise it prints the command. Ctrl-C
# stops both in order (SIGTERM).
# STRIX_PORT and STRIX_DATA override the port and directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
data=${STRIX_DATA:-var}
port=${STRIX_PORT:-8888}
mkdir -p "$data"
chmod 700 "$data"
umask 077
if [ ! -s "$data/admin.token" ]; then
  "$bin/tools/strix/strix" token create --name "make run admin" --scope ingest,read,admin \
    --data-dir "$data" > "$data/admin.token" 2>/dev/null
  echo "make run: created an admin token (ingest, read, admin); it is in $data/admin.token"
fi
if [ ! -s "$data/agent.token" ]; then
  "$bin/tools/strix/strix" token create --name "make run agent" --scope ingest \
    --data-dir "$data" > "$data/agent.token" 2>/dev/null
fi
token=$(cat "$data/admin.token")
config="$data/strixd.yaml"
if [ ! -f "$config" ]; then
  printf 'data_dir: %s\nlisten:\n  address: 127.0.0.1\n  port: %s\n' "$data" "$port" > "$config"
fi
if ! grep -q '^web:' "$config"; then
  printf 'web:\n  dir: %s\n' "$(pwd)/web/dist" >> "$config"
fi
strix="$bin/tools/strix/strix"
if [ -z "$("$strix" user list --data-dir "$data" 2>/dev/null | tail -n +2)" ]; then
  if [ -t 0 ]; then
    read -r -p "make run: no dashboard user yet. Name of the first admin (empty: later): " first
    if [ -n "$first" ]; then
      "$strix" user add "$first" --admin --data-dir "$data" || true
    fi
  fi
fi
agent_config="$data/strix-agent.yaml"
if [ ! -f "$agent_config" ]; then
  cat > "$agent_config" <<YAML
# The local agent of make run (docs/agents/agent.md).
agent:
  state_dir: $data/agent
server:
  urls: [http://127.0.0.1:$port]
  token_file: $data/agent.token
inputs:
  linux:
    type: linux
    interval: 10s
YAML
fi

"$bin/src/server/strixd" --config "$config" &
strixd_pid=$!
agent_pid=
stop() {
  [ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  kill -TERM "$strixd_pid" 2>/dev/null && wait "$strixd_pid" 2>/dev/null
  exit 0
}
trap stop INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  kill -0 "$strixd_pid" 2>/dev/null || { echo "make run: strixd did not start" >&2; exit 1; }
  sleep 0.1
done
"$bin/src/agents/agent/strix-agent" -c "$agent_config" &
agent_pid=$!

cat <<MSG

  Dashboard: http://127.0.0.1:$port/
  Users:  $strix user add NAME --admin --data-dir $data   (or --role viewer|editor)
  Token: $token
  Agent: this machine's Linux metrics every 10 s (config $agent_config)
  Try:   curl -H "Authorization: Bearer \$(cat $data/admin.token)" \\
           "http://127.0.0.1:$port/api/v1/latest?match[]=linux_load_1m"
         curl -H "Authorization: Bearer \$(cat $data/admin.token)" \\
           "http://127.0.0.1:$port/api/v1/hosts"
  More tokens: $bin/tools/strix/strix token create --name NAME --scope ingest|read|admin --data-dir $data
  Stop: Ctrl-C

MSG
wait "$strixd_pid"
