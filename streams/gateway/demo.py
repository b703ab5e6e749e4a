"""The local stack's demo tokens: one per synthetic agency, created once at the first `hub up`.

The tokens themselves are written once to ``<state>/demo-tokens.json`` for the developer to
read (mode 0600); the gateway only ever sees ``<state>/gateway-tokens.json``, which holds their
peppered hashes, and ``<state>/gateway-pepper``. Delete the token file to get a fresh set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from streams.gateway.settings import PEPPER_FILE_NAME, TOKENS_FILE_NAME
from streams.gateway.tokens import ensure_pepper, issue_token, publishable_types, write_private

DEMO_TOKENS_FILE_NAME: Final = "demo-tokens.json"

# The synthetic agencies of the samples and the demo scenario (agency_id, agency_kind).
DEMO_AGENCIES: Final[tuple[tuple[str, str], ...]] = (
    ("cleveland-police", "POLICE"),
    ("urn-123456", "SCHOOL"),
    ("north-tees-0-19", "HEALTH"),
    ("stockton-childrens-hub", "SOCIAL_CARE"),
    ("stockton-family-hub", "EARLY_HELP"),
    ("stockton-council", "LOCAL_AUTHORITY"),
)


def ensure_demo_tokens(state_dir: Path) -> Path:
    """Create the demo token set unless the gateway already has a token file; return the path
    of the file listing the plain tokens (it may since have been deleted by its reader)."""
    tokens_file = state_dir / TOKENS_FILE_NAME
    demo_file = state_dir / DEMO_TOKENS_FILE_NAME
    if tokens_file.exists():
        return demo_file
    pepper = ensure_pepper(state_dir / PEPPER_FILE_NAME)
    # Issue into a scratch file first: the real token file appearing is what marks "done".
    scratch = state_dir / f".{TOKENS_FILE_NAME}.building"
    scratch.unlink(missing_ok=True)
    issued = []
    for agency_id, kind in DEMO_AGENCIES:
        token = issue_token(
            scratch, pepper, agency_id=agency_id, agency_kind=kind, label="local demo"
        )
        issued.append(
            {
                "agency_id": agency_id,
                "agency_kind": kind,
                "event_types": sorted(publishable_types(kind)),
                "token": token,
            }
        )
    listing = {
        "about": "Demo bearer tokens for the local ingest gateway (POST /v1/events with "
        "'Authorization: Bearer <token>'). Synthetic agencies only; never use in production.",
        "tokens": issued,
    }
    write_private(demo_file, json.dumps(listing, indent=2) + "\n")
    scratch.replace(tokens_file)
    return demo_file
