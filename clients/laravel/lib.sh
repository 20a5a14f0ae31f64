# shellcheck shell=bash
# Shared by test.sh and mutate.sh (sourced, not run): installs the PHP
# tools from Debian, copies this package and installs it into the test
# application, and starts and stops a throwaway PostgreSQL 15 cluster with
# jobtrack preloaded, serving the database "app".
#
# The caller sets -u, runs as root and defines LARAVEL_DIR (this directory).

# the cluster's start and stop, as_pg and need_root are the extension's own
# shellcheck source=scripts/lib.sh
. "$LARAVEL_DIR/../../scripts/lib.sh"
export DEBIAN_FRONTEND=noninteractive CI=${CI:-true}

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

# start_app_cluster PGDIR PORT initializes and starts a cluster in PGDIR
# (its socket is there too) with jobtrack preloaded for the database "app",
# which it creates with the extension. PGDIR's parent must be readable by postgres.
start_app_cluster() {
	local pgdir=$1 port=$2
	if ! start_cluster "$pgdir" "$port" "jobtrack.database = 'app'" "jobtrack.check_interval = '1s'" "fsync = off"; then
		echo "the cluster did not start" >&2
		cat "$pgdir/server.log" 2>/dev/null
		return 1
	fi
	if ! as_pg psql -X -q -h "$pgdir" -p "$port" -d postgres -c "CREATE DATABASE app" ||
		! as_pg psql -X -q -h "$pgdir" -p "$port" -d app -c "CREATE EXTENSION jobtrack"; then
		echo "could not create the database" >&2
		return 1
	fi
}

# migrate_app APP PGDIR PORT points the test application at the cluster
# (exported DB_* variables, which phpunit and its child processes inherit)
# and runs its migrations.
migrate_app() {
	export DB_HOST=$2 DB_PORT=$3 DB_DATABASE=app DB_USERNAME=postgres JOBTRACK_TEST_APP=$1
	(cd "$1" && php artisan migrate --force </dev/null) || { echo "migrations failed" >&2; return 1; }
}
