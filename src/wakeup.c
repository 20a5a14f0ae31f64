/*-------------------------------------------------------------------------
 *
 * wakeup.c
 *		Shared state of the launcher and the per-database workers, and
 *		waking a database's worker when a change commits.
 *
 * When jobtrack is preloaded, shared memory holds one slot per worker that
 * can run (max_worker_processes of them: no more workers can run at once).
 * The launcher assigns a slot to a database before it starts the worker
 * there; the slot holds that worker's latch and its figures
 * (jobtrack.stats).  A backend whose transaction recorded a group change
 * notes whether the change may raise an event now (urgent) or not (lazy);
 * at commit, a transaction callback raises the matching flag in its own
 * database's slot and sets that worker's latch: always for an urgent
 * change, and for a lazy one only when the lazy flag was not raised yet, so
 * a stream of ordinary commits costs one wake-up per pass.  The flags are
 * raised only after the commit is durable and visible, and the worker
 * lowers them before its pass takes a snapshot, so every change is found by
 * the pass it woke or by the next one.  A commit in one database never
 * wakes another database's worker.
 *
 * The worker's drain reads group_change from a block on, not whole: the
 * rows it drained before lie behind as dead rows until autovacuum, and
 * reading them again at every pass was most of its work under a steady
 * load.  A transaction that wrote changes lowers its slot's change block
 * to the lowest block they went to, before its commit record, so a change
 * that any snapshot sees was published before that snapshot.  A pass takes
 * its drain's snapshot first and then the block, with the next transaction
 * id as its horizon: every writer that lowered it has an older id.  The
 * worker keeps the block until a later pass's snapshot shows all of those
 * writers ended (its xmin has passed the horizon), and each pass drains
 * from the lowest block it keeps; so every change a pass sees is at or
 * after that block, and no pass sees a change without the earlier ones of
 * the same job.  Rows that SQL inserts (a restore) make the next pass read
 * the whole table (group_change.c), as do the first pass of a worker and
 * one each jobtrack.check_interval.
 *
 * The same block carries what backends tell the launcher: a database where
 * CREATE EXTENSION jobtrack committed (start its worker now), databases a
 * backend is about to drop, rename or copy (keep their workers away until
 * that transaction ends), and what the launcher tells jobtrack.stats: the
 * databases it could find no background worker for.
 *
 * Without preloading there is no shared state: changes are found by the
 * next check_groups() call instead.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/wakeup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "group_change.h"
#include "live.h"
#include "settings.h"
#include "wakeup.h"

/* how long a backend about to drop a database waits for its worker to go */
#define PAUSE_WAIT_MS 10000

typedef struct JobtrackShared
{
	slock_t		mutex;			/* protects every field but the slots */
	Latch	   *launcher_latch;
	bool		request_all;	/* requests overflowed: look at every database */
	int			nrequests;
	Oid			requests[JOBTRACK_MAX_REQUESTS];
	int			npauses;
	Oid			paused_database[JOBTRACK_MAX_PAUSES];
	pid_t		paused_by[JOBTRACK_MAX_PAUSES];
	int			nnot_served;
	Oid			not_served[JOBTRACK_MAX_NOT_SERVED];
	int			nslots;
	JobtrackSlot slots[FLEXIBLE_ARRAY_MEMBER];
} JobtrackShared;

static JobtrackShared *shared = NULL;

/* this worker's slot, or NULL in any other process */
static JobtrackSlot *my_slot = NULL;

/* what this transaction's changes ask of the worker at commit */
typedef enum WakeRequest
{
	WAKE_NONE,
	WAKE_LAZY,
	WAKE_URGENT
} WakeRequest;

