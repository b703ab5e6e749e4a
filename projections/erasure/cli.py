"""`hub erase`, `hub legal-hold` and `hub retention run`, registered on `hub` by ops/cli.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import click
from rich.console import Console

from projections.erasure import service
from projections.runner import RunnerConfig
from streams.erasure.retention import decide, parse_rules

console = Console(highlight=False)


def _config() -> RunnerConfig:
    try:
        return RunnerConfig.from_env()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("erase")
@click.option("--child", "child_id", required=True, help="The hub child id to erase.")
@click.option(
    "--reason", required=True, help="A short reason code (e.g. subject-request); no names."
)
@click.option("--by", "erased_by", default="operator", show_default=True, help="Operator id.")
def erase(child_id: str, reason: str, erased_by: str) -> None:
    """Erase a child by deleting its data keys (crypto-shredding); refused under a legal hold."""
    config = _config()
    try:
        outcome = service.erase_child(
            dsn=config.dsn,
            bootstrap=config.bootstrap,
            child_id=child_id,
            reason=reason,
            erased_by=erased_by,
            now=datetime.now(UTC),
        )
    except (service.LegalHoldError, service.NothingToErase) as exc:
        raise click.ClickException(str(exc)) from exc
    t = outcome.target
    console.print(
        f"erased child {child_id}: {len(t.record_ids)} records, {outcome.keys_deleted} keys "
        f"deleted ({len(t.key_ids)} in all), {outcome.rows_blanked} read-model rows blanked; "
        f"SubjectErased {outcome.event_id}"
    )


@click.group("legal-hold")
def legal_hold() -> None:
    """Legal holds: a child on hold is never erased (on request or by retention)."""


@legal_hold.command("set")
@click.option("--child", "child_id", required=True)
@click.option("--reason", required=True, help="Why (a case or matter reference; no names).")
@click.option("--by", "set_by", default="operator", show_default=True)
def hold_set(child_id: str, reason: str, set_by: str) -> None:
    """Put a child on legal hold."""
    service.set_hold(_config().dsn, child_id, reason=reason, set_by=set_by)
    console.print(f"legal hold set on child {child_id}")


@legal_hold.command("clear")
@click.option("--child", "child_id", required=True)
def hold_clear(child_id: str) -> None:
    """Lift a child's legal hold."""
    if not service.clear_hold(_config().dsn, child_id):
        raise click.ClickException(f"child {child_id} has no legal hold")
    console.print(f"legal hold cleared on child {child_id}")


@legal_hold.command("list")
def hold_list() -> None:
    """Every legal hold."""
    for child_id, reason, set_by, set_at in service.list_holds(_config().dsn):
        console.print(f"{child_id}  {set_at:%Y-%m-%d}  {set_by}  {reason}")


@click.group("retention")
def retention() -> None:
    """Retention rules: erase children whose records are past every applying rule."""


@retention.command("run")
@click.option(
    "--now",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Evaluate as of this day (YYYY-MM-DD); default: today.",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Rules file (default: streams/erasure/retention_rules.yaml).",
)
@click.option("--dry-run", is_flag=True, help="Say what is due; erase nothing.")
def retention_run(today: datetime | None, rules_path: Path | None, dry_run: bool) -> None:
    """Evaluate the retention rules for every child and erase those due (not under hold)."""
    config = _config()
    text = (
        rules_path.read_text()
        if rules_path
        else resources.files("streams.erasure").joinpath("retention_rules.yaml").read_text()
    )
    try:
        rules = parse_rules(text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    day: date = today.date() if today else datetime.now(UTC).date()
    facts = service.child_facts(config.dsn)
    decisions = [decide(f, rules, today=day) for f in facts]
    due = [d for d in decisions if d.due]
    held = sum(1 for d in decisions if d.reason == "legal hold")
    console.print(
        f"retention as of {day}: {len(facts)} children, {len(due)} due, {held} on legal hold"
    )
    for decision in due:
        if dry_run:
            console.print(f"  due: {decision.child_id} ({decision.reason})")
            continue
        try:
            outcome = service.erase_child(
                dsn=config.dsn,
                bootstrap=config.bootstrap,
                child_id=decision.child_id,
                reason="retention",
                erased_by="retention-job",
                now=datetime.now(UTC),  # when the keys go; --now only dates the rules
                trigger="RETENTION",
                rule=decision.reason.split(" ", 1)[0],
            )
        except (service.LegalHoldError, service.NothingToErase) as exc:
            console.print(f"  skipped {decision.child_id}: {exc}")
            continue
        console.print(
            f"  erased {decision.child_id} ({decision.reason}): {outcome.keys_deleted} keys"
        )
