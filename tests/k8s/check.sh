#!/usr/bin/env bash
# The Kubernetes checks, in one command (make test / CI call this):
#   1. render every overlay/component combination with kustomize,
#   2. schema-validate every rendered object with kubernetes-validate --strict,
#   3. policy tests (test_policy.py) and the binary agreement test (test_binary_agrees.py).
# Python tools live in .venv-k8s (pinned in tests/k8s/requirements.txt).
# Env: TRAPPAN_BIN (default target/debug/trappan), CI (when set, a missing binary fails),
#      K8S_VALIDATE_VERSION (default 1.37.0), KUBECTL.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
venv="$root/.venv-k8s"
req="$root/tests/k8s/requirements.txt"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# Reinstall only when the pins changed.
if ! cmp -s "$req" "$venv/.requirements.installed" 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements.installed"
fi
py="$venv/bin/python"

if ! command -v "${KUBECTL:-kubectl}" >/dev/null 2>&1 && ! command -v kustomize >/dev/null 2>&1 \
   && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "check.sh: kubectl missing; trying apt-get install kubectl" >&2
  apt-get install -y -qq kubectl >/dev/null || true
fi
if command -v "${KUBECTL:-kubectl}" >/dev/null 2>&1; then
  render() { "${KUBECTL:-kubectl}" kustomize "$1"; }
elif command -v kustomize >/dev/null 2>&1; then
  render() { kustomize build "$1"; }
else
  echo "check.sh: neither kubectl nor kustomize is installed; cannot render k8s/overlays" >&2
  exit 1
fi

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
overlays=$("$py" -c 'import sys; sys.path.insert(0, "tests/k8s"); import k8s_render; print(" ".join(k8s_render.OVERLAYS))')
for overlay in $overlays; do
  render "k8s/overlays/$overlay" > "$rendered/$overlay.yaml"
  echo "render $overlay: $(grep -c '^kind:' "$rendered/$overlay.yaml") objects"
done

"$py" tests/k8s/validate.py "$rendered"

TRAPPAN_K8S_RENDERED="$rendered" "$py" tests/k8s/run_tests.py
