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
LARAVEL_DIR=$(cd "$(dirname "$0")" && pwd)
PORT=${JOBTRACK_LARAVEL_PORT:-5496}
# shellcheck source=clients/laravel/lib.sh
. "$LARAVEL_DIR/lib.sh"

need_root
echo "== installing PHP, Laravel, PHPUnit and Composer from Debian"
install_tools && need_server || exit 1

WORK=$(mktemp -d /tmp/jobtrack-laravel.XXXXXX)
PGDIR=$WORK/pg
trap 'stop_cluster "$PGDIR"; rm -rf "$WORK"' EXIT

echo "== copying the package to $WORK/pkg and installing it into the test app (offline)"
install_package "$WORK/pkg" || exit 1
APP=$WORK/pkg/tests/app

echo "== starting a PostgreSQL cluster with jobtrack preloaded (port $PORT, socket $PGDIR)"
chmod 755 "$WORK"
start_app_cluster "$PGDIR" "$PORT" || exit 1
migrate_app "$APP" "$PGDIR" "$PORT" || exit 1

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
