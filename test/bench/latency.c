/*-------------------------------------------------------------------------
 *
 * latency.c
 *		Event latency probe of the jobtrack benchmark (workload 3).
 *
 * For each of N groups it creates a group with one job, starts the job, and
 * then finishes it with succeed_job() on a writer connection, autocommit.
 * It takes the time at which that statement's result (after its COMMIT)
 * arrives, and the time at which a second connection, LISTENing on
 * jobtrack_events, receives the group.completed notification of that group.
 * Both sockets are polled together, so the arrival time of a notification
 * is not delayed by waiting on the writer.  latency = arrival - commit
 * returned; a notification that arrives before the writer has read its
 * result counts as 0 (it is counted separately as "early").
 *
 * Interleaved with each jobtrack group it measures the baseline: the same
 * job in plain SQL on bench_base.job_status, where the finishing
 * transaction itself checks that no job of the group is unfinished and
 * sends the NOTIFY (what an application without jobtrack would do).
 *
 * Output, one line per sample on stdout: "jobtrack <ms>" or
 * "baseline <ms>"; for jobtrack also "wake <ms>", from the writer's commit
 * to the start of the evaluator pass that raised the event (the payload's
 * "at"), and "deliver <ms>", from there to the notification's arrival
 * (wall clock, same machine).  Then "missed <side> <n>" and
 * "early <side> <n>".
 *
 * Usage: latency CONNINFO GROUPS [TIMEOUT_MS]
 *
 * Second mode, reader visibility delay (row 1d):
 *
 *		latency visibility READER_CONNINFO WRITER_CONNINFO SAMPLES
 *
 * A writer connection creates and starts a job, then sets SAMPLES new
 * percentages one after another with set_progress(job, pct), each its own
 * transaction (live or durable as the writer's jobtrack.live_progress says:
 * pass it in WRITER_CONNINFO's options).  While a write is under way, a
 * reader connection polls jobtrack.percentage(job) in a tight loop
 * (prepared, extended protocol), and between its polls the program picks
 * up the writer's result without waiting for it.  written = the moment the
 * writer's result arrived (the writer knows its value is set); seen = the
 * arrival of the first poll result that shows the new value.  Output:
 * "visible <ms>" per sample, max(0, seen - written), "write <ms>" (the
 * writer's round trip) and "poll <ms>" (the mean round trip of the polls in
 * that sample, the resolution of the figure); then "early N" (samples
 * seen before the writer's result arrived) and "missed N" (not seen in 5 s).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		test/bench/latency.c
 *
 *-------------------------------------------------------------------------
 */
#define _DEFAULT_SOURCE			/* timegm */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#define JOBTRACK_CHANNEL "jobtrack_events"
#define BASELINE_CHANNEL "bench_base_events"

static PGconn *writer;
static PGconn *listener;

/* Now returns a monotonic clock reading in milliseconds. */
static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* WallNow returns the wall clock in milliseconds since the epoch. */
static double
WallNow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * EventAt returns the payload's "at" (2026-01-02T03:04:05.678901+00:00) in
 * milliseconds since the epoch, or -1.
 */
static double
EventAt(const char *payload)
{
	const char *p = strstr(payload, "\"at\": \"");
	struct tm	tm;
	double		sec;
	char		sign = '+';
	int			oh = 0,
				om = 0;

	if (p == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p + strlen("\"at\": \""), "%d-%d-%dT%d:%d:%lf%c%d:%d", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &sec, &sign, &oh, &om) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ((double) timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60)) * 1000.0 +
		sec * 1000.0;
}

/* Die prints a message and the connection's error, and exits 1. */
static void
Die(const char *what, PGconn *conn)
{
	fprintf(stderr, "latency: %s: %s", what, conn ? PQerrorMessage(conn) : "\n");
	exit(1);
}

/* Connect opens a connection or exits. */
static PGconn *
Connect(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
		Die("could not connect", conn);
	return conn;
}

/* Command runs a statement that returns nothing of interest, or exits. */
static void
Command(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		Die(sql, conn);
	PQclear(res);
}

/* ScalarInt64 runs a one-row, one-column query with one parameter, or exits. */
static long long
ScalarInt64(const char *sql, const char *param)
{
	const char *values[1] = {param};
	PGresult   *res = PQexecParams(writer, sql, param ? 1 : 0, NULL, values, NULL, NULL, 0);
	long long	result;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		Die(sql, writer);
	result = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return result;
}

/*
 * IsCompletion is true when a notification says that group_id completed on
 * the expected channel: the payload holds "event": "group.completed" and
 * "group_id": N (json_build_object writes " : ", jobtrack ": ").
 */
static int
IsCompletion(const PGnotify *n, const char *channel, long long group_id)
{
	const char *at;

	if (strcmp(n->relname, channel) != 0 || strstr(n->extra, "\"group.completed\"") == NULL)
		return 0;
	at = strstr(n->extra, "\"group_id\"");
	if (at == NULL)
		return 0;
	at += strlen("\"group_id\"");
	while (*at == ' ' || *at == ':')
		at++;
	return strtoll(at, NULL, 10) == group_id;
}

