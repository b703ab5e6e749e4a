"""docker-compose.yml, checked without Docker (there is no engine on the machines that test it).

The file is validated by Debian's docker-compose (`config -q` parses and checks it against the
Compose schema offline, without an engine), then against the rules of this deployment: references resolve, images are pinned, mounted files exist, the hub's
services run known `hub` commands, no secret is inline, and the Kafka bootstrap script, run
against recording stand-ins for the Kafka tools, lets each agency write exactly its own topic.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_DIR = ROOT / "ops" / "compose"
KAFKA_DIR = COMPOSE_DIR / "kafka"
SECRETS_DIR = COMPOSE_DIR / "secrets"
HUB_IMAGE = "safeguarding-hub"

HUB_COMMANDS = {
    ("hub", "worker"),
    ("hub", "gateway"),
    ("hub", "projector"),
    ("hub", "api"),
    ("hub", "migrate"),
    ("hub", "topics", "apply"),
}
INIT_COMMANDS = {("hub", "migrate"), ("hub", "topics", "apply")}
METRICS_PORTS = {"worker": 9101, "gateway": 9102, "projector": 9103, "api": 9104}
PUBLISHED = {"api": 8080, "gateway": 8081, "grafana": 3000}
# A tag that names at least major.minor, e.g. 4.2.1, v3.5.0, 15.14-bookworm.
PINNED_TAG = re.compile(r"^v?\d+\.\d+[\w.-]*$")
SECRET_WORDS = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PEPPER|KEY", re.IGNORECASE)


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def is_hub_service(service: dict[str, Any]) -> bool:
    return str(service.get("image", "")).partition(":")[0] == HUB_IMAGE


def is_one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=VALUE list form
        return dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def service_secrets(service: dict[str, Any]) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


@dataclass(frozen=True, slots=True, kw_only=True)
class Mount:
    source: str
    target: str
    bind: bool


def mounts(service: dict[str, Any]) -> list[Mount]:
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        found.append(Mount(source=source, target=target, bind=source.startswith((".", "/"))))
    return found


# ------------------------------------------------------------------ the file as a whole


def _compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", "-f", str(path), "--project-directory", str(ROOT), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_is_valid_for_docker_compose() -> None:
    checked = _compose_config(COMPOSE_FILE)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_compose_check_catches_a_misspelt_key(compose: dict[str, Any], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["api"]["depends_om"] = broken["services"]["api"].pop("depends_on")
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    checked = _compose_config(path)
    assert checked.returncode != 0
    assert "depends_om" in checked.stdout + checked.stderr


def test_the_compose_file_does_not_rely_on_interpolation() -> None:
    # Without variables the check above sees exactly what Docker Compose would.
    assert "${" not in COMPOSE_FILE.read_text(encoding="utf-8")


def test_every_reference_resolves_and_every_definition_is_used(compose: dict[str, Any]) -> None:
    defined = {kind: set(compose.get(kind) or {}) for kind in ("volumes", "secrets", "networks")}
    used: dict[str, set[str]] = {kind: set() for kind in defined}
    for name, service in services(compose).items():
        depends_on = service.get("depends_on", {})
        unknown = set(depends_on) - set(services(compose)) - {name}
        assert not unknown, f"{name} depends on undefined services {unknown}"
        assert name not in depends_on
        used["volumes"] |= {m.source for m in mounts(service) if not m.bind}
        used["secrets"] |= service_secrets(service)
        used["networks"] |= set(service.get("networks", []))
        assert service.get("networks"), f"{name} should name its networks"
    for kind in defined:
        assert used[kind] <= defined[kind], f"undefined {kind}: {used[kind] - defined[kind]}"
        assert defined[kind] <= used[kind], f"unused {kind}: {defined[kind] - used[kind]}"


def test_depends_on_has_no_cycle(compose: dict[str, Any]) -> None:
    graph = {name: set(s.get("depends_on", {})) for name, s in services(compose).items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle {' -> '.join((*path, name))}"
        if name not in done:
            for dependency in graph[name]:
                visit(dependency, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())


# ------------------------------------------------------------------ images and files


def test_images_are_the_hub_build_or_pinned_tags(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        image = service.get("image")
        assert image, f"{name} must name its image"
        repository, _, tag = image.rpartition(":") if ":" in image else (image, "", "")
        assert tag, f"{name}: image {image} has no tag"
        assert tag != "latest", f"{name}: image {image} is not pinned"
        if "build" in service:
            assert repository == HUB_IMAGE, f"{name} builds something other than the hub"
            assert service["build"] == {"context": ".", "dockerfile": "Dockerfile"}
        else:
            assert repository != HUB_IMAGE, f"{name} uses the hub image without building it"
            assert PINNED_TAG.match(tag), f"{name}: {image} should pin at least major.minor"


def test_dockerfile_bases_are_pinned_and_the_image_runs_as_a_user() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    bases = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    assert bases
    for base in bases:
        tag = base.rpartition(":")[2]
        assert base.startswith("python:3.11"), base
        assert PINNED_TAG.match(tag), base
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    assert users, "the image should switch to an unprivileged user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    for line in lines:
        if line.upper().startswith("COPY ") and "--from=" not in line:
            sources = [word for word in shlex.split(line)[1:-1] if not word.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {"ops/compose/secrets", ".state", ".venv", ".git"} <= ignored


def test_every_file_mounted_from_the_repository_exists(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for mount in mounts(service):
            if mount.bind:
                assert mount.source.startswith("./"), (
                    f"{name}: mount {mount.source} leaves the repo"
                )
                assert (ROOT / mount.source).exists(), f"{name}: {mount.source} does not exist"
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, f"secret {name} must come from a file"
        assert secret["file"] == f"./ops/compose/secrets/{name}"


def test_scripts_mounted_into_containers_are_executable_and_parse() -> None:
    for script in [*KAFKA_DIR.glob("*.sh"), *(COMPOSE_DIR / "postgres").glob("*.sh")]:
        assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
    subprocess.run(["sh", "-n", str(COMPOSE_DIR / "hub-entrypoint.sh")], check=True)


def test_the_secrets_readme_names_every_secret(compose: dict[str, Any]) -> None:
    readme = (SECRETS_DIR / "README.md").read_text(encoding="utf-8")
    for name in compose["secrets"]:
        assert f"`{name}`" in readme, f"ops/compose/secrets/README.md does not explain {name}"


# ------------------------------------------------------------------ the hub's processes


def test_hub_services_run_known_hub_commands(compose: dict[str, Any]) -> None:
    commands = {
        name: tuple(s["command"]) for name, s in services(compose).items() if is_hub_service(s)
    }
    assert set(commands.values()) <= HUB_COMMANDS, commands
    assert set(commands.values()) == HUB_COMMANDS, "every hub process should be deployed"
    assert commands["worker"] == ("hub", "worker")


def test_init_jobs_complete_before_the_processes_start(compose: dict[str, Any]) -> None:
    init_jobs = {
        name
        for name, s in services(compose).items()
        if is_hub_service(s) and tuple(s["command"]) in INIT_COMMANDS
    }
    assert len(init_jobs) == len(INIT_COMMANDS)
    for name in init_jobs:
        assert is_one_shot(services(compose)[name]), f"{name} must not be restarted"
    for name, service in services(compose).items():
        if is_hub_service(service) and name not in init_jobs:
            for job in init_jobs:
                condition = service["depends_on"][job]["condition"]
                assert condition == "service_completed_successfully", (name, job)
            for store in ("kafka", "postgres"):
                assert service["depends_on"][store]["condition"] == "service_healthy"


def test_long_running_services_have_health_checks_restarts_and_limits(
    compose: dict[str, Any],
) -> None:
    for name, service in services(compose).items():
        limits = service["deploy"]["resources"]["limits"]
        assert {"cpus", "memory"} <= set(limits), f"{name} has no resource limits"
        if is_one_shot(service):
            assert "healthcheck" not in service
            continue
        assert service.get("restart") in {"unless-stopped", "always"}, name
        test = service["healthcheck"]["test"]
        assert test[0] in {"CMD", "CMD-SHELL"}, name
        assert len(test) > 1, name


def test_hub_health_checks_and_scrapes_use_each_process_metrics_port(
    compose: dict[str, Any],
) -> None:
    prometheus = yaml.safe_load(
        (ROOT / "ops" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    )
    scraped = set()
    for job in prometheus["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            scraped |= {(name, sd["port"]) for name in sd["names"]}
    for name, port in METRICS_PORTS.items():
        service = services(compose)[name]
        assert environment(service)["HUB_METRICS_PORT"] == str(port)
        assert f"127.0.0.1:{port}/metrics" in " ".join(service["healthcheck"]["test"])
        assert (name, port) in scraped, f"Prometheus does not scrape {name}:{port}"


def test_only_the_api_gateway_and_grafana_are_published(compose: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in services(compose).items() if s.get("ports")}
    assert set(published) == set(PUBLISHED)
    for name, ports in published.items():
        # "host_ip:published:target": loopback only, behind the TLS-terminating reverse proxy
        assert ports == [f"127.0.0.1:{PUBLISHED[name]}:{PUBLISHED[name]}"], name
    backend = compose["networks"]["backend"]
    assert backend.get("internal") is True
    for name, service in services(compose).items():
        if name not in PUBLISHED:
            assert service["networks"] == ["backend"], f"{name} should stay on the backend"


def test_grafana_is_provisioned_with_the_prometheus_datasource() -> None:
    datasources = yaml.safe_load(
        (ROOT / "ops" / "grafana/provisioning/datasources/prometheus.yml").read_text("utf-8")
    )
    assert [d["url"] for d in datasources["datasources"]] == ["http://prometheus:9090"]
    providers = yaml.safe_load(
        (ROOT / "ops" / "grafana/provisioning/dashboards/hub.yml").read_text("utf-8")
    )
    assert [p["options"]["path"] for p in providers["providers"]] == ["/etc/grafana/dashboards"]


# ------------------------------------------------------------------ secrets


def test_no_secret_value_is_inline(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        mounted = service_secrets(service)
        for key, value in environment(service).items():
            if key.endswith("_FILE"):  # HUB_*_FILE, POSTGRES_PASSWORD_FILE, GF_*__FILE
                secret = value.removeprefix("/run/secrets/")
                assert value != secret, f"{name}: {key} should point into /run/secrets"
                assert secret in mounted, f"{name}: {key} names {secret}, not given to it"
            elif SECRET_WORDS.search(key):
                raise AssertionError(f"{name}: {key} looks like an inline secret")
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{name}: password in {key}"


def test_config_templates_hold_placeholders_not_passwords() -> None:
    server = (KAFKA_DIR / "server.properties").read_text(encoding="utf-8")
    passwords = re.findall(r'(?:password|user_\w+)="([^"]*)"', server)
    assert passwords
    assert all(re.fullmatch(r"@[A-Z_]+@", p) for p in passwords), passwords
    assert "User:ANONYMOUS" not in server
    assert "allow.everyone.if.no.acl.found=false" in server


def test_hub_processes_have_their_own_kafka_principal(compose: dict[str, Any]) -> None:
    users = {}
    for name, service in services(compose).items():
        env = environment(service)
        if is_hub_service(service) and "HUB_KAFKA_USERNAME" in env:
            user = env["HUB_KAFKA_USERNAME"]
            assert env["HUB_KAFKA_SECURITY_PROTOCOL"] in {"SASL_PLAINTEXT", "SASL_SSL"}
            assert env["HUB_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
            secret = "kafka_" + user.replace("-", "_") + "_password"
            assert env["HUB_KAFKA_PASSWORD_FILE"] == f"/run/secrets/{secret}"
            assert secret in service_secrets(services(compose)["kafka-init"])
            users[name] = user
    assert len(set(users.values())) == len(users), f"principals shared: {users}"
    assert set(users) == {"hub-topics", "worker", "gateway", "projector", "api"}
