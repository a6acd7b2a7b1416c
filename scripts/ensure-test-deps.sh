#!/usr/bin/env bash
# Makes sure what the tests need is installed and running: PostgreSQL and Redis on
# loopback, PgBouncer and openssl (the pooler tests start their own), Prometheus's promtool,
# and Go + sprig for ../shared/tools/helm-render.
# Everything comes from Debian's packages; nothing is done when it is already there.
set -euo pipefail

PGHOST=127.0.0.1; PGPORT=${TEST_PG_PORT:-5432}; REDIS_PORT=${TEST_REDIS_PORT:-6379}
apt_updated=0
apt_install() {
  [ "$apt_updated" = 1 ] || { apt-get update -qq >/dev/null; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PostgreSQL
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-test-deps: installing PostgreSQL from Debian's packages"
    apt_install postgresql postgresql-client
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  # a throwaway test server: trust on loopback, as on the CI machine
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql

# Redis
if ! (exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT) 2>/dev/null; then
  command -v redis-server >/dev/null || { echo "ensure-test-deps: installing Redis"; apt_install redis-server; }
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT) 2>/dev/null && break; sleep 0.2; done
fi

# PgBouncer: the pooler tests run their own (as the postgres user, on free ports); the package's
# system service on 6432 is never used, so it is stopped and disabled where an init system runs it
if [ ! -x /usr/sbin/pgbouncer ] && ! command -v pgbouncer >/dev/null; then
  echo "ensure-test-deps: installing PgBouncer"
  apt_install pgbouncer
  { systemctl disable --now pgbouncer || service pgbouncer stop; } >/dev/null 2>&1 || true
fi
# openssl makes the pooler tests' throwaway CA and certificates
command -v openssl >/dev/null || apt_install openssl

# promtool (Debian's prometheus package ships it)
command -v promtool >/dev/null || { echo "ensure-test-deps: installing promtool"; apt_install prometheus; }

# Go and sprig for helm-render (its build.sh installs them too; done here so the tests start fast)
# (the workplace's shared tools sit beside the checkout; SHARED_TOOLS_DIR or /work/shared/tools otherwise)
for tools in "${SHARED_TOOLS_DIR:-}" ../shared/tools /work/shared/tools; do
  if [ -n "$tools" ] && [ -x "$tools/helm-render/build.sh" ]; then
    "$tools/helm-render/build.sh" >/dev/null
    break
  fi
done
echo "ensure-test-deps: PostgreSQL, Redis, PgBouncer and promtool ready"
