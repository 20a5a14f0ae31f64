/*-------------------------------------------------------------------------
 *
 * wakeup.h
 *		Shared state of the worker and the commit-time wake-up.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/wakeup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_WAKEUP_H
#define JOBTRACK_WAKEUP_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define JOBTRACK_LATENCY_SLOTS 1024
#define JOBTRACK_STATE_LEN 64

typedef struct JobtrackShared
{
	slock_t		mutex;
	pid_t		worker_pid;
	Oid			worker_database;
	Latch	   *worker_latch;
	pg_atomic_uint32 urgent;	/* a commit may have raised an event */
	pg_atomic_uint32 lazy;		/* a commit changed a group's jobs */
	char		state[JOBTRACK_STATE_LEN];
	uint64		checks;
	uint64		wakeups;
	uint64		events;
	TimestampTz last_check_at;
	TimestampTz last_event_at;
	uint64		latency_count;
	int64		latency_us[JOBTRACK_LATENCY_SLOTS];
} JobtrackShared;

extern void JobtrackRequestShmem(void);
extern JobtrackShared *JobtrackSharedState(void);
extern void WakeWorkerAtCommit(bool urgent);
extern bool TakeUrgentWake(void);
extern bool TakeLazyWake(void);
extern void JobtrackAdvertiseWorker(void);
extern bool JobtrackDatabaseServed(Oid dbid);
extern void JobtrackSetState(const char *state);
extern void JobtrackRecordWakeup(void);
extern void JobtrackBeginPass(void);
extern void JobtrackNoteEvent(TimestampTz changed_at, TimestampTz raised_at);
extern void JobtrackPublishPass(void);

#endif							/* JOBTRACK_WAKEUP_H */
