# shellcheck shell=bash
# Shared by test.sh and mutate.sh (sourced, not run): installs the PHP
# tools from Debian, copies this package and installs it into the test
# application, and starts and stops a throwaway PostgreSQL 15 cluster with
# jobtrack preloaded, serving the database "app".
#
# The caller sets -u, runs as root and defines LARAVEL_DIR (this directory).

PGBIN=/usr/lib/postgresql/15/bin
export DEBIAN_FRONTEND=noninteractive CI=${CI:-true}

as_pg() { runuser -u postgres -- "$@"; }

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "run this as root (it installs packages and starts a cluster as postgres)" >&2
		exit 1
	fi
}

# install_tools: PHP, Laravel 8.83, PHPUnit and Composer from Debian's packages
install_tools() {
	apt-get update -qq >/dev/null 2>&1 || echo "warning: apt-get update failed; using the package lists at hand" >&2
	apt-get install -y -qq --no-install-recommends php-cli php-pgsql php-laravel-framework phpunit composer \
		</dev/null >/dev/null || { echo "apt-get install failed" >&2; return 1; }
}

# need_server: PostgreSQL 15 and the installed jobtrack extension are there
need_server() {
	local f
	for f in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$(ls /usr/share/postgresql/15/extension/jobtrack.control 2>/dev/null)"; do
		[ -e "$f" ] || { echo "missing $f: PostgreSQL 15 and the jobtrack extension must be installed" >&2; return 1; }
	done
}

# install_package DEST copies this package to DEST and installs it into the
# copy's test application (DEST/tests/app) with Composer, offline; the
# application's vendor directory links back to DEST, so DEST/src is the code
# every PHP process of the tests loads.
install_package() {
	local dest=$1 app=$1/tests/app
	mkdir -p "$dest"
	(cd "$LARAVEL_DIR" && tar --exclude=./tests/app/vendor --exclude=./tests/app/composer.lock \
		--exclude=./tests/app/storage --exclude=./tests/app/bootstrap/cache -cf - .) | tar -C "$dest" -xf -
	mkdir -p "$app/storage/logs" "$app/storage/framework/cache/data" "$app/bootstrap/cache"
	(
		cd "$app" &&
		COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_HOME=$(dirname "$dest")/composer-home COMPOSER_DISABLE_NETWORK=1 \
		COMPOSER_NO_INTERACTION=1 composer update --no-interaction --no-progress --no-audit </dev/null
	) || { echo "composer failed" >&2; return 1; }
}

# start_cluster PGDIR PORT initializes and starts a cluster in PGDIR (its
# socket is there too) with jobtrack preloaded for the database "app",
# which it creates with the extension. PGDIR's parent must be readable by postgres.
start_cluster() {
	local pgdir=$1 port=$2
	mkdir -p "$pgdir" && chown postgres "$pgdir" || return 1
	as_pg "$PGBIN/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null || { echo "initdb failed" >&2; return 1; }
	cat >> "$pgdir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$pgdir'
shared_preload_libraries = 'jobtrack'
jobtrack.database = 'app'
jobtrack.check_interval = '1s'
max_connections = 100
fsync = off
CONF
	as_pg "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start >/dev/null \
		|| { cat "$pgdir/server.log"; return 1; }
	if ! as_pg psql -X -q -h "$pgdir" -p "$port" -d postgres -c "CREATE DATABASE app" ||
		! as_pg psql -X -q -h "$pgdir" -p "$port" -d app -c "CREATE EXTENSION jobtrack"; then
		echo "could not create the database" >&2
		return 1
	fi
}

# stop_cluster PGDIR stops the cluster started in PGDIR, if it runs: by
# pg_ctl, else by an interrupt to the postmaster's pid.
stop_cluster() {
	local data=$1/data
	[ -f "$data/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 \
		|| kill -INT "$(head -1 "$data/postmaster.pid")" 2>/dev/null
}

# migrate_app APP PGDIR PORT points the test application at the cluster
# (exported DB_* variables, which phpunit and its child processes inherit)
# and runs its migrations.
migrate_app() {
	export DB_HOST=$2 DB_PORT=$3 DB_DATABASE=app DB_USERNAME=postgres JOBTRACK_TEST_APP=$1
	(cd "$1" && php artisan migrate --force </dev/null) || { echo "migrations failed" >&2; return 1; }
}
