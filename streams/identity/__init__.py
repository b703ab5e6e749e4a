"""Which child an event is about: identifier checks, the person index and its review queue."""

from streams.identity.index import (
    IdentityDecisionRejected,
    PersonIndex,
    PersonRecord,
    child_id_of,
    children,
    decide,
    is_verified,
    links,
    match_rate,
    members,
    resolve,
)
from streams.identity.model import (
    Demographics,
    Identifiers,
    IdentityReviewRequested,
    PersonSighted,
    PersonsLinked,
    PersonsUnlinked,
    RecordRekeyed,
    Resolution,
)

__all__ = [
    "Demographics",
    "Identifiers",
    "IdentityDecisionRejected",
    "IdentityReviewRequested",
    "PersonIndex",
    "PersonRecord",
    "PersonSighted",
    "PersonsLinked",
    "PersonsUnlinked",
    "RecordRekeyed",
    "Resolution",
    "child_id_of",
    "children",
    "decide",
    "is_verified",
    "links",
    "match_rate",
    "members",
    "resolve",
]
