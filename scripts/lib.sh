# Shared shell functions of scripts/demo.sh and scripts/test.sh (sourced, not run).

# PG_CONFIG picks another PostgreSQL 15 installation (default: Debian's)
PG_CONFIG=${PG_CONFIG:-pg_config}
if [ "$PG_CONFIG" = pg_config ]; then
	PGBIN=/usr/lib/postgresql/15/bin
else
	PGBIN=$("$PG_CONFIG" --bindir) || { echo "cannot run $PG_CONFIG" >&2; exit 1; }
fi
PACKAGES="make gcc libpq-dev postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
	postgresql-15-cron libtap-parser-sourcehandler-pgtap-perl libipc-run-perl sqlsmith"

# need_root stops unless we run as root (apt-get, make install, runuser).
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "run this as root (it installs packages and the extension)" >&2
		exit 1
	fi
}

# install_deps installs the Debian packages jobtrack builds and tests with.
install_deps() {
	if [ -n "${JOBTRACK_NO_DEPS:-}" ]; then
		echo "== JOBTRACK_NO_DEPS is set: not installing Debian packages"
		return 0
	fi
	echo "== installing Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null \
		|| { echo "apt-get install failed" >&2; exit 1; }
}

# build_and_install builds with warnings as errors and installs the extension.
build_and_install() {
	echo "== building and installing jobtrack"
	make -s PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
	make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers" \
		|| { echo "build failed" >&2; exit 1; }
	install_atomically || { echo "make install failed" >&2; exit 1; }
}

# install_atomically installs the built extension file by file, each under a
# new name renamed over the old one: a running server keeps the library it
# mapped (rewriting it in place would change code under it), and a process
# that loads the library meanwhile finds either the old file or the new one,
# never none.
install_atomically() {
	local stage f
	stage=$(mktemp -d /tmp/jobtrack-install.XXXXXX)
	make -s PG_CONFIG="$PG_CONFIG" install DESTDIR="$stage" >/dev/null || { rm -rf "$stage"; return 1; }
	(cd "$stage" && find . -type f) | while read -r f; do
		f=${f#.}
		mkdir -p "$(dirname "$f")"
		cp "$stage$f" "$f.new.$$" && mv -f "$f.new.$$" "$f" || exit 1
	done
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# as_pg runs a command as the postgres user.
as_pg() {
	runuser -u postgres -- "$@"
}

# start_cluster DIR PORT [CONF...] creates and starts a cluster in DIR/data
# listening on the unix socket in DIR only, with jobtrack preloaded.
start_cluster() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir" && chown postgres "$dir"
	as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null || return 1
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "shared_preload_libraries = 'jobtrack'"
		echo "max_connections = 100"
		echo "max_worker_processes = 16"
		for line in "$@"; do echo "$line"; done
	} >> "$dir/data/postgresql.conf"
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

# stop_cluster DIR stops the cluster of DIR by the pid in its postmaster.pid.
stop_cluster() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 \
		|| kill -INT "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null
}
