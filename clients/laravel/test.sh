#!/usr/bin/env bash
#
# Tests the Laravel client of jobtrack on this machine, as root, from any
# clone location: installs PHP, Laravel 8.83, PHPUnit and Composer from
# Debian's packages, installs this package into the minimal test application
# with Composer offline (a path repository; the framework is "provided" by
# Debian's php-laravel-framework), starts a throwaway PostgreSQL 15 cluster
# with jobtrack preloaded (the extension must already be installed), runs
# PHPUnit (which starts `php artisan queue:work` and `php artisan
# jobtrack:listen` processes) and stops everything. Exits non-zero on failure.
#
# JOBTRACK_LARAVEL_PORT (default 5496) chooses the cluster's port.
#
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${JOBTRACK_LARAVEL_PORT:-5496}
PGBIN=/usr/lib/postgresql/15/bin
export DEBIAN_FRONTEND=noninteractive CI=${CI:-true}

if [ "$(id -u)" != 0 ]; then
	echo "run this as root (it installs packages and starts a cluster as postgres)" >&2
	exit 1
fi

echo "== installing PHP, Laravel, PHPUnit and Composer from Debian"
apt-get update -qq >/dev/null 2>&1 || echo "warning: apt-get update failed; using the package lists at hand" >&2
apt-get install -y -qq --no-install-recommends php-cli php-pgsql php-laravel-framework phpunit composer \
	</dev/null >/dev/null || { echo "apt-get install failed" >&2; exit 1; }
for f in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$(ls /usr/share/postgresql/15/extension/jobtrack.control 2>/dev/null)"; do
	[ -e "$f" ] || { echo "missing $f: PostgreSQL 15 and the jobtrack extension must be installed" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/jobtrack-laravel.XXXXXX)
PGDIR=$WORK/pg
as_pg() { runuser -u postgres -- "$@"; }

cleanup() {
	if [ -f "$PGDIR/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 \
			|| kill -INT "$(head -1 "$PGDIR/data/postmaster.pid")" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== copying the package to $WORK/pkg and installing it into the test app (offline)"
mkdir -p "$WORK/pkg"
(cd "$HERE" && tar --exclude=./tests/app/vendor --exclude=./tests/app/composer.lock \
	--exclude=./tests/app/storage --exclude=./tests/app/bootstrap/cache -cf - .) | tar -C "$WORK/pkg" -xf -
APP=$WORK/pkg/tests/app
mkdir -p "$APP/storage/logs" "$APP/storage/framework/cache/data" "$APP/bootstrap/cache"
(
	cd "$APP" &&
	COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_HOME=$WORK/composer-home COMPOSER_DISABLE_NETWORK=1 \
	COMPOSER_NO_INTERACTION=1 composer update --no-interaction --no-progress --no-audit </dev/null
) || { echo "composer failed" >&2; exit 1; }

echo "== starting a PostgreSQL cluster with jobtrack preloaded (port $PORT, socket $PGDIR)"
mkdir -p "$PGDIR" && chown postgres "$PGDIR" && chmod 755 "$WORK"
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >/dev/null || { echo "initdb failed" >&2; exit 1; }
cat >> "$PGDIR/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$PGDIR'
shared_preload_libraries = 'jobtrack'
jobtrack.database = 'app'
jobtrack.check_interval = '1s'
max_connections = 100
fsync = off
CONF
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w start >/dev/null \
	|| { cat "$PGDIR/server.log"; exit 1; }
as_pg psql -X -q -h "$PGDIR" -p "$PORT" -d postgres -c "CREATE DATABASE app" \
	&& as_pg psql -X -q -h "$PGDIR" -p "$PORT" -d app -c "CREATE EXTENSION jobtrack" \
	|| { echo "could not create the database" >&2; exit 1; }

export DB_HOST=$PGDIR DB_PORT=$PORT DB_DATABASE=app DB_USERNAME=postgres JOBTRACK_TEST_APP=$APP
(cd "$APP" && php artisan migrate --force </dev/null) || { echo "migrations failed" >&2; exit 1; }

echo "== phpunit"
(cd "$WORK/pkg" && timeout 600 phpunit </dev/null)
rc=$?
if [ $rc != 0 ]; then
	echo "== the app's log (tail)"
	tail -50 "$APP/storage/logs/laravel.log" 2>/dev/null
	echo "== the server's log (tail)"
	tail -30 "$PGDIR/server.log"
fi
exit $rc
