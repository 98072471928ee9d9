#!/usr/bin/env bash
# That the contract guard guards (make test runs it): scripts/buf-breaking.sh in fresh `git clone`s of this
# repository, and buf's FILE rules on temporary copies of proto/.
#   1. a clean clone, nothing changed: passes;
#   2. a clean clone of main with one more commit on main that removes a field from a v1 message: fails,
#      naming the field (compared with the previous commit on main, as CI does);
#   3. the same commit on a branch: fails too (compared with the merge-base with origin/main);
#   4. a copy that adds a new versioned package, trappan.bistand.v2, with that field gone there: passes,
#      as v1 is kept whole.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .tools/node_modules/.bin/buf ] || make --no-print-directory buf
TRAPPAN_BUF=$(realpath .tools/node_modules/.bin/buf)
export TRAPPAN_BUF
unset BUF_BREAKING_AGAINST
REPO=$(pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/trappan-buf-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
git_as_tester() { git -c user.name=buf-check -c user.email=buf-check@trappan.invalid "$@"; }
V1=proto/trappan/bistand/v1/bistand.proto
FIELD='  bool only_mine = 3;'
grep -qxF "$FIELD" "$V1" || { echo "buf check: $V1 no longer has '$FIELD'; pick another field" >&2; exit 1; }
remove_field() { grep -vxF "$FIELD" "$1" > "$1.new" && mv "$1.new" "$1"; }
expect_failure() {
  local what=$1 log=$2
  shift 2
  if "$@" >"$log" 2>&1; then
    echo "buf check: FAILED: $what passed" >&2
    cat "$log" >&2
    exit 1
  fi
  if ! grep -q 'only_mine' "$log"; then
    echo "buf check: FAILED: $what failed for another reason:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "buf check: $what fails: $(grep -m1 'only_mine' "$log")"
}

HEAD_COMMIT=$(git rev-parse HEAD)
# A fresh clone of this repository at the commit checked out here (committed state only, as CI has it).
clone_at() {
  git clone --quiet --no-local "$REPO" "$1"
  git -C "$1" checkout --quiet --detach "$HEAD_COMMIT"
}

# 1. The committed contract, in a clean clone.
clone_at "$WORK/clean"
(cd "$WORK/clean" && bash scripts/buf-breaking.sh) >"$WORK/clean.log" 2>&1 || {
  echo "buf check: FAILED: a clean clone does not pass:" >&2
  cat "$WORK/clean.log" >&2
  exit 1
}
echo "buf check: a clean clone passes: $(tail -n 1 "$WORK/clean.log")"

# 2. On main, as CI sees it: main is HEAD, so the previous commit on main is the base.
clone_at "$WORK/main"
(cd "$WORK/main" && git checkout --quiet -B main && remove_field "$V1" && git_as_tester commit --quiet -am "remove a v1 field")
expect_failure "a commit on main that removes a v1 field" "$WORK/main.log" \
  bash -c "cd '$WORK/main' && bash scripts/buf-breaking.sh"

# 3. On a branch of a clone that has only origin/main: the merge-base with it is the base.
clone_at "$WORK/branch"
(
  cd "$WORK/branch"
  git checkout --quiet -b change
  git branch --quiet -D main 2>/dev/null || true
  remove_field "$V1"
  git_as_tester commit --quiet -am "remove a v1 field"
)
expect_failure "a branch commit that removes a v1 field" "$WORK/branch.log" \
  bash -c "cd '$WORK/branch' && bash scripts/buf-breaking.sh"

# 4. A new versioned package beside v1 only adds.
mkdir -p "$WORK/base" "$WORK/v2"
cp -r buf.yaml proto "$WORK/base/"
cp -r buf.yaml proto "$WORK/v2/"
mkdir -p "$WORK/v2/proto/trappan/bistand/v2"
sed 's/^package trappan\.bistand\.v1;/package trappan.bistand.v2;/' "$V1" >"$WORK/v2/proto/trappan/bistand/v2/bistand.proto"
remove_field "$WORK/v2/proto/trappan/bistand/v2/bistand.proto"
(cd "$WORK/v2" && "$TRAPPAN_BUF" lint && "$TRAPPAN_BUF" breaking --against "$WORK/base") >"$WORK/v2.log" 2>&1 || {
  echo "buf check: FAILED: adding trappan.bistand.v2 is reported as breaking:" >&2
  cat "$WORK/v2.log" >&2
  exit 1
}
echo "buf check: adding trappan.bistand.v2 (without only_mine) beside an unchanged v1 passes"
echo "buf check: 4 passed, 0 failed"
