#!/bin/sh
# Temporal's schema on PostgreSQL, as Temporal's own compose files set it up (temporalio/admin-tools,
# temporal-sql-tool): the `temporal` and `temporal_visibility` databases, created once and brought
# to the server's schema version on every run. Safe to run again: `create` and `setup-schema -v 0.0`
# leave an existing database as it is, `update-schema` applies only the versions it lacks.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD (the PostgreSQL password) is required}"
PORT="${DB_PORT:-5432}"
SCHEMA=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${PORT}"
tries=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "PostgreSQL at ${POSTGRES_SEEDS}:${PORT} not reachable after 60 tries" >&2; exit 1; }
  sleep 1
done

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"; }
for db in temporal:temporal temporal_visibility:visibility; do
  name="${db%%:*}"
  dir="${db##*:}"
  sql --db "$name" create || echo "database $name exists"
  sql --db "$name" setup-schema -v 0.0 || echo "database $name has a schema"
  sql --db "$name" update-schema -d "$SCHEMA/$dir/versioned"
done
echo "temporal schema ready"
