<?php

return [
    // The database connection jobtrack lives in (null: the default one).
    // Queue tracking, the models and jobtrack:listen all use it.
    'connection' => env('JOBTRACK_CONNECTION'),

    // Track jobs that use the Trackable trait by listening to queue events.
    'track_queue' => env('JOBTRACK_TRACK_QUEUE', true),

    // Also record every trackable job when its payload is created (always
    // done for batched jobs, which raise no JobQueued on Laravel 8).
    'record_on_push' => false,

    // time_to_check of the groups made for batches (null: jobtrack's default).
    'batch_time_to_check' => null,

    'listen' => [
        // The NOTIFY channel (the server's jobtrack.notify_channel).
        'channel' => env('JOBTRACK_CHANNEL', 'jobtrack_events'),

        // Where the last handled event id is kept: 'database' (the table
        // jobtrack_listener_checkpoints, in the connection above), 'cache'
        // (the cache store below), or a class implementing
        // Jobtrack\Laravel\Listening\CheckpointStore.
        'checkpoint_store' => env('JOBTRACK_CHECKPOINT_STORE', 'database'),
        'cache_store' => null,

        // Handle each event and store its id in one database transaction,
        // so the app's listeners' own writes to this database happen exactly
        // once even if the listener is killed mid-way.
        'transaction' => true,

        // Poll group_events() at least this often (ms) even without a NOTIFY.
        'poll_ms' => (int) env('JOBTRACK_POLL_MS', 5000),

        // When the last handled event has expired (SQLSTATE JT001):
        // 'newest' skips to the newest event, 'oldest' replays what is
        // still kept. Either way it is logged as an error and an
        // Jobtrack\Laravel\Events\EventsExpired event is dispatched so the
        // app can rebuild from the groups' current state.
        'on_expired' => env('JOBTRACK_ON_EXPIRED', 'newest'),
    ],
];
