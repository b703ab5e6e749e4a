"""The alert rules, the Grafana dashboard and the Prometheus configurations against the code.

Every metric a rule or a dashboard query names must be one the hub's processes export (taken
from the prometheus_client registries the metrics modules define, with the _total, _bucket,
_count and _sum series they expose); every rule has a severity, a summary and a runbook section
in docs/OPERATIONS.md; promtool (Debian's prometheus package, installed by ops/setup.sh) checks
the files and runs the rules' unit tests in ops/prometheus/alerts_test.yml.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from prometheus_client import REGISTRY, CollectorRegistry

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "ops" / "prometheus"
GRAFANA_DIR = ROOT / "ops" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "hub-oncall.json"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"
# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = {"up"}
SEVERITIES = {"page", "ticket"}

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "le", "inf", "nan",
}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, keywords, labels left out)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    return {n for n in _IDENT.findall(text) if n.lower() not in PROMQL_WORDS}


def exported_names() -> set[str]:
    """Every series name the hub's metrics modules export, as Prometheus scrapes them."""
    import projections.metrics
    import streams.metrics  # noqa: F401 (registers the worker's metrics in REGISTRY)
    from projections.api.metrics import ApiMetrics
    from streams.gateway.metrics import GatewayMetrics

    registries = [REGISTRY, ApiMetrics.create(CollectorRegistry()).registry]
    registries.append(GatewayMetrics.create(CollectorRegistry()).registry)
    assert projections.metrics.LAG is not None
    names: set[str] = set()
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("_count", "_sum", "_created", ""),
        "gauge": ("",),
        "info": ("_info",),
    }
    for registry in registries:
        for family in registry.collect():
            names |= {family.name + s for s in suffixes.get(family.type, ("",))}
            names |= {sample.name for sample in family.samples}
    return names


def alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in rules["groups"] for rule in group["rules"]]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    def walk(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        for panel in panels:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
            yield from walk(panel.get("panels", []))

    yield from walk(dashboard["panels"])


def test_the_name_extractor_finds_metrics_and_skips_functions_labels_and_keywords() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, endpoint) (rate(hub_a_bucket{x="y(z)"}[5m])))'
        " unless on (projection) sum without (p) (hub_b_total offset 5m) > 0 and up == 0"
    )
    assert metric_names(expr) == {"hub_a_bucket", "hub_b_total", "up"}


def test_every_metric_the_alert_rules_use_is_exported_by_the_code() -> None:
    exported = exported_names() | PROMETHEUS_OWN
    rules = alert_rules()
    assert rules
    for rule in rules:
        used = metric_names(rule["expr"])
        assert used, f"{rule['alert']}: no metric found in its expression"
        assert used <= exported, f"{rule['alert']} uses {sorted(used - exported)}, not exported"


def test_every_dashboard_query_uses_only_exported_metrics() -> None:
    exported = exported_names() | PROMETHEUS_OWN
    queries = list(dashboard_exprs())
    assert len(queries) >= 20
    for title, expr in queries:
        used = metric_names(expr)
        assert used, f"panel {title!r}: no metric in {expr!r}"
        assert used <= exported, f"panel {title!r} uses {sorted(used - exported)}, not exported"


def test_the_dashboard_covers_every_series_the_on_call_engineer_needs() -> None:
    used = set().union(*(metric_names(e) for _, e in dashboard_exprs()))
    needed = {
        "hub_events_accepted_total", "hub_events_dead_lettered_total",
        "hub_sharing_decisions_total", "hub_consumer_lag_records", "hub_projection_lag_records",
        "hub_projection_e2e_latency_seconds_bucket", "hub_projection_occurred_latency_seconds_bucket",
        "hub_projection_batch_size_sum", "hub_projection_commit_seconds_bucket",
        "hub_encompass_notifications_issued_total", "hub_encompass_delivered_total",
        "hub_encompass_deadline_missed_total", "hub_encompass_acknowledged_total",
        "hub_encompass_escalated_total", "hub_api_request_duration_seconds_bucket",
        "hub_audit_events_written_total", "hub_audit_write_failures_total",
    }  # fmt: skip
    assert needed <= used, sorted(needed - used)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    sources = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}
    assert sources == {"hub-prometheus"}  # the provisioned datasource's uid


def test_every_rule_has_a_severity_a_summary_and_a_runbook_section() -> None:
    guide = OPERATIONS.read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", guide, flags=re.MULTILINE)
    }
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))
    assert {
        "HubConsumerLagGrowing", "HubDeadLettersAppearing", "EncompassDeadlineMissed",
        "HubProjectionStalled", "HubAuditWriteFailures",
    } <= set(names)  # fmt: skip
    for rule in alert_rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        runbook = rule["annotations"]["runbook"]
        assert runbook == f"docs/OPERATIONS.md#{rule['alert'].lower()}", rule["alert"]
        assert rule["alert"].lower() in anchors, f"OPERATIONS.md has no section {rule['alert']}"


def test_no_rule_or_panel_groups_by_a_label_that_could_hold_personal_data() -> None:
    personal = re.compile(r"\b(child_id|record_id|person_id|nhs_number|upn|name|event_id)\b")
    for rule in alert_rules():
        assert not personal.search(rule["expr"]), rule["alert"]
    for title, expr in dashboard_exprs():
        assert not personal.search(expr), title


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: ops/setup.sh installs Debian's prometheus package"
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, check=False, cwd=PROMETHEUS_DIR
    )


def test_promtool_accepts_the_rules_and_both_configurations() -> None:
    for args in (
        ("check", "rules", "alerts.yml"),
        ("check", "config", "--syntax-only", "prometheus.yml"),
        ("check", "config", "prometheus-local.yml"),
    ):
        result = _promtool(*args)
        assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_on_its_situation_and_not_on_a_healthy_one() -> None:
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_compose_mounts_the_rules_and_the_on_call_dashboard() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    prometheus = compose["services"]["prometheus"]["volumes"]
    assert "./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus
    assert "./ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in prometheus
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    grafana = compose["services"]["grafana"]["volumes"]
    assert "./ops/grafana/dashboards:/etc/grafana/dashboards:ro" in grafana
    assert "./ops/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana


def test_local_prometheus_scrapes_each_process_at_its_documented_port() -> None:
    from ops.stack import HUB_PROCESSES

    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus-local.yml").read_text("utf-8"))
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    for proc in HUB_PROCESSES:
        assert targets[f"hub-{proc.name}"] == [f"127.0.0.1:{proc.metrics_port}"]


@pytest.mark.parametrize("service", ["worker", "gateway", "projector", "api", "hub-migrate"])
def test_compose_hub_commands_are_commands_of_the_real_cli(service: str) -> None:
    from ops.cli import main

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    argv = compose["services"][service]["command"]
    assert argv[0] == "hub"
    ctx = click.Context(main)
    command: Any = main
    for word in argv[1:]:
        assert isinstance(command, click.Group), f"{argv}: {word} under a plain command"
        command = command.get_command(ctx, word)
        assert command is not None, f"{service}: `{' '.join(argv)}` is not a hub command"


def test_worker_gets_the_identity_key_as_a_compose_secret() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    worker = compose["services"]["worker"]
    assert worker["environment"]["HUB_IDENTITY_KEY_FILE"] == "/run/secrets/hub_identity_key"
    assert "hub_identity_key" in worker["secrets"]
    assert "hub_identity_key" in compose["secrets"]
