/*-------------------------------------------------------------------------
 *
 * groups.h
 *		The group evaluator.
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

extern int	CheckGroups(void);

#endif							/* JOBTRACK_GROUPS_H */
