/*-------------------------------------------------------------------------
 *
 * job_guard.c
 *		The job_status_guard trigger: every insert and update of a job
 *		row passes through here, before the row is written.
 *
 * The trigger is what makes the status machine hold for plain SQL as well
 * as for jobtrack's functions: it refuses forbidden transitions (55000) and
 * malformed values (22023), and keeps started_at, finished_at, attempts,
 * heartbeat_at and updated_at right.
 *
 * What happens after the row is written, recording the change for the
 * group evaluator and keeping external ids unique, is the AFTER trigger's,
 * in job_record.c and group_change.c.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/job_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "citus.h"
#include "job_guard.h"
#include "live.h"
#include "spi_util.h"
#include "status.h"

/* the columns an update may replace, collected before heap_modify_tuple */
typedef struct RowChanges
{
	int			count;
	int			columns[20];
	Datum		values[20];
	bool		nulls[20];
} RowChanges;

static JobColumns columns;

/* ColumnNumber returns the attribute number of a job_status column. */
static AttrNumber
ColumnNumber(TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		elog(ERROR, "jobtrack.job_status has no column \"%s\"", name);
	return attno;
}

/*
 * JobStatusColumns returns the attribute numbers of jobtrack.job_status
 * (or of its shard on a Citus node), looked up once per table layout.  It
 * refuses any other table: the triggers write group changes without
 * privilege checks, so attaching them to a table of one's own must not
 * forge changes.
 */
const JobColumns *
JobStatusColumns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (columns.relid == RelationGetRelid(rel) && columns.natts == desc->natts)
		return &columns;
	if (RelationGetRelid(rel) != JobtrackRelid("job_status") && !IsJobStatusShard(rel))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("jobtrack triggers can only be used on jobtrack.job_status")));
	columns.id = ColumnNumber(desc, "id");
	columns.external_id = ColumnNumber(desc, "external_id");
	columns.group_id = ColumnNumber(desc, "group_id");
	columns.job_type = ColumnNumber(desc, "job_type");
	columns.alias = ColumnNumber(desc, "alias");
	columns.tags = ColumnNumber(desc, "tags");
	columns.status = ColumnNumber(desc, "status");
	columns.percentage = ColumnNumber(desc, "percentage");
	columns.progress_current = ColumnNumber(desc, "progress_current");
	columns.progress_total = ColumnNumber(desc, "progress_total");
	columns.attempts = ColumnNumber(desc, "attempts");
	columns.failed_reason = ColumnNumber(desc, "failed_reason");
	columns.started_at = ColumnNumber(desc, "started_at");
	columns.finished_at = ColumnNumber(desc, "finished_at");
	columns.heartbeat_at = ColumnNumber(desc, "heartbeat_at");
	columns.updated_at = ColumnNumber(desc, "updated_at");
	columns.available_at = ColumnNumber(desc, "available_at");
	columns.data = ColumnNumber(desc, "data");
	columns.relid = RelationGetRelid(rel);
	columns.natts = desc->natts;
	return &columns;
}

/* GetColumn returns a column of a job row. */
static Datum
GetColumn(HeapTuple tuple, TupleDesc desc, AttrNumber attno, bool *isnull)
{
	return heap_getattr(tuple, attno, desc, isnull);
}

/* SetColumn queues a new value (NULL when isnull) for a column. */
static void
SetColumn(RowChanges *changes, AttrNumber attno, Datum value, bool isnull)
{
	Assert(changes->count < lengthof(changes->columns));
	changes->columns[changes->count] = attno;
	changes->values[changes->count] = value;
	changes->nulls[changes->count] = isnull;
	changes->count++;
}

/* NumericCompare compares a numeric with an integer, NaN above everything. */
static int
NumericCompare(Datum value, int64 bound)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, value,
											 NumericGetDatum(int64_to_numeric(bound))));
}

/* ValidateTags raises 22023 unless tags is a JSON object. */
static void
ValidateTags(int64 job_id, Datum value)
{
	Jsonb	   *tags = DatumGetJsonbP(value);

	if (!JB_ROOT_IS_OBJECT(tags) || JB_ROOT_IS_SCALAR(tags))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags of job %lld must be a JSON object", (long long) job_id),
				 errdetail("The value given is a JSON %s.",
						   JB_ROOT_IS_SCALAR(tags) ? "scalar" : "array"),
				 errhint("Pass tags as an object such as '{\"customer\": \"42\"}'.")));
}

