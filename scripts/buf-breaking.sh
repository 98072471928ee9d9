#!/usr/bin/env bash
# make lint runs this: `buf breaking` of proto/ against the contract as main had it, so a change that would
# break a client built from the v1 stubs (a field, message, RPC or file removed, renumbered, retyped or
# renamed; buf.yaml's FILE rules) fails the build. A new versioned package (trappan.bistand.v2 beside v1)
# only adds, and passes.
#
# What main had: on main itself (CI runs on a clean clone of main) the previous commit on main, HEAD's first
# parent, so the commit being checked is compared with the one it follows; on any other branch the merge-base
# with main (a local `main`, else `origin/main`, as in a fresh clone of another branch), so a branch is judged
# by what it changes, not by what main did since. BUF_BREAKING_AGAINST=<commit> overrides. The base is read
# with `git archive` (proto/ and buf.yaml as committed there): no network, no worktree, and uncommitted
# changes here are checked too.
#   TRAPPAN_BUF  the buf to use (default: .tools/node_modules/.bin/buf, `make buf`)
set -euo pipefail
cd "$(dirname "$0")/.."
BUF=${TRAPPAN_BUF:-.tools/node_modules/.bin/buf}

main_ref() {
  for ref in main origin/main; do
    if git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
      echo "$ref"
      return
    fi
  done
}

if [ -n "${BUF_BREAKING_AGAINST:-}" ]; then
  base=$(git rev-parse --verify "$BUF_BREAKING_AGAINST^{commit}")
  why="BUF_BREAKING_AGAINST=$BUF_BREAKING_AGAINST"
else
  main=$(main_ref)
  head=$(git rev-parse HEAD)
  if [ -z "$main" ] || [ "$(git rev-parse "$main")" = "$head" ]; then
    if [ "$(git rev-parse --is-shallow-repository)" = true ] && ! git rev-parse --verify --quiet "HEAD^1" >/dev/null; then
      echo "buf breaking: this clone is shallow and has no previous commit to compare with; clone with history (or --depth 2)" >&2
      exit 1
    fi
    if ! base=$(git rev-parse --verify --quiet "HEAD^1"); then
      echo "buf breaking: HEAD is the first commit; there is no earlier contract to break"
      exit 0
    fi
    why="the previous commit on ${main:-this branch}"
  else
    base=$(git merge-base HEAD "$main")
    why="the merge-base with $main"
  fi
fi

against=$(mktemp -d "${TMPDIR:-/tmp}/trappan-buf-against.XXXXXX")
trap 'rm -rf "$against"' EXIT
if ! git cat-file -e "$base:buf.yaml" 2>/dev/null || ! git cat-file -e "$base:proto" 2>/dev/null; then
  echo "buf breaking: ${base:0:12} ($why) has no buf.yaml and proto/; nothing to compare with"
  exit 0
fi
git archive "$base" buf.yaml proto | tar -x -C "$against"
"$BUF" breaking --against "$against"
echo "buf breaking: proto/ keeps the contract of ${base:0:12} ($why)"
