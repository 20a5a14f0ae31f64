/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The jobtrack launcher and the jobtrack worker.
 *
 * The launcher is a static background worker with no database.  It waits
 * until the database named by jobtrack.database exists (saying so once in
 * the log, not once per retry), starts the worker there, restarts it after
 * an error, and moves it when the setting changes.  It starts only once
 * recovery has finished, so a hot standby runs no worker until promoted.
 *
 * The worker sleeps on its latch.  A transaction that changed a group's
 * jobs sets the latch when it commits (wakeup.c), so the worker runs
 * check_groups() within milliseconds; it also wakes on schedule, when the
 * next group is due or jobtrack.check_interval has passed, and then runs
 * run_maintenance() too.  Each pass is one short transaction, committed
 * before the worker sleeps, so it never holds a snapshot while idle.  An
 * error ends the worker; the launcher starts it again, and since state and
 * events commit together, nothing is lost or doubled.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "evaluator.h"
#include "settings.h"
#include "spi_util.h"
#include "wakeup.h"
#include "worker.h"

/* how long the launcher waits before starting the worker again after it stopped */
#define WORKER_RESTART_MS 5000
/* how often the launcher looks for a missing database, at most */
#define DATABASE_POLL_MS 5000

/* JobtrackRegisterLauncher registers the launcher; called while preloading. */
void
JobtrackRegisterLauncher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "jobtrack", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "JobtrackLauncherMain", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "jobtrack launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "jobtrack launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* StartWorker starts the worker in a database; NULL if no slot was free. */
static BackgroundWorkerHandle *
StartWorker(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "jobtrack", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "JobtrackWorkerMain", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "jobtrack worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "jobtrack worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(LOG,
				(errmsg("jobtrack launcher could not start the worker"),
				 errhint("Raise max_worker_processes.")));
		return NULL;
	}
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		return NULL;
	return handle;
}

/*
 * DatabaseOid returns the OID of a database that accepts connections, or
 * InvalidOid.  With no database selected yet, only a heap scan of the shared
 * catalog works (as in the autovacuum launcher), not an index scan.
 */
static Oid
DatabaseOid(const char *name)
{
	Oid			oid = InvalidOid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		if (strcmp(NameStr(db->datname), name) == 0 && db->datallowconn)
		{
			oid = db->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return oid;
}

/* StopStrayWorker ends a worker left by an earlier launcher, so only one ever runs. */
static void
StopStrayWorker(void)
{
	JobtrackShared *shared = JobtrackSharedState();
	pid_t		pid;

	SpinLockAcquire(&shared->mutex);
	pid = shared->worker_pid;
	SpinLockRelease(&shared->mutex);
	if (pid != 0 && kill(pid, SIGTERM) == 0)
		ereport(LOG, (errmsg("jobtrack launcher stopped the worker of an earlier launcher (PID %d)", (int) pid)));
}

/* JobtrackLauncherMain is the launcher's main loop. */
void
JobtrackLauncherMain(Datum main_arg)
{
	BackgroundWorkerHandle *handle = NULL;
	char	   *worker_database = NULL;
	char	   *missing_database = NULL;
	TimestampTz next_start = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("jobtrack launcher");
	StopStrayWorker();

	for (;;)
	{
		pid_t		pid;
		long		timeout = DATABASE_POLL_MS;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (handle != NULL && strcmp(worker_database, jobtrack_database) != 0)
				TerminateBackgroundWorker(handle);
		}

		if (handle != NULL && GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pfree(handle);
			handle = NULL;
			next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WORKER_RESTART_MS);
		}

		if (handle == NULL && GetCurrentTimestamp() >= next_start)
		{
			Oid			dboid = DatabaseOid(jobtrack_database);

			if (!OidIsValid(dboid))
			{
				if (missing_database == NULL || strcmp(missing_database, jobtrack_database) != 0)
					ereport(LOG,
							(errmsg("jobtrack worker waits for database \"%s\" to be created",
									jobtrack_database),
							 errhint("Create the database, or set jobtrack.database and reload.")));
				missing_database = MemoryContextStrdup(TopMemoryContext, jobtrack_database);
				JobtrackSetState("waiting for its database");
			}
			else
			{
				missing_database = NULL;
				worker_database = MemoryContextStrdup(TopMemoryContext, jobtrack_database);
				handle = StartWorker(dboid);
				if (handle == NULL)
					next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WORKER_RESTART_MS);
			}
		}
		else if (handle == NULL)
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_start);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(timeout, 1), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ExtensionReady is true when jobtrack is created in this database. */
static bool
ExtensionReady(void)
{
	return OidIsValid(get_extension_oid("jobtrack", true));
}

