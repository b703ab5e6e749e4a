"""The HTTP ingest gateway, for agencies without a Kafka client.

``POST /v1/events`` takes one JSON event, authenticates the agency by bearer token, applies the
same rules as the stream's screening and produces the event, Avro single-object encoded, to the
agency's ingest topic (acks=all, idempotent). Run it with ``python -m streams.gateway``; the
local stack's demo tokens come from ``streams.gateway.demo.ensure_demo_tokens``.
"""
