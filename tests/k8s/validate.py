"""Schema-validate rendered overlays with kubernetes-validate --strict.

Usage: validate.py RENDERED_DIR   (holds <overlay>.yaml for every overlay in k8s_render.OVERLAYS)

CRD-based objects (CloudNativePG `Cluster`) have no bundled schema and are skipped by kind,
explicitly and loudly; any other object without a schema fails the check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_render import CRD_KINDS, OVERLAYS  # noqa: E402

K8S_VERSION = os.environ.get("K8S_VALIDATE_VERSION", "1.37.0")


def main() -> int:
    rendered = Path(sys.argv[1])
    validator = Path(sys.executable).parent / "kubernetes-validate"
    failed = 0
    for overlay in OVERLAYS:
        docs = [d for d in yaml.safe_load_all((rendered / f"{overlay}.yaml").read_text()) if d]
        keep, skipped = [], []
        for d in docs:
            if (d.get("apiVersion"), d.get("kind")) in CRD_KINDS:
                skipped.append(f"{d['kind']}/{d['metadata']['name']}")
            else:
                keep.append(d)
        with tempfile.NamedTemporaryFile("w", suffix=f"-{overlay}.yaml", delete=False) as f:
            yaml.safe_dump_all(keep, f, sort_keys=False)
            path = f.name
        try:
            res = subprocess.run([str(validator), "--strict", "--quiet",
                                  "--kubernetes-version", K8S_VERSION, path],
                                 capture_output=True, text=True)
        finally:
            os.unlink(path)
        output = (res.stdout + res.stderr).strip()
        no_schema = "Couldn't find schema" in output
        ok = res.returncode == 0 and not no_schema
        print(f"validate {overlay}: {len(keep)} objects against Kubernetes {K8S_VERSION} (--strict): "
              f"{'ok' if ok else 'FAILED'}")
        if skipped:
            print(f"  skipped (CRD, no schema bundled): {', '.join(skipped)}")
        if not ok:
            failed += 1
            print(output.replace(path, f"<{overlay}>"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
