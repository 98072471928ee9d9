"""Does the binary do what the dev overlay's manifests expect of it?

For every service Deployment in the dev overlay: build the container's environment from the
rendered objects (ConfigMap envFrom, configMapKeyRef, values, resourceFieldRef), with the few
substitutions a laptop needs (SQLite instead of the secret database URL, auth mode `dev` and a
temporary data dir since no keys are mounted, 127.0.0.1 instead of 0.0.0.0, and the mounted TLS
Secret's files made here with openssl as cert-manager would issue them); run the migration Job's
command, then the Deployment's command, and expect the port named by the readiness probe to report
SERVING on plaintext grpc.health.v1 within 30 s while the gRPC port refuses plaintext, and a SIGTERM
to end the process within the pod's grace period (minus the preStop sleep). The bistand gallring
CronJob is dry-run too.

The binary is $TRAPPAN_BIN (default target/debug/trappan). Without it the test is skipped,
unless CI is set: then it fails.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_render import ROOT, SERVICES, by_kind, find, render, service_deployments  # noqa: E402

READY_WITHIN_S = 30
TRAPPAN_BIN = Path(os.environ.get("TRAPPAN_BIN", ROOT / "target" / "debug" / "trappan"))
if not TRAPPAN_BIN.is_absolute():
    TRAPPAN_BIN = ROOT / TRAPPAN_BIN


def _binary_or_skip() -> None:
    if TRAPPAN_BIN.is_file() and os.access(TRAPPAN_BIN, os.X_OK):
        return
    if os.environ.get("CI"):
        raise AssertionError(f"TRAPPAN_BIN={TRAPPAN_BIN} does not exist, and CI is set: build it first")
    raise unittest.SkipTest(f"no trappan binary at {TRAPPAN_BIN} (set TRAPPAN_BIN or build it): "
                            "binary agreement test skipped")


def cpu_to_threads(quantity: str, divisor: str = "1") -> str:
    """resourceFieldRef semantics: ceil(limit / divisor), at least 1."""
    def cores(q: str) -> float:
        q = str(q)
        return float(q[:-1]) / 1000 if q.endswith("m") else float(q)
    return str(max(1, math.ceil(cores(quantity) / cores(divisor))))


TLS_MOUNT = "/etc/trappan/tls/"


def issue_certificates(objs, svc: str, into: Path) -> None:
    """A CA and the service's certificate with the URI SAN and DNS names of its cert-manager Certificate,
    written as the Secret's tls.crt, tls.key and ca.crt."""
    spec = find(objs, "Certificate", svc)["spec"]
    into.mkdir()
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=into, check=True, capture_output=True)
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=test workload CA",
            "-days", "1", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", *curve, "-keyout", "tls.key", "-out", "tls.csr", "-subj", f"/CN={svc}")
    names = [f"URI:{uri}" for uri in spec["uris"]] + [f"DNS:{name}" for name in spec["dnsNames"]]
    (into / "ext.cnf").write_text(f"subjectAltName={','.join(names)}\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "tls.crt", "-days", "1", "-extfile", "ext.cnf")


def resolve_env(objs, container: dict, svc: str, tmp: Path) -> dict[str, str]:
    """The container's environment as the kubelet would build it, adapted to a laptop."""
    env: dict[str, str] = {}
    for src in container.get("envFrom") or []:
        if "configMapRef" in src:
            cm = find(objs, "ConfigMap", src["configMapRef"]["name"])
            env.update({src.get("prefix", "") + k: v for k, v in (cm.get("data") or {}).items()})
        else:
            raise AssertionError(f"{svc}: unexpected envFrom {src}")
    for e in container.get("env") or []:
        name = e["name"]
        if "value" in e:
            env[name] = e["value"]
            continue
        ref = e["valueFrom"]
        if "configMapKeyRef" in ref:
            r = ref["configMapKeyRef"]
            env[name] = find(objs, "ConfigMap", r["name"])["data"][r["key"]]
        elif "secretKeyRef" in ref:
            # The only secret in the environment is the database URL: use SQLite here.
            assert name == f"TRAPPAN__{svc.upper()}__DATABASE_URL", f"{svc}: unexpected secret env {name}"
            env[name] = f"sqlite://{tmp}/{svc}.db?mode=rwc"
        elif "resourceFieldRef" in ref:
            r = ref["resourceFieldRef"]
            assert r["resource"] == "limits.cpu", f"{svc}: {name} from {r['resource']}"
            env[name] = cpu_to_threads(container["resources"]["limits"]["cpu"], r.get("divisor", "1"))
        else:
            raise AssertionError(f"{svc}: cannot resolve env {name}: {ref}")
    # Laptop substitutions (see module docstring).
    env["TRAPPAN__AUTH__MODE"] = "dev"
    env.pop("TRAPPAN__AUTH__PUBLIC_KEYS_DIR", None)  # not mounted here
    env.pop("TRAPPAN__RAPPORT__PSEUDONYM_KEY_FILE", None)  # defaults to <data_dir>/pseudonym.key
    env["TRAPPAN__DATA_DIR"] = str(tmp / "data")
    for name, value in env.items():
        if value.startswith(TLS_MOUNT):
            env[name] = str(tmp / "tls" / value.removeprefix(TLS_MOUNT))
    if env.get("TRAPPAN__SERVER__LISTEN_HOST") == "0.0.0.0":
        env["TRAPPAN__SERVER__LISTEN_HOST"] = "127.0.0.1"
    return env


def command(container: dict) -> list[str]:
    cmd = list(container.get("command") or []) + list(container.get("args") or [])
    assert cmd and cmd[0] == "/trappan", f"command must start with /trappan: {cmd}"
    return [str(TRAPPAN_BIN)] + cmd[1:]


def base_env() -> dict[str, str]:
    # Only what a process needs to run; no TRAPPAN_* from the developer's shell leaks in.
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "RUST_BACKTRACE")
    return {k: v for k, v in os.environ.items() if k in keep}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def health_status(port: int, timeout: float = 1.0) -> str | None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        try:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""),
                                                        timeout=timeout)
            return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
        except grpc.RpcError as e:
            return f"rpc error {e.code().name}"


