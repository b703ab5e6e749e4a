"""The benchmark's targets (issue #10), the JSON it writes, its plot and its table."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.table import Table

RESULTS_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One promise: a figure from the results, compared with a bound."""

    name: str
    unit: str
    bound: float
    direction: Literal["at_least", "under"]
    read: Callable[[Mapping[str, Any]], float]

    def check(self, results: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            value = float(self.read(results))
        except (KeyError, TypeError, ZeroDivisionError):
            return None  # the phase was not run
        passed = value >= self.bound if self.direction == "at_least" else value < self.bound
        return {
            "name": self.name,
            # JSON has no infinity: a figure that could not be taken (no probe seen) is null.
            "value": round(value, 3) if math.isfinite(value) else None,
            "unit": self.unit,
            "target": self.bound,
            "direction": self.direction,
            "passed": passed,
        }


def _ratio(results: Mapping[str, Any]) -> float:
    return float(results["pipeline"]["events_per_s"]) / float(
        results["raw_consume"]["events_per_s"]
    )


TARGETS: tuple[Target, ...] = (
    Target(
        name="pipeline throughput",
        unit="events/s",
        bound=10_000,
        direction="at_least",
        read=lambda r: r["pipeline"]["events_per_s"],
    ),
    Target(
        name="pipeline / raw aiokafka consume+decode",
        unit="ratio",
        bound=0.25,
        direction="at_least",
        read=_ratio,
    ),
    Target(
        name="incident -> alert in the read API, p99",
        unit="ms",
        bound=250,
        direction="under",
        read=lambda r: r["latency"]["p99_ms"] if r["latency"]["seen"] else float("inf"),
    ),
    Target(
        name="projection writes / plain COPY",
        unit="ratio",
        bound=0.5,
        direction="at_least",
        read=lambda r: r["projection_writes"]["ratio"],
    ),
    Target(
        name="rebuild of every projection",
        unit="events/s",
        bound=20_000,
        direction="at_least",
        read=lambda r: r["rebuild"]["events_per_s"],
    ),
    Target(
        name="read API: 200-entry chronology, 50 users, p99",
        unit="ms",
        bound=50,
        direction="under",
        read=lambda r: r["read_api"]["p99_ms"],
    ),
)


def check_targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for t in TARGETS if (c := t.check(results)) is not None]


def ceilings(results: Mapping[str, Any]) -> dict[str, Any]:
    """What the measured floors allow, whatever the hub's own code costs: the figures that say
    whether a target is reachable on this machine with this design.

    - faust: an event makes the worker write M messages; one faust agent passes F messages/s
      (consume one, produce one); so a faust pipeline of this shape runs at about F / M events/s.
      An estimate, not a hard bound: changelog writes are produce-only, cheaper than a pass.
    - read API: U users, each waiting for its answer before asking again, at X answers/s wait
      U / X on average (Little's law); one user's service time S bounds X at 1 / S per process.
      The HTTP floor (the same answer from memory, same server framework, same readers) is what
      is left when the hub's own work per read is taken away.
    """
    out: dict[str, Any] = {}
    pipeline, floor = results.get("pipeline"), results.get("faust_floor")
    if pipeline and floor and pipeline.get("messages_written_per_event"):
        per_event = float(pipeline["messages_written_per_event"])
        out["faust_events_per_s"] = round(float(floor["messages_per_s"]) / per_event, 1)
        out["faust_events_per_s_explained"] = (
            f"faust passes {floor['messages_per_s']:,.0f} messages/s through one agent here; "
            f"each event makes the worker write {per_event:.1f} messages"
        )
        # For 10,000 events/s at this fan-out, one agent would need to pass this many messages/s.
        out["faust_messages_per_s_needed_for_target"] = round(10_000 * per_event)
    one, many = results.get("read_api_one_user"), results.get("read_api")
    if one and many and one.get("requests_per_s"):
        service_ms = 1000.0 / float(one["requests_per_s"])
        out["read_api_service_ms"] = round(service_ms, 1)
        out["read_api_mean_ms_at_users_bound"] = round(
            float(many["users"]) * 1000.0 / max(float(many["requests_per_s"]), 1e-9), 1
        )
        # 50 users all under 50 ms need at least this many answers per second.
        out["read_api_answers_per_s_needed_for_target"] = round(float(many["users"]) / 0.050)
        floor = results.get("read_api_floor")
        if floor and floor.get("requests_per_s"):
            # What one read costs the hub beyond the framework's own cost of answering.
            out["read_api_hub_ms_per_read"] = round(
                1000.0 / float(many["requests_per_s"]) - 1000.0 / float(floor["requests_per_s"]),
                2,
            )
    return out


