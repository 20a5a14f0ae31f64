# shellcheck shell=bash
# Shared set-up of test.sh and mutate.sh (sourced, not run): the Debian
# packages and npm modules the tests need, and the throwaway cluster they
# run against (127.0.0.1 only, jobtrack preloaded, its worker in dash_test).

DASH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$DASH_DIR/../../scripts/lib.sh"

# install_test_packages installs Debian's chromium and psql.
install_test_packages() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; return 1; }
	apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core postgresql-client-15 >/dev/null \
		|| { echo "apt-get install chromium failed" >&2; return 1; }
}

# install_node_modules DIR installs the npm packages of the package in DIR.
install_node_modules() {
	(cd "$1" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) \
		|| { echo "npm install failed" >&2; return 1; }
}

# start_test_cluster DIR PORT starts the tests' cluster in DIR, listening on
# 127.0.0.1:PORT; on failure it prints the server's log.
start_test_cluster() {
	start_cluster "$1" "$2" "listen_addresses = '127.0.0.1'" \
		"jobtrack.database = 'dash_test'" "jobtrack.check_interval = '1s'" && return 0
	echo "could not start the cluster" >&2
	cat "$1/server.log" >&2
	return 1
}
