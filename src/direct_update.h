/*-------------------------------------------------------------------------
 *
 * direct_update.h
 *		A change of a job's status written without a statement.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/direct_update.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_DIRECT_UPDATE_H
#define JOBTRACK_DIRECT_UPDATE_H

#include "postgres.h"

#include "status.h"

typedef enum DirectResult
{
	DIRECT_NOT_TAKEN,			/* the statement must run: nothing written */
	DIRECT_UNCHANGED,			/* no such job, or it has the status already */
	DIRECT_UPDATED				/* the row was changed */
} DirectResult;

extern DirectResult DirectChangeStatus(int64 job_id, JobStatus target, bool set_reason,
									   Datum reason, bool reason_null);

#endif							/* JOBTRACK_DIRECT_UPDATE_H */
