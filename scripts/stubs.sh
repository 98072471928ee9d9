#!/usr/bin/env bash
# make stubs: Python and TypeScript client stubs from proto/ into gen/ (git-ignored), for clients in other
# languages. Everything comes from the package registries into .tools/ (git-ignored): grpcio-tools from PyPI
# into the virtualenv .tools/py (its bundled protoc compiles both languages, with google/protobuf's
# well-known types), and protobuf-ts's protoc-gen-ts from npm into .tools/node_modules (its own
# @protobuf-ts/protoc, which would download protoc from outside npm, is never run). The contracts import only
# google/protobuf (any, timestamp); google.rpc error details (BadRequest) arrive in the grpc-status-details-bin
# trailer and need googleapis-common-protos to decode, which the stubs themselves do not.
#   gen/python  import with gen/python on sys.path: from trappan.bistand.v1 import bistand_pb2, bistand_pb2_grpc
#   gen/ts      protobuf-ts messages and clients (*.client.ts) for @protobuf-ts/grpc-transport or grpcweb-transport
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCIO_VERSION=1.85.4
PROTOBUF_TS_VERSION=2.11.1
TOOLS=.tools
PY=$TOOLS/py/bin/python

if [ ! -f "$TOOLS/py/.grpcio-tools-$GRPCIO_VERSION" ]; then
  echo "stubs: installing grpcio-tools $GRPCIO_VERSION into $TOOLS/py"
  python3 -m venv "$TOOLS/py"
  "$PY" -m pip install --quiet --disable-pip-version-check "grpcio==$GRPCIO_VERSION" "grpcio-tools==$GRPCIO_VERSION"
  touch "$TOOLS/py/.grpcio-tools-$GRPCIO_VERSION"
fi
if [ ! -x "$TOOLS/node_modules/.bin/protoc-gen-ts" ] ||
  ! grep -q "\"version\": \"$PROTOBUF_TS_VERSION\"" "$TOOLS/node_modules/@protobuf-ts/plugin/package.json"; then
  echo "stubs: installing @protobuf-ts/plugin $PROTOBUF_TS_VERSION into $TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent --save-exact "@protobuf-ts/plugin@$PROTOBUF_TS_VERSION"
fi

WKT=$("$PY" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
mapfile -t PROTOS < <(find proto -name '*.proto' | sort)
rm -rf gen/python gen/ts
mkdir -p gen/python gen/ts

"$PY" -m grpc_tools.protoc -Iproto -I"$WKT" \
  --python_out=gen/python --pyi_out=gen/python --grpc_python_out=gen/python "${PROTOS[@]}"
# Packages for every folder, so `from trappan.bistand.v1 import bistand_pb2_grpc` works as generated (the
# generated modules import each other absolutely: from trappan.common.v1 import common_pb2).
find gen/python -mindepth 1 -type d -exec touch {}/__init__.py \;

"$PY" -m grpc_tools.protoc -Iproto -I"$WKT" --plugin=protoc-gen-ts="$TOOLS/node_modules/.bin/protoc-gen-ts" \
  --ts_out=gen/ts --ts_opt=long_type_string "${PROTOS[@]}"
cat > gen/ts/tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "es2020", "module": "commonjs", "moduleResolution": "node", "strict": true, "noEmit": true,
    "skipLibCheck": true, "baseUrl": ".", "paths": { "*": ["../../.tools/node_modules/*"] }
  },
  "include": ["**/*.ts"]
}
JSON

# Both as generated: Python imports every service's stubs, TypeScript type-checks.
PYTHONPATH=gen/python "$PY" -c '
import importlib
for svc in ("bistand", "insatser", "ungsam", "rapport"):
    importlib.import_module(f"trappan.{svc}.v1.{svc}_pb2_grpc")
'
"$TOOLS/node_modules/.bin/tsc" -p gen/ts
echo "stubs: gen/python ($(find gen/python -name '*_pb2*.py' | wc -l) modules) and gen/ts ($(find gen/ts -name '*.ts' | wc -l) files) from ${#PROTOS[@]} protos"
