/*-------------------------------------------------------------------------
 *
 * job_guard.h
 *		The trigger that checks every change of a job row.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/job_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_JOB_GUARD_H
#define JOBTRACK_JOB_GUARD_H

#include "postgres.h"

#include "status.h"

/* the longest job_type, alias or external_id, in bytes: longer could not be indexed */
#define JOBTRACK_MAX_NAME_BYTES 1000

/* a status argument of RecordGroupChange for "no row" */
#define NO_JOB_STATUS (-1)

extern void RecordGroupChange(int64 group_id, int64 job_id, int old_status, int new_status);

#endif							/* JOBTRACK_JOB_GUARD_H */
