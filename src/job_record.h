/*-------------------------------------------------------------------------
 *
 * job_record.h
 *		What a job change leaves for others: group changes, external ids.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/job_record.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_JOB_RECORD_H
#define JOBTRACK_JOB_RECORD_H

#include "postgres.h"

#include "access/htup.h"
#include "utils/relcache.h"

#include "spi_util.h"

extern void RecordJobInsert(Relation rel, HeapTuple tuple);
extern void RecordJobUpdate(Relation rel, HeapTuple oldtuple, HeapTuple newtuple);
extern uint64 RunAsExtensionOwner(SavedQuery *query, Datum *values, const char *nulls);
extern bool LookUpExternalId(Datum external_id, int64 *job_id);

#endif							/* JOBTRACK_JOB_RECORD_H */
