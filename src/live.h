/*-------------------------------------------------------------------------
 *
 * live.h
 *		Live progress: progress and heartbeats of started jobs kept in
 *		shared memory, and flushed to job_status by the worker.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/live.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_LIVE_H
#define JOBTRACK_LIVE_H

#include "postgres.h"

#include "utils/acl.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* what a live slot holds for one job */
typedef struct LiveValues
{
	bool		has_percentage;
	bool		has_count;
	bool		has_heartbeat;
	Numeric		percentage;		/* palloc'd copy */
	int64		current;
	int64		total;
	TimestampTz heartbeat_at;
	uint32		version;
} LiveValues;

extern Size LiveShmemSize(void);
extern void LiveRequestLocks(void);
extern void LiveShmemInit(void);
extern void LiveRegisterCallbacks(void);

extern bool LiveSetPercentage(int64 job_id, Numeric percentage);
extern bool LiveSetCount(int64 job_id, int64 current, int64 total, Numeric percentage);
extern bool LiveHeartbeat(int64 job_id);
extern bool LivePathOpen(void);
extern bool LiveReadAllowed(void);
extern bool LiveCallerSeesAllJobs(AclMode mode);
extern bool LiveAnySlots(void);
extern bool LiveLookup(int64 job_id, LiveValues *values);
extern void LiveForgetAtCommit(int64 job_id, uint32 version);
extern void LiveForgetDatabaseAtCommit(Oid dbid);
extern bool LiveFlushing(void);
extern int	LiveFlush(void);
extern void LiveFigures(int64 *used, int64 *capacity, int64 *full);

#endif							/* JOBTRACK_LIVE_H */
