"""The read API and web pages: partners' views of the read models, every read audited.

A separate aiohttp process (never faust's web server) with an async psycopg pool; see
README.md here for endpoints, authentication (and how OIDC plugs in) and authorisation.
Run it with ``python -m projections.api`` (``hub up`` does); demo logins come from
``projections.api.demo.ensure_demo_people``.
"""
