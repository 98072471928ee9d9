"""Render the kustomize overlays once and hand the objects to the checks.

`check.sh` renders into $TRAPPAN_K8S_RENDERED (one <overlay>.yaml each); run alone, the tests
render with `kubectl kustomize` (or `kustomize build`) themselves.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"

# Every overlay and component combination that must render and validate.
OVERLAYS = ["dev", "prod", "prod-cnpg", "prod-otel", "dev-otel"]

# Custom resources: no schema is bundled with kubernetes-validate, so they are skipped by
# schema validation (and only checked structurally by test_policy.py).
CRD_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("cert-manager.io/v1", "Issuer"), ("cert-manager.io/v1", "Certificate")}

SERVICES = {"bistand": 50051, "insatser": 50052, "ungsam": 50053, "rapport": 50054}

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}


def render_command(path: Path) -> list[str]:
    kubectl = os.environ.get("KUBECTL") or shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize", str(path)]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build", str(path)]
    raise RuntimeError("neither kubectl nor kustomize is installed: cannot render k8s/overlays")


def render_text(overlay: str) -> str:
    pre = os.environ.get("TRAPPAN_K8S_RENDERED")
    if pre and (Path(pre) / f"{overlay}.yaml").is_file():
        return (Path(pre) / f"{overlay}.yaml").read_text()
    out = subprocess.run(render_command(K8S / "overlays" / overlay), check=True,
                         capture_output=True, text=True)
    return out.stdout


@functools.lru_cache(maxsize=None)
def render(overlay: str) -> tuple[dict, ...]:
    return tuple(d for d in yaml.safe_load_all(render_text(overlay)) if d)


def is_crd(obj: dict) -> bool:
    return (obj.get("apiVersion"), obj.get("kind")) in CRD_KINDS


def pod_template(obj: dict) -> dict | None:
    kind = obj.get("kind")
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    if kind in POD_TEMPLATE_KINDS:
        return obj["spec"]["template"]
    return None


def by_kind(objs, kind: str) -> list[dict]:
    return [o for o in objs if o.get("kind") == kind]


def find(objs, kind: str, name: str) -> dict:
    for o in objs:
        if o.get("kind") == kind and o["metadata"]["name"] == name:
            return o
    raise KeyError(f"{kind}/{name} not rendered")


def labels_match(selector: dict, labels: dict) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def service_deployments(objs) -> dict[str, dict]:
    """The four Trappan service Deployments by service name."""
    out = {}
    for d in by_kind(objs, "Deployment"):
        labels = d["metadata"].get("labels") or {}
        if labels.get("app.kubernetes.io/part-of") == "trappan" and \
                labels.get("app.kubernetes.io/component") == "server":
            out[labels["app.kubernetes.io/name"]] = d
    return out
