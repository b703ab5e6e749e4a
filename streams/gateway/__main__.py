"""`python -m streams.gateway` runs the HTTP ingest gateway."""

from streams.gateway.main import main

main()
