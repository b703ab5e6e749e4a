"""The local information-sharing agreement: the model, loading, and its identity as an event."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from streams.policy.vocabulary import (
    AgencyKind,
    Basis,
    ChildCondition,
    EventType,
    Fallback,
    Level,
    Relationship,
    RestrictedCategory,
    Role,
)

DEFAULT_AGREEMENT_FILE = "default_agreement.yaml"


class PolicyError(ValueError):
    """The agreement file is not valid; `problems` lists every problem found, in file order."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"the sharing agreement is not valid ({len(problems)} problems):\n{listed}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One permission: items of this type (and category) go to these roles at a level on a basis.

    `None` in a narrowing field means "not narrowed": any category, any discloser, any
    relationship, whatever the child's status. `only_when_child_is` is satisfied by any one
    of its conditions.
    """

    number: int  # 1-based position in the file; decisions and errors cite it
    event_type: EventType
    category: str | None
    from_agencies: frozenset[AgencyKind] | None
    roles: frozenset[Role]
    relationships: frozenset[Relationship] | None
    only_when_child_is: frozenset[ChildCondition] | None
    level: Level
    basis: Basis
    consent_scope: str | None

    @property
    def label(self) -> str:
        """How errors and refusal reasons name the rule, e.g. "rule 4 (ConcernRaised)"."""
        return f"rule {self.number} ({self.event_type})"


@dataclass(frozen=True, slots=True, kw_only=True)
class RestrictedAccess:
    """Who may see a restricted category, which fields always carry it, and what others get."""

    category: RestrictedCategory
    roles: frozenset[Role]
    fields: frozenset[str]
    not_entitled_get: Fallback


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement:
    """A validated agreement; `version` plus `content_hash` identify it in every decision."""

    version: str
    effective_from: date
    title: str
    content_hash: str
    consent_scopes: Mapping[str, str]
    restricted: Mapping[RestrictedCategory, RestrictedAccess]
    fields: Mapping[EventType, Mapping[Level, frozenset[str]]]
    rules: tuple[Rule, ...]

    def rules_for(self, event_type: EventType) -> tuple[Rule, ...]:
        """The rules about one event type, in file order."""
        return tuple(r for r in self.rules if r.event_type is event_type)

    def fields_for(self, event_type: EventType, level: Level) -> frozenset[str]:
        """The allow-list of content fields at a level (empty if the agreement names none)."""
        return self.fields.get(event_type, {}).get(level, frozenset())

    def entitled(self, role: Role, category: RestrictedCategory) -> bool:
        """Whether a role may see a restricted category (undeclared: nobody may)."""
        access = self.restricted.get(category)
        return access is not None and role in access.roles


def canonical_text(text: str) -> str:
    """The text the hash is taken over: the reviewed document, comments included.

    Comments are part of what the DPO signed, so they count; line endings, trailing blanks
    and a byte-order mark are editor noise and do not.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def content_hash(text: str) -> str:
    """sha256 (hex) of the canonical text."""
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()


def load_agreement(source: Path | str) -> Agreement:
    """Load and validate an agreement from a file (`Path`) or from YAML text (`str`).

    Raises PolicyError listing every problem found.
    """
    # Imported here so the model above stays readable on its own; parsing is the long part.
    from streams.policy._parse import parse_agreement

    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    return parse_agreement(text, content_hash=content_hash(text))


def default_agreement_text() -> str:
    """The text of the agreement shipped with the hub."""
    return resources.files("streams.policy").joinpath(DEFAULT_AGREEMENT_FILE).read_text("utf-8")


def load_default_agreement() -> Agreement:
    """The agreement shipped with the hub, validated."""
    return load_agreement(default_agreement_text())


def policy_adopted_event(
    agreement: Agreement, *, adopted_at: datetime, adopted_by: str
) -> dict[str, object]:
    """The PolicyAdopted event recording that this agreement is now the one in force.

    `adopted_by` is the id of the person (usually the DPO) who approved it.
    """
    if adopted_at.tzinfo is None or adopted_at.utcoffset() is None:
        raise ValueError("adopted_at must be timezone-aware (UTC)")
    if not adopted_by.strip():
        raise ValueError("adopted_by must name who adopted the agreement")
    return {
        "event_type": "PolicyAdopted",
        "version": agreement.version,
        "content_hash": agreement.content_hash,
        "title": agreement.title,
        "effective_from": agreement.effective_from.isoformat(),
        "adopted_at": adopted_at,
        "adopted_by": adopted_by,
    }
