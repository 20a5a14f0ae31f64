EXTENSION   = jobtrack
EXTVERSION  = $(shell grep default_version $(EXTENSION).control | sed -e "s/default_version[[:space:]]*=[[:space:]]*'\([^']*\)'/\1/")

MODULE_big  = jobtrack
OBJS        = src/jobtrack.o src/settings.o src/status.o src/spi_util.o src/jobref.o src/job_guard.o src/job_record.o src/direct_update.o src/direct_insert.o src/index_cache.o src/group_change.o \
              src/jobs.o src/progress.o src/readers.o src/messages.o src/signals.o \
              src/scopes.o src/aggregates.o src/groups.o src/evaluator.o src/events.o src/maintenance.o \
              src/launcher.o src/worker.o src/wakeup.o src/utility.o src/stats.o src/live.o src/live_readers.o \
              src/citus.o
PGFILEDESC  = "jobtrack - job and job-group status tracking"

DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
# released install scripts, kept whole, and every upgrade script
DATA        = $(EXTENSION)--1.0.sql $(wildcard $(EXTENSION)--*--*.sql)

REGRESS      = setup status jobs wrong_job progress messages signals scopes aggregates groups events set_aside retention recount shrink overview bad_input row_security direct_update reinstall security upgrade
REGRESS_OPTS = --load-extension=$(EXTENSION)

ISOLATION      = status_race first_or_create group_last_two group_add_while_complete group_rollback check_groups_concurrent evaluator_lock shrink_concurrent index_built_concurrently retention_locked_child group_retention_race
ISOLATION_OPTS = --load-extension=$(EXTENSION) --inputdir=test/isolation --outputdir=output_iso

# specs that need the worker serving their database (test.sh lists it
# in jobtrack.databases); the others run where no worker interferes
ISOLATION_LIVE = live_progress

TAP_TESTS    = 1

EXTRA_CLEAN  = $(EXTENSION)--$(EXTVERSION).sql output_iso output_iso_live
PG_CFLAGS   += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS looks for TAP tests in t/; ours live in test/t.  Makefile.global resets
# PROVE_FLAGS, so it is set after the include.
PROVE_TESTS ?= test/t/*.pl
PROVE_FLAGS  = -I ./test/perl

$(EXTENSION)--$(EXTVERSION).sql: $(EXTENSION).sql
	cp $< $@

.PHONY: pgtap bench bench-smoke installcheck-live installcheck-citus
# a Citus cluster of three nodes (test/citus): needs Citus installed, see README.md
installcheck-citus:
	$(MAKE) installcheck REGRESS= ISOLATION= PROVE_TESTS='test/citus/*.pl'

installcheck-live:
	$(pg_isolation_regress_installcheck) --load-extension=$(EXTENSION) --inputdir=test/isolation \
		--outputdir=output_iso_live --dbname=jobtrack_live_iso $(ISOLATION_LIVE)

pgtap:
	pg_prove --ext .sql -d $${PGDATABASE:-contrib_regression} test/pgtap/

bench:
	test/bench/run.sh

bench-smoke:
	BENCH_SMOKE=1 test/bench/run.sh
