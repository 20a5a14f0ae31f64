#!/usr/bin/env bash
#
# Runs README.md (and clients/*/README.md) as executable documentation: every
# SQL block against a cluster set up as its section says, the README's shell
# commands (scripts/demo.sh, connect, stop), its shown outputs and errors, the
# pg_cron recipe on a stock Debian cluster, and its references.
#
# As root, with jobtrack installed (scripts/test.sh installs it).  Starts and
# stops its own clusters on ports 5492 and 5493 (README_TEST_PORTS).  Prints TAP
# and ends with "N passed, N failed"; exits non-zero on a failure.
#
#   bash test/readme/run.sh                      # the repository's README.md
#   bash test/readme/run.sh --readme OTHER.md    # another copy of it
#   bash test/readme/run.sh --no-demo-install    # scripts/demo.sh without its make install
#   bash test/readme/run.sh --keep               # keep the work directory and its logs
#
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
	echo "run this as root (it runs scripts/demo.sh and starts clusters as postgres)" >&2
	exit 1
fi
if [ ! -f /usr/share/postgresql/15/extension/jobtrack.control ]; then
	echo "jobtrack is not installed (make install, or bash scripts/test.sh)" >&2
	exit 1
fi
if [ ! -f /usr/share/postgresql/15/extension/pg_cron.control ]; then
	echo "pg_cron is not installed (apt-get install postgresql-15-cron)" >&2
	exit 1
fi
exec perl test/readme/readme.pl "$@"