/* ValidateProgressCount raises 22023 for a negative current or total, or total below current. */
void
ValidateProgressCount(int64 job_id, int64 current, bool cur_null, int64 total, bool tot_null)
{
	if ((!cur_null && current < 0) || (!tot_null && total < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("progress of job %lld must not be negative", (long long) job_id),
				 errdetail("Got current %s and total %s.",
						   cur_null ? "NULL" : psprintf("%lld", (long long) current),
						   tot_null ? "NULL" : psprintf("%lld", (long long) total))));
	if (!cur_null && !tot_null && total < current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("progress total of job %lld is below its current value", (long long) job_id),
				 errdetail("Got current %lld and total %lld.", (long long) current, (long long) total)));
}

/* ValidatePercentage raises 22023 for a percentage outside 0 to 100 (NaN included). */
void
ValidatePercentage(int64 job_id, Datum value)
{
	if (NumericCompare(value, 0) < 0 || NumericCompare(value, 100) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("percentage of job %lld must be between 0 and 100", (long long) job_id),
				 errdetail("Got %s.", DatumGetCString(DirectFunctionCall1(numeric_out, value)))));
}

/* ValidateProgress checks the current and total of a job row. */
static void
ValidateProgress(int64 job_id, HeapTuple tuple, TupleDesc desc)
{
	bool		cur_null,
				tot_null;
	int64		current = DatumGetInt64(GetColumn(tuple, desc, columns.progress_current, &cur_null));
	int64		total = DatumGetInt64(GetColumn(tuple, desc, columns.progress_total, &tot_null));

	ValidateProgressCount(job_id, current, cur_null, total, tot_null);
}

/*
 * ValidateLength raises 22023 for a name longer than JOBTRACK_MAX_NAME_BYTES:
 * such a value could not be indexed, and no job system names a job that long.
 */
static void
ValidateLength(int64 job_id, HeapTuple tuple, TupleDesc desc, AttrNumber attno, const char *name)
{
	bool		isnull;
	Datum		value = GetColumn(tuple, desc, attno, &isnull);
	Size		len;

	if (isnull)
		return;
	len = VARSIZE_ANY_EXHDR(DatumGetPointer(PG_DETOAST_DATUM_PACKED(value)));
	if (len > JOBTRACK_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of job %lld is too long", name, (long long) job_id),
				 errdetail("It has %zu bytes; at most %d are allowed.", len, JOBTRACK_MAX_NAME_BYTES),
				 errhint("Put long values into tags or data.")));
}

/* ValidateRow checks the values of a job row that its types do not. */
static void
ValidateRow(int64 job_id, HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	Datum		value;

	ValidateLength(job_id, tuple, desc, columns.job_type, "job_type");
	ValidateLength(job_id, tuple, desc, columns.alias, "alias");
	ValidateLength(job_id, tuple, desc, columns.external_id, "external_id");

	value = GetColumn(tuple, desc, columns.tags, &isnull);
	if (!isnull)
		ValidateTags(job_id, value);

	value = GetColumn(tuple, desc, columns.percentage, &isnull);
	if (!isnull)
		ValidatePercentage(job_id, value);
	ValidateProgress(job_id, tuple, desc);
}

/* StampStatusChange sets the columns a change of status moves along with it. */
static void
StampStatusChange(RowChanges *changes, HeapTuple oldtuple, TupleDesc desc,
				  JobStatus from, JobStatus to)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	bool		isnull;

	if (TransitionIsRetry(from, to))
	{
		int32		attempts = DatumGetInt32(GetColumn(oldtuple, desc, columns.attempts, &isnull));

		SetColumn(changes, columns.attempts, Int32GetDatum(isnull ? 1 : attempts + 1), false);
		SetColumn(changes, columns.started_at, (Datum) 0, true);
		SetColumn(changes, columns.finished_at, (Datum) 0, true);
		SetColumn(changes, columns.heartbeat_at, (Datum) 0, true);
		SetColumn(changes, columns.failed_reason, (Datum) 0, true);
		SetColumn(changes, columns.percentage, NumericGetDatum(int64_to_numeric(0)), false);
		SetColumn(changes, columns.progress_current, (Datum) 0, true);
		SetColumn(changes, columns.progress_total, (Datum) 0, true);
	}
	else if (to == JOB_STARTED)
	{
		(void) GetColumn(oldtuple, desc, columns.started_at, &isnull);
		if (isnull)
			SetColumn(changes, columns.started_at, now, false);
		/* a resumed job (from paused or stuck) is alive now */
		SetColumn(changes, columns.heartbeat_at, now, JobStatusIsQueued(from));
	}
	else if (JobStatusIsFinished(to))
	{
		SetColumn(changes, columns.finished_at, now, false);
		if (to == JOB_SUCCEEDED)
			SetColumn(changes, columns.percentage, NumericGetDatum(int64_to_numeric(100)), false);
	}
}

/* JobId returns the id of a job row. */
static int64
JobId(HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;

	return DatumGetInt64(GetColumn(tuple, desc, columns.id, &isnull));
}

