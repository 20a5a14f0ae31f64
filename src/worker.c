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
 * jobs sets the latch when it commits (wakeup.c): a change that may raise
 * an event gets a pass at once, others within LAZY_WAKE_MS, gathered into
 * one pass.  The worker also wakes on schedule, when the next group is due
 * or jobtrack.check_interval has passed, and then runs run_maintenance()
 * too, in a transaction of its own.  Each pass is one short transaction, committed
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
#include "catalog/pg_extension.h"
#include "storage/lmgr.h"
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
#include "live.h"
#include "settings.h"
#include "spi_util.h"
#include "wakeup.h"
#include "worker.h"

/*
 * How long the launcher waits before starting the worker again after it
 * stopped: 5 s, doubling after each stop that came within a minute of the
 * start, up to 5 minutes, so a permanent error does not fill the log.
 */
#define WORKER_RESTART_MS 5000
#define WORKER_RESTART_MAX_MS 300000
#define WORKER_HEALTHY_MS 60000
/* how long the worker lets changes that cannot raise an event at once gather */
#define LAZY_WAKE_MS 20

/* how long the worker waits after a flush of live progress failed */
#define FLUSH_RETRY_MS 60000

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
	char		worker_database[NAMEDATALEN] = "";
	char		missing_database[NAMEDATALEN] = "";
	TimestampTz next_start = 0;
	TimestampTz started_at = 0;
	long		restart_ms = WORKER_RESTART_MS;

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
			{
				TerminateBackgroundWorker(handle);
				restart_ms = 0;		/* a move, not a failure */
			}
		}

		if (handle != NULL && GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pfree(handle);
			handle = NULL;
			if (TimestampDifferenceExceeds(started_at, GetCurrentTimestamp(), WORKER_HEALTHY_MS))
				restart_ms = Min(restart_ms, WORKER_RESTART_MS);
			next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), restart_ms);
			restart_ms = Min(Max(restart_ms * 2, WORKER_RESTART_MS), WORKER_RESTART_MAX_MS);
		}

		if (handle == NULL && GetCurrentTimestamp() >= next_start)
		{
			Oid			dboid = DatabaseOid(jobtrack_database);

			if (!OidIsValid(dboid))
			{
				if (strcmp(missing_database, jobtrack_database) != 0)
					ereport(LOG,
							(errmsg("jobtrack worker waits for database \"%s\" to be created",
									jobtrack_database),
							 errhint("Create the database, or set jobtrack.database and reload.")));
				strlcpy(missing_database, jobtrack_database, NAMEDATALEN);
				JobtrackSetState("waiting for its database");
			}
			else
			{
				missing_database[0] = '\0';
				strlcpy(worker_database, jobtrack_database, NAMEDATALEN);
				started_at = GetCurrentTimestamp();
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

/*
 * ExtensionReady is true when jobtrack is created in this database.  It
 * holds a share lock on the extension until the transaction ends, so a
 * DROP EXTENSION waits for the pass instead of pulling its tables from
 * under it, and looks again once the lock is held.
 */
static bool
ExtensionReady(void)
{
	Oid			extension = get_extension_oid("jobtrack", true);

	if (!OidIsValid(extension))
		return false;
	LockDatabaseObject(ExtensionRelationId, extension, 0, AccessShareLock);
	return get_extension_oid("jobtrack", true) == extension;
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
 * WorkerMaintenance runs run_maintenance() in a transaction of its own, so a
 * round of housekeeping never holds job rows while groups are evaluated.
 */
static void
WorkerMaintenance(void)
{
	pgstat_report_activity(STATE_RUNNING, "SELECT jobtrack.run_maintenance()");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ExtensionReady())
		RunSavedQuery(&maintenance_query, NULL, NULL);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * WorkerPass runs the evaluator in its own transaction, called directly rather
 * than through SQL because it runs after nearly every commit that can raise
 * an event.  Returns when the next group is due (0 if none or the extension
 * is missing); *was_ready tracks whether the extension existed at the last
 * pass, for logging its change once.
 */
static TimestampTz
WorkerPass(bool *was_ready)
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

/* FlushStep is the flush, for RunInSubTransaction. */
static void
FlushStep(void *arg)
{
	(void) LiveFlush();
}

/*
 * WorkerFlush writes the live progress of this database to the job rows,
 * in a transaction of its own (live.c).  The values were checked when they
 * were written, so a flush fails only on a row that something else refuses
 * (a constraint added by hand, say): then it says so and returns false, and
 * the slots keep their values, still read live and carried by the next
 * status change, rather than the worker stopping group events.
 */
static bool
WorkerFlush(void)
{
	ErrorData  *edata = NULL;
	bool		ok = true;

	if (!LiveAnySlots())
		return true;
	pgstat_report_activity(STATE_RUNNING, "SELECT jobtrack.flush_progress()");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ExtensionReady() && !RunInSubTransaction(FlushStep, NULL, &edata))
	{
		if (!IsDataError(edata))
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("jobtrack worker could not write live progress to the job rows: %s",
						edata->message),
				 errdetail("The values stay live; the worker tries again in %d seconds.",
						   FLUSH_RETRY_MS / 1000)));
		ok = false;
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * The worker's SIGTERM: while it sleeps, it flushes live progress and
 * exits, so a clean shutdown, a DROP DATABASE or pg_terminate_backend()
 * of an idle worker loses no progress; in a pass, it dies at once as any
 * backend does (the pass may wait on a lock), and at most one flush
 * interval of progress is lost, as in a crash.
 */
static volatile sig_atomic_t worker_sleeping = false;
static volatile sig_atomic_t worker_stop = false;

static void
WorkerSigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	worker_stop = true;
	if (worker_sleeping)
		SetLatch(MyLatch);
	else
		die(postgres_signal_arg);
	errno = save_errno;
}

/* JobtrackWorkerMain is the worker's main loop. */
void
JobtrackWorkerMain(Datum main_arg)
{
	TimestampTz next_maintenance = 0;
	TimestampTz next_due = 0;
	TimestampTz lazy_deadline = 0;
	TimestampTz next_flush = 0;
	bool		was_ready = true;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, WorkerSigterm);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	pgstat_report_appname("jobtrack worker");
	JobtrackAdvertiseWorker();
	JobtrackSetState("running");

	/* a pass that raises no event may commit lazily; check_groups() upgrades it */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/* the evaluator needs READ COMMITTED and writes, whatever the defaults say */
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);

	for (;;)
	{
		TimestampTz now;
		bool		maintenance;
		bool		urgent;
		TimestampTz wake_at;
		int			rc;

		/* checked on every turn: passes may run back to back for a long time */
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			next_maintenance = 0;	/* a new check_interval applies now */
		}
		now = GetCurrentTimestamp();
		maintenance = now >= next_maintenance;
		urgent = TakeUrgentWake();

		/* the first lazy request starts a short wait; later ones join it quietly */
		if (lazy_deadline == 0 && TakeLazyWake())
			lazy_deadline = TimestampTzPlusMilliseconds(now, LAZY_WAKE_MS);

		if (worker_stop)
		{
			(void) WorkerFlush();
			proc_exit(0);
		}
		if (now >= next_flush)
			next_flush = TimestampTzPlusMilliseconds(now, WorkerFlush() ?
													 jobtrack_live_flush_interval : FLUSH_RETRY_MS);

		if (maintenance || urgent || (lazy_deadline != 0 && now >= lazy_deadline) ||
			(next_due != 0 && now >= next_due))
		{
			/* lowered before the pass's snapshot: later commits ask again */
			(void) TakeLazyWake();
			lazy_deadline = 0;
			if (maintenance)
			{
				WorkerMaintenance();
				next_maintenance = TimestampTzPlusMilliseconds(now, jobtrack_check_interval);
			}
			next_due = WorkerPass(&was_ready);
			continue;
		}

		wake_at = next_maintenance;
		if (next_due != 0 && next_due < wake_at)
			wake_at = next_due;
		if (lazy_deadline != 0 && lazy_deadline < wake_at)
			wake_at = lazy_deadline;
		if (next_flush < wake_at)
			wake_at = next_flush;
		worker_sleeping = true;
		if (!worker_stop)
			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake_at), 1),
						   PG_WAIT_EXTENSION);
		else
			rc = 0;
		worker_sleeping = false;
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (rc & WL_LATCH_SET)
			JobtrackRecordWakeup();
	}
}
