/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The jobtrack worker of one database.
 *
 * The launcher (launcher.c) starts one worker in each database it serves.
 * A worker that finds no jobtrack extension in its database, at its first
 * pass or after a DROP EXTENSION, says so, notes it in its slot and stops;
 * the launcher starts it again after CREATE EXTENSION jobtrack.
 *
 * The worker sleeps on its latch.  A transaction that changed a group's
 * jobs sets the latch when it commits (wakeup.c): a change that may raise
 * an event gets a pass at once, others within LAZY_WAKE_MS, gathered into
 * one pass.  The worker also wakes on schedule, when the next group is due
 * or jobtrack.check_interval has passed, and then runs run_maintenance()
 * too, in a transaction of its own.  Each pass is one short transaction, committed
 * before the worker sleeps, so it never holds a snapshot while idle.  An
 * error ends the worker; the launcher starts it again, and since state and
 * events commit together, nothing is lost or doubled.  The worker never
 * holds a database someone wants to drop: the backend that drops it stops
 * the worker first (utility.c).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
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

/* how long the worker lets changes that cannot raise an event at once gather */
#define LAZY_WAKE_MS 20

/* how long the worker waits after a flush of live progress failed */
#define FLUSH_RETRY_MS 60000
#define WORKER_LOCK_TIMEOUT_MS 5000
/*
 * How soon the worker tries a pass again while another evaluator holds the
 * lock: at first after 5 ms, then twice as long each time, up to 100 ms.
 */
#define EVALUATOR_BUSY_RETRY_MS 5
#define EVALUATOR_BUSY_RETRY_MAX_MS 100

/* the wait before the last try, 0 once a pass got the lock */
static int	busy_retry_ms = 0;

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

static SavedQuery maintenance_query = {
	"SELECT jobtrack.run_maintenance()", 0, {InvalidOid}, false
};

/*
 * StopNotInstalled ends a worker whose pass found no jobtrack extension in
 * its database, after the pass's transaction ended: it says so once, and
 * notes it in its slot, so the launcher starts a worker here again only
 * after CREATE EXTENSION jobtrack.  Exit status 0: nothing to restart.
 */
static void
StopNotInstalled(const char *database)
{
	JobtrackSetServing(false);
	ereport(LOG,
			(errmsg("jobtrack worker stops: extension \"jobtrack\" does not exist in database \"%s\"",
					database),
			 errdetail("A worker starts here again after CREATE EXTENSION jobtrack.")));
	proc_exit(0);
}

/*
 * LimitLockWaits bounds, for the rest of the transaction, how long the
 * worker waits for a lock.  Housekeeping and the flush skip the rows an
 * application holds locked (retention also the jobs whose messages or
 * signals are), but a role that may write jobs can still hold a whole table
 * (LOCK TABLE jobtrack.job_status), and while the worker waits, no group
 * event is raised.
 */
static void
LimitLockWaits(void)
{
	(void) set_config_option("lock_timeout", CppAsString2(WORKER_LOCK_TIMEOUT_MS), PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * GaveUpOnLock says, with a warning, whether an error was the lock wait
 * LimitLockWaits bounded; what failed is tried again at its next turn.
 */
static bool
GaveUpOnLock(const ErrorData *edata, const char *what)
{
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		return false;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("jobtrack worker skipped %s: %s", what, edata->message),
			 errdetail("Another transaction held a lock it needs for more than %d ms.",
					   WORKER_LOCK_TIMEOUT_MS),
			 errhint("It is tried again at its next turn; group events go on meanwhile.")));
	return true;
}

/* MaintenanceStep is housekeeping, for RunInSubTransaction. */
static void
MaintenanceStep(void *arg)
{
	RunSavedQuery(&maintenance_query, NULL, NULL);
}

/*
 * WorkerMaintenance runs run_maintenance() in a transaction of its own, so a
 * round of housekeeping never holds job rows while groups are evaluated.
 */
