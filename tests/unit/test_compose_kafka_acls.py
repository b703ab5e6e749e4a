"""The Kafka users and ACLs of the compose deployment, checked without Docker or Kafka.

ops/compose/kafka/bootstrap.sh and start.sh run for real against recording stand-ins for the
Kafka tools; the recorded grants must let each agency write exactly its own ingest topic.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import INGEST_KINDS, TOPICS, ingest_topic
from tests.unit.test_compose import (
    KAFKA_DIR,
)

# ------------------------------------------------------------------ Kafka users and ACLs


@dataclass(frozen=True, slots=True, kw_only=True)
class Acl:
    principal: str
    operation: str
    resource: str  # "topic" | "group" | "cluster" | "transactional-id"
    name: str
    pattern: str  # "literal" | "prefixed"

    def covers(self, resource: str, name: str) -> bool:
        if resource != self.resource:
            return False
        if self.pattern == "prefixed":
            return name.startswith(self.name)
        return self.name in {name, "*"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Bootstrap:
    acls: list[Acl]
    scram_users: dict[str, str]  # user -> the add-config file's content
    argv_text: str


def parse_acl_call(argv: list[str]) -> Iterator[Acl]:
    assert "--add" in argv
    assert "--deny-principal" not in argv
    assert "--remove" not in argv
    principals, operations, pattern = [], [], "literal"
    resources: list[tuple[str, str]] = []
    words = iter(argv)
    for word in words:
        if word == "--allow-principal":
            principals.append(next(words).removeprefix("User:"))
        elif word == "--operation":
            operations.append(next(words))
        elif word == "--resource-pattern-type":
            pattern = next(words)
        elif word in {"--topic", "--group", "--transactional-id"}:
            resources.append((word.removeprefix("--"), next(words)))
        elif word == "--cluster":
            resources.append(("cluster", "kafka-cluster"))
        elif word in {"--bootstrap-server", "--command-config"}:
            next(words)
    assert pattern in {"literal", "prefixed"}, pattern
    for principal in principals:
        for operation in operations:
            for resource, name in resources:
                yield Acl(
                    principal=principal,
                    operation=operation,
                    resource=resource,
                    name=name,
                    pattern=pattern,
                )


def run_bootstrap(tmp_path: Path, agencies: str | None = None) -> Bootstrap:
    """Run ops/compose/kafka/bootstrap.sh with stand-ins that record what it asks Kafka to do."""
    bin_dir, secrets, log = tmp_path / "bin", tmp_path / "secrets", tmp_path / "calls.log"
    bin_dir.mkdir()
    secrets.mkdir()
    # Each call appends "CALL <tool>", one "ARG <word>" per argument and, for a SCRAM change,
    # "CONFIG <line>" per line of the file it passes instead of a password on the command line.
    recorder = f"""#!/usr/bin/env bash
{{
  printf 'CALL %s\\n' "$(basename "$0")"
  config= prev=
  for word in "$@"; do
    printf 'ARG %s\\n' "$word"
    [[ $prev == --add-config-file ]] && config=$word
    prev=$word
  done
  [[ -n $config ]] && sed 's/^/CONFIG /' "$config"
}} >>{shlex.quote(str(log))}
exit 0
"""
    for tool in ("kafka-configs.sh", "kafka-acls.sh", "kafka-broker-api-versions.sh"):
        (bin_dir / tool).write_text(recorder, encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    agencies_file = KAFKA_DIR / "agencies.txt"
    if agencies is not None:
        agencies_file = tmp_path / "agencies.txt"
        agencies_file.write_text(agencies, encoding="utf-8")
    principals = [
        line.split()[0]
        for line in agencies_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for index, secret in enumerate(
        ["kafka_admin_password"]
        + [f"kafka_hub_{s}_password" for s in ("admin", "worker", "gateway", "projector", "api")]
    ):
        (secrets / secret).write_text(f"Secret{index:02d}xxxxxxxxxxxxxxxx\n", encoding="utf-8")
    (secrets / "kafka_agency_passwords").write_text(
        "".join(f"{p} Agency{i:02d}yyyyyyyyyyyyyyyy\n" for i, p in enumerate(principals)),
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BIN": str(bin_dir),
        "SECRETS_DIR": str(secrets),
        "KAFKA_BOOTSTRAP": "kafka:9092",
        "AGENCIES_FILE": str(agencies_file),
    }
    result = subprocess.run(
        ["bash", str(KAFKA_DIR / "bootstrap.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    calls: list[dict[str, Any]] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        kind, _, value = line.partition(" ")
        if kind == "CALL":
            calls.append({"tool": value, "argv": [], "config": ""})
        elif kind == "ARG":
            calls[-1]["argv"].append(value)
        else:
            calls[-1]["config"] += value + "\n"
    acls = [acl for c in calls if c["tool"] == "kafka-acls.sh" for acl in parse_acl_call(c["argv"])]
    scram = {
        c["argv"][c["argv"].index("--entity-name") + 1]: c["config"]
        for c in calls
        if c["tool"] == "kafka-configs.sh"
    }
    return Bootstrap(
        acls=acls,
        scram_users=scram,
        argv_text=" ".join(" ".join(c["argv"]) for c in calls),
    )


def agencies_listed() -> dict[str, str]:
    """principal -> kind, from ops/compose/kafka/agencies.txt."""
    rows = [
        line.split()
        for line in (KAFKA_DIR / "agencies.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {principal: kind for principal, kind in rows}


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Bootstrap:
    return run_bootstrap(tmp_path_factory.mktemp("kafka-bootstrap"))


def allowed(acls: list[Acl], principal: str, operation: str, resource: str, name: str) -> bool:
    return any(
        a.principal == principal and a.operation == operation and a.covers(resource, name)
        for a in acls
    )


ALL_TOPICS = [t.name for t in TOPICS] + ["hub-identity-changelog", "other.topic"]


def test_every_agency_kind_has_a_principal() -> None:
    assert sorted(set(agencies_listed().values())) == sorted(INGEST_KINDS)


def test_each_agency_may_write_exactly_its_own_ingest_topic(bootstrap: Bootstrap) -> None:
    for principal, kind in agencies_listed().items():
        writable = [
            t for t in ALL_TOPICS if allowed(bootstrap.acls, principal, "Write", "topic", t)
        ]
        assert writable == [ingest_topic(kind)], principal
        granted = {
            (a.operation, a.resource, a.name, a.pattern)
            for a in bootstrap.acls
            if a.principal == principal
        }
        assert granted == {
            ("Write", "topic", ingest_topic(kind), "literal"),
            ("Describe", "topic", ingest_topic(kind), "literal"),
        }, principal


def test_only_agencies_and_the_gateway_write_ingest_topics(bootstrap: Bootstrap) -> None:
    agencies = agencies_listed()
    for kind in INGEST_KINDS:
        writers = {
            a.principal
            for a in bootstrap.acls
            if a.operation in {"Write", "All"} and a.covers("topic", ingest_topic(kind))
        }
        expected = {p for p, k in agencies.items() if k == kind} | {"hub-gateway"}
        assert writers == expected, kind


def test_hub_services_get_what_they_need_and_no_wildcards(bootstrap: Bootstrap) -> None:
    acls = bootstrap.acls
    assert all(a.name != "*" and a.operation != "All" for a in acls)
    assert allowed(acls, "hub-worker", "Read", "topic", ingest_topic("police"))
    assert allowed(acls, "hub-worker", "Write", "topic", "hub.log.accepted.v1")
    assert allowed(acls, "hub-worker", "Write", "topic", "hub.ops.deadletter.v1")
    assert allowed(acls, "hub-worker", "Create", "topic", "hub-identity-changelog")
    assert allowed(acls, "hub-worker", "Read", "group", "hub")
    assert allowed(acls, "hub-projector", "Read", "topic", "hub.log.shares.v1")
    assert allowed(acls, "hub-projector", "Read", "group", "hub-projector")
    assert allowed(acls, "hub-api", "Write", "topic", "hub.log.audit.v1")
    assert allowed(acls, "hub-api", "Write", "topic", "hub.log.encompass.v1")  # acknowledgements
    assert not allowed(acls, "hub-api", "Write", "topic", "hub.log.erasure.v1")
    assert allowed(acls, "hub-admin", "Write", "topic", "hub.log.erasure.v1")  # `hub erase`
    assert not allowed(acls, "hub-api", "Write", "topic", "hub.log.accepted.v1")
    assert not allowed(acls, "hub-projector", "Write", "topic", "hub.log.accepted.v1")
    for topic in TOPICS:
        assert allowed(acls, "hub-admin", "Create", "topic", topic.name)
        assert allowed(acls, "hub-admin", "AlterConfigs", "topic", topic.name)


def test_every_principal_gets_a_scram_credential_without_a_password_on_argv(
    bootstrap: Bootstrap,
) -> None:
    expected = {"hub-admin", "hub-worker", "hub-gateway", "hub-projector", "hub-api"}
    assert set(bootstrap.scram_users) == expected | set(agencies_listed())
    for user, config in bootstrap.scram_users.items():
        assert re.fullmatch(r"SCRAM-SHA-512=iterations=\d+,password=\S{16,}\n", config), user
    assert "xxxxxxxx" not in bootstrap.argv_text
    assert "yyyyyyyy" not in bootstrap.argv_text


def test_bootstrap_refuses_an_unknown_agency_kind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="unknown agency kind 'fire'"):
        run_bootstrap(tmp_path, agencies="agency-fire fire\n")


def test_bootstrap_refuses_an_agency_posing_as_a_hub_service(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="reserved"):
        run_bootstrap(tmp_path, agencies="hub-worker police\n")


def test_bootstrap_kinds_match_the_topic_declarations() -> None:
    script = (KAFKA_DIR / "bootstrap.sh").read_text(encoding="utf-8")
    declared = re.search(r"^INGEST_KINDS=\(([^)]*)\)", script, re.MULTILINE)
    assert declared is not None
    assert tuple(declared.group(1).split()) == INGEST_KINDS


def test_broker_start_renders_the_secrets_and_formats_only_once(tmp_path: Path) -> None:
    home, secrets, data, run = (tmp_path / d for d in ("kafka", "secrets", "data", "run"))
    (home / "bin").mkdir(parents=True)
    secrets.mkdir()
    data.mkdir()
    log = tmp_path / "calls.log"
    stand_in = f"""#!/usr/bin/env bash
