"""`hub bench`: the hub measured against the raw limits of its own broker and database.

Every figure is taken in one run, side by side, on one private broker and PostgreSQL cluster
(started under a fresh directory and removed after), so a ratio holds on a noisy machine:

- pipeline: events/s from the ingest topics to every read model, against aiokafka alone
  consuming and decoding the same messages (``phases.pipeline``, ``phases.raw_consume``);
- latency: IncidentRecorded produced -> the Encompass alert in the read API, at a background
  load (``phases.latency``);
- projection writes: the projector's staging COPY + upsert + positions against a plain COPY of
  the same rows (``phases.projection_writes``);
- rebuild: every projection replayed from the log (``phases.rebuild``);
- read API: a 200-entry chronology under concurrent users (``phases.read_api``).

``report`` holds the targets, the JSON and the plot; ``cli`` the command.
"""
