/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The jobtrack launcher: one worker per database that has jobtrack.
 *
 * The launcher is a static background worker with no database, started
 * once recovery has finished (so a standby runs no worker until promoted).
 * It reads pg_database with a heap scan, as the autovacuum launcher does,
 * and starts a worker in every database that accepts connections and is
 * not a template (or only in those jobtrack.databases lists).  It cannot
 * see whether a database has the extension; the worker can, and one that
 * finds none says so and stops, noting "not installed" in its slot.  The
 * launcher then leaves that database alone until a backend tells it that
 * CREATE EXTENSION jobtrack committed there, or the server restarts.  It
 * also looks at each database it has not seen before, so a database created
 * from a template that has jobtrack is served too.
 *
 * A worker that stops for any other reason is started again after 5 s,
 * doubling after each stop that came within a minute of its start, up to 5
 * minutes, so a permanent error does not fill the log.  When no background
 * worker is free (max_worker_processes), the launcher says once which
 * databases it cannot serve, shows them in jobtrack.stats, and retries each
 * with the same backoff, or at once when one of its own workers stops.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "lib/stringinfo.h"
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

#include "launcher.h"
#include "settings.h"
#include "wakeup.h"

#define WORKER_RESTART_MS 5000
#define WORKER_RESTART_MAX_MS 300000
#define WORKER_HEALTHY_MS 60000
/* how often the launcher reads pg_database, at most, when nothing wakes it */
#define DATABASE_POLL_MS 5000

/* what the launcher knows of one database */
typedef enum DatabaseState
{
	DB_WAITING,					/* a worker is due at next_start */
	DB_RUNNING,					/* its worker runs */
	DB_NOT_INSTALLED,			/* its last worker found no extension */
	DB_NO_WORKER				/* no background worker was free */
} DatabaseState;

typedef struct Database
{
	Oid			oid;
	char		name[NAMEDATALEN];
	DatabaseState state;
	int			slot;			/* its slot in shared memory, or -1 */
	BackgroundWorkerHandle *handle;
	TimestampTz next_start;
	TimestampTz started_at;
	TimestampTz no_worker_since;	/* first failed start of the current DB_NO_WORKER */
	long		restart_ms;		/* the next backoff after a failure */
	bool		requested;		/* a backend asked for a look while it ran */
	bool		seen;			/* found by the latest scan of pg_database */
} Database;

static List *databases = NIL;	/* of Database *, in TopMemoryContext */
static List *missing_logged = NIL;	/* names of listed databases said to be missing */
static List *not_served_logged = NIL;	/* Oids last logged as not served */

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

/* FindDatabase returns what the launcher knows of a database, or NULL. */
static Database *
FindDatabase(Oid oid)
{
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if (db->oid == oid)
			return db;
	}
	return NULL;
}

/* NameIn says whether name is in a list of names. */
static bool
NameIn(List *names, const char *name)
{
	ListCell   *cell;

	foreach(cell, names)
		if (strcmp(lfirst(cell), name) == 0)
			return true;
	return false;
}

/* LongLivedAppend appends to a list that lives as long as the launcher. */
static List *
LongLivedAppend(List *list, void *item)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);

	list = lappend(list, item);
	MemoryContextSwitchTo(oldcontext);
	return list;
}

/* NoteDatabase marks a database found by the scan, adding it if new. */
static void
NoteDatabase(Oid oid, const char *name)
{
	Database   *db = FindDatabase(oid);

	if (db == NULL)
	{
		db = MemoryContextAllocZero(TopMemoryContext, sizeof(Database));
		db->oid = oid;
		db->state = DB_WAITING;
		db->slot = -1;
		db->restart_ms = WORKER_RESTART_MS;
		databases = LongLivedAppend(databases, db);
	}
	strlcpy(db->name, name, NAMEDATALEN);
	db->seen = true;
}

/*
 * LogMissing says once per name that a listed database does not exist, and
 * forgets names that exist again or are no longer listed.
 */
static void
LogMissing(List *listed, List *found)
{
	ListCell   *cell;
	List	   *still = NIL;

	foreach(cell, listed)
	{
		char	   *name = lfirst(cell);

		if (NameIn(found, name))
			continue;
		if (!NameIn(missing_logged, name))
			ereport(LOG,
					(errmsg("jobtrack worker waits for database \"%s\" to be created", name),
					 errhint("Create the database, or change jobtrack.databases and reload.")));
		still = LongLivedAppend(still, MemoryContextStrdup(TopMemoryContext, name));
	}
	list_free_deep(missing_logged);
	missing_logged = still;
}

/*
 * ScanDatabases reads pg_database and marks every database the launcher
 * may serve as seen: it accepts connections, is not a template, is not
 * half-dropped, and is listed by the settings.  With no database selected,
 * only a heap scan of the shared catalog works, not an index scan.
 */
