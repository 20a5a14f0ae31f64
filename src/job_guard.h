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


#endif							/* JOBTRACK_JOB_GUARD_H */