static SavedQuery next_due_query = {
	"SELECT pg_catalog.min(next_check_at) FROM jobtrack.job_group"
	" WHERE status OPERATOR(pg_catalog.<>) 'completed'",
	0, {InvalidOid}, false
};

static SavedQuery maintenance_query = {
	"SELECT jobtrack.run_maintenance()", 0, {InvalidOid}, false
};

/* NextDueGroup returns when the next open group is due for a check, or 0. */
static TimestampTz
NextDueGroup(void)
{
	bool		isnull;
	Datum		value;

	RunSavedQuery(&next_due_query, NULL, NULL);
	value = SpiResultDatum(0, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(value);
}

/*
 * ReportExtensionState logs once when the extension goes missing or
 * appears; it runs inside the pass's transaction.
 */
static void
ReportExtensionState(bool ready, bool *was_ready)
{
	if (ready == *was_ready)
		return;
	if (!ready)
		ereport(LOG,
				(errmsg("jobtrack worker waits for CREATE EXTENSION jobtrack in database \"%s\"",
						get_database_name(MyDatabaseId))));
	JobtrackSetState(ready ? "running" : "waiting for CREATE EXTENSION");
	*was_ready = ready;
}

/*
 * RunPass runs one pass in its own transaction: run_maintenance() when
 * asked, then the evaluator, called directly rather than through SQL
 * because it runs after nearly every commit that can raise an event.
 * Returns when the next group is due (0 if none or the extension is
 * missing); *was_ready tracks whether the extension existed at the last
 * pass, for logging its change once.
 */
static TimestampTz
RunPass(bool maintenance, bool *was_ready)
{
	TimestampTz next_due = 0;
	bool		ready;

	/* shown as active before it takes a snapshot, so idle always means no xmin */
	pgstat_report_activity(STATE_RUNNING, "SELECT jobtrack.check_groups()");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	ready = ExtensionReady();
	ReportExtensionState(ready, was_ready);
	if (ready)
	{
		if (maintenance)
			RunSavedQuery(&maintenance_query, NULL, NULL);
		(void) CheckGroups();
		next_due = NextDueGroup();
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (ready)
		JobtrackPublishPass();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return next_due;
}

/* JobtrackWorkerMain is the worker's main loop. */
void
JobtrackWorkerMain(Datum main_arg)
{
	TimestampTz next_maintenance = 0;
	TimestampTz next_due = 0;
	bool		was_ready = true;
	bool		woken = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	pgstat_report_appname("jobtrack worker");
	JobtrackAdvertiseWorker();
	JobtrackSetState("running");

	/* a pass that raises no event may commit lazily; check_groups() upgrades it */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		bool		maintenance = now >= next_maintenance;
		TimestampTz wake_at;
		int			rc;

		if (maintenance || woken || (next_due != 0 && now >= next_due))
		{
			next_due = RunPass(maintenance, &was_ready);
			if (maintenance)
				next_maintenance = TimestampTzPlusMilliseconds(now, jobtrack_check_interval);
		}

		wake_at = next_maintenance;
		if (next_due != 0 && next_due < wake_at)
			wake_at = next_due;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake_at), 1),
					   PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		woken = (rc & WL_LATCH_SET) != 0;
		if (woken)
			JobtrackRecordWakeup();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			next_maintenance = 0;	/* a new check_interval applies now */
		}
	}
}
