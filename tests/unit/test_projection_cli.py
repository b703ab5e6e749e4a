"""The projection commands are standalone click objects the `hub` group registers."""

from __future__ import annotations

from click.testing import CliRunner

from projections.cli import projections, projector


def test_projections_list_names_each_projection_with_its_topics_and_tables() -> None:
    result = CliRunner().invoke(projections, ["list"])
    assert result.exit_code == 0, result.output
    assert "accepted_events  hub.log.accepted.v1 -> accepted_events" in result.output
    assert "dead_letters  hub.ops.deadletter.v1 -> dead_letters" in result.output


def test_rebuild_refuses_an_unknown_projection_and_needs_the_endpoints() -> None:
    assert CliRunner().invoke(projections, ["rebuild", "nope"]).exit_code == 2
    missing = CliRunner().invoke(projections, ["rebuild"], env={"HUB_KAFKA_BOOTSTRAP": ""})
    assert missing.exit_code == 1
    assert "not set" in missing.output


def test_projector_help() -> None:
    result = CliRunner().invoke(projector, ["--help"])
    assert result.exit_code == 0
    assert "--projection" in result.output
