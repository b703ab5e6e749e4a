"""The web pages in a real browser (Debian's headless Chromium driven by Playwright) against a
real `python -m projections.api` process, the session's PostgreSQL (seeded with SQL) and broker:
a Key Adult signs in, acknowledges the morning's alert and reads the child's chronology."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

from ops.paths import REPO_ROOT, free_port
from projections.api.demo import PEPPER_FILE_NAME
from projections.api.people import PEOPLE_FILE_NAME, issue_person_token
from schemas import codec
from schemas.topics import AUDIT, ENCOMPASS
from streams.gateway.tokens import ensure_pepper
from tests.conftest import Stack
from tests.integration.api_seed import seed_child
from tests.integration.kafka_helpers import read_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def api_process(tmp_path: Path) -> tuple[str, Path]:
    """Where the read API will answer and log (started by the test once its people exist)."""
    return f"http://127.0.0.1:{free_port()}", tmp_path / "api.log"


def start_api(base: str, log: Path, env_dir: Path, stack: Stack) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUB_STATE_DIR": str(env_dir),
        "HUB_POSTGRES_DSN": stack.dsn,
        "HUB_KAFKA_BOOTSTRAP": stack.bootstrap,
        "HUB_API_PORT": base.rsplit(":", 1)[1],
        "HUB_METRICS_PORT": "0",
    }
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "projections.api"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise AssertionError(f"the API did not start:\n{log.read_text()[-3000:]}")


def test_key_adult_signs_in_acknowledges_and_reads_a_chronology(
    stack: Stack, api_process: tuple[str, Path], tmp_path: Path
) -> None:
    # A missing browser is a failure, never a skip: `make setup` installs Debian's chromium.
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make setup`"
    base, log = api_process
    seeded = seed_child(stack.dsn)
    token = issue_person_token(
        tmp_path / PEOPLE_FILE_NAME, ensure_pepper(tmp_path / PEPPER_FILE_NAME), seeded.dsl
    )
    proc = start_api(base, log, tmp_path, stack)
    try:
        with playwright_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.goto(f"{base}/inbox")
                assert page.url.endswith("/login")  # no session: sign in first
                page.get_by_label("Access token").fill(token)
                page.get_by_role("button", name="Sign in").click()
                page.goto(f"{base}/inbox")
                page.get_by_role("heading", name="Operation Encompass alerts").wait_for()
                assert f"Example-{seeded.child_id[3:]}" in page.content()
                page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
                # One click, keyboard-reachable: focus the button and press Enter.
                button = page.get_by_role(
                    "button", name=f"Acknowledge police reference {seeded.police_reference}"
                )
                button.focus()
                page.keyboard.press("Enter")
                page.get_by_role("status").wait_for()
                assert "Acknowledgement sent" in page.get_by_role("status").inner_text()
                page.screenshot(path=str(tmp_path / "acknowledged.png"), full_page=True)

                page.get_by_role("link", name="Chronology").click()
                page.get_by_label("Reason").fill("Operation Encompass notification received")
                page.get_by_role("button", name="Read the chronology").click()
                page.get_by_role(
                    "heading", name=f"Chronology of child {seeded.child_id}"
                ).wait_for()
                assert "Came to school hungry" in page.content()
                page.get_by_label("Agency").select_option("POLICE")
                page.get_by_role("button", name="Filter").click()
                page.get_by_role("heading", name="1 entry").wait_for()
                page.screenshot(path=str(tmp_path / "chronology.png"), full_page=True)
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    if os.environ.get("HUB_UPDATE_SCREENSHOTS"):  # refresh the README's pictures on request only
        shots = REPO_ROOT / "docs" / "screenshots"
        shutil.copy(tmp_path / "acknowledged.png", shots / "inbox.png")
        shutil.copy(tmp_path / "chronology.png", shots / "chronology.png")

    ack = read_until(
        stack.bootstrap, ENCOMPASS, lambda kept: len(kept) >= 1,
        keep=lambda r: r.key == seeded.police_reference.encode(), timeout_s=30,
    )  # fmt: skip
    assert codec.decode(ack[0].value).record["acknowledged_by"] == seeded.dsl.name
    views = read_until(
        stack.bootstrap, AUDIT, lambda kept: len(kept) >= 4,
        keep=lambda r: r.key == seeded.child_id.encode(), timeout_s=30,
    )  # fmt: skip
    # The inbox twice (before and after acknowledging), the chronology, the filtered chronology.
    kinds = [codec.decode(r.value).record["view"] for r in views]
    assert kinds == ["encompass_inbox", "encompass_inbox", "chronology", "chronology"]
    access_log = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert all(seeded.child_id not in json.dumps(entry) for entry in access_log)