/*
 * Finish sends sql (the finishing statement) on the writer and waits for
 * both its result and the group's completion notification; returns the
 * latency in ms, or -1 after timeout_ms.  *early is set when the
 * notification came before the writer's result.
 */
static double
Finish(const char *sql, const char *channel, long long group_id, int timeout_ms, int *early,
	   double *wake, double *deliver)
{
	double		start = Now();
	double		committed = 0;
	double		arrived = 0;
	double		committed_wall = 0;
	double		arrived_wall = 0;
	double		at = -1;
	int			writer_done = 0;
	int			notified = 0;

	*early = 0;
	if (!PQsendQuery(writer, sql))
		Die("could not send the finishing statement", writer);

	while (!writer_done || !notified)
	{
		struct pollfd fds[2];
		int			nfds = 0;
		int			left = timeout_ms - (int) (Now() - start);
		PGnotify   *n;

		if (left <= 0)
		{
			/* drain the writer so that the next statement can be sent */
			while (!writer_done)
			{
				PGresult   *res = PQgetResult(writer);

				if (res == NULL)
					writer_done = 1;
				PQclear(res);
			}
			return -1;
		}
		fds[nfds].fd = PQsocket(listener);
		fds[nfds++].events = POLLIN;
		if (!writer_done)
		{
			fds[nfds].fd = PQsocket(writer);
			fds[nfds++].events = POLLIN;
		}
		if (poll(fds, nfds, left) < 0 && errno != EINTR)
		{
			perror("latency: poll");
			exit(1);
		}

		if (!writer_done)
		{
			if (!PQconsumeInput(writer))
				Die("lost the writer", writer);
			while (!writer_done && !PQisBusy(writer))
			{
				PGresult   *res = PQgetResult(writer);

				if (res == NULL)
				{
					writer_done = 1;
					committed = Now();
					committed_wall = WallNow();
					break;
				}
				if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
					Die(sql, writer);
				PQclear(res);
			}
		}

		if (!PQconsumeInput(listener))
			Die("lost the listener", listener);
		while ((n = PQnotifies(listener)) != NULL)
		{
			if (!notified && IsCompletion(n, channel, group_id))
			{
				notified = 1;
				arrived = Now();
				arrived_wall = WallNow();
				at = EventAt(n->extra);
				*early = !writer_done;
			}
			PQfreemem(n);
		}
	}
	*wake = at < 0 ? -1 : at - committed_wall;
	*deliver = at < 0 ? -1 : arrived_wall - at;
	return arrived > committed ? arrived - committed : 0.0;
}

