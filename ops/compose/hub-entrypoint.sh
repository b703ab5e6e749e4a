#!/bin/sh
# Entry point of the hub's image (see Dockerfile): makes a file-provided PostgreSQL password
# available to libpq, then runs the command (`hub worker`, `hub api`, ...).
#
# libpq reads passwords from a pgpass file (PGPASSFILE) that must be private to the user, which a
# mounted secret cannot be relied on to be; so the secret named by HUB_POSTGRES_PASSWORD_FILE is
# copied into a 0600 pgpass file in a private directory. The DSN itself carries no password.
set -eu

if [ -n "${HUB_POSTGRES_PASSWORD_FILE:-}" ]; then
  umask 077
  dir=$(mktemp -d)
  # pgpass syntax: escape backslashes and colons.
  password=$(sed -e 's/\\/\\\\/g' -e 's/:/\\:/g' "$HUB_POSTGRES_PASSWORD_FILE")
  printf '*:*:*:*:%s\n' "$password" >"$dir/pgpass"
  unset password
  PGPASSFILE="$dir/pgpass"
  export PGPASSFILE
fi

exec "$@"
