<?php

namespace App\Listeners;

use Illuminate\Support\Facades\DB;
use Jobtrack\Laravel\Events\EventsExpired;

class RecordEventsExpired
{
    public function handle(EventsExpired $event)
    {
        DB::table('handled_group_events')->insert([
            'event_id' => $event->resumeAfterId,
            'event' => 'expired',
            'class' => get_class($event),
            'group_id' => 0,
            'run' => 0,
            'title' => $event->message,
            'counts' => json_encode(['last' => $event->lastHandledId]),
            'group_payload' => null,
            'pid' => getmypid(),
        ]);
    }
}