/* PollValue runs the prepared percentage query on the reader, returns its value */
static double
PollValue(PGconn *reader, const char *job)
{
	const char *values[1] = {job};
	PGresult   *res = PQexecPrepared(reader, "get", 1, values, NULL, NULL, 0);
	double		v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		Die("jobtrack.percentage", reader);
	v = PQgetisnull(res, 0, 0) ? -1 : atof(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* Prepare prepares a statement or exits */
static void
Prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	PGresult   *res = PQprepare(conn, name, sql, nparams, NULL);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		Die(sql, conn);
	PQclear(res);
}

/* Visibility is the reader visibility mode (see the head comment). */
static int
Visibility(const char *reader_info, const char *writer_info, int samples)
{
	PGconn	   *reader = Connect(reader_info);
	char		job[32];
	char		pct[32];
	int			early = 0;
	int			missed = 0;
	int			i;

	writer = Connect(writer_info);
	snprintf(job, sizeof(job), "%lld", ScalarInt64("SELECT jobtrack.create_job('BenchVisibility')", NULL));
	(void) ScalarInt64("SELECT 1 FROM jobtrack.start_job($1::bigint)", job);
	Prepare(writer, "set", "SELECT jobtrack.set_progress($1::bigint, $2::numeric)", 2);
	Prepare(reader, "get", "SELECT jobtrack.percentage($1::bigint)", 1);

	for (i = 0; i < samples; i++)
	{
		const char *values[2] = {job, pct};
		int			v = i % 98 + 1;	/* never the value before */
		double		sent;
		double		written = 0;
		double		seen = 0;
		double		poll_total = 0;
		int			polls = 0;
		int			writer_done = 0;

		snprintf(pct, sizeof(pct), "%d", v);
		sent = Now();
		if (!PQsendQueryPrepared(writer, "set", 2, values, NULL, NULL, 0))
			Die("could not send set_progress", writer);
		while (!writer_done || seen == 0)
		{
			if (seen == 0)
			{
				double		before = Now();
				double		got = PollValue(reader, job);
				double		after = Now();

				poll_total += after - before;
				polls++;
				if (got >= v - 0.001 && got <= v + 0.001)
					seen = after;
			}
			if (!writer_done)
			{
				if (!PQconsumeInput(writer))
					Die("lost the writer", writer);
				while (!writer_done && !PQisBusy(writer))
				{
					PGresult   *res = PQgetResult(writer);

					if (res == NULL)
					{
						writer_done = 1;
						written = Now();
						break;
					}
					if (PQresultStatus(res) != PGRES_TUPLES_OK)
						Die("set_progress", writer);
					PQclear(res);
				}
				/* nothing to poll for: wait for the writer without spinning */
				if (!writer_done && seen != 0)
				{
					struct pollfd fd = {PQsocket(writer), POLLIN, 0};

					(void) poll(&fd, 1, 100);
				}
			}
			if (seen == 0 && Now() - sent > 5000)
				break;
		}
		if (seen == 0)
		{
			missed++;
			while (!writer_done)
			{
				PGresult   *res = PQgetResult(writer);

				if (res == NULL)
					writer_done = 1;
				PQclear(res);
			}
			continue;
		}
		if (seen < written)
			early++;
		printf("visible %.4f\nwrite %.4f\npoll %.4f\n", seen > written ? seen - written : 0.0,
			   written - sent, polls ? poll_total / polls : 0.0);
	}
	(void) ScalarInt64("SELECT 1 FROM jobtrack.succeed_job($1::bigint)", job);
	printf("early %d\nmissed %d\n", early, missed);
	PQfinish(reader);
	PQfinish(writer);
	return 0;
}

int
main(int argc, char **argv)
{
	int			groups;
	int			timeout_ms;
	int			missed[2] = {0, 0};
	int			early_count[2] = {0, 0};
	char		sql[1024];
	char		param[64];
	int			i;

	if (argc == 5 && strcmp(argv[1], "visibility") == 0)
		return Visibility(argv[2], argv[3], atoi(argv[4]));
	if (argc < 3)
	{
		fprintf(stderr, "usage: latency CONNINFO GROUPS [TIMEOUT_MS]\n"
				"       latency visibility READER_CONNINFO WRITER_CONNINFO SAMPLES\n");
		return 2;
	}
	groups = atoi(argv[2]);
	timeout_ms = argc > 3 ? atoi(argv[3]) : 10000;

	writer = Connect(argv[1]);
	listener = Connect(argv[1]);
	Command(listener, "LISTEN " JOBTRACK_CHANNEL);
	Command(listener, "LISTEN " BASELINE_CHANNEL);

	for (i = 0; i < groups; i++)
	{
		long long	group_id;
		long long	job_id;
		double		ms;
		double		wake;
		double		deliver;
		int			early;

		/* jobtrack: a group with one job; finishing it completes the group */
		snprintf(param, sizeof(param), "latency-%d-%d", (int) getpid(), i);
		group_id = ScalarInt64("SELECT jobtrack.create_group($1, time_to_check => '1 hour')", param);
		snprintf(param, sizeof(param), "%lld", group_id);
		job_id = ScalarInt64("SELECT jobtrack.create_job('Latency', group_id => $1::bigint)", param);
		snprintf(param, sizeof(param), "%lld", job_id);
		(void) ScalarInt64("SELECT 1 FROM jobtrack.start_job($1::bigint)", param);
		snprintf(sql, sizeof(sql), "SELECT jobtrack.succeed_job(%lld::bigint)", job_id);
		ms = Finish(sql, JOBTRACK_CHANNEL, group_id, timeout_ms, &early, &wake, &deliver);
		if (ms < 0)
			missed[0]++;
		else
		{
			printf("jobtrack %.3f\n", ms);
			if (wake != -1)
				printf("wake %.3f\ndeliver %.3f\n", wake, deliver);
		}
		early_count[0] += early;

		/* baseline: the finishing transaction checks its group and notifies */
		job_id = ScalarInt64("INSERT INTO bench_base.job_status (job_type) VALUES ('Latency')"
							 " RETURNING id", NULL);
		group_id = 1000000000LL + job_id;
		snprintf(param, sizeof(param), "%lld", job_id);
		(void) ScalarInt64("WITH u AS (UPDATE bench_base.job_status SET status = 'started',"
						   " started_at = now(), updated_at = now(), group_id = 1000000000 + id"
						   " WHERE id = $1::bigint RETURNING 1) SELECT count(*) FROM u", param);
		snprintf(sql, sizeof(sql),
				 "BEGIN;"
				 " UPDATE bench_base.job_status SET status = 'succeeded', finished_at = now(),"
				 "  percentage = 100, updated_at = now() WHERE id = %lld;"
				 " SELECT pg_notify('" BASELINE_CHANNEL "',"
				 "  json_build_object('event', 'group.completed', 'group_id', %lld)::text)"
				 "  WHERE NOT EXISTS (SELECT 1 FROM bench_base.job_status WHERE group_id = %lld"
				 "   AND status NOT IN ('succeeded', 'failed', 'cancelled'));"
				 " COMMIT",
				 job_id, group_id, group_id);
		ms = Finish(sql, BASELINE_CHANNEL, group_id, timeout_ms, &early, &wake, &deliver);
		if (ms < 0)
			missed[1]++;
		else
			printf("baseline %.3f\n", ms);
		early_count[1] += early;
		fflush(stdout);
	}

	printf("missed jobtrack %d\nmissed baseline %d\n", missed[0], missed[1]);
	printf("early jobtrack %d\nearly baseline %d\n", early_count[0], early_count[1]);
	PQfinish(writer);
	PQfinish(listener);
	return 0;
}
