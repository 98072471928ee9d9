#!/usr/bin/env bash
# Builds the trappan image from the Containerfile at the repository root, without a daemon:
# buildah bud if buildah is installed, else podman build. With neither, says so and exits 0.
#
#   k8s/build-image.sh                      # tags localhost/trappan:<version from Cargo.toml>
#   IMAGE=registry.example.se/trappan:0.1.0 k8s/build-image.sh
#
# Env: IMAGE (full name:tag), PLATFORM (e.g. linux/arm64), BUILDAH_ISOLATION (default chroot,
# which works inside containers and CI runners where the OCI runtime cannot set up cgroups).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
image="${IMAGE:-localhost/trappan:${version:-dev}}"
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"

args=(--file "$root/Containerfile" --tag "$image" --layers)
if [[ -n "${PLATFORM:-}" ]]; then
  args+=(--platform "$PLATFORM")
fi

if command -v buildah >/dev/null 2>&1; then
  tool=(buildah bud)
elif command -v podman >/dev/null 2>&1; then
  tool=(podman build)
else
  cat <<'MSG'
build-image: neither buildah nor podman is installed, so no image was built.
  Install one (Debian/Ubuntu: apt-get install buildah, or podman) and run this again,
  or build with any OCI builder: docker build -f Containerfile -t trappan:<version> .
  The build needs access to docker.io (rust builder image) and to crates.io.
MSG
  exit 0
fi

echo "build-image: ${tool[*]} -> $image (isolation: $BUILDAH_ISOLATION)"
"${tool[@]}" "${args[@]}" "$root"
echo "build-image: built $image"
echo "  dev cluster (kind): podman save $image -o trappan.tar && kind load image-archive trappan.tar"
