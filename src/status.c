/*-------------------------------------------------------------------------
 *
 * status.c
 *		Job statuses: the enum <-> C mapping, the transition table and the
 *		status predicates.
 *
 * This file is the only place that decides whether a job may move from
 * one status to another.  The job_status_guard trigger calls
 * CheckTransition() for every change of a job row, whichever function or
 * plain UPDATE asked for it.
 *
 * The enum's label OIDs are looked up once per backend and forgotten when
 * any type changes, so a DROP and CREATE EXTENSION in one session works.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "status.h"

const char *const JobStatusNames[JOB_STATUS_COUNT] = {
	"queued", "delayed", "started", "paused", "stuck", "succeeded", "failed", "cancelled"
};

#define BIT(s) (1 << (s))

/* allowed next statuses of each status (the status machine of the README) */
static const int AllowedNext[JOB_STATUS_COUNT] = {
	[JOB_QUEUED] = BIT(JOB_STARTED) | BIT(JOB_DELAYED) | BIT(JOB_PAUSED) | BIT(JOB_CANCELLED),
	[JOB_DELAYED] = BIT(JOB_QUEUED) | BIT(JOB_STARTED) | BIT(JOB_CANCELLED),
	[JOB_STARTED] = BIT(JOB_SUCCEEDED) | BIT(JOB_FAILED) | BIT(JOB_CANCELLED) |
	BIT(JOB_PAUSED) | BIT(JOB_STUCK),
	[JOB_PAUSED] = BIT(JOB_STARTED) | BIT(JOB_QUEUED) | BIT(JOB_CANCELLED),
	[JOB_STUCK] = BIT(JOB_STARTED) | BIT(JOB_QUEUED) | BIT(JOB_FAILED) | BIT(JOB_CANCELLED),
	[JOB_SUCCEEDED] = 0,
	[JOB_FAILED] = BIT(JOB_QUEUED),
	[JOB_CANCELLED] = BIT(JOB_QUEUED),
};

static bool cache_valid = false;
static uint64 cache_invalidations = 0;
static bool callback_registered = false;
static Oid	status_type_oid = InvalidOid;
static Oid	status_label_oids[JOB_STATUS_COUNT];
static Oid	group_running_oid = InvalidOid;

/* InvalidateStatusCache forgets the looked-up OIDs when any type changes. */
static void
InvalidateStatusCache(Datum arg, int cacheid, uint32 hashvalue)
{
	cache_valid = false;
	cache_invalidations++;
}

/* FillStatusCache looks up jobtrack.status, its labels and group_status's 'running'. */
static void
FillStatusCache(void)
{
	Oid			nsp;
	int			i;

	nsp = get_namespace_oid("jobtrack", false);
	status_type_oid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									  CStringGetDatum("status"),
									  ObjectIdGetDatum(nsp));
	if (!OidIsValid(status_type_oid))
		elog(ERROR, "type jobtrack.status does not exist");

	for (i = 0; i < JOB_STATUS_COUNT; i++)
	{
		status_label_oids[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
											   ObjectIdGetDatum(status_type_oid),
											   CStringGetDatum(JobStatusNames[i]));
		if (!OidIsValid(status_label_oids[i]))
			elog(ERROR, "jobtrack.status has no label \"%s\"", JobStatusNames[i]);
	}
	group_running_oid = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
										ObjectIdGetDatum(GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
																		 CStringGetDatum("group_status"),
																		 ObjectIdGetDatum(nsp))),
										CStringGetDatum("running"));
	if (!OidIsValid(group_running_oid))
		elog(ERROR, "jobtrack.group_status has no label \"running\"");
}

/*
 * LoadStatusCache fills the cache unless it is valid.  A lookup may read the
 * catalogs and so take in invalidations, which then concern the OIDs read
 * before it: the cache is filled again until no invalidation came meanwhile.
 */
static void
LoadStatusCache(void)
{
	uint64		seen;

	if (cache_valid)
		return;
	if (!callback_registered)
	{
		CacheRegisterSyscacheCallback(TYPEOID, InvalidateStatusCache, (Datum) 0);
		callback_registered = true;
	}
	do
	{
		seen = cache_invalidations;
		FillStatusCache();
	} while (seen != cache_invalidations);
	cache_valid = true;
}

/* GroupRunningLabel returns the OID of the label 'running' of jobtrack.group_status. */
Oid
GroupRunningLabel(void)
{
	LoadStatusCache();
	return group_running_oid;
}

/* JobStatusTypeOid returns the OID of the type jobtrack.status. */
Oid
JobStatusTypeOid(void)
{
	LoadStatusCache();
	return status_type_oid;
}

