/*-------------------------------------------------------------------------
 *
 * signals.c
 *		Signals sent to jobs: send_signal, request_cancel, take_signals.
 *
 * Signals are cooperative: the job's own code polls take_signals(), which
 * hands each signal out exactly once even when two pollers race (the second
 * waits for the first's row locks and then finds the signals handled).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/signals.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "jobref.h"
#include "spi_util.h"

static SavedQuery send_signal_query = {
	"INSERT INTO jobtrack.job_signal (job_id, group_id, signal, parameters, cancel_job, owner)"
	" SELECT j.id, j.group_id, $2, $3, $4, j.owner"
	" FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) $1"
	" RETURNING id",
	4, {INT8OID, TEXTOID, JSONBOID, BOOLOID}, false
};

/* the same on a schema before 2.0, whose signals have no owner */
static SavedQuery send_signal_without_owner_query = {
	"INSERT INTO jobtrack.job_signal (job_id, group_id, signal, parameters, cancel_job)"
	" SELECT j.id, j.group_id, $2, $3, $4"
	" FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) $1"
	" RETURNING id",
	4, {INT8OID, TEXTOID, JSONBOID, BOOLOID}, false
};

static SavedQuery job_exists_query = {
	"SELECT 1 FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

static SavedQuery take_signals_query = {
	"WITH taken AS (UPDATE jobtrack.job_signal SET handled_at = pg_catalog.now()"
	" WHERE job_id OPERATOR(pg_catalog.=) $1 AND handled_at IS NULL RETURNING *)"
	" SELECT * FROM taken ORDER BY id",
	1, {INT8OID}, false
};

/* SendSignal inserts a signal for the job named by argument 0 and returns its id. */
static int64
SendSignal(FunctionCallInfo fcinfo, Datum signal, Datum parameters, bool cancel_job)
{
	JobRef		job;
	Datum		values[4];
	int64		signal_id;

	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	values[0] = Int64GetDatum(job.id);
	values[1] = signal;
	values[2] = parameters;
	values[3] = BoolGetDatum(cancel_job);
	if (RunSavedQuery(JobtrackTableHasColumn("job_signal", "owner") ? &send_signal_query :
					  &send_signal_without_owner_query, values, NULL) == 0)
		ReportJobNotFound(&job);
	signal_id = SpiResultInt64(0, 1);
	SPI_finish();
	return signal_id;
}

/* SQL-callable: jobtrack.send_signal(job_id | external_id, signal, parameters, cancel_job) */
PG_FUNCTION_INFO_V1(jobtrack_send_signal);
Datum
jobtrack_send_signal(PG_FUNCTION_ARGS)
{
	Jsonb	   *parameters;

	RequireArgument(fcinfo, 1, "signal");
	RequireArgument(fcinfo, 2, "parameters");
	RequireArgument(fcinfo, 3, "cancel_job");
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signal must not be empty")));
	parameters = PG_GETARG_JSONB_P(2);
	if (!JB_ROOT_IS_OBJECT(parameters) || JB_ROOT_IS_SCALAR(parameters))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signal parameters must be a JSON object")));

	PG_RETURN_INT64(SendSignal(fcinfo, PG_GETARG_DATUM(1), JsonbPGetDatum(parameters),
							   PG_GETARG_BOOL(3)));
}

/* SQL-callable: jobtrack.request_cancel(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_request_cancel);
Datum
jobtrack_request_cancel(PG_FUNCTION_ARGS)
{
	Datum		parameters = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));

	PG_RETURN_INT64(SendSignal(fcinfo, CStringGetTextDatum("cancel"), parameters, true));
}

/* SQL-callable: jobtrack.take_signals(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_take_signals);
Datum
jobtrack_take_signals(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	JobRef		job;
	Datum		id;
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	id = Int64GetDatum(job.id);
	if (RunSavedQuery(&job_exists_query, &id, NULL) == 0)
		ReportJobNotFound(&job);

	RunSavedQuery(&take_signals_query, &id, NULL);
	for (i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	SPI_finish();
	return (Datum) 0;
}
