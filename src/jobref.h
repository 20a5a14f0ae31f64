/*-------------------------------------------------------------------------
 *
 * jobref.h
 *		A job named by id or by external id, and checks of arguments.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/jobref.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_JOBREF_H
#define JOBTRACK_JOBREF_H

#include "postgres.h"

#include "fmgr.h"

/* what names a job in an error: its id, or the external id it was called by */
typedef struct JobRef
{
	int64		id;
	char	   *external_id;	/* NULL when called by id */
} JobRef;

extern JobRef JobRefArgument(FunctionCallInfo fcinfo, int argno);
extern void ReportJobNotFound(const JobRef *job) pg_attribute_noreturn();
extern bool JobVisible(int64 job_id);
extern void RequireArgument(FunctionCallInfo fcinfo, int argno, const char *name);

#endif							/* JOBTRACK_JOBREF_H */