/* JobStatusFromDatum maps a jobtrack.status value to its JobStatus. */
JobStatus
JobStatusFromDatum(Datum value)
{
	Oid			label = DatumGetObjectId(value);
	int			i;

	LoadStatusCache();
	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (status_label_oids[i] == label)
			return (JobStatus) i;
	elog(ERROR, "unknown jobtrack.status label %u", label);
	pg_unreachable();
}

/* JobStatusGetDatum returns the jobtrack.status value of a JobStatus. */
Datum
JobStatusGetDatum(JobStatus status)
{
	LoadStatusCache();
	return ObjectIdGetDatum(status_label_oids[status]);
}

/* JobStatusIsFinished is true for succeeded, failed and cancelled. */
bool
JobStatusIsFinished(JobStatus status)
{
	return status == JOB_SUCCEEDED || status == JOB_FAILED || status == JOB_CANCELLED;
}

/* JobStatusIsQueued is true for queued and delayed. */
bool
JobStatusIsQueued(JobStatus status)
{
	return status == JOB_QUEUED || status == JOB_DELAYED;
}

/* TransitionAllowed says whether a job may move from one status to another. */
bool
TransitionAllowed(JobStatus from, JobStatus to)
{
	return from == to || (AllowedNext[from] & BIT(to)) != 0;
}

/* TransitionIsRetry is true for failed, stuck or cancelled back to queued. */
bool
TransitionIsRetry(JobStatus from, JobStatus to)
{
	return to == JOB_QUEUED &&
		(from == JOB_FAILED || from == JOB_STUCK || from == JOB_CANCELLED);
}

/* AllowedNextText lists the statuses a job may move to from one status. */
static char *
AllowedNextText(JobStatus from)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < JOB_STATUS_COUNT; i++)
	{
		if (!(AllowedNext[from] & BIT(i)))
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, JobStatusNames[i]);
	}
	return buf.data;
}

/*
 * CheckTransition raises SQLSTATE 55000 unless the job may move from one
 * status to the other.
 */
void
CheckTransition(int64 job_id, JobStatus from, JobStatus to)
{
	if (TransitionAllowed(from, to))
		return;

	if (AllowedNext[from] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot change job %lld from %s to %s",
						(long long) job_id, JobStatusNames[from], JobStatusNames[to]),
				 errdetail("A %s job is final and cannot change status.",
						   JobStatusNames[from])));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot change job %lld from %s to %s",
					(long long) job_id, JobStatusNames[from], JobStatusNames[to]),
			 errdetail("A %s job can only move to: %s.",
					   JobStatusNames[from], AllowedNextText(from))));
}

/* SQL-callable: jobtrack.status_from_text(text) */
PG_FUNCTION_INFO_V1(jobtrack_status_from_text);
Datum
jobtrack_status_from_text(PG_FUNCTION_ARGS)
{
	static const struct
	{
		const char *name;
		JobStatus	status;
	}			aliases[] = {
		{"waiting", JOB_QUEUED},
		{"active", JOB_STARTED},
		{"completed", JOB_SUCCEEDED},
		{"released", JOB_QUEUED},
	};
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (strcmp(name, JobStatusNames[i]) == 0)
			PG_RETURN_DATUM(JobStatusGetDatum((JobStatus) i));
	for (i = 0; i < (int) lengthof(aliases); i++)
		if (strcmp(name, aliases[i].name) == 0)
			PG_RETURN_DATUM(JobStatusGetDatum(aliases[i].status));

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input value for enum jobtrack.status: \"%s\"", name),
			 errhint("Use one of queued, delayed, started, paused, stuck, succeeded, failed, cancelled, or BullMQ's waiting, active, completed, or Laravel's released.")));
	PG_RETURN_NULL();
}

/* a status predicate, SQL-callable as jobtrack.<name>(jobtrack.status) */
#define STATUS_PREDICATE(sqlname, test) \
PG_FUNCTION_INFO_V1(jobtrack_##sqlname); \
Datum \
jobtrack_##sqlname(PG_FUNCTION_ARGS) \
{ \
	JobStatus	s = JobStatusFromDatum(PG_GETARG_DATUM(0)); \
	PG_RETURN_BOOL(test); \
}

STATUS_PREDICATE(is_successful, s == JOB_SUCCEEDED)
STATUS_PREDICATE(is_failed, s == JOB_FAILED)
STATUS_PREDICATE(is_cancelled, s == JOB_CANCELLED)
STATUS_PREDICATE(is_running, s == JOB_STARTED)
STATUS_PREDICATE(is_queued, JobStatusIsQueued(s))
STATUS_PREDICATE(has_finished, JobStatusIsFinished(s))
