#!/usr/bin/env bash
# Installs everything the hub needs on a fresh machine, idempotently:
# Java + Maven + PostgreSQL from Debian's packages (only when missing; needs root),
# the Python virtualenv with the project and its dev tools, and the Kafka jars from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# kcat: the third-party Kafka client the ingest tests and the partner docs use.
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
# docker-compose (Debian's): validates docker-compose.yml offline; there is no Docker engine here.
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
# promtool (in Debian's prometheus package): checks and unit-tests ops/prometheus/alerts.yml.
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
# chromium (Debian's): the browser tests drive it with Playwright; no browser is downloaded.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need_apt[*]}. Install them (Debian: sudo apt-get install ${need_apt[*]}) and rerun." >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]} from Debian's packages..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv..."
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "Installing the hub and its tools into .venv..."
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

.venv/bin/python -c "from ops.kafka_broker import ensure_jars; from ops.paths import state_dir; ensure_jars(state_dir() / 'kafka-cache')"