static void
ScanDatabases(void)
{
	List	   *listed;
	List	   *found = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	ListCell   *cell;
	MemoryContext oldcontext = CurrentMemoryContext;

	foreach(cell, databases)
		((Database *) lfirst(cell))->seen = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	/* the lists live in the transaction's memory, the found databases in TopMemoryContext */
	listed = JobtrackServedDatabases();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tuple);

		if (listed != NIL && !NameIn(listed, NameStr(form->datname)))
			continue;
		found = lappend(found, pstrdup(NameStr(form->datname)));
		if (!form->datallowconn || form->datistemplate || database_is_invalid_form(form))
			continue;
		NoteDatabase(form->oid, NameStr(form->datname));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	LogMissing(listed, found);
	CommitTransactionCommand();
	MemoryContextSwitchTo(oldcontext);
}

/* ReleaseSlot gives a database's slot back. */
static void
ReleaseSlot(Database *db)
{
	if (db->slot >= 0)
		JobtrackReleaseSlot(db->slot);
	db->slot = -1;
}

/*
 * ForgetUnseen stops the workers of databases the scan no longer found
 * (dropped, or no longer listed) and forgets them.
 */
static void
ForgetUnseen(void)
{
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if (db->seen)
			continue;
		if (db->handle != NULL)
		{
			TerminateBackgroundWorker(db->handle);
			pfree(db->handle);
		}
		ReleaseSlot(db);
		databases = foreach_delete_current(databases, cell);
		pfree(db);
	}
}

/*
 * TakeRequests applies what backends asked: look again at a database where
 * CREATE EXTENSION committed or whose pause ended.
 */
static void
TakeRequests(void)
{
	Oid			requests[JOBTRACK_MAX_REQUESTS];
	bool		all;
	int			n = JobtrackTakeRequests(requests, &all);
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);
		int			i;
		bool		asked = all;

		for (i = 0; i < n && !asked; i++)
			asked = requests[i] == db->oid;
		if (!asked)
			continue;
		if (db->state == DB_RUNNING)
			db->requested = true;
		else if (db->state == DB_NOT_INSTALLED || db->state == DB_WAITING)
		{
			db->state = DB_WAITING;
			db->next_start = 0;
			db->restart_ms = WORKER_RESTART_MS;
		}
	}
}

/*
 * WorkerStopped moves a database whose worker stopped on: to "not
 * installed" if the worker found no extension (unless a CREATE EXTENSION
 * was announced meanwhile), else to a restart after the backoff, or at once
 * if a backend stopped it to drop, rename or copy the database.
 */
static void
WorkerStopped(Database *db)
{
	TimestampTz now = GetCurrentTimestamp();

	pfree(db->handle);
	db->handle = NULL;
	if (db->slot >= 0 && JobtrackSlotNotInstalled(db->slot) && !db->requested)
	{
		db->state = DB_NOT_INSTALLED;
		ReleaseSlot(db);
		return;
	}
	db->state = DB_WAITING;
	if (db->requested || JobtrackDatabasePaused(db->oid))
	{
		db->next_start = 0;
		db->requested = false;
		return;
	}
	if (TimestampDifferenceExceeds(db->started_at, now, WORKER_HEALTHY_MS))
		db->restart_ms = WORKER_RESTART_MS;
	db->next_start = TimestampTzPlusMilliseconds(now, db->restart_ms);
	db->restart_ms = Min(db->restart_ms * 2, WORKER_RESTART_MAX_MS);
}

/* ReapWorkers notes the workers that stopped; returns true if any did. */
static bool
ReapWorkers(void)
{
	ListCell   *cell;
	bool		any = false;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);
		pid_t		pid;

		if (db->state != DB_RUNNING ||
			GetBackgroundWorkerPid(db->handle, &pid) != BGWH_STOPPED)
			continue;
		WorkerStopped(db);
		any = true;
	}
	return any;
}

/* NoWorker notes that no background worker was free for a database; retried with backoff. */
static void
NoWorker(Database *db)
{
	ReleaseSlot(db);
	if (db->state != DB_NO_WORKER)
		db->no_worker_since = GetCurrentTimestamp();
	db->state = DB_NO_WORKER;
	db->next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), db->restart_ms);
	db->restart_ms = Min(db->restart_ms * 2, WORKER_RESTART_MAX_MS);
}

/* StartWorker starts a database's worker, in a slot of its own. */
static void
StartWorker(Database *db)
{
	BackgroundWorker worker;
	pid_t		pid;
	bool		registered;
	MemoryContext oldcontext;

	if (db->slot < 0)
		db->slot = JobtrackAssignSlot(db->oid);
	if (db->slot < 0)
	{
		NoWorker(db);
		return;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "jobtrack", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "JobtrackWorkerMain", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "jobtrack worker for database %s", db->name);
	strlcpy(worker.bgw_type, "jobtrack worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(db->oid);
	worker.bgw_notify_pid = MyProcPid;

	/* the handle outlives the launcher's loop context */
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &db->handle);
	MemoryContextSwitchTo(oldcontext);
	if (!registered)
	{
		db->handle = NULL;
		NoWorker(db);
		return;
	}
	db->state = DB_RUNNING;
	db->started_at = GetCurrentTimestamp();
	db->requested = false;
	/* a worker that stops at once is found by the next ReapWorkers */
	(void) WaitForBackgroundWorkerStartup(db->handle, &pid);
	/* the wait resets our latch: a poke that came meanwhile is looked at now */
	SetLatch(MyLatch);
}

