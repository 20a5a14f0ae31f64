/*-------------------------------------------------------------------------
 *
 * utility.h
 *		The utility commands jobtrack's launcher and workers must hear of.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/utility.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_UTILITY_H
#define JOBTRACK_UTILITY_H

extern void JobtrackInstallUtilityHook(void);

#endif							/* JOBTRACK_UTILITY_H */
