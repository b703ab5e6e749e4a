#!/usr/bin/env bash
# Entry point of the compose deployment's Kafka container (apache/kafka image): renders
# server.properties with the secrets, formats the storage on first start (bootstrapping the SCRAM
# user "admin", which every later credential is created with) and execs the broker.
set -euo pipefail
shopt -s inherit_errexit

KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
TEMPLATE_DIR=${TEMPLATE_DIR:-$(dirname "$0")}
RUN_DIR=${RUN_DIR:-/tmp/hub-kafka}   # the healthcheck reads admin.properties from here
DATA_DIR=${DATA_DIR:-/var/lib/kafka/data}

# Passwords are substituted into Java properties and JAAS strings: allow only characters that
# need no escaping there (base64 and URL-safe base64; see ops/compose/secrets/README.md).
read_secret() {
  local name=$1 value
  value=$(<"$SECRETS_DIR/$name")
  if [[ ! $value =~ ^[A-Za-z0-9+/=_-]{16,}$ ]]; then
    echo "secret $name must be at least 16 characters of [A-Za-z0-9+/=_-]" >&2
    exit 1
  fi
  printf '%s' "$value"
}

admin_password=$(read_secret kafka_admin_password)
controller_password=$(read_secret kafka_controller_password)

umask 077
mkdir -p "$RUN_DIR"
properties=$(<"$TEMPLATE_DIR/server.properties")
properties=${properties//@KAFKA_ADMIN_PASSWORD@/$admin_password}
properties=${properties//@KAFKA_CONTROLLER_PASSWORD@/$controller_password}
printf '%s\n' "$properties" >"$RUN_DIR/server.properties"
cat >"$RUN_DIR/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
PROPS

if [[ ! -f $DATA_DIR/meta.properties ]]; then
  cluster_id=${KAFKA_CLUSTER_ID:-$("$KAFKA_HOME/bin/kafka-storage.sh" random-uuid)}
  echo "formatting $DATA_DIR for cluster $cluster_id"
  "$KAFKA_HOME/bin/kafka-storage.sh" format --config "$RUN_DIR/server.properties" \
    --cluster-id "$cluster_id" --standalone \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]"
fi

exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$RUN_DIR/server.properties"
