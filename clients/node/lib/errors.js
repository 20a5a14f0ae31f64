'use strict';

/** Base class of every error the jobtrack client raises for a database error. */
class JobtrackError extends Error {
  constructor(message, { code, detail, hint, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = this.constructor.name;
    /** The SQLSTATE, e.g. 'P0002'. */
    this.code = code;
    this.sqlstate = code;
    this.detail = detail;
    this.hint = hint;
  }
}

/** SQLSTATE P0002: an unknown job id, external id or group id. */
class NotFound extends JobtrackError {}
class JobNotFound extends NotFound {}
class GroupNotFound extends NotFound {}

/** SQLSTATE 55000: a transition the status machine forbids. */
class ForbiddenTransition extends JobtrackError {}

/** SQLSTATE 22023, 22004 or 22P02: input jobtrack refuses. */
class InvalidInput extends JobtrackError {}

/**
 * SQLSTATE JT001: group_events(after_id) was asked for events older than the
 * oldest one kept. `oldestId` is the oldest kept event id when the message names it.
 */
class EventsExpired extends JobtrackError {
  constructor(message, opts = {}) {
    super(message, opts);
    /** The after_id that was asked for. */
    this.afterId = opts.afterId;
    /** Every event id up to this one was deleted (text, when the error says). */
    this.deletedThrough = opts.deletedThrough;
    /** The oldest kept event id (text, when the error names it). */
    this.oldestId = opts.oldestId;
    /** An after_id to resume from, losing nothing more: deletedThrough, or oldestId - 1. */
    this.resumeAfter = opts.deletedThrough ?? (opts.oldestId !== undefined ? String(BigInt(opts.oldestId) - 1n) : undefined);
  }
}

const INVALID = new Set(['22023', '22004', '22P02']);

/**
 * Turn a node-postgres error into one of the classes above; anything else is
 * returned unchanged. `kind` is 'job' or 'group' (what P0002 means here).
 */
function translate(err, kind = 'job', extra = {}) {
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || err instanceof JobtrackError) return err;
  const opts = { code: err.code, detail: err.detail, hint: err.hint, cause: err };
  switch (err.code) {
    case 'P0002':
      return kind === 'group' ? new GroupNotFound(err.message, opts) : new JobNotFound(err.message, opts);
    case '55000':
      return new ForbiddenTransition(err.message, opts);
    case 'JT001': {
      // jobtrack 1.2: "group events after id 5 are no longer kept", DETAIL
      // "Retention deleted every event up to id 17; the oldest kept event is the first after it."
      const text = `${err.message} ${err.detail || ''}`;
      const through = /up to (?:and including )?(?:id )?(\d+)/i.exec(text);
      const oldest = /oldest kept(?: event)?(?: id)?(?: is)?\D{0,3}(\d+)/i.exec(text);
      return new EventsExpired(err.message, {
        ...opts,
        afterId: extra.afterId,
        deletedThrough: through ? through[1] : undefined,
        oldestId: oldest ? oldest[1] : undefined,
      });
    }
    default:
      if (INVALID.has(err.code)) return new InvalidInput(err.message, opts);
      return err;
  }
}

module.exports = {
  JobtrackError, NotFound, JobNotFound, GroupNotFound, ForbiddenTransition, InvalidInput, EventsExpired, translate,
};
