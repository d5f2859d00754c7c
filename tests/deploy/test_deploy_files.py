"""deploy/'s files checked without an engine or a cluster: the compose file against the Compose specification, the
Kubernetes manifests against the API schemas, the Dockerfiles against the code they run, and every setting they name
against the settings the code reads. The images are built and the compose file started for real by
`make test-compose` (tests/compose); no Kubernetes cluster runs here."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PORTS = {
    "gateway": 8000,
    "offers": 8001,
    "matching": 8002,
    "notifications": 8003,
    "reporting": 8004,
    "notifications-mailer": 9100,
}  # the mailer's port serves only /metrics and /healthz
PROCESSES = list(PORTS)
KNOWN_SETTINGS = {field.alias for field in Settings.model_fields.values() if field.alias}
KUBERNETES_VERSION = "1.30.0"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[dict]:
    return [
        doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc
    ]


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_kafka_in_kraft_mode_postgres_mailpit_and_every_process() -> None:
    services = compose()["services"]
    assert set(PROCESSES) | {"kafka", "postgres", "mailpit"} <= set(services)
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:") and "zookeeper" not in services
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    for name in PROCESSES:
        assert services[name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert (DEPLOY.parent / services[name]["build"]["dockerfile"]).is_file()


def test_every_setting_named_by_a_deployment_is_one_the_code_reads() -> None:
    named = set(compose()["services"]["offers"]["environment"])
    named |= set(of_kind("ConfigMap")["boucle-config"]["data"])
    for secret in of_kind("Secret").values():
        named |= set(secret["stringData"])
    assert named - KNOWN_SETTINGS == set()
    # Production refuses the development secret: a deployment must provide one.
    assert compose()["services"]["offers"]["environment"]["BOUCLE_ENV"] == "production"


def test_the_account_link_key_is_offers_alone_and_the_internal_token_offers_and_the_mailers() -> None:
    """#18 finding 2: whoever reads another service's settings cannot sign a login link."""
    services = compose()["services"]
    holders = {name for name in PROCESSES if "BOUCLE_ACCOUNT_LINK_SECRET" in services[name]["environment"]}
    assert holders == {"offers"}
    assert {name for name in PROCESSES if "BOUCLE_INTERNAL_TOKEN" in services[name]["environment"]} == {
        "offers",
        "notifications",
        "notifications-mailer",
    }
    secrets_of = {
        doc["metadata"]["name"]: {
            ref["secretRef"]["name"]
            for ref in doc["spec"]["template"]["spec"]["containers"][0].get("envFrom", [])
            if "secretRef" in ref
        }
        for doc in of_kind("Deployment").values()
    }
    secrets = of_kind("Secret")
    for name, refs in secrets_of.items():
        keys = set().union(*(set(secrets[ref]["stringData"]) for ref in refs))
        assert ("BOUCLE_ACCOUNT_LINK_SECRET" in keys) == (name == "offers"), name
        assert ("BOUCLE_INTERNAL_TOKEN" in keys) == (name in ("offers", "notifications", "notifications-mailer")), name


@pytest.mark.parametrize("name", PROCESSES)
def test_each_process_has_a_dockerfile_running_its_code_as_a_non_root_user(name: str) -> None:
    parser = DockerfileParser(path=str(DEPLOY / "docker" / f"{name}.Dockerfile"))
    assert parser.baseimage.startswith("python:3.11")
    users = [i["value"] for i in parser.structure if i["instruction"] == "USER"]
    assert users and users[-1] not in ("root", "0")
    command = yaml.safe_load(parser.cmd) if parser.cmd else []  # JSON form is valid YAML
    module = command[command.index("--factory") + 1].split(":")[0] if "--factory" in command else command[-1]
    assert importlib.util.find_spec(module) is not None, module
    exposed = [i["value"] for i in parser.structure if i["instruction"] == "EXPOSE"]
    assert exposed == [str(PORTS[name])]
    healthcheck = [i["value"] for i in parser.structure if i["instruction"] == "HEALTHCHECK"]
    probe = "/healthz" if name == "notifications-mailer" else "/readyz"  # the mailer serves no routes
    assert len(healthcheck) == 1 and f"127.0.0.1:{PORTS[name]}{probe}" in healthcheck[0]
    installs = [i["value"] for i in parser.structure if i["instruction"] == "RUN" and "pip install" in i["value"]]
    # Exactly the locked versions of what this process needs, nothing resolved at build time.
    lock = IMAGE_LOCKS.get(name, "requirements.lock")
    assert installs[0].startswith(f"pip install --no-deps --require-hashes -r {lock} "), installs
    assert installs[1:] == ["pip install --no-deps ."], installs  # the project itself, after its dependencies


