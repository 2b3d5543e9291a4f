"""The deployment files, checked without a container runtime or a cluster.

- every Kubernetes manifest parses; probes ask /_stcore/health; the Service and the Ingress keep a visitor
  on one pod (a session's websocket and uploads must reach the process that holds it);
- the Dockerfile's instructions: a slim Python base, HAProxy, a non-root USER, EXPOSE, HEALTHCHECK, and
  the same entry point as `make serve`; every file it copies exists and passes its .dockerignore;
- scripts/serve.sh: its HAProxy configuration is accepted by the installed HAProxy (`haproxy -c`; Debian 12
  has 2.6, the version the Docker image installs) and holds the affinity, health check and hardening;
  bad settings are refused before anything starts.

`make test` installs HAProxy first (scripts/ensure-haproxy.sh); elsewhere the `haproxy -c` check is
skipped with that reason. Running servers through the proxy is tests/browser/test_replicas.py's job.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

try:
    import yaml
except ModuleNotFoundError:  # reported by the tests that need it, not as a collection error
    yaml = None

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
SERVE = REPO / "scripts" / "serve.sh"
HEALTH = "/_stcore/health"
PORT = 8501


def haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").is_file() else None)
    if found is None:
        pytest.skip("haproxy is not installed: run `bash scripts/ensure-haproxy.sh` (`make test` does)")
    return found


# --- Kubernetes -----------------------------------------------------------------------------------------


def documents() -> list[dict]:
    assert yaml is not None, "PyYAML is missing: it must be in requirements.txt (pyyaml) to check deploy/kubernetes"
    docs = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(doc, dict), f"{path.name}: a document that is not a mapping"
            doc["__file__"] = path.name
            docs.append(doc)
    return docs


def one(kind: str) -> dict:
    found = [doc for doc in documents() if doc.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind} in deploy/kubernetes, found {len(found)}"
    return found[0]


def test_every_manifest_parses_and_names_its_kind() -> None:
    assert {path.name for path in MANIFESTS} >= {"deployment.yaml", "service.yaml", "ingress.yaml"}
    for doc in documents():
        assert doc.get("apiVersion") and doc.get("kind"), f"{doc['__file__']}: apiVersion and kind are required"
        if doc["kind"] != "Kustomization":
            assert doc.get("metadata", {}).get("name"), f"{doc['__file__']}: metadata.name is required"


def test_kustomization_lists_every_manifest() -> None:
    listed = set(one("Kustomization")["resources"])
    assert listed == {path.name for path in MANIFESTS if path.name != "kustomization.yaml"}


def container() -> dict:
    containers = one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_deployment_probes_ask_the_health_endpoint_through_the_proxy() -> None:
    kviz = container()
    ports = {port["name"]: port["containerPort"] for port in kviz["ports"]}
    assert ports == {"http": PORT}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = kviz[probe]["httpGet"]
        assert get["path"] == HEALTH, f"{probe} asks {get['path']}"
        assert get["port"] in ("http", PORT), f"{probe} must go through HAProxy's port"
        # HAProxy answers only allowed Host names; the kubelet would send the pod's IP.
        assert {"name": "Host", "value": "localhost"} in get.get("httpHeaders", []), f"{probe}: Host header"


def test_deployment_runs_replicas_unprivileged() -> None:
    deployment = one("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    kviz = container()
    assert kviz["securityContext"]["allowPrivilegeEscalation"] is False
    assert kviz["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {item["name"]: item.get("value") for item in kviz["env"]}
    cpus = kviz["resources"]["limits"]["cpu"]
    assert env["KVIZ_REPLICAS"] == str(cpus), "one Streamlit process per CPU of the limit"
    assert env["KVIZ_HOSTS"], "the public host name must be allowed"
    if kviz["securityContext"].get("readOnlyRootFilesystem"):
        mounts = {mount["mountPath"] for mount in kviz.get("volumeMounts", [])}
        assert "/tmp" in mounts, "serve.sh writes its HAProxy configuration under /tmp"


def test_service_and_ingress_keep_a_visitor_on_one_pod() -> None:
    deployment, service, ingress = one("Deployment"), one("Service"), one("Ingress")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items(), "the Service selects the Deployment's pods"
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    assert service["spec"]["ports"][0]["targetPort"] in ("http", PORT)

    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-name"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600, "websockets stay open"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m").isdigit()
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m")) >= 20, "20 MB uploads"
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends and all(backend["name"] == service["metadata"]["name"] for backend in backends)
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    allowed = {item["name"]: item.get("value") for item in container()["env"]}["KVIZ_HOSTS"].split()
    assert hosts <= set(allowed), "HAProxy answers 403 to an Ingress host that is not in KVIZ_HOSTS"


# --- Dockerfile --------------------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\").strip() if pending else stripped.removesuffix("\\").strip()
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.partition(" ")
            result.append((keyword.upper(), arguments.strip()))
            pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def arguments(keyword: str) -> list[str]:
    return [args for name, args in instructions() if name == keyword]


def test_dockerfile_has_the_instructions_a_deployment_needs() -> None:
    names = [name for name, _ in instructions()]
    assert names[0] == "FROM"
    assert set(names) <= {"FROM", "RUN", "COPY", "WORKDIR", "ENV", "USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT",
                          "CMD", "ARG", "LABEL"}, names  # fmt: skip
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", arguments("FROM")[0]), arguments("FROM")
    for required in ("USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT"):
        assert required in names, f"no {required}"
    assert any("apt-get install" in run and "haproxy" in run for run in arguments("RUN")), "HAProxy from apt"
    assert arguments("EXPOSE") == [str(PORT)]


def test_dockerfile_runs_as_an_unprivileged_user() -> None:
    names = [name for name, _ in instructions()]
    users = arguments("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    assert names.index("USER") < names.index("ENTRYPOINT"), "the entry point runs as the unprivileged user"
    assert "useradd" in " ".join(arguments("RUN")) and users[-1] in " ".join(arguments("RUN"))


def test_dockerfile_checks_health_and_serves_like_make_serve() -> None:
    healthcheck = arguments("HEALTHCHECK")[0]
    assert HEALTH in healthcheck and "CMD" in healthcheck
    assert "curl" not in healthcheck, "python:3.11-slim has no curl"
    assert arguments("ENTRYPOINT") == ['["bash", "scripts/serve.sh"]']
    env = " ".join(arguments("ENV"))
    assert "KVIZ_BIND=0.0.0.0" in env, "HAProxy must listen beyond the container's loopback"
    assert f"KVIZ_PORT={PORT}" in env


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last matching pattern wins; `!` re-includes."""
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        candidates = [path] + [str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts) - 1)]
        if any(fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, pattern.removesuffix("/**")) for c in candidates):
            verdict = not negate
    return verdict