/* GroupId returns the group of a job row, or 0 when it has none. */
static int64
GroupId(HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	Datum		value = GetColumn(tuple, desc, columns.group_id, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

/*
 * StatusIsNull is true for a row without a status; the trigger lets it pass
 * so that the NOT NULL constraint reports it (23502).
 */
static bool
StatusIsNull(HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;

	(void) GetColumn(tuple, desc, columns.status, &isnull);
	return isnull;
}

/* Status returns the status of a job row. */
static JobStatus
Status(HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;

	return JobStatusFromDatum(GetColumn(tuple, desc, columns.status, &isnull));
}

/*
 * GuardInsert checks a new job row and fills the times its status implies
 * but the row lacks (a plain INSERT of a started job gets started_at), so
 * that maintenance finds delayed and started jobs inserted by hand.
 */
static HeapTuple
GuardInsert(HeapTuple tuple, TupleDesc desc)
{
	JobStatus	status = Status(tuple, desc);
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	RowChanges	changes = {0};
	bool		isnull;

	ValidateRow(JobId(tuple, desc), tuple, desc);
	if (status == JOB_DELAYED)
	{
		(void) GetColumn(tuple, desc, columns.available_at, &isnull);
		if (isnull)
			SetColumn(&changes, columns.available_at, now, false);
	}
	/* a paused or cancelled job may never have started: leave started_at as given */
	if (status != JOB_QUEUED && status != JOB_DELAYED &&
		status != JOB_PAUSED && status != JOB_CANCELLED)
	{
		(void) GetColumn(tuple, desc, columns.started_at, &isnull);
		if (isnull)
			SetColumn(&changes, columns.started_at, now, false);
	}
	if (JobStatusIsFinished(status))
	{
		(void) GetColumn(tuple, desc, columns.finished_at, &isnull);
		if (isnull)
			SetColumn(&changes, columns.finished_at, now, false);
	}
	if (changes.count == 0)
		return tuple;
	return heap_modify_tuple_by_cols(tuple, desc, changes.count,
									 changes.columns, changes.values, changes.nulls);
}

/* SameText is true when two nullable text columns are equal. */
static bool
SameText(HeapTuple a, HeapTuple b, TupleDesc desc, AttrNumber attno)
{
	bool		a_null,
				b_null;
	Datum		a_value = GetColumn(a, desc, attno, &a_null);
	Datum		b_value = GetColumn(b, desc, attno, &b_null);

	if (a_null || b_null)
		return a_null == b_null;
	return DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, a_value, b_value));
}

/* CheckFixedColumns refuses a change of a job's id, external id or group. */
static void
CheckFixedColumns(HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc)
{
	int64		job_id = JobId(oldtuple, desc);

	if (!SameText(oldtuple, newtuple, desc, columns.external_id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot change the external id of job %lld", (long long) job_id),
				 errdetail("A job's external id is fixed when the job is created.")));

	if (JobId(newtuple, desc) != job_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot change the id of job %lld", (long long) job_id)));
	if (GroupId(newtuple, desc) != GroupId(oldtuple, desc))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot move job %lld to another group", (long long) job_id),
				 errdetail("A job's group is fixed when the job is created.")));
}

/* Unchanged is true when an update leaves a column as it was. */
static bool
Unchanged(HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc, AttrNumber attno)
{
	Form_pg_attribute att = TupleDescAttr(desc, attno - 1);
	bool		old_null,
				new_null;
	Datum		old_value = GetColumn(oldtuple, desc, attno, &old_null);
	Datum		new_value = GetColumn(newtuple, desc, attno, &new_null);

	if (old_null || new_null)
		return old_null == new_null;
	return datum_image_eq(old_value, new_value, att->attbyval, att->attlen);
}

/*
 * FoldLiveValues carries a started job's live progress (live.c) into the
 * columns this update leaves as they were, and forgets the job's slot when
 * the update commits: from then on the row holds the values, so a status
 * change writes the final progress in its own transaction.  The flush's
 * own update passes by.
 */
static void
FoldLiveValues(RowChanges *changes, HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc,
			   int64 job_id, JobStatus from)
{
	LiveValues	live;

	if (LiveFlushing() || !LiveLookup(job_id, &live))
		return;
	if (from == JOB_STARTED)
	{
		if (live.has_percentage && Unchanged(oldtuple, newtuple, desc, columns.percentage))
			SetColumn(changes, columns.percentage, NumericGetDatum(live.percentage), false);
		if (live.has_count && Unchanged(oldtuple, newtuple, desc, columns.progress_current) &&
			Unchanged(oldtuple, newtuple, desc, columns.progress_total))
		{
			SetColumn(changes, columns.progress_current, Int64GetDatum(live.current), false);
			SetColumn(changes, columns.progress_total, Int64GetDatum(live.total), false);
		}
		if (live.has_heartbeat && Unchanged(oldtuple, newtuple, desc, columns.heartbeat_at))
			SetColumn(changes, columns.heartbeat_at, TimestampTzGetDatum(live.heartbeat_at), false);
	}
	LiveForgetAtCommit(job_id, live.version);
}