def test_the_installed_package_holds_every_package_of_the_code() -> None:
    """The images `pip install .`, not the editable install of development: a subpackage missing from pyproject's
    list is missing from every image (matching.engine and shared.portal once were)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {name: ROOT / folder for name, folder in config["package-dir"].items()}
    found = {
        ".".join((name, *init.parent.relative_to(folder).parts))
        for name, folder in folders.items()
        for init in folder.rglob("__init__.py")
        if "migrations" not in init.parts
    }
    assert set(config["packages"]) == found


# The images whose process needs more than the shared library; the others install requirements.lock.
IMAGE_LOCKS = {
    "offers": "requirements-offers.lock",
    "matching": "requirements-matching.lock",
    "reporting": "requirements-reporting.lock",
}


def locked(path: Path) -> dict[str, str]:
    """name → version of a lock file written by `make lock`; every pin carries the hashes of its files."""
    entries = re.findall(
        r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", path.read_text(), flags=re.M
    )
    pins = [line for line in path.read_text().splitlines() if re.match(r"[A-Za-z0-9_.-]+==", line)]
    assert len(entries) == len(pins), "a pin without its hashes: run `make lock`"
    return {name.lower().replace("_", "-"): version for name, version, _ in entries}


def pinned(requirements: list[str]) -> dict[str, str]:
    """name → version of `pyproject.toml`'s `name[extra]==version` requirements."""
    return {re.split(r"[\[=]", r, maxsplit=1)[0].lower().replace("_", "-"): r.split("==")[1] for r in requirements}


def test_the_locks_hold_every_pin_of_pyproject_and_each_image_locks_only_what_its_process_runs() -> None:
    """A dependency changed in pyproject.toml without `make lock` fails here, not in a deployment; an image carries
    the shared library's dependencies and its own service's (issue 19, point 7): spaCy in matching's only, the PDF
    renderer in reporting's, the broker binary and the SMTP sink in none."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = pinned(project["dependencies"])
    extras = {extra: pinned(requirements) for extra, requirements in project["optional-dependencies"].items()}
    development = locked(ROOT / "requirements-dev.lock")
    assert {name: development.get(name) for extra in extras.values() for name in runtime | extra} == {
        name: version for extra in extras.values() for name, version in (runtime | extra).items()
    }
    shared = locked(ROOT / "requirements.lock")
    assert {name: shared.get(name) for name in runtime} == runtime
    for lock in {"requirements.lock", *IMAGE_LOCKS.values()}:
        image = locked(ROOT / lock)
        own = lock.removeprefix("requirements-").removesuffix(".lock") if lock != "requirements.lock" else None
        assert {name: image.get(name) for name in extras.get(own or "", {})} == extras.get(own or "", {}), lock
        others = {name for extra, pins in extras.items() if extra != own for name in pins}
        assert not others & set(image), f"{lock} holds another process's or a tool's packages"
        assert {name: development[name] for name in image} == image, f"the tests run what {lock} installs"
        assert set(shared) <= set(image), lock


def test_kubernetes_manifests_are_valid_for_the_api() -> None:
    for doc in manifests():
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_deployments_are_probed_for_readiness_and_liveness_apart_and_ask_for_resources() -> None:
    """Readiness is whether the process can serve its routes, liveness whether it works (issue 19, point 2): a
    broker or a service away must not take the gateway or the other services out of their Service."""
    deployments = of_kind("Deployment")
    assert set(PROCESSES) <= set(deployments)
    for name, port in PORTS.items():
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["ports"][0]["containerPort"] == port
        paths = {probe: container[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe")}
        expected = (
            {"readinessProbe": "/healthz", "livenessProbe": "/healthz"}
            if name == "notifications-mailer"
            else {"readinessProbe": "/readyz", "livenessProbe": "/livez"}
        )
        assert paths == expected, name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_matching_and_notifications_scale_out_up_to_the_partitions() -> None:
    partitions = int(of_kind("ConfigMap")["boucle-config"]["data"]["KAFKA_PARTITIONS"])
    autoscalers = of_kind("HorizontalPodAutoscaler")
    assert set(autoscalers) == {"matching", "notifications"}
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert 1 < hpa["spec"]["maxReplicas"] <= partitions


def restricted_violations(pod: dict) -> list[str]:
    """What breaks Kubernetes' « restricted » Pod Security Standard in a pod spec (its rules as the standard lists
    them: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)."""
    found = []
    pod_context = pod.get("securityContext", {})
    if any(pod.get(flag) for flag in ("hostNetwork", "hostPID", "hostIPC")):
        found.append("host namespaces")
    if any("hostPath" in volume for volume in pod.get("volumes", [])):
        found.append("hostPath volume")
    allowed_volumes = {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
    for volume in pod.get("volumes", []):
        if not set(volume) - {"name"} <= allowed_volumes:
            found.append(f"volume type of {volume['name']}")
    for container in pod["containers"] + pod.get("initContainers", []):
        context = container.get("securityContext", {})
        name = container["name"]
        if context.get("privileged"):
            found.append(f"{name}: privileged")
        if context.get("allowPrivilegeEscalation", True) is not False:
            found.append(f"{name}: allowPrivilegeEscalation not false")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []) or set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: capabilities not dropped")
        if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot")):
            found.append(f"{name}: runAsNonRoot not true")
        if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
            found.append(f"{name}: runs as root")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile {seccomp}")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            found.append(f"{name}: hostPort")
    return found


def test_every_pod_passes_the_restricted_security_profile_which_the_namespace_enforces() -> None:
    """Issue 19, point 7: the namespace enforces « restricted », so a pod that breaks it would not start."""
    [namespace] = of_kind("Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deployments = of_kind("Deployment")
    assert set(PROCESSES) <= set(deployments)
    violations = {name: restricted_violations(d["spec"]["template"]["spec"]) for name, d in deployments.items()}
    assert not any(violations.values()), violations
    # The check itself refuses what the standard refuses.
    assert restricted_violations({"securityContext": {"runAsNonRoot": True}, "containers": [{"name": "x"}]}) == [
        "x: allowPrivilegeEscalation not false",
        "x: capabilities not dropped",
        "x: seccompProfile None",
    ]