echo "$(basename "$0") $*" >>{shlex.quote(str(log))}
[[ $1 == random-uuid ]] && echo q1Sh-9_QRsO5H1Kqx3tAmg
[[ $1 == format ]] && touch {shlex.quote(str(data))}/meta.properties
exit 0
"""
    for tool in ("kafka-storage.sh", "kafka-server-start.sh"):
        (home / "bin" / tool).write_text(stand_in, encoding="utf-8")
        (home / "bin" / tool).chmod(0o755)
    (secrets / "kafka_admin_password").write_text("AdminAdminAdmin0001\n", encoding="utf-8")
    (secrets / "kafka_controller_password").write_text("CtrlCtrlCtrlCtrl0002", encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_HOME": str(home),
        "SECRETS_DIR": str(secrets),
        "RUN_DIR": str(run),
        "DATA_DIR": str(data),
    }
    for _ in range(2):
        subprocess.run(["bash", str(KAFKA_DIR / "start.sh")], env=env, check=True, timeout=30)
    calls = log.read_text(encoding="utf-8").splitlines()
    formats = [c for c in calls if c.startswith("kafka-storage.sh format")]
    assert len(formats) == 1
    assert "--standalone" in formats[0]
    assert "SCRAM-SHA-512=[name=admin,password=AdminAdminAdmin0001]" in formats[0]
    assert [c.split()[0] for c in calls].count("kafka-server-start.sh") == 2
    rendered = (run / "server.properties").read_text(encoding="utf-8")
    assert not re.search(r"@[A-Z_]+@", rendered), "a placeholder was left"
    assert 'username="admin" password="AdminAdminAdmin0001";' in rendered
    assert 'user_controller="CtrlCtrlCtrlCtrl0002";' in rendered
    assert stat.S_IMODE((run / "admin.properties").stat().st_mode) == 0o600
