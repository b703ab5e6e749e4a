#!/usr/bin/env bash
# Run once by the postgres image when it initialises an empty data volume
# (/docker-entrypoint-initdb.d). Creates the hub's two roles with passwords from secrets:
#   hub_owner - owns the schema; `hub migrate` connects as it.
#   hub_app   - what the long-running processes connect as: data changes only, no DDL.
# Passwords are read by psql itself (\set with backquotes), so they never reach a command line.
# Changing them later: ALTER ROLE ... PASSWORD as postgres; this script does not run again.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set owner_password `cat /run/secrets/postgres_hub_owner_password`
\set app_password `cat /run/secrets/postgres_hub_app_password`
SET password_encryption = 'scram-sha-256';
CREATE ROLE hub_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE hub_app LOGIN PASSWORD :'app_password';
\unset owner_password
\unset app_password

REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO hub_owner, hub_app;
GRANT CREATE ON DATABASE :"DBNAME" TO hub_owner;
ALTER SCHEMA public OWNER TO hub_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO hub_app;

-- Whatever the migrations create later is usable, not alterable, by the processes.
ALTER DEFAULT PRIVILEGES FOR ROLE hub_owner GRANT USAGE ON SCHEMAS TO hub_app;
ALTER DEFAULT PRIVILEGES FOR ROLE hub_owner
  GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO hub_app;
ALTER DEFAULT PRIVILEGES FOR ROLE hub_owner GRANT USAGE, SELECT ON SEQUENCES TO hub_app;
SQL
