"""Policy checks over the rendered manifests of every overlay (python -m unittest or pytest)."""

from __future__ import annotations

import base64
import math
import re
import sys
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_render import (  # noqa: E402
    K8S, OVERLAYS, SERVICES, by_kind, find, is_crd, labels_match, pod_template, render,
    service_deployments,
)

PLACEHOLDER = "REPLACE_ME"
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
NAMESPACE = "trappan"


def containers(tpl: dict):
    spec = tpl["spec"]
    for c in spec.get("initContainers") or []:
        yield "initContainer", c
    for c in spec.get("containers") or []:
        yield "container", c


def workloads(objs):
    for o in objs:
        tpl = pod_template(o)
        if tpl is not None:
            yield o, tpl


def is_trappan(container: dict) -> bool:
    image = container.get("image", "")
    return image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0] == "trappan"


def env_map(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


class EveryOverlay(unittest.TestCase):
    """Runs a check over every overlay; assertion messages name the overlay and the object."""

    def each(self):
        for overlay in OVERLAYS:
            yield overlay, render(overlay)


class TestPodSecurity(EveryOverlay):
    def test_restricted_security_context_everywhere(self):
        for overlay, objs in self.each():
            for obj, tpl in workloads(objs):
                where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
                spec = tpl["spec"]
                pod_sc = spec.get("securityContext") or {}
                self.assertIs(spec.get("automountServiceAccountToken"), False,
                              f"{where}: automountServiceAccountToken must be false")
                self.assertFalse(spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"),
                                 where)
                for kind, c in containers(tpl):
                    cw = f"{where} {kind} {c['name']}"
                    sc = c.get("securityContext") or {}
                    merged = {**pod_sc, **sc}
                    self.assertIs(merged.get("runAsNonRoot"), True, f"{cw}: runAsNonRoot")
                    self.assertEqual(merged.get("runAsUser"), 65532, f"{cw}: runAsUser")
                    self.assertEqual((merged.get("seccompProfile") or {}).get("type"), "RuntimeDefault",
                                     f"{cw}: seccompProfile")
                    self.assertIs(sc.get("readOnlyRootFilesystem"), True, f"{cw}: readOnlyRootFilesystem")
                    self.assertIs(sc.get("allowPrivilegeEscalation"), False, f"{cw}: allowPrivilegeEscalation")
                    self.assertIs(sc.get("privileged", False), False, f"{cw}: privileged")
                    caps = sc.get("capabilities") or {}
                    self.assertIn("ALL", caps.get("drop") or [], f"{cw}: capabilities.drop ALL")
                    self.assertFalse(caps.get("add"), f"{cw}: no added capabilities")

    def test_requests_and_limits_everywhere(self):
        for overlay, objs in self.each():
            for obj, tpl in workloads(objs):
                for kind, c in containers(tpl):
                    cw = f"{overlay}: {obj['kind']}/{obj['metadata']['name']} {kind} {c['name']}"
                    res = c.get("resources") or {}
                    for part in ("requests", "limits"):
                        for r in ("cpu", "memory"):
                            self.assertIn(r, res.get(part) or {}, f"{cw}: resources.{part}.{r}")

    def test_namespace_enforces_restricted(self):
        for overlay, objs in self.each():
            ns = find(objs, "Namespace", NAMESPACE)
            self.assertEqual(ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce"),
                             "restricted")
            for o in objs:
                if o["kind"] != "Namespace":
                    self.assertEqual(o["metadata"].get("namespace"), NAMESPACE,
                                     f"{overlay}: {o['kind']}/{o['metadata']['name']} outside the namespace")

    def test_service_accounts_mount_no_token(self):
        for overlay, objs in self.each():
            for sa in by_kind(objs, "ServiceAccount"):
                self.assertIs(sa.get("automountServiceAccountToken"), False, sa["metadata"]["name"])

    def test_writable_tmp_on_trappan_pods(self):
        for overlay, objs in self.each():
            for obj, tpl in workloads(objs):
                vols = {v["name"]: v for v in tpl["spec"].get("volumes") or []}
                for _, c in containers(tpl):
                    if not is_trappan(c):
                        continue
                    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
                    self.assertIn("/tmp", mounts, f"{obj['metadata']['name']}: /tmp mount")
                    self.assertIn("emptyDir", vols[mounts["/tmp"]])


class TestProbes(EveryOverlay):
    def test_long_running_containers_have_probes(self):
        for overlay, objs in self.each():
            for obj, tpl in workloads(objs):
                if obj["kind"] not in LONG_RUNNING:
                    continue
                for _, c in containers(tpl):
                    cw = f"{overlay}: {obj['kind']}/{obj['metadata']['name']} {c['name']}"
                    for p in ("startupProbe", "readinessProbe", "livenessProbe"):
                        self.assertIn(p, c, f"{cw}: {p}")
                        if is_trappan(c):
                            # The gRPC port is mutual TLS, which the kubelet's probes cannot speak: they ask
                            # the plaintext health port (server.health_port).
                            health_port = next(pt["containerPort"] for pt in c["ports"] if pt["name"] == "health")
                            cm = find(objs, "ConfigMap", f"{obj['metadata']['name']}-config")["data"]
                            self.assertEqual(cm.get("TRAPPAN__SERVER__HEALTH_PORT"), str(health_port), cw)
                            self.assertIn("grpc", c[p], f"{cw}: {p} must be a native gRPC probe")
                            self.assertEqual(c[p]["grpc"]["port"], health_port, f"{cw}: {p} port")
                            # The overall service "" is the one that waits for the store.
                            self.assertIn(c[p]["grpc"].get("service", ""), ("",), f"{cw}: {p} service")


class TestServices(EveryOverlay):
    def test_each_service_is_complete(self):
        for overlay, objs in self.each():
            deps = service_deployments(objs)
            self.assertEqual(set(deps), set(SERVICES), f"{overlay}: service Deployments")
            for svc, port in SERVICES.items():
                d = deps[svc]
                c = d["spec"]["template"]["spec"]["containers"][0]
                self.assertEqual(c["command"], ["/trappan", "serve", svc])
                self.assertEqual([(p["name"], p["containerPort"]) for p in c["ports"]],
                                 [("grpc", port), ("health", 8086)])
                service = find(objs, "Service", svc)
                self.assertEqual([(p["name"], p["port"]) for p in service["spec"]["ports"]], [("grpc", port)])
                self.assertTrue(labels_match({"matchLabels": service["spec"]["selector"]},
                                             d["spec"]["template"]["metadata"]["labels"]))
                self.assertEqual(d["spec"]["template"]["spec"]["serviceAccountName"], svc)
                find(objs, "ServiceAccount", svc)
                pdb = find(objs, "PodDisruptionBudget", svc)
                self.assertTrue(labels_match(pdb["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"]))
                hpa = find(objs, "HorizontalPodAutoscaler", svc)
                self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
                self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], svc)

                cm = find(objs, "ConfigMap", f"{svc}-config")["data"]
                S = svc.upper()
                expected = {
                    "TRAPPAN__SERVER__LISTEN_HOST": "0.0.0.0",
                    f"TRAPPAN__{S}__PORT": str(port),
                    f"TRAPPAN__{S}__MIGRATE_ON_START": "false",
                    "TRAPPAN__TELEMETRY__LOG_FORMAT": "json",
                    "TRAPPAN__AUTH__MODE": "keys",
                    "TRAPPAN__AUTH__PUBLIC_KEYS_DIR": "/etc/trappan/token-keys",
                    "TRAPPAN__DATA_DIR": "/tmp/trappan",
                    "TRAPPAN__TLS__CERT_FILE": "/etc/trappan/tls/tls.crt",
                    "TRAPPAN__TLS__KEY_FILE": "/etc/trappan/tls/tls.key",
                    "TRAPPAN__TLS__CA_FILE": "/etc/trappan/tls/ca.crt",
                    "TRAPPAN__TLS__TRUST_DOMAIN": "trappan.local",
                }
                for k, v in expected.items():
                    self.assertEqual(cm.get(k), v, f"{overlay}: {svc}-config {k}")
                self.assertIn({"configMapRef": {"name": f"{svc}-config"}}, c.get("envFrom") or [])
                env = env_map(c)
                db = env[f"TRAPPAN__{S}__DATABASE_URL"]["valueFrom"]
                self.assertIn("secretKeyRef", db, f"{svc}: DATABASE_URL from a Secret")
                tw = env["TOKIO_WORKER_THREADS"]["valueFrom"]["resourceFieldRef"]
                self.assertEqual((tw["resource"], str(tw.get("divisor"))), ("limits.cpu", "1"))
                mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
                vols = {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
                tls = mounts["/etc/trappan/tls"]
                self.assertTrue(tls.get("readOnly"))
                self.assertEqual(vols[tls["name"]]["secret"]["secretName"], f"{svc}-tls")
                self.assert_workload_certificate(objs, svc, f"{svc}-tls")
                keys = mounts["/etc/trappan/token-keys"]
                self.assertTrue(keys.get("readOnly"))
                self.assertEqual(vols[keys["name"]]["secret"]["secretName"], "trappan-token-keys")
                if svc == "rapport":
                    key_file = cm["TRAPPAN__RAPPORT__PSEUDONYM_KEY_FILE"]
                    mount_dir, fname = key_file.rsplit("/", 1)
                    m = mounts[mount_dir]
                    secret = vols[m["name"]]["secret"]
                    self.assertEqual(secret["secretName"], "rapport-pseudonym-key")
                    self.assertIn(fname, [i["path"] for i in secret.get("items", [])] or [fname])
                # Grace: preStop sleep + server.shutdown_grace_secs must fit.
                grace = d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                self.assertLess(pre + int(cm.get("TRAPPAN__SERVER__SHUTDOWN_GRACE_SECS", 20)), grace)

    def assert_workload_certificate(self, objs, svc: str, secret: str):
        """cert-manager issues `secret` naming the workload as the services check it, for its Service's names,
        for serving and calling, from Trappan's own CA issuer."""
        cert = find(objs, "Certificate", svc)["spec"]
        self.assertEqual(cert["secretName"], secret)
        self.assertEqual(cert["uris"], [f"spiffe://trappan.local/{svc}"])
        self.assertIn(svc, cert["dnsNames"])
        self.assertIn(f"{svc}.{NAMESPACE}.svc", cert["dnsNames"])
        self.assertTrue({"server auth", "client auth"} <= set(cert["usages"]), f"{svc}: usages")
        self.assertEqual(cert["privateKey"].get("rotationPolicy"), "Always")
        issuer = find(objs, "Issuer", cert["issuerRef"]["name"])["spec"]
        self.assertIn("ca", issuer, f"{svc}: issued by the workload CA")
        self.assertTrue(find(objs, "Certificate", "trappan-workload-ca")["spec"]["isCA"])

    def test_peer_urls_point_at_services(self):
        for overlay, objs in self.each():
            for svc in SERVICES:
                cm = find(objs, "ConfigMap", f"{svc}-config")["data"]
                for k, v in cm.items():
                    m = re.fullmatch(r"TRAPPAN__PEERS__([A-Z]+)_URL", k)
                    if m:
                        peer = m.group(1).lower()
                        self.assertEqual(v, f"https://{peer}:{SERVICES[peer]}", f"{svc}: {k} over mutual TLS")

    def test_migration_jobs_and_gallring(self):
        for overlay, objs in self.each():
            jobs = by_kind(objs, "Job")
            for svc in SERVICES:
                mine = [j for j in jobs if j["metadata"]["labels"].get("app.kubernetes.io/name") == svc
                        and j["metadata"]["labels"].get("app.kubernetes.io/component") == "migration"]
                self.assertEqual(len(mine), 1, f"{overlay}: one migration Job for {svc}")
                j = mine[0]
                version = j["metadata"]["labels"].get("app.kubernetes.io/version")
                self.assertTrue(version, "migration Job carries app.kubernetes.io/version")
                self.assertTrue(j["metadata"]["name"].endswith("-v" + version.replace(".", "-")),
                                f"{j['metadata']['name']} ends with the version")
                c = j["spec"]["template"]["spec"]["containers"][0]
                self.assertEqual(c["command"], ["/trappan", "migrate", svc])
                # The Job's version is the release's: the image tag (k8s/base/migrations).
                tag = c["image"].split("@", 1)[0].rsplit(":", 1)[-1]
                self.assertEqual(tag, version, f"{overlay}: {j['metadata']['name']} image tag vs version label")
                self.assertNotIn("initContainers", find(objs, "Deployment", svc)["spec"]["template"]["spec"])
            cron = find(objs, "CronJob", "bistand-gallring")
            self.assertEqual(cron["spec"]["concurrencyPolicy"], "Forbid")
            c = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            self.assertEqual(c["command"], ["/trappan", "gallring"])
            self.assertRegex(cron["spec"]["schedule"], r"^\S+ \S+ \d+ \* \*$", "monthly")


class TestNetworkPolicy(EveryOverlay):
    def policies(self, objs):
        return by_kind(objs, "NetworkPolicy")

    def test_default_deny(self):
        for overlay, objs in self.each():
            deny = [p for p in self.policies(objs)
                    if p["spec"]["podSelector"] in ({}, None)
                    and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
                    and not p["spec"].get("ingress") and not p["spec"].get("egress")]
            self.assertTrue(deny, f"{overlay}: a default-deny (ingress and egress) policy")

    def test_every_workload_is_selected_by_an_allow_policy(self):
        for overlay, objs in self.each():
            allow = [p for p in self.policies(objs) if p["spec"]["podSelector"] not in ({}, None)]
            for obj, tpl in workloads(objs):
                labels = tpl["metadata"].get("labels") or {}
                self.assertTrue(any(labels_match(p["spec"]["podSelector"], labels) for p in allow),
                                f"{overlay}: no NetworkPolicy selects {obj['kind']}/{obj['metadata']['name']}")

    def _allowed(self, objs, src: str, dst: str, port: int) -> bool:
        """Is src's server pod allowed to reach dst's server pod on port (both directions)?"""
        pols = self.policies(objs)
        src_labels = service_deployments(objs)[src]["spec"]["template"]["metadata"]["labels"]
        dst_labels = service_deployments(objs)[dst]["spec"]["template"]["metadata"]["labels"]

        def rule_ok(peers, ports, other):
            port_ok = not ports or any(p.get("port") == port for p in ports)
            peer_ok = any("podSelector" in peer and "namespaceSelector" not in peer
                          and labels_match(peer["podSelector"], other) for peer in peers or [])
            return port_ok and peer_ok

        egress = any(labels_match(p["spec"]["podSelector"], src_labels) and
                     any(rule_ok(r.get("to"), r.get("ports"), dst_labels) for r in p["spec"].get("egress") or [])
                     for p in pols)
        ingress = any(labels_match(p["spec"]["podSelector"], dst_labels) and
                      any(rule_ok(r.get("from"), r.get("ports"), src_labels) for r in p["spec"].get("ingress") or [])
                      for p in pols)
        return egress and ingress

    def test_service_to_service_paths(self):
        wanted = {("bistand", "insatser"), ("insatser", "bistand"), ("insatser", "ungsam"), ("ungsam", "insatser"),
                  ("rapport", "bistand"), ("rapport", "insatser"), ("rapport", "ungsam")}
        for overlay, objs in self.each():
            for src in SERVICES:
                for dst, port in SERVICES.items():
                    if src == dst:
                        continue
                    self.assertEqual(self._allowed(objs, src, dst, port), (src, dst) in wanted,
                                     f"{overlay}: {src} -> {dst}:{port}")
            # And every configured peer URL is reachable.
            for src in SERVICES:
                cm = find(objs, "ConfigMap", f"{src}-config")["data"]
                for k in cm:
                    m = re.fullmatch(r"TRAPPAN__PEERS__([A-Z]+)_URL", k)
                    if m:
                        self.assertIn((src, m.group(1).lower()), wanted, f"{overlay}: {src} {k}")

    def test_database_dns_and_telemetry_egress(self):
        for overlay, objs in self.each():
            for svc in SERVICES:
                labels = service_deployments(objs)[svc]["spec"]["template"]["metadata"]["labels"]
                rules = [r for p in self.policies(objs) if labels_match(p["spec"]["podSelector"], labels)
                         for r in p["spec"].get("egress") or []]
                ports = {(p.get("protocol", "TCP"), p["port"]) for r in rules for p in r.get("ports") or []}
                for needed in [("TCP", 5432), ("UDP", 53), ("TCP", 53), ("TCP", 4317)]:
                    self.assertIn(needed, ports, f"{overlay}: {svc} egress {needed}")
                db_rules = [r for r in rules if any(p["port"] == 5432 for p in r.get("ports") or [])]
                self.assertTrue(all(r.get("to") for r in db_rules), f"{overlay}: {svc} 5432 egress has a `to`")


class TestSecrets(unittest.TestCase):
    def test_rendered_secrets_hold_only_placeholders(self):
        for overlay in OVERLAYS:
            for s in by_kind(render(overlay), "Secret"):
                values = {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
                values.update(s.get("stringData") or {})
                for k, v in values.items():
                    self.assertTrue(v == "" or PLACEHOLDER in v,
                                    f"{overlay}: Secret {s['metadata']['name']} key {k} is not a {PLACEHOLDER} placeholder")

    def test_prod_generates_no_secrets(self):
        for overlay in OVERLAYS:
            if overlay.startswith("prod"):
                self.assertEqual(by_kind(render(overlay), "Secret"), [],
                                 f"{overlay}: prod expects pre-existing Secrets")

    def test_secret_generators_in_the_repo(self):
        for path in K8S.rglob("kustomization.yaml"):
            k = yaml.safe_load(path.read_text()) or {}
            for gen in k.get("secretGenerator") or []:
                where = f"{path.relative_to(K8S)}: secretGenerator {gen.get('name')}"
                self.assertFalse(gen.get("files") or gen.get("envs") or gen.get("env"),
                                 f"{where}: only literals (placeholders) allowed")
                for lit in gen.get("literals") or []:
                    self.assertIn(PLACEHOLDER, lit.split("=", 1)[1], where)
                self.assertIn("dev", path.parts, f"{where}: Secrets are generated only in the dev overlay")

    def test_no_secret_manifests_in_the_repo(self):
        for path in K8S.rglob("*.yaml"):
            for doc in yaml.safe_load_all(path.read_text()):
                if isinstance(doc, dict) and doc.get("kind") == "Secret":
                    self.fail(f"{path.relative_to(K8S)}: Secret manifest in the repository")


class TestOverlays(unittest.TestCase):
    def test_dev_one_replica_and_postgres(self):
        objs = render("dev")
        for svc, d in service_deployments(objs).items():
            self.assertEqual(d["spec"]["replicas"], 1, svc)
            self.assertEqual(find(objs, "HorizontalPodAutoscaler", svc)["spec"]["maxReplicas"], 1)
        pg = find(objs, "StatefulSet", "postgres")
        labels = pg["spec"]["template"]["metadata"]["labels"]
        for svc in SERVICES:
            self.assertEqual(labels.get(f"trappan.se/db-{svc}"), "true")
        init = find(objs, "ConfigMap", "postgres-dev-init")["data"]
        script = "\n".join(init.values())
        for svc in SERVICES:
            self.assertIn(svc, script)

    def test_prod_spread_and_replicas(self):
        for overlay in ("prod", "prod-cnpg", "prod-otel"):
            objs = render(overlay)
            for svc, d in service_deployments(objs).items():
                self.assertGreaterEqual(d["spec"]["replicas"], 2, f"{overlay}: {svc}")
                self.assertGreaterEqual(find(objs, "HorizontalPodAutoscaler", svc)["spec"]["minReplicas"], 2)
                tsc = d["spec"]["template"]["spec"].get("topologySpreadConstraints") or []
                self.assertIn("kubernetes.io/hostname", [t["topologyKey"] for t in tsc], f"{overlay}: {svc}")
                labels = d["spec"]["template"]["metadata"]["labels"]
                for t in tsc:
                    self.assertTrue(labels_match(t["labelSelector"], labels))
                cm = find(objs, "ConfigMap", f"{svc}-config")["data"]
                self.assertNotIn("trappan-dev", cm.get("TRAPPAN__AUTH__ISSUERS", "trappan-dev").split(","),
                                 f"{overlay}: {svc} must not trust the dev issuer")
                self.assertEqual(cm.get("TRAPPAN__ENVIRONMENT"), "production",
                                 f"{overlay}: {svc} runs as production (no dev key, no dev tokens)")
                # TOKIO_WORKER_THREADS follows the CPU limit: make sure it is a whole number >= 1.
                cpu = d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"]
                cores = float(cpu[:-1]) / 1000 if str(cpu).endswith("m") else float(cpu)
                self.assertGreaterEqual(math.ceil(cores), 1)

    def test_cloudnative_pg(self):
        objs = render("prod-cnpg")
        clusters = [o for o in objs if is_crd(o) and o["kind"] == "Cluster"]
        self.assertEqual(sorted(c["spec"]["bootstrap"]["initdb"]["database"] for c in clusters), sorted(SERVICES))
        for svc in SERVICES:
            cluster = find(objs, "Cluster", f"{svc}-db")
            self.assertEqual(cluster["spec"]["inheritedMetadata"]["labels"].get(f"trappan.se/db-{svc}"), "true")
            for obj, tpl in workloads(objs):
                for _, c in containers(tpl):
                    ref = env_map(c).get(f"TRAPPAN__{svc.upper()}__DATABASE_URL")
                    if ref:
                        self.assertEqual(ref["valueFrom"]["secretKeyRef"], {"name": f"{svc}-db-app", "key": "uri"},
                                         f"{obj['kind']}/{obj['metadata']['name']}")

    def test_prod_database_connections_verify_the_server(self):
        """Production refuses a database connection below sslmode=verify-full; every workload of every prod
        overlay that connects to a store gets it, and with CNPG the cluster's CA is mounted where
        PGSSLROOTCERT points."""
        for overlay in ("prod", "prod-cnpg", "prod-otel"):
            objs = render(overlay)
            for obj, tpl in workloads(objs):
                for _, c in containers(tpl):
                    env = env_map(c)
                    if not any(name.endswith("__DATABASE_URL") for name in env):
                        continue
                    where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
                    sslmode = env.get("PGSSLMODE", {}).get("value")
                    for src in c.get("envFrom") or []:
                        if sslmode is None and "configMapRef" in src:
                            sslmode = (find(objs, "ConfigMap", src["configMapRef"]["name"]).get("data") or {}).get(
                                "PGSSLMODE")
                    self.assertEqual(sslmode, "verify-full", where)
                    if overlay == "prod-cnpg":
                        root = env["PGSSLROOTCERT"]["value"]
                        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
                        volume = mounts.get(str(Path(root).parent))
                        self.assertIsNotNone(volume, f"{where}: {root} is not mounted")
                        volumes = {v["name"]: v for v in tpl["spec"].get("volumes") or []}
                        self.assertRegex(volumes[volume]["secret"]["secretName"], r"^[a-z]+-db-ca$", where)

    def test_otel_collector(self):
        for overlay in ("prod-otel", "dev-otel"):
            objs = render(overlay)
            for svc, d in service_deployments(objs).items():
                env = env_map(d["spec"]["template"]["spec"]["containers"][0])
                self.assertEqual(env["TRAPPAN__TELEMETRY__OTLP_ENDPOINT"].get("value"),
                                 "http://otel-collector:4317", f"{overlay}: {svc}")
            svc = find(objs, "Service", "otel-collector")
            self.assertIn(4317, [p["port"] for p in svc["spec"]["ports"]])
            cfg = yaml.safe_load(find(objs, "ConfigMap", "otel-collector-config")["data"]["config.yaml"])
            self.assertTrue(cfg["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317"))
        for overlay in ("dev", "prod"):
            for svc, d in service_deployments(render(overlay)).items():
                self.assertNotIn("TRAPPAN__TELEMETRY__OTLP_ENDPOINT",
                                 env_map(d["spec"]["template"]["spec"]["containers"][0]))


if __name__ == "__main__":
    unittest.main()
