/*-------------------------------------------------------------------------
 *
 * wakeup.c
 *		Shared state of the worker, and waking it when a change commits.
 *
 * When jobtrack is preloaded, a small block of shared memory holds the
 * worker's latch and its figures (jobtrack.stats).  A backend whose
 * transaction recorded a group change sets a flag; at commit, a transaction
 * callback sets the worker's latch, so the worker evaluates the change
 * within milliseconds instead of at its next scheduled check.  The latch is
 * set only after the commit is durable and visible, so the worker always
 * finds the change it was woken for.
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
#include "utils/timestamp.h"

#include "settings.h"
#include "wakeup.h"

static JobtrackShared *shared = NULL;
static bool wake_at_commit = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* RequestShmem reserves the shared block. */
static void
RequestShmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(JobtrackShared)));
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
		strlcpy(shared->state, "starting", JOBTRACK_STATE_LEN);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* WakeOnCommit sets the worker's latch when a transaction that changed groups commits. */
static void
WakeOnCommit(XactEvent event, void *arg)
{
	Latch	   *latch;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	if (!wake_at_commit)
		return;
	wake_at_commit = false;
	if (event != XACT_EVENT_COMMIT || !jobtrack_instant_events || shared == NULL)
		return;

	SpinLockAcquire(&shared->mutex);
	latch = shared->worker_latch;
	SpinLockRelease(&shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * JobtrackRequestShmem installs the shared-memory hooks and the commit
 * callback; called from _PG_init while preloading.
 */
void
JobtrackRequestShmem(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StartupShmem;
	RegisterXactCallback(WakeOnCommit, NULL);
}

/* JobtrackSharedState returns the shared block, or NULL when not preloaded. */
JobtrackShared *
JobtrackSharedState(void)
{
	return shared;
}

/* WakeWorkerAtCommit asks for the worker to be woken when this transaction commits. */
void
WakeWorkerAtCommit(void)
{
	wake_at_commit = true;
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
