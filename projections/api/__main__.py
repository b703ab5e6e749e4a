"""`python -m projections.api` runs the read API and web pages."""

from projections.api.main import main

main()