/* StartDueWorkers starts the workers that are due, except in paused databases. */
static void
StartDueWorkers(void)
{
	ListCell   *cell;
	TimestampTz now = GetCurrentTimestamp();

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if ((db->state == DB_WAITING || db->state == DB_NO_WORKER) &&
			db->next_start <= now && !JobtrackDatabasePaused(db->oid))
			StartWorker(db);
	}
}

/* RetryNoWorker makes the databases that found no free worker due now. */
static void
RetryNoWorker(void)
{
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if (db->state == DB_NO_WORKER)
			db->next_start = 0;
	}
}

/*
 * NoWorkerForLong says whether some database has found no free background
 * worker for longer than a first retry: a shortage that lasts, not the
 * moment when many workers start at once.
 */
static bool
NoWorkerForLong(void)
{
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if (db->state == DB_NO_WORKER &&
			TimestampDifferenceExceeds(db->no_worker_since, now, WORKER_RESTART_MS))
			return true;
	}
	return false;
}

/*
 * ReportNotServed publishes the databases no background worker was free
 * for, once the shortage lasts, and says so in the log once each time that
 * set grows, not at every retry.
 */
static void
ReportNotServed(void)
{
	Oid			oids[JOBTRACK_MAX_NOT_SERVED];
	int			n = 0;
	bool		grew = false;
	bool		lasting = NoWorkerForLong();
	List	   *now_not_served = NIL;
	StringInfoData names;
	MemoryContext oldcontext;
	ListCell   *cell;

	initStringInfo(&names);
	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		if (db->state != DB_NO_WORKER || !lasting)
			continue;
		if (n < JOBTRACK_MAX_NOT_SERVED)
			oids[n++] = db->oid;
		grew |= !list_member_oid(not_served_logged, db->oid);
		appendStringInfo(&names, "%s\"%s\"", names.len > 0 ? ", " : "", db->name);
		now_not_served = lappend_oid(now_not_served, db->oid);
	}
	JobtrackSetNotServed(oids, n);
	if (grew)
		ereport(LOG,
				(errmsg("jobtrack launcher found no free background worker for databases %s",
						names.data),
				 errdetail("Their groups are not evaluated until a worker is free; the launcher keeps trying."),
				 errhint("Raise max_worker_processes (now %d): jobtrack needs one for its launcher and one per database with the extension, besides PostgreSQL's own (the logical replication launcher, parallel query).",
						 max_worker_processes)));
	else if (now_not_served == NIL && not_served_logged != NIL)
		ereport(LOG, (errmsg("jobtrack launcher now serves every database it was waiting to serve")));
	list_free(not_served_logged);
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	not_served_logged = list_copy(now_not_served);
	MemoryContextSwitchTo(oldcontext);
	pfree(names.data);
}

/* NextTimeout returns how long the launcher may sleep: until the next due start, at most DATABASE_POLL_MS. */
static long
NextTimeout(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		timeout = DATABASE_POLL_MS;
	ListCell   *cell;

	foreach(cell, databases)
	{
		Database   *db = lfirst(cell);

		/* a paused database is not started, so its time must not wake us */
		if ((db->state == DB_WAITING || db->state == DB_NO_WORKER) &&
			!JobtrackDatabasePaused(db->oid))
			timeout = Min(timeout, TimestampDifferenceMilliseconds(now, db->next_start));
	}
	return Max(timeout, 1);
}

/* WarnDeprecated says, after a start or reload, that jobtrack.database is deprecated. */
static void
WarnDeprecated(void)
{
	if (jobtrack_database == NULL || jobtrack_database[0] == '\0')
		return;
	if (jobtrack_databases != NULL && jobtrack_databases[0] != '\0')
		ereport(LOG,
				(errmsg("jobtrack.database is ignored because jobtrack.databases is set")));
	else
		ereport(LOG,
				(errmsg("jobtrack.database is deprecated; jobtrack.databases replaces it"),
				 errhint("jobtrack.databases takes a list of databases; empty, it serves every database with the extension.")));
}

/* JobtrackLauncherMain is the launcher's main loop. */
void
JobtrackLauncherMain(Datum main_arg)
{
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("jobtrack launcher");
	JobtrackResetSlots();
	JobtrackAdvertiseLauncher();
	WarnDeprecated();
	loop_context = AllocSetContextCreate(TopMemoryContext, "jobtrack launcher loop",
										 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		MemoryContext oldcontext;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			WarnDeprecated();
		}

		oldcontext = MemoryContextSwitchTo(loop_context);
		ScanDatabases();
		MemoryContextSwitchTo(loop_context);
		ForgetUnseen();
		TakeRequests();
		if (ReapWorkers())
			RetryNoWorker();
		StartDueWorkers();
		ReportNotServed();
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(loop_context);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 NextTimeout(), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
