/*-------------------------------------------------------------------------
 *
 * groups.h
 *		Job groups as the SQL functions see them.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/groups.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_GROUPS_H
#define JOBTRACK_GROUPS_H

#include "postgres.h"

extern void ReportGroupNotFound(int64 group_id);
extern void CheckGroupExists(int64 group_id);

#endif							/* JOBTRACK_GROUPS_H */
