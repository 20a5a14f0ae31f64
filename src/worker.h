/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The worker of one database.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_WORKER_H
#define JOBTRACK_WORKER_H

#include "postgres.h"

extern PGDLLEXPORT void JobtrackWorkerMain(Datum main_arg);

#endif							/* JOBTRACK_WORKER_H */
