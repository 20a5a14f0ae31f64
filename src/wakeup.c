/*-------------------------------------------------------------------------
 *
 * wakeup.c
 *		Shared state of the worker, and waking it when a change commits.
 *
 * When jobtrack is preloaded, a small block of shared memory holds the
 * worker's latch and its figures (jobtrack.stats).  A backend whose
 * transaction recorded a group change notes whether the change may raise an
 * event now (urgent) or not (lazy); at commit, a transaction callback raises
 * the matching flag in shared memory and sets the worker's latch: always
 * for an urgent change, and for a lazy one only when the lazy flag was not
 * raised yet, so a stream of ordinary commits costs one wake-up per pass.
 * The flags are raised only after the commit is durable and visible, and
 * the worker lowers them before its pass takes a snapshot, so every change
 * is found by the pass it woke or by the next one.
 *
 * COMMIT PREPARED runs in a backend that does not know what the prepared
 * transaction changed, so it always asks for an urgent wake-up.
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

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/timestamp.h"

#include "live.h"
#include "settings.h"
#include "wakeup.h"

static JobtrackShared *shared = NULL;

/* what this transaction's changes ask of the worker at commit */
typedef enum WakeRequest
{
	WAKE_NONE,
	WAKE_LAZY,
	WAKE_URGENT
} WakeRequest;

static WakeRequest wake_at_commit = WAKE_NONE;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* RequestShmem reserves the shared block. */
static void
RequestShmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(JobtrackShared)));
	RequestAddinShmemSpace(LiveShmemSize());
	LiveRequestLocks();
}

/* StartupShmem attaches to (or creates) the shared block. */
static void
StartupShmem(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("jobtrack", sizeof(JobtrackShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(JobtrackShared));
		SpinLockInit(&shared->mutex);
		pg_atomic_init_u32(&shared->urgent, 0);
		pg_atomic_init_u32(&shared->lazy, 0);
		strlcpy(shared->state, "starting", JOBTRACK_STATE_LEN);
	}
	LiveShmemInit();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * WakeOnCommit wakes the worker when a transaction that changed groups
 * commits.  A prepared transaction forgets its request: COMMIT PREPARED
 * runs elsewhere, and WakeAfterCommitPrepared asks for the wake-up there.
 */
static void
WakeOnCommit(XactEvent event, void *arg)
{
	WakeRequest request = wake_at_commit;
	bool		set_latch;
	Latch	   *latch;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PREPARE && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT)
		return;
	wake_at_commit = WAKE_NONE;
	if (request == WAKE_NONE || event != XACT_EVENT_COMMIT ||
		!jobtrack_instant_events || shared == NULL)
		return;

	if (request == WAKE_URGENT)
	{
		pg_atomic_write_u32(&shared->urgent, 1);
		set_latch = true;
	}
	else
		set_latch = pg_atomic_exchange_u32(&shared->lazy, 1) == 0;
	if (!set_latch)
		return;

	SpinLockAcquire(&shared->mutex);
	latch = shared->worker_latch;
	SpinLockRelease(&shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/* TakeUrgentWake says whether a commit asked for a pass at once, and lowers the flag. */
bool
TakeUrgentWake(void)
{
	return pg_atomic_exchange_u32(&shared->urgent, 0) != 0;
}

/*
 * TakeLazyWake says whether a commit asked for a pass soon, and lowers the
 * flag, so the next such commit sets the latch again.
 */
bool
TakeLazyWake(void)
{
	return pg_atomic_exchange_u32(&shared->lazy, 0) != 0;
}

/*
 * WakeAfterCommitPrepared runs COMMIT PREPARED and asks for an urgent
 * wake-up at the end of the statement's own transaction, after the prepared
 * one is durable: which groups it changed was known only to the backend
 * that prepared it, so any committed prepared transaction wakes the worker.
 */
static void
WakeAfterCommitPrepared(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context, params,
								  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	if (IsA(parsetree, TransactionStmt) &&
		((TransactionStmt *) parsetree)->kind == TRANS_STMT_COMMIT_PREPARED)
		wake_at_commit = WAKE_URGENT;
}

/*
 * JobtrackRequestShmem installs the shared-memory hooks, the commit
 * callback and the COMMIT PREPARED hook; called from _PG_init while
 * preloading.
 */
void
JobtrackRequestShmem(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StartupShmem;
	RegisterXactCallback(WakeOnCommit, NULL);
	LiveRegisterCallbacks();
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = WakeAfterCommitPrepared;
}

/* JobtrackSharedState returns the shared block, or NULL when not preloaded. */
JobtrackShared *
JobtrackSharedState(void)
{
	return shared;
}

/*
 * WakeWorkerAtCommit asks for the worker to be woken when this transaction
 * commits: at once if urgent, else with the next lazy wake-up.
 */
void
WakeWorkerAtCommit(bool urgent)
{
	if (urgent)
		wake_at_commit = WAKE_URGENT;
	else if (wake_at_commit == WAKE_NONE)
		wake_at_commit = WAKE_LAZY;
}

/* JobtrackDatabaseServed says whether a jobtrack worker runs in the database. */
bool
JobtrackDatabaseServed(Oid dbid)
{
	bool		served;

	if (shared == NULL)
		return false;
	SpinLockAcquire(&shared->mutex);
	served = shared->worker_pid != 0 && shared->worker_database == dbid;
	SpinLockRelease(&shared->mutex);
	return served;
}

/* ForgetWorker clears the worker's latch from the shared block at exit. */
static void
ForgetWorker(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->worker_pid == MyProcPid)
	{
		shared->worker_pid = 0;
		shared->worker_latch = NULL;
		strlcpy(shared->state, "stopped", JOBTRACK_STATE_LEN);
	}
	SpinLockRelease(&shared->mutex);
}

/* JobtrackAdvertiseWorker publishes this process as the worker to wake. */
void
JobtrackAdvertiseWorker(void)
{
	SpinLockAcquire(&shared->mutex);
	shared->worker_pid = MyProcPid;
	shared->worker_database = MyDatabaseId;
	shared->worker_latch = MyLatch;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(ForgetWorker, (Datum) 0);
}

/* JobtrackSetState records what the launcher or worker is doing, for jobtrack.stats. */
void
JobtrackSetState(const char *state)
{
	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	strlcpy(shared->state, state, JOBTRACK_STATE_LEN);
	SpinLockRelease(&shared->mutex);
}

/* JobtrackRecordWakeup counts one wake-up of the worker by its latch. */
void
JobtrackRecordWakeup(void)
{
	SpinLockAcquire(&shared->mutex);
	shared->wakeups++;
	SpinLockRelease(&shared->mutex);
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

/* JobtrackPublishPass adds the worker's committed pass to the shared figures. */
void
JobtrackPublishPass(void)
{
	int			i;

	SpinLockAcquire(&shared->mutex);
	shared->checks++;
	shared->last_check_at = GetCurrentTimestamp();
	shared->events += pass_events;
	if (pass_last_event != 0)
		shared->last_event_at = pass_last_event;
	for (i = 0; i < pass_samples; i++)
		shared->latency_us[shared->latency_count++ % JOBTRACK_LATENCY_SLOTS] = pass_latency_us[i];
	SpinLockRelease(&shared->mutex);
	JobtrackBeginPass();
}
