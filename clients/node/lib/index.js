'use strict';

const errors = require('./errors');
const { JobTrack, STATUSES } = require('./client');
const { EventSubscription } = require('./events');
const { QueueBridge, trackQueue } = require('./bullmq');

module.exports = {
  JobTrack,
  EventSubscription,
  QueueBridge,
  trackQueue,
  STATUSES,
  JobtrackError: errors.JobtrackError,
  NotFound: errors.NotFound,
  JobNotFound: errors.JobNotFound,
  GroupNotFound: errors.GroupNotFound,
  ForbiddenTransition: errors.ForbiddenTransition,
  InvalidInput: errors.InvalidInput,
  EventsExpired: errors.EventsExpired,
};
