#!/usr/bin/env bash
# The example clients end to end (scripts/test.sh runs it last): starts `trappan serve all` on a fresh
# temporary data directory (SQLite), waits until every service's gRPC health is SERVING (a bounded poll),
# generates the stubs (`make stubs`), bundles the web page (`make web`), runs examples/web/check.py, which
# loads the page in headless Chromium from a free port whose origin the suite allows
# (server.cors_allowed_origins) and checks that it shows a household's history as bistand answers it, and then
# examples/python/walkthrough.py against the same suite. The suite is always stopped and the directory removed. The
# default ports 50051–50054 are used when all four are free, otherwise four free ports, given to the suite
# as TRAPPAN__<SVC>__PORT.
#   TRAPPAN_BIN   the binary to use (default: build target/debug/trappan)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TRAPPAN_BIN:-}" ]; then
  cargo build --bin trappan
  TRAPPAN_BIN=target/debug/trappan
fi
TRAPPAN_BIN=$(realpath "$TRAPPAN_BIN")
export TRAPPAN_BIN

make --no-print-directory stubs
make --no-print-directory web
PY=.tools/py/bin/python
free_port() {
  "$PY" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
'
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS=(50051 50052 50053 50054)
for port in "${PORTS[@]}"; do
  if listening "$port"; then
    mapfile -t PORTS < <("$PY" -c '
import socket
sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
for s in sockets:
    print(s.getsockname()[1])
')
    echo "example-client: port $port is taken; the suite listens on ${PORTS[*]}"
    break
  fi
done

DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/trappan-example.XXXXXX")
export TRAPPAN__DATA_DIR="$DATA_DIR"
export TRAPPAN__BISTAND__PORT=${PORTS[0]} TRAPPAN__INSATSER__PORT=${PORTS[1]}
export TRAPPAN__UNGSAM__PORT=${PORTS[2]} TRAPPAN__RAPPORT__PORT=${PORTS[3]}
export TRAPPAN__PEERS__BISTAND_URL="http://127.0.0.1:${PORTS[0]}"
export TRAPPAN__PEERS__INSATSER_URL="http://127.0.0.1:${PORTS[1]}"
export TRAPPAN__PEERS__UNGSAM_URL="http://127.0.0.1:${PORTS[2]}"
# One household is below the default threshold of 5; with 1 the report shows its counts.
export TRAPPAN__RAPPORT__SUPPRESSION_THRESHOLD=1
export TRAPPAN__SERVER__SHUTDOWN_GRACE_SECS=5
export TRAPPAN__TELEMETRY__LOG_FORMAT=json
# The web page's origin, and only it, may call the suite from a browser.
WEB_PORT=$(free_port)
export TRAPPAN__SERVER__CORS_ALLOWED_ORIGINS="http://127.0.0.1:$WEB_PORT"

SUITE_PID=
stop() {
  local status=$?
  if [ -n "$SUITE_PID" ] && kill -0 "$SUITE_PID" 2>/dev/null; then
    kill -TERM "$SUITE_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SUITE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SUITE_PID" 2>/dev/null || true
    wait "$SUITE_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$DATA_DIR/suite.log" ]; then
    echo "example-client: FAILED; the suite's last log lines:" >&2
    tail -n 40 "$DATA_DIR/suite.log" >&2
  fi
  rm -rf "$DATA_DIR"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

"$TRAPPAN_BIN" serve all >"$DATA_DIR/suite.log" 2>&1 &
SUITE_PID=$!
echo "example-client: suite (pid $SUITE_PID) on ${PORTS[*]}, data in $DATA_DIR"

# gRPC health of each service, overall name "": SERVING once its store is migrated. At most 120 s.
"$PY" - "$SUITE_PID" "${PORTS[@]}" <<'PY'
import os, sys, time
import grpc

pid, ports = int(sys.argv[1]), sys.argv[2:]
deadline = time.monotonic() + 120
for port in ports:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        # grpc.health.v1.Health/Check with HealthCheckRequest{service: ""} (empty message); the answer's field 1
        # is the status, SERVING = 1, encoded as 08 01.
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        while True:
            try:
                if check(b"", timeout=2) == b"\x08\x01":
                    print(f"example-client: :{port} SERVING", flush=True)
                    break
            except grpc.RpcError:
                pass
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                sys.exit("example-client: the suite exited before it was SERVING")
            if time.monotonic() > deadline:
                sys.exit(f"example-client: :{port} not SERVING within 120 s")
            time.sleep(0.25)
PY

"$PY" examples/web/check.py --trappan "$TRAPPAN_BIN" --bistand-port "${PORTS[0]}" --web-port "$WEB_PORT"
echo "example-client: the web page passed"
"$PY" examples/python/walkthrough.py --trappan "$TRAPPAN_BIN"
echo "example-client: the Python walkthrough passed"