static void
WorkerMaintenance(void)
{
	ErrorData  *edata = NULL;

	pgstat_report_activity(STATE_RUNNING, "SELECT jobtrack.run_maintenance()");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	LimitLockWaits();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ExtensionReady() && !RunInSubTransaction(MaintenanceStep, NULL, &edata) &&
		!GaveUpOnLock(edata, "a round of housekeeping"))
		ReThrowError(edata);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * WorkerPass runs the evaluator in its own transaction, called directly rather
 * than through SQL because it runs after nearly every commit that can raise
 * an event.  Returns when the next group is due (0 if none), or, while
 * another evaluator's transaction holds the evaluator's lock, when to try
 * again; ends the worker when the extension does not exist.
 */
static TimestampTz
WorkerPass(void)
{
	TimestampTz next_due = 0;
	TransactionId drain_xmin = InvalidTransactionId;
	bool		ready;
	char	   *database = NULL;

	/* shown as active before it takes a snapshot, so idle always means no xmin */
	pgstat_report_activity(STATE_RUNNING, "SELECT jobtrack.check_groups()");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* before the snapshot: another evaluator's transaction may stay open */
	if (!TryLockEvaluator())
	{
		CommitTransactionCommand();
		busy_retry_ms = busy_retry_ms == 0 ? EVALUATOR_BUSY_RETRY_MS :
			Min(busy_retry_ms * 2, EVALUATOR_BUSY_RETRY_MAX_MS);
		return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), busy_retry_ms);
	}
	busy_retry_ms = 0;
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	ready = ExtensionReady();
	if (ready)
	{
		(void) WorkerCheckGroups(WORKER_DUE_GROUPS, &drain_xmin);
		next_due = NextGroupDue();
	}
	else
		database = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId));

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* only now: a pass rolled back would have drained nothing */
	if (TransactionIdIsValid(drain_xmin))
		WorkerDrainDone(drain_xmin);
	if (!ready)
		StopNotInstalled(database);
	JobtrackSetServing(true);
	JobtrackPublishPass();
	pgstat_report_stat(false);
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
	LimitLockWaits();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ExtensionReady() && !RunInSubTransaction(FlushStep, NULL, &edata))
	{
		if (GaveUpOnLock(edata, "a flush of live progress"))
		{
			ok = false;
			edata = NULL;
		}
		else if (!IsDataError(edata))
			ReThrowError(edata);
	}
	if (edata != NULL)
	{
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

	/*
	 * The postmaster sends SIGTERM to a child twice, to its pid and to its
	 * process group, and the second may come once the worker woke from the
	 * first: a worker already stopping is flushing before it exits, and
	 * carries on.
	 */
	if (worker_sleeping || worker_stop)
	{
		worker_stop = true;
		SetLatch(MyLatch);
	}
	else
	{
		worker_stop = true;
		die(postgres_signal_arg);
	}
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
	Oid			database = DatumGetObjectId(main_arg);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, WorkerSigterm);
	BackgroundWorkerUnblockSignals();
	/* before connecting: a database about to be dropped is left alone */
	if (!JobtrackAttachWorker(database))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	pgstat_report_appname("jobtrack worker");

	/* a pass that raises no event may commit lazily; check_groups() upgrades it */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * No JIT: a pass's statements are short, but a drained change log full
	 * of dead rows can make a plan's estimate cross jit_above_cost, and
	 * compiling then costs each pass tens of milliseconds.
	 */
	SetConfigOption("jit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/* the evaluator asks for generic plans (spi_util.c); a setting must not overrule it */
	SetConfigOption("plan_cache_mode", "auto", PGC_SUSET, PGC_S_OVERRIDE);
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
		if (urgent)
			elog(DEBUG1, "jobtrack worker woken at once: a committed change may raise an event");

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
			next_due = WorkerPass();
			/*
			 * After the pass, so a round of housekeeping (which may delete
			 * thousands of old jobs) never delays an event; the changes it
			 * makes ask for the next pass when it commits.
			 */
			if (maintenance)
			{
				WorkerMaintenance();
				/* from its end: a long round must not make rounds run back to back */
				next_maintenance = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															   jobtrack_check_interval);
			}
			continue;
		}

		wake_at = next_maintenance;
		if (next_due != 0 && next_due < wake_at)
			wake_at = next_due;
		if (lazy_deadline != 0 && lazy_deadline < wake_at)
			wake_at = lazy_deadline;
		if (next_flush < wake_at)
			wake_at = next_flush;
		/* idle means asleep: between a pass and housekeeping it stays active */
		pgstat_report_activity(STATE_IDLE, NULL);
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
