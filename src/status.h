/*-------------------------------------------------------------------------
 *
 * status.h
 *		Job statuses in C and the one table of allowed transitions.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/status.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_STATUS_H
#define JOBTRACK_STATUS_H

#include "postgres.h"

/* the labels of jobtrack.status, in the enum's order */
typedef enum JobStatus
{
	JOB_QUEUED,
	JOB_DELAYED,
	JOB_STARTED,
	JOB_PAUSED,
	JOB_STUCK,
	JOB_SUCCEEDED,
	JOB_FAILED,
	JOB_CANCELLED
} JobStatus;

#define JOB_STATUS_COUNT (JOB_CANCELLED + 1)

extern const char *const JobStatusNames[JOB_STATUS_COUNT];

extern Oid	JobStatusTypeOid(void);
extern Oid	GroupRunningLabel(void);
extern JobStatus JobStatusFromDatum(Datum value);
extern Datum JobStatusGetDatum(JobStatus status);
extern bool JobStatusIsFinished(JobStatus status);
extern bool JobStatusIsQueued(JobStatus status);
extern bool TransitionAllowed(JobStatus from, JobStatus to);
extern void CheckTransition(int64 job_id, JobStatus from, JobStatus to);
extern bool TransitionIsRetry(JobStatus from, JobStatus to);

#endif							/* JOBTRACK_STATUS_H */
