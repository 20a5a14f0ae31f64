/*-------------------------------------------------------------------------
 *
 * job_record.c
 *		The job_status_record triggers: what a committed job change leaves
 *		behind for others, written after the row itself.
 *
 * After a job row is inserted, has its status changed, or is deleted, this
 * records the change for the group evaluator (group_change.c) and keeps the
 * job's external id in jobtrack.job_external_id.  It runs AFTER ROW, so a
 * row that was never written (INSERT ... ON CONFLICT DO NOTHING, a user's
 * BEFORE trigger returning NULL) leaves nothing behind.  It fires for every
 * inserted and updated row and passes over those that concern no one: a row
 * without group or external id, an update that keeps the status (progress).
 *
 * External ids live in a side table so that job_status can later be
 * partitioned by id.  Applications may read that table but not write it:
 * the trigger writes it as the extension's owner, so no role can point an
 * external id at another role's job.  Mapping an id already mapped to the
 * same job is a no-op.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/job_record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "citus.h"
#include "evaluator.h"
#include "group_change.h"
#include "groups.h"
#include "job_guard.h"
#include "job_record.h"
#include "live.h"
#include "spi_util.h"
#include "status.h"

static SavedQuery register_external_id_query = {
	"INSERT INTO jobtrack.job_external_id (external_id, job_id) VALUES ($1, $2)"
	" ON CONFLICT (external_id) DO NOTHING",
	2, {TEXTOID, INT8OID}, false
};

/* not read-only: it must see a job created earlier in the same statement */
static SavedQuery external_id_query = {
	"SELECT job_id FROM jobtrack.job_external_id WHERE external_id OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, false
};

static SavedQuery forget_external_id_query = {
	"DELETE FROM jobtrack.job_external_id"
	" WHERE external_id OPERATOR(pg_catalog.=) $1 AND job_id OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, INT8OID}, false
};

/*
 * RunAsExtensionOwner runs a prepared statement as the owner of schema
 * jobtrack (the extension's owner) and returns the rows it processed.
 */
uint64
RunAsExtensionOwner(SavedQuery *query, Datum *values, const char *nulls)
{
	Oid			save_userid;
	int			save_sec_context;
	uint64		processed;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(JobtrackOwner(), save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	processed = RunSavedQuery(query, values, nulls);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return processed;
}

/*
 * LookUpExternalId sets *job_id to the job an external id names and returns
 * true, or returns false when no job has it.  As the extension's owner, so
 * that no role needs to read job_external_id: which jobs a caller may learn
 * of is the caller's to check (JobVisible).  The caller is connected to SPI.
 */
bool
LookUpExternalId(Datum external_id, int64 *job_id)
{
	if (RunAsExtensionOwner(&external_id_query, &external_id, NULL) == 0)
		return false;
	*job_id = SpiResultInt64(0, 1);
	return true;
}

/* RegisterExternalId maps an external id to a job; 23505 if another job has it. */
static void
RegisterExternalId(Datum external_id, int64 job_id)
{
	Datum		values[2] = {external_id, Int64GetDatum(job_id)};
	int64		owner;

	SPI_connect();
	if (RunAsExtensionOwner(&register_external_id_query, values, NULL) == 0)
	{
		if (!LookUpExternalId(external_id, &owner))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to a concurrent use of external id \"%s\"",
							TextDatumGetCString(external_id)),
					 errhint("Retry the transaction.")));
		if (owner != job_id)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("external id \"%s\" is already used by job %lld",
							TextDatumGetCString(external_id), (long long) owner),
					 errhint("Use jobtrack.create_job(..., external_id => ...), which returns the existing job.")));
	}
	SPI_finish();
}

/* ForgetExternalId removes the external id of a deleted job. */
static void
ForgetExternalId(Datum external_id, int64 job_id)
{
	Datum		values[2] = {external_id, Int64GetDatum(job_id)};

	SPI_connect();
	(void) RunAsExtensionOwner(&forget_external_id_query, values, NULL);
	SPI_finish();
}

/* Int64Column returns a bigint column of a job row, 0 for NULL. */
static int64
Int64Column(HeapTuple tuple, TupleDesc desc, AttrNumber attno)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, attno, desc, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

/* StatusColumn returns the status of a job row. */
static JobStatus
StatusColumn(HeapTuple tuple, TupleDesc desc, const JobColumns *cols)
{
	bool		isnull;

	return JobStatusFromDatum(heap_getattr(tuple, cols->status, desc, &isnull));
}

/*
 * RecordChange records a change of a job of a group: into group_change, or,
 * when the row lives in a shard on a Citus node, into the colocated outbox.
 */
static void
RecordChange(Relation rel, int64 group_id, int64 job_id, int old_status, int new_status)
{
	if (RelationGetRelid(rel) == JobtrackRelid("job_status"))
		RecordGroupChange(group_id, job_id, old_status, new_status);
	else
		RecordShardGroupChange(rel, group_id, job_id, old_status, new_status);
}

