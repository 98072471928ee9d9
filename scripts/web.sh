#!/usr/bin/env bash
# make web: bundles examples/web/app.ts, which uses the TypeScript stubs of `make stubs` (gen/ts), into the
# git-ignored examples/web/dist/app.js. esbuild and protobuf-ts's gRPC-Web transport come from npm into
# .tools/node_modules (git-ignored), like the stubs' own tools; nothing is installed by hand. The page is
# type-checked first, so a contract change it no longer fits fails here, not in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

ESBUILD_VERSION=0.28.2
PROTOBUF_TS_VERSION=2.11.1
TOOLS=.tools

[ -f gen/ts/trappan/bistand/v1/bistand.client.ts ] || bash scripts/stubs.sh
if [ ! -x "$TOOLS/node_modules/.bin/esbuild" ] ||
  ! grep -q "\"version\": \"$ESBUILD_VERSION\"" "$TOOLS/node_modules/esbuild/package.json" ||
  ! grep -qs "\"version\": \"$PROTOBUF_TS_VERSION\"" "$TOOLS/node_modules/@protobuf-ts/grpcweb-transport/package.json"; then
  echo "web: installing esbuild $ESBUILD_VERSION and @protobuf-ts/grpcweb-transport $PROTOBUF_TS_VERSION into $TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent --save-exact \
    "esbuild@$ESBUILD_VERSION" "@protobuf-ts/grpcweb-transport@$PROTOBUF_TS_VERSION" \
    "@protobuf-ts/runtime-rpc@$PROTOBUF_TS_VERSION"
fi

"$TOOLS/node_modules/.bin/tsc" -p examples/web
"$TOOLS/node_modules/.bin/esbuild" examples/web/app.ts --bundle --format=iife --target=es2020 \
  --outfile=examples/web/dist/app.js --minify --log-level=warning
echo "web: examples/web/dist/app.js ($(wc -c < examples/web/dist/app.js) bytes); serve examples/web over HTTP"
