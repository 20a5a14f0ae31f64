/*-------------------------------------------------------------------------
 *
 * wakeup.h
 *		Shared state of the launcher and the per-database workers, and the
 *		commit-time wake-up.
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
#include "storage/block.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define JOBTRACK_LATENCY_SLOTS 1024
#define JOBTRACK_STATE_LEN 64
/* databases the launcher is asked to look at again, queued between two of its turns */
#define JOBTRACK_MAX_REQUESTS 16
/* databases kept free of workers at once (DROP DATABASE and the like) */
#define JOBTRACK_MAX_PAUSES 16
/* databases listed as not served in jobtrack.stats */
#define JOBTRACK_MAX_NOT_SERVED 64

/*
 * One database's worker: its latch, its wake-up flags and its figures.  The
 * launcher assigns a slot to a database before it starts the worker there
 * and frees it when it stops serving the database; everything else belongs
 * to the worker.  database is written under mutex but may be read without
 * it, to find a slot; the finder then checks it again under mutex.
 */
typedef struct JobtrackSlot
{
	slock_t		mutex;
	Oid			database;		/* InvalidOid: the slot is free */
	pid_t		worker_pid;
	Latch	   *worker_latch;
	bool		serving;		/* the worker found the extension at its last pass */
	bool		not_installed;	/* the worker stopped: no extension here */
	pg_atomic_uint32 urgent;	/* a commit may have raised an event */
	pg_atomic_uint32 lazy;		/* a commit changed a group's jobs */
	BlockNumber change_block;	/* the lowest block of group_change written by
								 * a commit since the worker last took it;
								 * InvalidBlockNumber: none (under mutex) */
	char		state[JOBTRACK_STATE_LEN];
	uint64		checks;
	uint64		wakeups;
	uint64		events;
	TimestampTz last_check_at;
	TimestampTz last_event_at;
	uint64		latency_count;
	int64		latency_us[JOBTRACK_LATENCY_SLOTS];
} JobtrackSlot;

extern void JobtrackRequestShmem(void);
extern bool JobtrackPreloaded(void);
extern int	JobtrackSlotCount(void);

/* backends */
extern void WakeWorkerAtCommit(bool urgent);
extern bool WakeAtCommitIsUrgent(void);
extern void NoteChangeBlock(BlockNumber block);
extern void JobtrackPokeLauncherAtCommit(void);
extern void JobtrackPauseDatabase(Oid dbid);
extern bool JobtrackDatabaseServed(Oid dbid);
extern bool JobtrackCopySlot(Oid dbid, JobtrackSlot *copy);
extern int	JobtrackNotServed(Oid *databases);

/* the launcher */
extern void JobtrackAdvertiseLauncher(void);
extern int	JobtrackAssignSlot(Oid dbid);
extern void JobtrackReleaseSlot(int slot);
extern bool JobtrackSlotNotInstalled(int slot);
extern pid_t JobtrackSlotPid(int slot);
extern void JobtrackResetSlots(void);
extern int	JobtrackTakeRequests(Oid *databases, bool *all);
extern bool JobtrackDatabasePaused(Oid dbid);
extern void JobtrackSetNotServed(const Oid *databases, int count);

/* the worker, in its own slot */
extern bool JobtrackAttachWorker(Oid dbid);
extern bool TakeUrgentWake(void);
extern bool TakeLazyWake(void);
extern BlockNumber WorkerDrainFrom(void);
extern void WorkerDrainDone(TransactionId xmin);
extern void JobtrackSetState(const char *state);
extern void JobtrackSetServing(bool serving);
extern void JobtrackRecordWakeup(void);
extern void JobtrackBeginPass(void);
extern void JobtrackNoteEvent(TimestampTz changed_at, TimestampTz raised_at);
extern void JobtrackPublishPass(void);

#endif							/* JOBTRACK_WAKEUP_H */
