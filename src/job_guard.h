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

#include "access/htup.h"
#include "status.h"
#include "utils/relcache.h"

/* attribute numbers of the job_status columns the trigger reads or sets */
typedef struct JobColumns
{
	Oid			relid;
	int			natts;
	AttrNumber	id;
	AttrNumber	external_id;
	AttrNumber	group_id;
	AttrNumber	job_type;
	AttrNumber	alias;
	AttrNumber	tags;
	AttrNumber	status;
	AttrNumber	percentage;
	AttrNumber	progress_current;
	AttrNumber	progress_total;
	AttrNumber	attempts;
	AttrNumber	failed_reason;
	AttrNumber	available_at;
	AttrNumber	started_at;
	AttrNumber	finished_at;
	AttrNumber	heartbeat_at;
	AttrNumber	updated_at;
	AttrNumber	data;
} JobColumns;

extern const JobColumns *JobStatusColumns(Relation rel);
extern HeapTuple GuardJobInsert(Relation rel, HeapTuple tuple);
extern HeapTuple GuardJobUpdate(Relation rel, HeapTuple oldtuple, HeapTuple newtuple);
extern void ValidatePercentage(int64 job_id, Datum value);
extern void ValidateProgressCount(int64 job_id, int64 current, bool cur_null,
								  int64 total, bool tot_null);

/* the longest job_type, alias or external_id, in bytes: longer could not be indexed */
#define JOBTRACK_MAX_NAME_BYTES 1000

/* the longest group title, in bytes; the notification carries its first 1,000 characters */
#define JOBTRACK_MAX_TITLE_BYTES 4000


#endif							/* JOBTRACK_JOB_GUARD_H */