class TestBinaryAgreesWithDevManifests(unittest.TestCase):
    def setUp(self):
        _binary_or_skip()
        self.objs = render("dev")

    def migration_job(self, svc: str) -> dict:
        for j in by_kind(self.objs, "Job"):
            labels = j["metadata"]["labels"]
            if labels.get("app.kubernetes.io/name") == svc and labels.get("app.kubernetes.io/component") == "migration":
                return j
        self.fail(f"no migration Job for {svc}")

    def run_ok(self, argv, env, what: str, timeout: float = 120):
        res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        self.assertEqual(res.returncode, 0, f"{what}: {' '.join(argv[1:])} exited {res.returncode}\n"
                                            f"stdout:\n{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}")
        return res

    def test_each_service(self):
        deployments = service_deployments(self.objs)
        self.assertEqual(set(deployments), set(SERVICES))
        for svc in SERVICES:
            with self.subTest(service=svc):
                self.check_service(svc, deployments[svc])

    def check_service(self, svc: str, dep: dict):
        pod = dep["spec"]["template"]["spec"]
        container = pod["containers"][0]
        probe_port = container["readinessProbe"]["grpc"]["port"]
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(probe_port, named["health"], f"{svc}: readiness probe port is the port named health")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        if not port_free(probe_port):
            self.fail(f"{svc}: port {probe_port} is already in use on 127.0.0.1 (a running trappan?)")

        with tempfile.TemporaryDirectory(prefix=f"trappan-{svc}-") as t:
            tmp = Path(t)
            (tmp / "data").mkdir()
            issue_certificates(self.objs, svc, tmp / "tls")
            env = {**base_env(), **resolve_env(self.objs, container, svc, tmp)}

            job_container = self.migration_job(svc)["spec"]["template"]["spec"]["containers"][0]
            job_env = {**base_env(), **resolve_env(self.objs, job_container, svc, tmp)}
            self.run_ok(command(job_container), job_env, f"{svc} migration Job")

            log = open(tmp / "serve.log", "w+")
            proc = subprocess.Popen(command(container), env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + READY_WITHIN_S
                status = None
                while time.monotonic() < deadline:
                    if proc.poll() is not None:
                        break
                    status = health_status(probe_port)
                    if status == "SERVING":
                        break
                    time.sleep(0.3)
                if status != "SERVING":
                    log.seek(0)
                    self.fail(f"{svc}: health on {probe_port} was {status!r} after {READY_WITHIN_S}s "
                              f"(exit code {proc.poll()})\n{log.read()[-4000:]}")

                refused = health_status(named["grpc"])
                self.assertTrue(refused.startswith("rpc error"), f"{svc}: plaintext on the gRPC port: {refused}")

                if svc == "bistand":
                    cron = find(self.objs, "CronJob", "bistand-gallring")
                    c = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
                    cenv = {**base_env(), **resolve_env(self.objs, c, svc, tmp)}
                    self.run_ok(command(c) + ["--dry-run"], cenv, "bistand gallring --dry-run")

                proc.send_signal(signal.SIGTERM)
                budget = grace - pre_stop
                try:
                    code = proc.wait(timeout=budget)
                except subprocess.TimeoutExpired:
                    self.fail(f"{svc}: still running {budget}s after SIGTERM (grace {grace}s - preStop {pre_stop}s)")
                log.seek(0)
                self.assertEqual(code, 0, f"{svc}: exit code {code} after SIGTERM\n{log.read()[-4000:]}")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                log.close()


if __name__ == "__main__":
    unittest.main()