def write_results(document: Mapping[str, Any], out_dir: Path, stamp: str) -> tuple[Path, Path]:
    """results/bench-<stamp>.json and results/bench-latest.json (the same content)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
    dated = out_dir / f"bench-{stamp}.json"
    latest = out_dir / "bench-latest.json"
    dated.write_text(text)
    latest.write_text(text)
    return dated, latest


def plot(document: Mapping[str, Any], path: Path) -> Path:
    """One figure: each measured figure beside its reference (raw rate, COPY, target)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    results = document["results"]
    panels: list[tuple[str, list[str], list[float], float | None, str]] = []
    if "pipeline" in results and "raw_consume" in results:
        panels.append(
            (
                "Throughput (events/s)",
                ["pipeline", "faust ceiling", "raw aiokafka"],
                [
                    results["pipeline"]["events_per_s"],
                    document.get("ceilings", {}).get("faust_events_per_s", 0.0),
                    results["raw_consume"]["events_per_s"],
                ],
                10_000,
                "target 10k/s",
            )
        )
    if "latency_steady" in results and results["latency_steady"]["p99_ms"]:
        lat = results["latency_steady"]
        panels.append(
            (
                f"Incident -> alert at {lat['background_target_per_s']:g}/s (ms)",
                ["p50", "p99"],
                [lat["p50_ms"], lat["p99_ms"]],
                250,
                "p99 < 250",
            )
        )
    if "latency" in results:
        lat = results["latency"]
        unseen = lat["p99_ms"] is None  # no probe seen: draw the timeout as a lower bound
        panels.append(
            (
                f"Incident -> alert at {lat['background_target_per_s']:g}/s (ms)"
                + (" - none seen, > timeout" if unseen else ""),
                ["p50", "p99"],
                [
                    lat["p50_ms"] or lat["probe_timeout_ms"],
                    lat["p99_ms"] or lat["probe_timeout_ms"],
                ],
                250,
                "p99 < 250",
            )
        )
    if "projection_writes" in results:
        pw = results["projection_writes"]
        panels.append(
            (
                "Projection writes (rows/s)",
                ["projector", "plain COPY"],
                [pw["projector_rows_per_s"], pw["copy_rows_per_s"]],
                None,
                "",
            )
        )
    if "rebuild" in results:
        panels.append(
            (
                "Rebuild (events/s)",
                ["all projections"],
                [results["rebuild"]["events_per_s"]],
                20_000,
                "target 20k/s",
            )
        )
    if "read_api" in results:
        ra = results["read_api"]
        panels.append(
            (
                "Chronology read (ms)",
                # Two lines each: four labels side by side in one panel.
                [
                    "1 user\np99",
                    f"{ra['users']} users\np50",
                    f"{ra['users']} users\np99",
                    "from memory\np99",
                ],
                [
                    results.get("read_api_one_user", {}).get("p99_ms", 0.0),
                    ra["p50_ms"],
                    ra["p99_ms"],
                    results.get("read_api_floor", {}).get("p99_ms", 0.0),
                ],
                50,
                "p99 < 50",
            )
        )
    figure, axes = plt.subplots(1, max(1, len(panels)), figsize=(4 * max(1, len(panels)), 4))
    axes_list = list(axes) if len(panels) > 1 else [axes]
    for axis, (title, labels, values, bound, label) in zip(axes_list, panels, strict=False):
        axis.bar(labels, values, color=["#2b6cb0", "#a0aec0", "#718096", "#cbd5e0"][: len(values)])
        if bound is not None:
            axis.axhline(bound, color="#c53030", linestyle="--", label=label)
            axis.legend(loc="best", fontsize=8)
        axis.set_title(title, fontsize=10)
        if title.startswith("Throughput"):
            axis.set_yscale("log")  # the pipeline and the raw rate are orders of magnitude apart
        for index, value in enumerate(values):
            axis.annotate(f"{value:,.0f}", (index, value), ha="center", va="bottom", fontsize=8)
    machine = document["machine"]
    figure.suptitle(
        f"hub bench {document['started_at'][:19]}  {machine['cores']} cores, "
        f"{machine['cpu_model']}, {machine['ram_gib']} GiB"
        + ("  (quick mode)" if document["parameters"].get("quick") else ""),
        fontsize=9,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def explain(document: Mapping[str, Any]) -> list[str]:
    """Lines under the table: the ceilings and the figures the targets alone do not show."""
    results, ceiling = document["results"], document.get("ceilings", {})
    lines: list[str] = []
    if "faust_events_per_s" in ceiling:
        lines.append(
            f"faust ceiling: about {ceiling['faust_events_per_s']:,.0f} events/s "
            f"({ceiling['faust_events_per_s_explained']}); 10,000 events/s at this fan-out needs "
            f"{ceiling['faust_messages_per_s_needed_for_target']:,} messages/s through one agent"
        )
    sustained = results.get("latency_steady")
    if sustained:
        seen = (
            "none seen"
            if sustained["p99_ms"] is None
            else (f"p50 {sustained['p50_ms']:,.0f} ms, p99 {sustained['p99_ms']:,.0f} ms")
        )
        lines.append(
            f"incident -> alert at a steady {sustained['background_target_per_s']:g} "
            f"events/s background: {seen} ({sustained['seen']} probes)"
        )
    if "read_api_service_ms" in ceiling:
        lines.append(
            f"read API: one reader's service time {ceiling['read_api_service_ms']:,.1f} ms; "
            f"{results['read_api']['users']} users under 50 ms need "
            f"{ceiling['read_api_answers_per_s_needed_for_target']:,} answers/s, measured "
            f"{results['read_api']['requests_per_s']:,.0f}/s"
        )
    floor = results.get("read_api_floor")
    if floor and "read_api_hub_ms_per_read" in ceiling:
        lines.append(
            f"read API floor: the same {floor['answer_bytes']:,}-byte answer from memory, same "
            f"server and readers: {floor['requests_per_s']:,.0f} answers/s, p99 "
            f"{floor['p99_ms']:,.1f} ms; the hub's own work is "
            f"{ceiling['read_api_hub_ms_per_read']:,.2f} ms of each read"
        )
    rebuild = results.get("rebuild")
    if rebuild and "records_per_s" in rebuild:
        side_by_side = f" ({rebuild['workers']} at a time)" if rebuild.get("workers", 1) > 1 else ""
        lines.append(
            f"rebuild: {rebuild['events']:,} log events through "
            f"{len(rebuild['by_projection'])} projections{side_by_side} in "
            f"{rebuild['seconds']:,.0f} s; "
            f"{rebuild['records']:,} records read, {rebuild['records_per_s']:,.0f}/s "
            "(an event counts once per projection that reads it)"
        )
    return lines


def table(checks: list[dict[str, Any]]) -> Table:
    """The targets with the measured value and pass / fail."""
    out = Table("target", "measured", "bound", "result", title="hub bench (provisional figures)")
    for check in checks:
        bound = ("≥ " if check["direction"] == "at_least" else "< ") + f"{check['target']:,g}"
        verdict = "[green]pass[/green]" if check["passed"] else "[red]FAIL[/red]"
        value = "none seen" if check["value"] is None else f"{check['value']:,.2f}"
        out.add_row(check["name"], f"{value} {check['unit']}", bound, verdict)
    return out
