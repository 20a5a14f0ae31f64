/*-------------------------------------------------------------------------
 *
 * events.c
 *		Raising a group event: a jobtrack.group_event row and a NOTIFY on
 *		jobtrack.notify_channel, in the evaluator's transaction.
 *
 * The row and the notification commit together with the group's new
 * status, so an event is never raised twice nor lost: a crash before the
 * commit leaves the status unchanged and the next check raises the event
 * again, as if for the first time.  NOTIFY's payload must stay under 8000
 * bytes, so the title is cut to 1,000 characters there (and marked); the
 * row keeps it whole.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "events.h"
#include "settings.h"
#include "spi_util.h"
#include "wakeup.h"

#define NOTIFY_TITLE_CHARS 1000

/*
 * A restore loads group_event before it sets the sequence of event ids, and
 * an evaluator may run in between; so before a pass raises its first event,
 * the sequence is moved past every stored id.  A restore's later setval()
 * can move it back, and the next pass moves it on again.  Only a sequence
 * that would hand out a stored id is moved: setval() writes WAL and makes the
 * next nextval() write it again, which every pass that raised an event paid
 * when the newest event's id, the sequence's last value, also matched.
 */
static SavedQuery catch_up_ids_query = {
	"SELECT pg_catalog.setval('jobtrack.group_event_id_seq'::pg_catalog.regclass, e.max_id)"
	" FROM (SELECT pg_catalog.max(id) AS max_id FROM jobtrack.group_event) e,"
	"  jobtrack.group_event_id_seq s"
	" WHERE e.max_id OPERATOR(pg_catalog.>) s.last_value"
	"  OR (e.max_id OPERATOR(pg_catalog.=) s.last_value AND NOT s.is_called)",
	0, {InvalidOid}, false
};

static bool ids_caught_up = false;

static SavedQuery next_event_id_query = {
	"SELECT pg_catalog.nextval('jobtrack.group_event_id_seq'::pg_catalog.regclass)",
	0, {InvalidOid}, false
};

static SavedQuery insert_event_query = {
	"INSERT INTO jobtrack.group_event (id, group_id, run, event, created_at, payload)"
	" VALUES ($1, $2, $3, $4, $5, $6)",
	6, {INT8OID, INT8OID, INT4OID, TEXTOID, TIMESTAMPTZOID, JSONBOID}, false
};

/* AppendCounts appends the "counts" object of an event payload. */
static void
AppendCounts(StringInfo buf, const int64 *c)
{
	int64		queued = c[JOB_QUEUED] + c[JOB_DELAYED];
	int64		finished = c[JOB_SUCCEEDED] + c[JOB_FAILED] + c[JOB_CANCELLED];
	int64		not_finished = queued + c[JOB_STARTED] + c[JOB_PAUSED] + c[JOB_STUCK];

	appendStringInfo(buf,
					 "\"counts\": {\"total\": " INT64_FORMAT ", \"queued\": " INT64_FORMAT
					 ", \"running\": " INT64_FORMAT ", \"paused\": " INT64_FORMAT
					 ", \"stuck\": " INT64_FORMAT ", \"not_finished\": " INT64_FORMAT
					 ", \"finished\": " INT64_FORMAT ", \"succeeded\": " INT64_FORMAT
					 ", \"failed\": " INT64_FORMAT ", \"cancelled\": " INT64_FORMAT "}",
					 finished + not_finished, queued, c[JOB_STARTED], c[JOB_PAUSED],
					 c[JOB_STUCK], not_finished, finished, c[JOB_SUCCEEDED],
					 c[JOB_FAILED], c[JOB_CANCELLED]);
}

/*
 * EventPayload builds the JSON text of an event; with max_title_chars > 0
 * a longer title is cut to that many characters and "title_truncated" added.
 */
static char *
EventPayload(const GroupSnapshot *group, const char *event, int64 event_id,
			 TimestampTz at, int max_title_chars)
{
	StringInfoData buf;
	char		at_text[MAXDATELEN + 1];
	char	   *title = group->title;
	bool		truncated = false;

	if (max_title_chars > 0 && pg_mbstrlen(title) > max_title_chars)
	{
		title = pnstrdup(title, pg_mbcharcliplen(title, strlen(title), max_title_chars));
		truncated = true;
	}
	JsonEncodeDateTime(at_text, TimestampTzGetDatum(at), TIMESTAMPTZOID, NULL);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"event\": ");
	escape_json(&buf, event);
	appendStringInfo(&buf, ", \"event_id\": " INT64_FORMAT ", \"group_id\": " INT64_FORMAT
					 ", \"run\": %d, \"title\": ", event_id, group->id, group->run);
	escape_json(&buf, title);
	if (truncated)
		appendStringInfoString(&buf, ", \"title_truncated\": true");
	appendStringInfo(&buf, ", \"at\": \"%s\", ", at_text);
	AppendCounts(&buf, group->counts);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * IdsPayload is the notification of jobtrack.notify_payload = 'ids': only
 * what a listener needs to read the event through group_events() under its
 * own privileges, since any role that can connect may LISTEN.
 */
static char *
IdsPayload(const GroupSnapshot *group, const char *event, int64 event_id)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"event\": ");
	escape_json(&buf, event);
	appendStringInfo(&buf, ", \"event_id\": " INT64_FORMAT ", \"group_id\": " INT64_FORMAT
					 ", \"run\": %d}", event_id, group->id, group->run);
	return buf.data;
}

/* EventsBeginPass makes the next event of this backend check the id sequence first. */
void
EventsBeginPass(void)
{
	ids_caught_up = false;
}

/*
 * RaiseGroupEvent records an event of a group and queues its notification,
 * both part of the current transaction.  changed_at is the time of the job
 * change that caused it (0 if none), for the latency figures.
 */
void
RaiseGroupEvent(const GroupSnapshot *group, const char *event, TimestampTz at,
				TimestampTz changed_at)
{
	Datum		values[6];
	int64		event_id;
	char	   *payload;

	if (!ids_caught_up)
	{
		RunSavedQuery(&catch_up_ids_query, NULL, NULL);
		ids_caught_up = true;
	}
	RunSavedQuery(&next_event_id_query, NULL, NULL);
	event_id = SpiResultInt64(0, 1);
	payload = EventPayload(group, event, event_id, at, 0);

	values[0] = Int64GetDatum(event_id);
	values[1] = Int64GetDatum(group->id);
	values[2] = Int32GetDatum(group->run);
	values[3] = CStringGetTextDatum(event);
	values[4] = TimestampTzGetDatum(at);
	values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(payload));
	RunSavedQuery(&insert_event_query, values, NULL);

	Async_Notify(jobtrack_notify_channel,
				 jobtrack_notify_payload == NOTIFY_PAYLOAD_IDS ?
				 IdsPayload(group, event, event_id) :
				 EventPayload(group, event, event_id, at, NOTIFY_TITLE_CHARS));
	JobtrackNoteEvent(changed_at, at);
}
