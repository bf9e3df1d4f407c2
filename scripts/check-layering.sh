#!/usr/bin/env bash
# Rejects #includes that break the dependency direction of STYLE.md:
#   core <- storage <- ingest, query <- api <- server;  core <- meta <- api;  agents -> ingest (wire types only);
#   tools may use anything (strix check-config runs the server's own config loading). No file includes another component's internal/.
# Prints each offending line as file:line: text and exits 1 if there is any.
set -u
cd "$(dirname "$0")/.." || exit 2

# allowed[component]="components it may include"
declare -A allowed=(
  [core]="core"
  [storage]="core storage"
  [meta]="core meta"
  [ingest]="core storage ingest"
  [query]="core storage query"
  [api]="core storage meta ingest query api"
  [server]="core storage meta ingest query api server"
  [agents]="core ingest agents"
  [tools]="core storage meta ingest query api server tools"
  [bench]="core storage meta ingest query api bench"
)
bad=0
while IFS= read -r -d '' f; do
  comp=${f#src/}; comp=${comp%%/*}
  [ -n "${allowed[$comp]+x}" ] || continue
  while IFS=: read -r line text; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$text")
    target=${inc%%/*}
    [ "$target" = "$inc" ] && continue  # same-directory include
    case " ${allowed[$comp]} " in
      *" $target "*) ;;
      *) if [ -d "src/$target" ]; then echo "$f:$line: $comp must not include $target: $text"; bad=1; fi ;;
    esac
    if [[ "$inc" == */internal/* ]]; then
      owner=$(dirname "$(dirname "$inc")")  # e.g. storage/wal
      case "$f" in src/"$owner"/*) ;; *) echo "$f:$line: includes another component's internal/: $text"; bad=1 ;; esac
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
done < <(find src -type f \( -name '*.h' -o -name '*.cc' \) -print0)
if [ $bad -ne 0 ]; then
  echo "layering: violations found (see STYLE.md section 4)"
  exit 1
fi
echo "layering: ok"