static WakeRequest wake_at_commit = WAKE_NONE;
/* the lowest block of group_change this transaction wrote to, or InvalidBlockNumber */
static BlockNumber change_block = InvalidBlockNumber;
/* this transaction created the extension: the launcher looks at this database at commit */
static bool poke_launcher_at_commit = false;
/* this transaction keeps a database's worker away until it ends */
static bool holds_pause = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* SharedSize is the size of the shared block, with one slot per worker process. */
static Size
SharedSize(void)
{
	return add_size(offsetof(JobtrackShared, slots),
					mul_size(sizeof(JobtrackSlot), max_worker_processes));
}

/* RequestShmem reserves the shared block. */
static void
RequestShmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(SharedSize()));
	RequestAddinShmemSpace(LiveShmemSize());
	LiveRequestLocks();
}

/* StartupShmem attaches to (or creates) the shared block. */
static void
StartupShmem(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("jobtrack", SharedSize(), &found);
	if (!found)
	{
		memset(shared, 0, SharedSize());
		SpinLockInit(&shared->mutex);
		shared->nslots = max_worker_processes;
		for (i = 0; i < shared->nslots; i++)
		{
			SpinLockInit(&shared->slots[i].mutex);
			pg_atomic_init_u32(&shared->slots[i].urgent, 0);
			pg_atomic_init_u32(&shared->slots[i].lazy, 0);
			shared->slots[i].change_block = 0;
		}
	}
	LiveShmemInit();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * FindSlot returns the slot assigned to a database, or NULL.  The caller
 * checks slot->database again under the slot's mutex if it matters that the
 * slot was not reassigned meanwhile.
 */
static JobtrackSlot *
FindSlot(Oid dbid)
{
	int			i;

	if (shared == NULL || !OidIsValid(dbid))
		return NULL;
	for (i = 0; i < shared->nslots; i++)
		if (shared->slots[i].database == dbid)
			return &shared->slots[i];
	return NULL;
}

/* PokeLauncher asks the launcher to look at a database again, and wakes it. */
static void
PokeLauncher(Oid dbid)
{
	Latch	   *latch;

	SpinLockAcquire(&shared->mutex);
	if (shared->nrequests < JOBTRACK_MAX_REQUESTS)
		shared->requests[shared->nrequests++] = dbid;
	else
		shared->request_all = true;
	latch = shared->launcher_latch;
	SpinLockRelease(&shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/* EndPause lets the launcher serve the databases this backend kept free again. */
static void
EndPause(void)
{
	Oid			ended[JOBTRACK_MAX_PAUSES];
	int			nended = 0;
	int			i;

	SpinLockAcquire(&shared->mutex);
	for (i = 0; i < shared->npauses;)
	{
		if (shared->paused_by[i] == MyProcPid)
		{
			ended[nended++] = shared->paused_database[i];
			shared->npauses--;
			shared->paused_database[i] = shared->paused_database[shared->npauses];
			shared->paused_by[i] = shared->paused_by[shared->npauses];
		}
		else
			i++;
	}
	SpinLockRelease(&shared->mutex);
	for (i = 0; i < nended; i++)
		PokeLauncher(ended[i]);
	holds_pause = false;
}

/* PublishChangeBlock lowers this database's change block to block. */
static void
PublishChangeBlock(BlockNumber block)
{
	JobtrackSlot *slot = FindSlot(MyDatabaseId);

	if (slot == NULL)
		return;					/* no worker yet: its first pass drains the whole table */
	SpinLockAcquire(&slot->mutex);
	if (slot->database == MyDatabaseId && block < slot->change_block)
		slot->change_block = block;
	SpinLockRelease(&slot->mutex);
}

/* WakeSlot raises a wake-up flag in this database's slot and sets its worker's latch. */
static void
WakeSlot(WakeRequest request)
{
	JobtrackSlot *slot = FindSlot(MyDatabaseId);
	bool		set_latch;
	Latch	   *latch = NULL;

	if (slot == NULL)
		return;					/* no worker yet: its first pass finds the change */
	if (request == WAKE_URGENT)
	{
		pg_atomic_write_u32(&slot->urgent, 1);
		set_latch = true;
	}
	else
		set_latch = pg_atomic_exchange_u32(&slot->lazy, 1) == 0;
	if (!set_latch)
		return;

	SpinLockAcquire(&slot->mutex);
	if (slot->database == MyDatabaseId)
		latch = slot->worker_latch;
	SpinLockRelease(&slot->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * AtTransactionEnd wakes this database's worker when a transaction that
 * changed groups commits, tells the launcher about a committed CREATE
 * EXTENSION, and ends the pauses this transaction held, committed or not.
 * A prepared transaction forgets its wake-up request: COMMIT PREPARED runs
 * elsewhere and asks for the wake-up there (utility.c).
 */
static void
AtTransactionEnd(XactEvent event, void *arg)
{
	WakeRequest request = wake_at_commit;
	bool		poke = poke_launcher_at_commit;

	/* before the commit (or prepare) record: see the header comment */
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
	{
		if (change_block != InvalidBlockNumber)
			PublishChangeBlock(change_block);
		change_block = InvalidBlockNumber;
		return;
	}
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PREPARE && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT)
		return;
	wake_at_commit = WAKE_NONE;
	poke_launcher_at_commit = false;
	/* a change written after the pre-commit callbacks: the whole table is drained */
	if (event == XACT_EVENT_COMMIT && change_block != InvalidBlockNumber)
		PublishChangeBlock(0);
	change_block = InvalidBlockNumber;
	if (shared == NULL)
		return;
	if (holds_pause)
		EndPause();
	if (event != XACT_EVENT_COMMIT)
		return;
	if (poke)
		PokeLauncher(MyDatabaseId);
	if (request != WAKE_NONE && jobtrack_instant_events)
		WakeSlot(request);
}

/*
 * JobtrackRequestShmem installs the shared-memory hooks and the transaction
 * callback; called from _PG_init while preloading.
 */
void
JobtrackRequestShmem(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StartupShmem;
	RegisterXactCallback(AtTransactionEnd, NULL);
	LiveRegisterCallbacks();
	GroupChangeRegisterCallbacks();
}

/* JobtrackPreloaded says whether the shared state exists (jobtrack is preloaded). */
bool
JobtrackPreloaded(void)
{
	return shared != NULL;
}

/* JobtrackSlotCount returns the number of slots, so of databases served at once. */
int
JobtrackSlotCount(void)
{
	return shared == NULL ? 0 : shared->nslots;
}

/*
 * WakeWorkerAtCommit asks for this database's worker to be woken when this
 * transaction commits: at once if urgent, else with the next lazy wake-up.
 */
void
WakeWorkerAtCommit(bool urgent)
{
	if (urgent)
		wake_at_commit = WAKE_URGENT;
	else if (wake_at_commit == WAKE_NONE)
		wake_at_commit = WAKE_LAZY;
}

/* WakeAtCommitIsUrgent says whether this transaction's commit already wakes the worker at once. */
bool
WakeAtCommitIsUrgent(void)
{
	return wake_at_commit == WAKE_URGENT;
}

/* NoteChangeBlock notes that this transaction wrote a change to a block of group_change. */
void
NoteChangeBlock(BlockNumber block)
{
	if (block < change_block)
		change_block = block;
}

/*
 * JobtrackPokeLauncherAtCommit asks the launcher to start this database's
 * worker once this transaction (a CREATE EXTENSION jobtrack) commits.
 */
void
JobtrackPokeLauncherAtCommit(void)
{
	poke_launcher_at_commit = true;
}

/*
 * WaitForExit waits until a worker process has left both its slot and the
 * process array, so that DROP DATABASE no longer counts it; false after
 * PAUSE_WAIT_MS.
 */
static bool
WaitForExit(JobtrackSlot *slot, pid_t pid)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PAUSE_WAIT_MS);

	for (;;)
	{
		pid_t		current;

		SpinLockAcquire(&slot->mutex);
		current = slot->worker_pid;
		SpinLockRelease(&slot->mutex);
		if (current != pid && BackendPidGetProc(pid) == NULL)
			return true;
		if (GetCurrentTimestamp() >= deadline)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * JobtrackPauseDatabase keeps jobtrack's worker out of a database until
 * this transaction ends, for a command that needs the database to itself
 * (DROP DATABASE, with or without FORCE, and the like): the launcher does
 * not start it there meanwhile, and a worker running there is told to stop
 * and waited for.  PostgreSQL would otherwise wait five seconds for the
 * worker and fail, or, for WITH (FORCE) by a database owner who is not a
 * superuser, refuse to terminate it.  At the end of the transaction the
 * launcher looks at the database again: gone, or to be served again.
 */
void
JobtrackPauseDatabase(Oid dbid)
{
	JobtrackSlot *slot;
	pid_t		pid = 0;

	if (shared == NULL || !OidIsValid(dbid))
		return;

	SpinLockAcquire(&shared->mutex);
	if (shared->npauses < JOBTRACK_MAX_PAUSES)
	{
		shared->paused_database[shared->npauses] = dbid;
		shared->paused_by[shared->npauses] = MyProcPid;
		shared->npauses++;
		holds_pause = true;
	}
	SpinLockRelease(&shared->mutex);

	slot = FindSlot(dbid);
	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	if (slot->database == dbid)
		pid = slot->worker_pid;
	SpinLockRelease(&slot->mutex);
	if (pid == 0)
		return;

	(void) kill(pid, SIGTERM);
	if (!WaitForExit(slot, pid))
		ereport(WARNING,
				(errmsg("jobtrack worker (PID %d) did not stop within %d seconds",
						(int) pid, PAUSE_WAIT_MS / 1000)));
}

/*
 * JobtrackDatabaseServed says whether a jobtrack worker currently runs in a
 * database and found the extension there at its last pass.
 */
bool
JobtrackDatabaseServed(Oid dbid)
{
	JobtrackSlot *slot = FindSlot(dbid);
	bool		served = false;

	if (slot == NULL)
		return false;
	SpinLockAcquire(&slot->mutex);
	served = slot->database == dbid && slot->worker_pid != 0 && slot->serving;
	SpinLockRelease(&slot->mutex);
	return served;
}

/* JobtrackCopySlot copies a database's slot into *copy; false if it has none. */
bool
JobtrackCopySlot(Oid dbid, JobtrackSlot *copy)
{
	JobtrackSlot *slot = FindSlot(dbid);
	bool		found;

	if (slot == NULL)
		return false;
	SpinLockAcquire(&slot->mutex);
	found = slot->database == dbid;
	if (found)
		memcpy(copy, slot, sizeof(JobtrackSlot));
	SpinLockRelease(&slot->mutex);
	return found;
}

/*
 * JobtrackNotServed copies the databases the launcher found no background
 * worker for into databases (JOBTRACK_MAX_NOT_SERVED long) and returns
 * their number.
 */
int
JobtrackNotServed(Oid *databases)
{
	int			n;

	if (shared == NULL)
		return 0;
	SpinLockAcquire(&shared->mutex);
	n = shared->nnot_served;
	memcpy(databases, shared->not_served, sizeof(Oid) * n);
	SpinLockRelease(&shared->mutex);
	return n;
}

/* ForgetLauncher clears the launcher's latch from the shared block at exit. */
static void
ForgetLauncher(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = NULL;
	shared->nnot_served = 0;
	SpinLockRelease(&shared->mutex);
}

/* JobtrackAdvertiseLauncher publishes this process as the launcher to poke. */
void
JobtrackAdvertiseLauncher(void)
{
	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = MyLatch;
	shared->nrequests = 0;
	shared->request_all = false;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(ForgetLauncher, (Datum) 0);
}

/*
 * JobtrackAssignSlot gives a free slot to a database, with its figures
 * zeroed and its wake-up flags raised (the worker's first pass looks at
 * everything anyway); returns its index, or -1 if none is free.
 */
int
JobtrackAssignSlot(Oid dbid)
{
	int			i;

	for (i = 0; i < shared->nslots; i++)
	{
		JobtrackSlot *slot = &shared->slots[i];

		SpinLockAcquire(&slot->mutex);
		if (!OidIsValid(slot->database) && slot->worker_pid == 0)
		{
			memset(((char *) slot) + offsetof(JobtrackSlot, worker_pid), 0,
				   offsetof(JobtrackSlot, urgent) - offsetof(JobtrackSlot, worker_pid));
			memset(slot->state, 0, sizeof(JobtrackSlot) - offsetof(JobtrackSlot, state));
			strlcpy(slot->state, "starting", JOBTRACK_STATE_LEN);
			slot->database = dbid;
			slot->change_block = 0;
			SpinLockRelease(&slot->mutex);
			pg_atomic_write_u32(&slot->urgent, 1);
			pg_atomic_write_u32(&slot->lazy, 0);
			return i;
		}
		SpinLockRelease(&slot->mutex);
	}
	return -1;
}

/* JobtrackReleaseSlot frees a slot the launcher no longer uses. */
void
JobtrackReleaseSlot(int slot)
{
	SpinLockAcquire(&shared->slots[slot].mutex);
	shared->slots[slot].database = InvalidOid;
	SpinLockRelease(&shared->slots[slot].mutex);
}

/* JobtrackSlotNotInstalled says whether the slot's worker stopped for want of the extension. */
bool
JobtrackSlotNotInstalled(int slot)
{
	bool		not_installed;

	SpinLockAcquire(&shared->slots[slot].mutex);
	not_installed = shared->slots[slot].not_installed;
	SpinLockRelease(&shared->slots[slot].mutex);
	return not_installed;
}

/* JobtrackSlotPid returns the PID of the worker in a slot, or 0. */
pid_t
JobtrackSlotPid(int slot)
{
	pid_t		pid;

	SpinLockAcquire(&shared->slots[slot].mutex);
	pid = shared->slots[slot].worker_pid;
	SpinLockRelease(&shared->slots[slot].mutex);
	return pid;
}

/*
 * JobtrackResetSlots stops the workers an earlier launcher left running
 * (they would not tell this launcher when they stop), waits for them, and
 * frees every slot.
 */
void
JobtrackResetSlots(void)
{
	int			i;

	for (i = 0; i < shared->nslots; i++)
	{
		pid_t		pid = JobtrackSlotPid(i);

		if (pid != 0 && kill(pid, SIGTERM) == 0)
		{
			ereport(LOG,
					(errmsg("jobtrack launcher stopped the worker of an earlier launcher (PID %d)",
							(int) pid)));
			(void) WaitForExit(&shared->slots[i], pid);
		}
		JobtrackReleaseSlot(i);
	}
}

/*
 * JobtrackTakeRequests moves the databases backends asked the launcher to
 * look at into databases (JOBTRACK_MAX_REQUESTS long) and returns their
 * number; *all is set when requests were lost and every database needs a
 * look.
 */
int
JobtrackTakeRequests(Oid *databases, bool *all)
{
	int			n;

	SpinLockAcquire(&shared->mutex);
	n = shared->nrequests;
	memcpy(databases, shared->requests, sizeof(Oid) * n);
	*all = shared->request_all;
	shared->nrequests = 0;
	shared->request_all = false;
	SpinLockRelease(&shared->mutex);
	return n;
}

/* JobtrackDatabasePaused says whether a backend keeps the worker out of a database. */
bool
JobtrackDatabasePaused(Oid dbid)
{
	bool		paused = false;
	int			i;

	if (shared == NULL)
		return false;
	SpinLockAcquire(&shared->mutex);
	for (i = 0; i < shared->npauses && !paused; i++)
		paused = shared->paused_database[i] == dbid;
	SpinLockRelease(&shared->mutex);
	return paused;
}

/* JobtrackSetNotServed publishes the databases the launcher found no worker for. */
void
JobtrackSetNotServed(const Oid *databases, int count)
{
	SpinLockAcquire(&shared->mutex);
	shared->nnot_served = Min(count, JOBTRACK_MAX_NOT_SERVED);
	memcpy(shared->not_served, databases, sizeof(Oid) * shared->nnot_served);
	SpinLockRelease(&shared->mutex);
}

/*
 * ForgetWorker clears the worker's latch from its slot at exit.  The slot
 * stays with its database: the launcher frees it, or starts the next
 * worker there with the figures kept.
 */
static void
ForgetWorker(int code, Datum arg)
{
	SpinLockAcquire(&my_slot->mutex);
	if (my_slot->worker_pid == MyProcPid)
	{
		my_slot->worker_pid = 0;
		my_slot->worker_latch = NULL;
		my_slot->serving = false;
		if (!my_slot->not_installed)
			strlcpy(my_slot->state, "stopped", JOBTRACK_STATE_LEN);
	}
	SpinLockRelease(&my_slot->mutex);
}

/*
 * JobtrackAttachWorker takes the slot the launcher assigned to this
 * worker's database and publishes this process as the worker to wake.
 * Returns false, attaching nothing, when there is no such slot or a backend
 * keeps the worker out of the database (it is about to be dropped).
 */
bool
JobtrackAttachWorker(Oid dbid)
{
	JobtrackSlot *slot = FindSlot(dbid);
	bool		attached = false;

	if (slot == NULL)
		return false;
	SpinLockAcquire(&slot->mutex);
	if (slot->database == dbid && slot->worker_pid == 0)
	{
		slot->worker_pid = MyProcPid;
		slot->worker_latch = MyLatch;
		slot->not_installed = false;
		attached = true;
	}
	SpinLockRelease(&slot->mutex);
	if (!attached)
		return false;
	my_slot = slot;
	before_shmem_exit(ForgetWorker, (Datum) 0);
	/* checked after attaching: a pause begun since then sees this PID and waits */
	return !JobtrackDatabasePaused(dbid);
}

/* TakeUrgentWake says whether a commit asked for a pass at once, and lowers the flag. */
bool
TakeUrgentWake(void)
{
	return pg_atomic_exchange_u32(&my_slot->urgent, 0) != 0;
}

/*
 * TakeLazyWake says whether a commit asked for a pass soon, and lowers the
 * flag, so the next such commit sets the latch again.
 */
bool
TakeLazyWake(void)
{
	return pg_atomic_exchange_u32(&my_slot->lazy, 0) != 0;
}

/*
 * The worker's change blocks: each taken from the slot with the horizon
 * every writer that lowered it is older than, kept until a pass's snapshot
 * shows those writers ended.  When the array is full the two oldest merge,
 * which keeps each block at least as long.
 */
#define DRAIN_MARKS 16

typedef struct DrainMark
{
	BlockNumber block;
	TransactionId horizon;
} DrainMark;

static DrainMark drain_marks[DRAIN_MARKS];
static int	ndrain_marks = 0;
static TimestampTz last_whole_drain = 0;

/*
 * WorkerDrainFrom returns the block the pass's drain reads group_change
 * from, 0 for the whole table.  The caller has taken the drain's snapshot.
 */
BlockNumber
WorkerDrainFrom(void)
{
	BlockNumber block;
	BlockNumber from = InvalidBlockNumber;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	SpinLockAcquire(&my_slot->mutex);
	block = my_slot->change_block;
	my_slot->change_block = InvalidBlockNumber;
	SpinLockRelease(&my_slot->mutex);

	if (block != InvalidBlockNumber)
	{
		if (ndrain_marks == DRAIN_MARKS)
		{
			drain_marks[1].block = Min(drain_marks[0].block, drain_marks[1].block);
			memmove(&drain_marks[0], &drain_marks[1], sizeof(DrainMark) * (DRAIN_MARKS - 1));
			ndrain_marks--;
		}
		/* read after the block: every writer that lowered it has an id below */
		drain_marks[ndrain_marks].block = block;
		drain_marks[ndrain_marks].horizon = ReadNextTransactionId();
		ndrain_marks++;
	}
	for (i = 0; i < ndrain_marks; i++)
		from = Min(from, drain_marks[i].block);
	/* and with each round of housekeeping, in case a change told no block */
	if (from == 0 || TimestampDifferenceExceeds(last_whole_drain, now, jobtrack_check_interval))
	{
		last_whole_drain = now;
		return 0;
	}
	return from;
}

/*
 * WorkerDrainDone forgets the blocks whose writers had all ended before the
 * snapshot of a pass that committed, xmin being that snapshot's xmin: the
 * pass drained every row they wrote.
 */
void
WorkerDrainDone(TransactionId xmin)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < ndrain_marks; i++)
		if (!TransactionIdPrecedesOrEquals(drain_marks[i].horizon, xmin))
			drain_marks[kept++] = drain_marks[i];
	ndrain_marks = kept;
}

/* JobtrackSetState records what the worker is doing, for jobtrack.stats. */
void
JobtrackSetState(const char *state)
{
	if (my_slot == NULL)
		return;
	SpinLockAcquire(&my_slot->mutex);
	strlcpy(my_slot->state, state, JOBTRACK_STATE_LEN);
	SpinLockRelease(&my_slot->mutex);
}

/*
 * JobtrackSetServing records whether the worker found the extension; a
 * worker that did not is about to stop, and the launcher starts it again
 * only after CREATE EXTENSION jobtrack.
 */
void
JobtrackSetServing(bool serving)
{
	SpinLockAcquire(&my_slot->mutex);
	my_slot->serving = serving;
	my_slot->not_installed = !serving;
	strlcpy(my_slot->state, serving ? "running" : "not installed", JOBTRACK_STATE_LEN);
	SpinLockRelease(&my_slot->mutex);
}

/* JobtrackRecordWakeup counts one wake-up of the worker by its latch. */
void
JobtrackRecordWakeup(void)
{
	SpinLockAcquire(&my_slot->mutex);
	my_slot->wakeups++;
	SpinLockRelease(&my_slot->mutex);
}

/*
 * The figures of the current pass, kept in the backend until the worker
 * publishes them after its commit: a pass that rolls back raised nothing,
 * and passes of other sessions are not the worker's own figures.
 */
static int	pass_events = 0;
static int	pass_samples = 0;
static int64 pass_latency_us[JOBTRACK_LATENCY_SLOTS];
static TimestampTz pass_last_event = 0;

/* JobtrackBeginPass forgets the figures of an earlier pass of this backend. */
void
JobtrackBeginPass(void)
{
	pass_events = 0;
	pass_samples = 0;
	pass_last_event = 0;
}

/* JobtrackNoteEvent notes an event of the current pass and its change-to-event delay. */
void
JobtrackNoteEvent(TimestampTz changed_at, TimestampTz raised_at)
{
	pass_events++;
	pass_last_event = raised_at;
	if (changed_at != 0 && pass_samples < JOBTRACK_LATENCY_SLOTS)
		pass_latency_us[pass_samples++] = Max(raised_at - changed_at, 0);
}

/* JobtrackPublishPass adds the worker's committed pass to its slot's figures. */
void
JobtrackPublishPass(void)
{
	int			i;

	SpinLockAcquire(&my_slot->mutex);
	my_slot->checks++;
	my_slot->last_check_at = GetCurrentTimestamp();
	my_slot->events += pass_events;
	if (pass_last_event != 0)
		my_slot->last_event_at = pass_last_event;
	for (i = 0; i < pass_samples; i++)
		my_slot->latency_us[my_slot->latency_count++ % JOBTRACK_LATENCY_SLOTS] = pass_latency_us[i];
	SpinLockRelease(&my_slot->mutex);
	JobtrackBeginPass();
}