/* GuardUpdate checks a change of a job row and stamps what moves with it. */
static HeapTuple
GuardUpdate(HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc)
{
	int64		job_id = JobId(oldtuple, desc);
	JobStatus	from = Status(oldtuple, desc);
	JobStatus	to = Status(newtuple, desc);
	RowChanges	changes = {0};
	HeapTuple	result;

	CheckFixedColumns(oldtuple, newtuple, desc);
	FoldLiveValues(&changes, oldtuple, newtuple, desc, job_id, from);
	if (from != to)
	{
		CheckTransition(job_id, from, to);
		StampStatusChange(&changes, oldtuple, desc, from, to);
	}
	SetColumn(&changes, columns.updated_at,
			  TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);

	result = heap_modify_tuple_by_cols(newtuple, desc, changes.count,
									   changes.columns, changes.values, changes.nulls);
	ValidateRow(job_id, result, desc);
	return result;
}

/*
 * GuardJobInsert is the guard for a new job, for the trigger and for a row
 * jobtrack writes without a statement (direct_insert.c): it returns the
 * row to write in place of tuple, or raises.
 */
HeapTuple
GuardJobInsert(Relation rel, HeapTuple tuple)
{
	JobStatusColumns(rel);
	return StatusIsNull(tuple, RelationGetDescr(rel)) ? tuple :
		GuardInsert(tuple, RelationGetDescr(rel));
}

/*
 * GuardJobUpdate is the guard for a change of a job's status that jobtrack
 * writes without a statement (direct_update.c): it returns the row to write
 * in place of newtuple, or raises what the trigger would.
 */
HeapTuple
GuardJobUpdate(Relation rel, HeapTuple oldtuple, HeapTuple newtuple)
{
	JobStatusColumns(rel);
	return GuardUpdate(oldtuple, newtuple, RelationGetDescr(rel));
}

/*
 * SequenceLastValue sets *last to the last value a sequence handed out and
 * returns true, or returns false when it has handed out none.  Read as the
 * extension's owner: the inserting role may lack SELECT on the sequence.
 */
static bool
SequenceLastValue(Oid seqid, int64 *last)
{
	LOCAL_FCINFO(fcinfo, 1);
	Oid			save_userid;
	int			save_sec_context;
	Datum		value;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(seqid);
	fcinfo->args[0].isnull = false;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(JobtrackOwner(), save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	value = pg_sequence_last_value(fcinfo);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (fcinfo->isnull)
		return false;
	*last = DatumGetInt64(value);
	return true;
}

/*
 * RefuseFutureId refuses a new job whose id the inserting role chose above
 * the ids the sequence has handed out: create_job() would later draw that
 * id and fail on the primary key, for every role, once per id so taken.
 * An id below was handed out before (to a job, or lost to a rollback) and
 * takes nothing from anyone.  Superusers and the extension's owner, who
 * restore dumps, may choose any id.  Not on a Citus node's shard, whose
 * sequence hands out nothing (the coordinator's does).
 */
static void
RefuseFutureId(Relation rel, HeapTuple tuple)
{
	int64		job_id;
	int64		last;

	if (RelationGetRelid(rel) != JobtrackRelid("job_status") ||
		superuser() || has_privs_of_role(GetUserId(), JobtrackOwner()))
		return;
	job_id = JobId(tuple, RelationGetDescr(rel));
	if (!SequenceLastValue(JobtrackRelid("job_status_id_seq"), &last) || job_id > last)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot give a new job the id %lld", (long long) job_id),
				 errdetail("Job ids above those jobtrack.job_status_id_seq has handed out are reserved for jobs to come."),
				 errhint("Leave the id out: the sequence hands it out.")));
}

/* SQL-callable: trigger jobtrack_internal.job_status_guard() */
PG_FUNCTION_INFO_V1(jobtrack_job_status_guard);
Datum
jobtrack_job_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "jobtrack_internal.job_status_guard() must run as a BEFORE INSERT OR UPDATE ROW trigger");

	JobStatusColumns(trigdata->tg_relation);
	desc = RelationGetDescr(trigdata->tg_relation);

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		RefuseFutureId(trigdata->tg_relation, trigdata->tg_trigtuple);
		return PointerGetDatum(GuardJobInsert(trigdata->tg_relation, trigdata->tg_trigtuple));
	}
	return PointerGetDatum(StatusIsNull(trigdata->tg_newtuple, desc) ? trigdata->tg_newtuple :
						   GuardUpdate(trigdata->tg_trigtuple, trigdata->tg_newtuple, desc));
}