def tracked(source: str) -> list[str]:
    """The repository's files under `source` (git's list when there is one: no caches, no build output)."""
    listed = subprocess.run(["git", "ls-files", "--", source], cwd=REPO, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return listed.stdout.split()
    target = REPO / source
    files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
    return [str(f.relative_to(REPO)) for f in files if "__pycache__" not in f.parts and ".egg-info" not in str(f)]


def test_dockerfile_copies_files_that_exist_and_are_in_the_build_context() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]  # fmt: skip
    for copy in arguments("COPY"):
        sources = [word for word in shlex.split(copy) if not word.startswith("--")][:-1]
        for source in sources:
            target = REPO / source
            assert target.exists(), f"COPY {source}: not in the repository"
            kept = tracked(source)
            assert kept, f"COPY {source}: nothing to copy"
            for relative in kept:
                assert not ignored(relative, patterns), f"{relative} is copied but excluded by {DOCKERIGNORE.name}"
    assert ignored(".venv/bin/python", patterns) and ignored(".git/config", patterns)
    assert ignored(".streamlit/secrets.toml", patterns)


# --- scripts/serve.sh ------------------------------------------------------------------------------------


def serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KVIZ_")}
    environment.update(env)
    return subprocess.run(["bash", str(SERVE), *args], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_scripts_are_valid_bash() -> None:
    for script in (SERVE, *(REPO / "scripts").glob("ensure-*.sh"), REPO / "scripts" / "apt-install.sh"):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_serve_help_describes_the_settings() -> None:
    result = serve("--help")
    assert result.returncode == 0
    for word in ("--replicas", "--port", "KVIZ_HOSTS", "KVIZ_FRAME_ANCESTORS", "SIGTERM"):
        assert word in result.stdout


def config(*args: str, **env: str) -> str:
    result = serve("--print-config", *args, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_generated_configuration_is_accepted_by_haproxy(tmp_path: Path) -> None:
    binary = haproxy()
    for replicas, env in ((1, {}), (2, {}), (4, {"KVIZ_HOSTS": "kviz.example.org localhost:8080",
                                                 "KVIZ_FRAME_ANCESTORS": "'self' https://intranet.example",
                                                 "KVIZ_BIND": "0.0.0.0"})):  # fmt: skip
        path = tmp_path / f"haproxy-{replicas}.cfg"
        path.write_text(config("--replicas", str(replicas), "--port", "18080", **env), encoding="utf-8")
        result = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"haproxy -c refused it:\n{result.stdout}{result.stderr}"
        assert "[WARNING]" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_the_configuration_has_affinity_health_checks_and_websockets() -> None:
    text = config("--replicas", "3", "--port", "18080")
    servers = re.findall(r"^\s*server (r\d) 127\.0\.0\.1:(\d+) check cookie (r\d)$", text, flags=re.M)
    assert [(name, cookie) for name, _, cookie in servers] == [("r1", "r1"), ("r2", "r2"), ("r3", "r3")]
    assert len({port for _, port, _ in servers}) == 3, "each replica on its own port"
    assert re.search(r"^\s*cookie SERVERID insert indirect nocache\b", text, flags=re.M)
    assert re.search(r"^\s*http-check send meth GET uri /_stcore/health\b", text, flags=re.M)
    assert re.search(r"^\s*timeout tunnel \d+h\b", text, flags=re.M), "websockets are long-lived tunnels"
    assert re.search(r"^\s*bind 127\.0\.0\.1:18080$", text, flags=re.M), "localhost only unless KVIZ_BIND says"


def test_the_configuration_hardens_the_proxy() -> None:
    text = config("--port", "18080", KVIZ_HOSTS="kviz.example.org")
    hosts = re.search(r"acl allowed_host var\(txn.host\) -m str (.+)$", text, flags=re.M).group(1).split()
    assert {"kviz.example.org", "kviz.example.org:18080", "localhost", "127.0.0.1:18080"} <= set(hosts)
    assert not any(host.endswith(":1") for host in hosts)
    assert "http-request deny deny_status 403 unless allowed_host" in text
    assert re.search(r"deny deny_status 403 if websocket !same_origin", text)
    assert re.search(r"deny deny_status 40[34] if \{ path.*_stcore.*metrics", text)
    assert "http-after-response set-header X-Content-Type-Options nosniff" in text
    assert "http-after-response set-header Referrer-Policy same-origin" in text
    assert "http-after-response set-header Content-Security-Policy \"frame-ancestors 'self'\"" in text
    framed = config(KVIZ_FRAME_ANCESTORS="'self' https://intranet.example")
    assert "\"frame-ancestors 'self' https://intranet.example\"" in framed


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--replicas", "0"), {}),
        (("--replicas", "two"), {}),
        (("--port", "70000"), {}),
        (("--bogus",), {}),
        ((), {"KVIZ_HOSTS": "evil.example\n    server x 10.0.0.1:80"}),
        ((), {"KVIZ_HOSTS": 'a"b'}),
        ((), {"KVIZ_FRAME_ANCESTORS": "'self'\"; default-src *"}),
        ((), {"KVIZ_BIND": "127.0.0.1 ssl crt /etc/passwd"}),
    ],
)
def test_bad_settings_are_refused_before_anything_starts(args: tuple[str, ...], env: dict[str, str]) -> None:
    result = serve("--print-config", *args, **env)
    assert result.returncode != 0
    assert "kviz serve: error:" in result.stderr
    assert "server r1" not in result.stdout
