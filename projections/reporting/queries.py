"""The indicators' SQL over the referrals and reporting projections (one month at a time).

The f-strings join constant fragments of this module only; every value is a bound parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

from typing import Any, Final

import psycopg

from projections.reporting.indicators import ALL, Count, month_bounds

_IN_MONTH: Final = "made_at >= %(start)s AND made_at < %(end)s"
_DEST: Final = "coalesce(destination, named_destination)"
# A notification belongs to the month its incident happened in; organisation_id is null until
# the issue itself (rather than only its missed deadline) has been projected.
_INCIDENT_IN_MONTH: Final = (
    "incident_occurred_at >= %(start)s AND incident_occurred_at < %(end)s"
    " AND organisation_id IS NOT NULL"
)
# A child had an early help assessment open at time t: started by t and not closed by t.
_ACTIVE_EHA: Final = """
    EXISTS (
        SELECT 1 FROM {report_subjects} es
        JOIN {report_facts} started ON started.event_id = es.event_id
        WHERE es.child_id = s.child_id
          AND started.event_type = 'EarlyHelpAssessmentStarted'
          AND started.occurred_at <= r.made_at
          AND NOT EXISTS (
              SELECT 1 FROM {report_facts} closed
              WHERE closed.event_type = 'EarlyHelpAssessmentClosed'
                AND closed.reference = started.reference
                AND closed.agency_id = started.agency_id
                AND closed.occurred_at <= r.made_at
          )
    )"""

QUERIES: Final[dict[str, str]] = {
    "encompass_notifications": f"""
        SELECT organisation_id, '', count(*) FROM {{report_encompass}}
        WHERE {_INCIDENT_IN_MONTH} GROUP BY 1""",
    "encompass_on_time": f"""
        SELECT organisation_id, '', count(*) FROM {{report_encompass}}
        WHERE {_INCIDENT_IN_MONTH}
          AND delivered_at IS NOT NULL AND delivered_at < deadline AND deadline_missed_at IS NULL
        GROUP BY 1""",
    "referrals_by_source": f"""
        SELECT referrer_agency_id, {_DEST}, count(*) FROM {{referrals}}
        WHERE {_IN_MONTH} GROUP BY 1, 2""",
    "referrals_by_outcome": f"""
        SELECT referrer_agency_id, coalesce(outcome, 'AWAITING'), count(*) FROM {{referrals}}
        WHERE {_IN_MONTH} GROUP BY 1, 2""",
    "re_referrals_12_months": f"""
        SELECT r.referrer_agency_id, '', count(DISTINCT r.referral_id)
        FROM {{referrals}} r JOIN {{report_subjects}} s ON s.event_id = r.made_event_id
        WHERE r.{_IN_MONTH} AND EXISTS (
            SELECT 1 FROM {{report_subjects}} ps JOIN {{referrals}} p ON p.made_event_id = ps.event_id
            WHERE ps.child_id = s.child_id AND p.referral_id <> r.referral_id
              AND p.made_at < r.made_at AND p.made_at >= r.made_at - interval '12 months'
        )
        GROUP BY 1""",
    "front_door_referrals": f"""
        SELECT '{ALL}', '', count(*) FROM {{referrals}} r
        WHERE r.{_IN_MONTH} AND {_DEST} = 'FRONT_DOOR' HAVING count(*) > 0""",
    "front_door_with_active_eha": f"""
        SELECT '{ALL}', '', count(DISTINCT r.referral_id)
        FROM {{referrals}} r JOIN {{report_subjects}} s ON s.event_id = r.made_event_id
        WHERE r.{_IN_MONTH} AND {_DEST} = 'FRONT_DOOR' AND {_ACTIVE_EHA}
        HAVING count(DISTINCT r.referral_id) > 0""",
    "eha_started": """
        SELECT agency_id, coalesce(dimension, 'NOT_RECORDED'), count(*) FROM {report_facts}
        WHERE event_type = 'EarlyHelpAssessmentStarted'
          AND occurred_at >= %(start)s AND occurred_at < %(end)s GROUP BY 1, 2""",
    "stepped_up": """
        SELECT agency_id, '', count(*) FROM {report_facts} WHERE event_type = 'SteppedUp'
          AND occurred_at >= %(start)s AND occurred_at < %(end)s GROUP BY 1""",
    "stepped_down": """
        SELECT agency_id, '', count(*) FROM {report_facts} WHERE event_type = 'SteppedDown'
          AND occurred_at >= %(start)s AND occurred_at < %(end)s GROUP BY 1""",
    "referrals_overdue": f"""
        SELECT coalesce(r.receiving_agency_id, 'unrouted'), '', count(*) FROM {{referrals}} r
        WHERE r.{_IN_MONTH}
          AND EXISTS (SELECT 1 FROM {{referral_overdue}} o WHERE o.referral_id = r.referral_id)
        GROUP BY 1""",
    "pitstop_referrals": f"""
        SELECT coalesce(receiving_agency_id, 'unrouted'), coalesce(outcome, 'AWAITING'), count(*)
        FROM {{referrals}} WHERE {_IN_MONTH} AND {_DEST} = 'PITSTOP' GROUP BY 1, 2""",
}


TABLES: Final = (
    "referrals",
    "referral_overdue",
    "report_subjects",
    "report_facts",
    "report_encompass",
)


def _sql(template: str, suffix: str) -> str:
    """A query over the tables ``<name><suffix>`` (side-by-side copies in tests; "" in use)."""
    if suffix and not suffix.replace("_", "").isalnum():
        raise ValueError("a table suffix is letters, digits and underscores")
    return template.format(**{t: f'"{t}{suffix}"' for t in TABLES})


async def month_counts(
    conn: psycopg.AsyncConnection[Any], month: str, *, suffix: str = ""
) -> list[Count]:
    """Every indicator's raw counts for one YYYY-MM month (Europe/London)."""
    start, end = month_bounds(month)
    found: list[Count] = []
    for indicator, template in QUERIES.items():
        sql = _sql(template, suffix)
        cursor = await conn.execute(sql.encode(), {"start": start, "end": end})
        for agency, dimension, count in await cursor.fetchall():
            found.append(
                Count(
                    indicator=indicator,
                    agency=str(agency),
                    dimension=str(dimension),
                    count=int(count),
                )
            )
    return found
