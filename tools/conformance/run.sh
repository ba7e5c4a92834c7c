#!/usr/bin/env bash
# Runs the official MCP conformance suite's server scenarios that apply to komodo-mcp
# against `komodo-mcp --demo --http` (make conformance). Usage: run.sh BINARY ADDR
# The scenarios left out call tools, prompts and resources that only the suite's own
# reference server has (test_simple_text, test_image_content, ...), or need sampling or
# completion, which komodo-mcp does not offer.
set -euo pipefail
bin=$1 addr=${2:-127.0.0.1:18765}
cd "$(dirname "$0")"
scenarios=(server-initialize ping logging-set-level tools-list prompts-list resources-list server-sse-multiple-streams server-sse-polling dns-rebinding-protection)

log=$(mktemp)
# The suite sends Origin: http://ADDR as a local browser page would: allow exactly that.
KOMODO_HTTP_ALLOWED_ORIGINS="http://$addr" "$bin" --demo --http "$addr" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done

node=node_modules/.bin/node
suite=node_modules/@modelcontextprotocol/conformance/dist/index.js
failed=()
for s in "${scenarios[@]}"; do
  if ! "$node" "$suite" server --url "http://$addr/mcp" --scenario "$s"; then
    failed+=("$s")
  fi
done
echo "conformance: $(( ${#scenarios[@]} - ${#failed[@]} )) of ${#scenarios[@]} scenarios passed${failed:+; failed: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
