#!/usr/bin/env bash
# make run: starts strixd in the foreground with embedded storage in ./var (the defaults:
# API on 127.0.0.1:8888), after creating an admin token on first run. The token is printed
# once and kept in var/admin.token (mode 600) so later runs can print how to use it.
# Ctrl-C stops strixd in order. STRIX_PORT and STRIX_DATA override the port and directory.
# (The local agent joins here when strix-agent exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
data=${STRIX_DATA:-var}
port=${STRIX_PORT:-8888}
mkdir -p "$data"
chmod 700 "$data"
if [ ! -s "$data/admin.token" ]; then
  umask 077
  "$bin/tools/strix/strix" token create --name "make run admin" --scope ingest,read,admin \
    --data-dir "$data" > "$data/admin.token" 2>/dev/null
  echo "make run: created an admin token (ingest, read, admin); it is in $data/admin.token"
fi
token=$(cat "$data/admin.token")
config="$data/strixd.yaml"
if [ ! -f "$config" ]; then
  printf 'data_dir: %s\nlisten:\n  address: 127.0.0.1\n  port: %s\n' "$data" "$port" > "$config"
fi
cat <<MSG

  Strix: http://127.0.0.1:$port/   (the dashboard comes with the web UI; the API is live now)
  Token: $token
  Try:   curl -H "Authorization: Bearer \$(cat $data/admin.token)" \\
           --data-binary "cpu,host=\$(hostname) usage=12.5" http://127.0.0.1:$port/write
         curl -H "Authorization: Bearer \$(cat $data/admin.token)" \\
           "http://127.0.0.1:$port/api/v1/latest?match[]=cpu_usage"
  More tokens: $bin/tools/strix/strix token create --name NAME --scope ingest|read|admin --data-dir $data
  Stop: Ctrl-C

MSG
exec "$bin/src/server/strixd" --config "$config"
