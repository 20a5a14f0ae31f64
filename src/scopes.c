/*-------------------------------------------------------------------------
 *
 * scopes.c
 *		The C helpers of the SQL scopes (for_job, where_tag, ...).
 *
 * The scopes themselves are inlinable SQL functions in jobtrack.sql.  The
 * helpers here are IMMUTABLE so that, called with constants, the planner
 * folds them at plan time: a NULL argument or an unknown tag operator fails
 * before any row is read, and where_tag's '=' becomes a containment test
 * against constant objects that the GIN index on tags can answer.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/scopes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "status.h"

static const char *const TagOperators[] = {"=", "!=", "<", "<=", ">", ">="};

/* SQL-callable: jobtrack_internal.check_scope_argument(name, value); raises 22004 for NULL */
PG_FUNCTION_INFO_V1(jobtrack_check_scope_argument);
Datum
jobtrack_check_scope_argument(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null",
						PG_ARGISNULL(0) ? "argument" : text_to_cstring(PG_GETARG_TEXT_PP(0)))));
	PG_RETURN_BOOL(true);
}

/* TagOperatorIndex returns the index of op in TagOperators, raising 22023 for others. */
static int
TagOperatorIndex(const char *op)
{
	int			i;

	for (i = 0; i < (int) lengthof(TagOperators); i++)
		if (strcmp(op, TagOperators[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown tag operator \"%s\"", op),
			 errhint("Use one of =, !=, <, <=, >, >=.")));
	pg_unreachable();
}

/* SQL-callable: jobtrack_internal.check_tag_operator(op) */
PG_FUNCTION_INFO_V1(jobtrack_check_tag_operator);
Datum
jobtrack_check_tag_operator(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("op must not be null")));
	(void) TagOperatorIndex(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_BOOL(true);
}

/* IsJsonText is true when text parses as JSON; it never raises. */
static bool
IsJsonText(const char *text)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen((char *) text, strlen(text),
													   GetDatabaseEncoding(), false);

	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

/* ProbeObject builds the jsonb object {key: value_json}. */
static Datum
ProbeObject(const char *key, const char *value_json)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	escape_json(&buf, key);
	appendStringInfo(&buf, ": %s}", value_json);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/*
 * SQL-callable: jobtrack_internal.tag_probes(key, value) returns the objects a tags
 * column must contain for tags->>key to equal value: {key: "value"}, and
 * {key: value} when value is itself a JSON number, boolean, object or array.
 * The scope rechecks tags->>key = value, so the probes may over-match.
 */
PG_FUNCTION_INFO_V1(jobtrack_tag_probes);
Datum
jobtrack_tag_probes(PG_FUNCTION_ARGS)
{
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	StringInfoData quoted;
	Datum		probes[2];
	int			count = 0;

	initStringInfo(&quoted);
	escape_json(&quoted, value);
	probes[count++] = ProbeObject(key, quoted.data);
	if (value[0] != '"' && IsJsonText(value))
		probes[count++] = ProbeObject(key, value);

	PG_RETURN_ARRAYTYPE_P(construct_array(probes, count, JSONBOID, -1, false, TYPALIGN_INT));
}

/*
 * Text longer than this, or with an exponent beyond it, is compared as
 * text: numeric_in would raise for it (out of range), and one job's tag
 * must never make where_tag() fail for every caller.
 */
#define TAG_NUMBER_MAX_CHARS 1000

/*
 * LooksNumeric is true for text of the form [+-]digits[.digits][e[+-]digits]
 * that numeric_in takes without an error.
 */
static bool
LooksNumeric(const char *s)
{
	bool		digits = false;
	long		exponent = 0;

	if (strlen(s) > TAG_NUMBER_MAX_CHARS)
		return false;

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char) *s); s++)
		digits = true;
	if (*s == '.')
		for (s++; isdigit((unsigned char) *s); s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char) *s))
			return false;
		for (; isdigit((unsigned char) *s); s++)
			if (exponent <= TAG_NUMBER_MAX_CHARS)
				exponent = exponent * 10 + (*s - '0');
	}
	return *s == '\0' && exponent <= TAG_NUMBER_MAX_CHARS;
}

/* CompareTagValues compares as numbers when both read as numbers, else as bytes. */
static int
CompareTagValues(const char *tag, const char *value)
{
	if (LooksNumeric(tag) && LooksNumeric(value))
		return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												 DirectFunctionCall3(numeric_in, CStringGetDatum(tag),
																	 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)),
												 DirectFunctionCall3(numeric_in, CStringGetDatum(value),
																	 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1))));
	return strcmp(tag, value);
}

/* SQL-callable: jobtrack_internal.tag_compare(tag, op, value) */
PG_FUNCTION_INFO_V1(jobtrack_tag_compare);
Datum
jobtrack_tag_compare(PG_FUNCTION_ARGS)
{
	char	   *tag = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			op = TagOperatorIndex(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	int			cmp = CompareTagValues(tag, text_to_cstring(PG_GETARG_TEXT_PP(2)));

	switch (op)
	{
		case 0:
			PG_RETURN_BOOL(cmp == 0);
		case 1:
			PG_RETURN_BOOL(cmp != 0);
		case 2:
			PG_RETURN_BOOL(cmp < 0);
		case 3:
			PG_RETURN_BOOL(cmp <= 0);
		case 4:
			PG_RETURN_BOOL(cmp > 0);
		default:
			PG_RETURN_BOOL(cmp >= 0);
	}
}

/* SQL-callable: jobtrack_internal.other_statuses(statuses) returns every status not listed */
PG_FUNCTION_INFO_V1(jobtrack_other_statuses);
Datum
jobtrack_other_statuses(PG_FUNCTION_ARGS)
{
	ArrayType  *given = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	bool		listed[JOB_STATUS_COUNT] = {false};
	Datum		others[JOB_STATUS_COUNT];
	int			count = 0;
	int			i;

	deconstruct_array(given, JobStatusTypeOid(), sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			listed[JobStatusFromDatum(elems[i])] = true;
	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (!listed[i])
			others[count++] = JobStatusGetDatum((JobStatus) i);

	PG_RETURN_ARRAYTYPE_P(construct_array(others, count, JobStatusTypeOid(),
										  sizeof(Oid), true, TYPALIGN_INT));
}
