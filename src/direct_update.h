/*-------------------------------------------------------------------------
 *
 * direct_update.h
 *		A change of a job's row written without a statement.
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
	DIRECT_NOT_FOUND,			/* no such job (in the caller's snapshot) */
	DIRECT_UNCHANGED,			/* the job has the status set already */
	DIRECT_UPDATED				/* the row was changed */
} DirectResult;

/* the columns of job_status that a direct update may set */
typedef enum DirectColumn
{
	DIRECT_STATUS,
	DIRECT_FAILED_REASON,
	DIRECT_PERCENTAGE,
	DIRECT_PROGRESS_CURRENT,
	DIRECT_PROGRESS_TOTAL,
	DIRECT_HEARTBEAT_AT
} DirectColumn;

#define DIRECT_MAX_COLUMNS 3

/* what a direct update sets: the SET list of its statement */
typedef struct DirectSet
{
	int			count;
	DirectColumn columns[DIRECT_MAX_COLUMNS];
	Datum		values[DIRECT_MAX_COLUMNS];
	bool		nulls[DIRECT_MAX_COLUMNS];
	bool		skip_same_status;	/* a job with the status set already is left alone */
	bool		resume_stuck;	/* a stuck job is started again */
} DirectSet;

extern void DirectSetColumn(DirectSet *set, DirectColumn column, Datum value, bool isnull);
extern DirectResult DirectUpdateJob(int64 job_id, const DirectSet *set);

#endif							/* JOBTRACK_DIRECT_UPDATE_H */
