#!/usr/bin/env bash
# The whole test suite: what `make test` runs. Store tests run on SQLite always, and on PostgreSQL when
# one is reachable (TRAPPAN_TEST_POSTGRES_URL, or the local server on 127.0.0.1:5432). In CI PostgreSQL is
# required.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TRAPPAN_TEST_POSTGRES_URL:-}" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    export TRAPPAN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
  elif [ -n "${CI:-}" ]; then
    echo "CI requires PostgreSQL: none reachable on 127.0.0.1:5432 and TRAPPAN_TEST_POSTGRES_URL is unset" >&2
    exit 1
  else
    echo "NOTE: no PostgreSQL reachable: the store tests run on SQLite only." >&2
  fi
fi
[ -n "${TRAPPAN_TEST_POSTGRES_URL:-}" ] && echo "Store tests run on SQLite and on PostgreSQL (${TRAPPAN_TEST_POSTGRES_URL%%@*}@…)."

# The management report's browser test renders it in Debian's Chromium, headless and offline.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
fi

cargo build --bin trappan
cargo test --workspace --all-targets
TRAPPAN_BIN=target/debug/trappan bash tests/k8s/check.sh
# The contract guard guards: buf breaking fails on a removed v1 field and passes a new versioned package.
bash tests/buf/check.sh
# The example clients against a suite of their own: make stubs and make web, then the web page (examples/web) in
# headless Chromium over gRPC-Web and examples/python/walkthrough.py.
TRAPPAN_BIN=target/debug/trappan bash scripts/example-client.sh
