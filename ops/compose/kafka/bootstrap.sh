#!/usr/bin/env bash
# One-shot job of the compose deployment (service kafka-init): creates or updates the SCRAM
# credentials of the hub's services and of every agency in agencies.txt, and their ACLs.
# Idempotent: run it again after adding an agency (`docker compose run --rm kafka-init`).
#
# The rule that matters: an agency principal may WRITE only its own hub.ingest.<kind>.v1 topic
# (a literal ACL, not a prefix). tests/unit/test_compose.py runs this script against recording
# stand-ins for kafka-configs.sh and kafka-acls.sh and checks the resulting grants.
set -euo pipefail
shopt -s inherit_errexit

KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
AGENCIES_FILE=${AGENCIES_FILE:-$(dirname "$0")/agencies.txt}

# The agency kinds with an ingest topic: keep in step with INGEST_KINDS in schemas/topics.py.
INGEST_KINDS=(police education health socialcare earlyhelp partners)
# The hub's own principals; each one's password is the secret kafka_<name with _>_password.
HUB_SERVICES=(hub-admin hub-worker hub-gateway hub-projector hub-api)
# The faust app id: its consumer group and the prefix of its changelog topics ("hub-").
FAUST_APP_ID=hub

read_secret_file() {
  local value
  value=$(<"$1")
  if [[ ! $value =~ ^[A-Za-z0-9+/=_-]{16,}$ ]]; then
    echo "$1: a password must be at least 16 characters of [A-Za-z0-9+/=_-]" >&2
    exit 1
  fi
  printf '%s' "$value"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
admin_password=$(read_secret_file "$SECRETS_DIR/kafka_admin_password")
cat >"$work/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
PROPS

# ---- agencies.txt and their passwords, checked whole before anything changes
agency_password() {
  local principal=$1 name password
  while read -r name password _; do
    if [[ $name == "$principal" ]]; then
      printf '%s' "$password" >"$work/agency.password"
      read_secret_file "$work/agency.password"
      rm -f "$work/agency.password"
      return
    fi
  done <"$SECRETS_DIR/kafka_agency_passwords"
  echo "no password for $principal in the secret kafka_agency_passwords" >&2
  exit 1
}

agency_principals=()
agency_kinds=()
# fd 3, so that nothing in the loop can swallow the list through its standard input.
while read -r principal kind extra <&3; do
  [[ -z ${principal:-} || $principal == \#* ]] && continue
  if [[ -n ${extra:-} || ! $principal =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "agencies.txt: bad line '$principal $kind $extra'" >&2
    exit 1
  fi
  if [[ $principal == hub-* || $principal == admin || $principal == controller ]]; then
    echo "agencies.txt: $principal is reserved for the hub" >&2
    exit 1
  fi
  known=false
  for k in "${INGEST_KINDS[@]}"; do [[ $k == "$kind" ]] && known=true; done
  if [[ $known != true ]]; then
    echo "agencies.txt: $principal has unknown agency kind '$kind'" >&2
    exit 1
  fi
  agency_password "$principal" >/dev/null
  agency_principals+=("$principal")
  agency_kinds+=("$kind")
done 3<"$AGENCIES_FILE"

for attempt in {1..30}; do
  if KAFKA_HEAP_OPTS=-Xmx128m "$KAFKA_BIN/kafka-broker-api-versions.sh" \
    --bootstrap-server "$BOOTSTRAP" --command-config "$work/admin.properties" >/dev/null; then
    break
  fi
  [[ $attempt == 30 ]] && { echo "broker $BOOTSTRAP not answering" >&2; exit 1; }
  sleep 2
done

# Create or update a SCRAM-SHA-512 credential. The password goes through a private file, never
# through the command line.
set_scram_user() {
  local name=$1 password=$2
  printf 'SCRAM-SHA-512=iterations=8192,password=%s\n' "$password" >"$work/scram.properties"
  "$KAFKA_BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" \
    --command-config "$work/admin.properties" --alter --entity-type users --entity-name "$name" \
    --add-config-file "$work/scram.properties"
  rm -f "$work/scram.properties"
}

# Add an ALLOW ACL (adding one that exists is a no-op).
allow() {
  local principal=$1
  shift
  "$KAFKA_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" \
    --command-config "$work/admin.properties" --add --allow-principal "User:$principal" "$@"
}

# ---- the hub's services
for service in "${HUB_SERVICES[@]}"; do
  password=$(read_secret_file "$SECRETS_DIR/kafka_${service//-/_}_password")
  set_scram_user "$service" "$password"
done

# `hub topics apply`: create the declared topics, widen them, correct their configs.
allow hub-admin --resource-pattern-type prefixed --topic hub. \
  --operation Create --operation Describe --operation DescribeConfigs \
  --operation Alter --operation AlterConfigs

# The ingest gateway publishes each authenticated agency's events to that agency's ingest topic.
allow hub-gateway --resource-pattern-type prefixed --topic hub.ingest. \
  --operation Write --operation Describe

# The faust worker: reads the ingest topics and the log, writes the log and dead letters, owns
# its changelog topics ("hub-<table>-changelog") and its consumer group.
allow hub-worker --resource-pattern-type prefixed --topic hub.ingest. \
  --operation Read --operation Describe
allow hub-worker --resource-pattern-type prefixed --topic hub.log. \
  --operation Read --operation Write --operation Describe
allow hub-worker --resource-pattern-type literal --topic hub.ops.deadletter.v1 \
  --operation Write --operation Describe
allow hub-worker --resource-pattern-type prefixed --topic "$FAUST_APP_ID-" \
  --operation Create --operation Read --operation Write --operation Describe \
  --operation DescribeConfigs
allow hub-worker --resource-pattern-type literal --group "$FAUST_APP_ID" --operation Read

# The projector: reads the log and the dead letters, in consumer groups named hub-projector*.
allow hub-projector --resource-pattern-type prefixed --topic hub.log. \
  --operation Read --operation Describe
allow hub-projector --resource-pattern-type literal --topic hub.ops.deadletter.v1 \
  --operation Read --operation Describe
allow hub-projector --resource-pattern-type prefixed --group hub-projector --operation Read

# The read API records every view and disclosure in the audit log, and a Key Adult's
# acknowledgement of an Encompass notification in the Encompass log.
allow hub-api --resource-pattern-type literal --topic hub.log.audit.v1 \
  --operation Write --operation Describe
allow hub-api --resource-pattern-type literal --topic hub.log.encompass.v1 \
  --operation Write --operation Describe

# `hub erase` and `hub retention run` (an operator, as hub-admin) record SubjectErased.
allow hub-admin --resource-pattern-type literal --topic hub.log.erasure.v1 \
  --operation Write --operation Describe

# ---- the agencies: each may write its own ingest topic and nothing else
for i in "${!agency_principals[@]}"; do
  principal=${agency_principals[$i]}
  kind=${agency_kinds[$i]}
  password=$(agency_password "$principal")
  set_scram_user "$principal" "$password"
  allow "$principal" --resource-pattern-type literal --topic "hub.ingest.$kind.v1" \
    --operation Write --operation Describe
done

echo "Kafka users and ACLs are in place."