/*
 * RecordRow records one inserted (old NULL) or deleted (new NULL) job row.
 * On a shard the external id is left alone: the coordinator keeps the
 * external ids, and create_job claimed this one there before the insert.
 */
static void
RecordRow(Relation rel, HeapTuple tuple, const JobColumns *cols, bool inserted)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int64		job_id = Int64Column(tuple, desc, cols->id);
	int64		group_id = Int64Column(tuple, desc, cols->group_id);
	JobStatus	status = StatusColumn(tuple, desc, cols);
	bool		isnull;
	Datum		external_id = heap_getattr(tuple, cols->external_id, desc, &isnull);

	if (RelationGetRelid(rel) != JobtrackRelid("job_status"))
		isnull = true;
	if (!isnull && inserted)
		RegisterExternalId(external_id, job_id);
	else if (!isnull)
		ForgetExternalId(external_id, job_id);
	if (group_id != 0)
		RecordChange(rel, group_id, job_id,
					 inserted ? NO_JOB_STATUS : (int) status,
					 inserted ? (int) status : NO_JOB_STATUS);
}

/*
 * RecordJobInsert records an inserted job row: the AFTER INSERT trigger's
 * work, for a row written without a statement (direct_insert.c).
 */
void
RecordJobInsert(Relation rel, HeapTuple tuple)
{
	RecordRow(rel, tuple, JobStatusColumns(rel), true);
}

/*
 * RecordJobUpdate records an updated job row: a change of its status, when
 * the job is in a group.  The AFTER UPDATE trigger calls it, and so does a
 * status change written without a statement (direct_update.c).
 */
void
RecordJobUpdate(Relation rel, HeapTuple oldtuple, HeapTuple newtuple)
{
	const JobColumns *cols = JobStatusColumns(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	JobStatus	from = StatusColumn(oldtuple, desc, cols);
	JobStatus	to = StatusColumn(newtuple, desc, cols);
	int64		group_id = Int64Column(oldtuple, desc, cols->group_id);

	if (from != to && group_id != 0)
		RecordChange(rel, group_id, Int64Column(oldtuple, desc, cols->id), from, to);
}

/* SQL-callable: trigger jobtrack_internal.job_status_record(), AFTER ROW */
PG_FUNCTION_INFO_V1(jobtrack_job_status_record);
Datum
jobtrack_job_status_record(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const JobColumns *cols;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "jobtrack_internal.job_status_record() must run as an AFTER ROW trigger");

	cols = JobStatusColumns(trigdata->tg_relation);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		RecordRow(trigdata->tg_relation, trigdata->tg_trigtuple, cols, true);
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		RecordRow(trigdata->tg_relation, trigdata->tg_trigtuple, cols, false);
	else
		RecordJobUpdate(trigdata->tg_relation, trigdata->tg_trigtuple, trigdata->tg_newtuple);
	return PointerGetDatum(NULL);
}

static SavedQuery truncated_queries[] = {
	{"DELETE FROM jobtrack.job_external_id", 0, {InvalidOid}, false},
	{"DELETE FROM jobtrack.group_change", 0, {InvalidOid}, false},
	/* zero, not deleted: group retention takes a group only by its counts */
	{"UPDATE jobtrack.group_count SET queued = 0, delayed = 0, started = 0, paused = 0,"
	 " stuck = 0, succeeded = 0, failed = 0, cancelled = 0"
	 " WHERE" GROUP_COUNT_TOTAL("") " OPERATOR(pg_catalog.<>) 0",
	 0, {InvalidOid}, false},
	{"DELETE FROM jobtrack.job_message", 0, {InvalidOid}, false},
	{"DELETE FROM jobtrack.job_signal", 0, {InvalidOid}, false},
};

/*
 * SQL-callable: trigger jobtrack_internal.job_status_truncated(), AFTER TRUNCATE.
 * With every job gone, no external id is taken, no message or signal is
 * left and every group counts no job; groups keep their status.
 */
PG_FUNCTION_INFO_V1(jobtrack_job_status_truncated);
Datum
jobtrack_job_status_truncated(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		elog(ERROR, "jobtrack_internal.job_status_truncated() must run as a TRUNCATE trigger");
	(void) JobStatusColumns(trigdata->tg_relation);
	/* a shard on a Citus node: the coordinator's tables are not here */
	if (RelationGetRelid(trigdata->tg_relation) != JobtrackRelid("job_status"))
		return PointerGetDatum(NULL);

	/* group counts are the evaluator's: wait for a pass under way */
	LockEvaluatorTag();
	SPI_connect();
	for (i = 0; i < (int) lengthof(truncated_queries); i++)
		(void) RunAsExtensionOwner(&truncated_queries[i], NULL, NULL);
	SPI_finish();
	/* the jobs are gone, and RESTART IDENTITY hands their ids out again */
	LiveForgetDatabaseAtCommit(MyDatabaseId);
	return PointerGetDatum(NULL);
}
