<?php

namespace App\Listeners;

use Illuminate\Support\Facades\DB;
use Jobtrack\Laravel\Events\GroupEvent;

/**
 * The app's listener: records each group event it handles. With
 * TEST_LISTENER_SLOW_DIR set it writes a marker file and sleeps after its
 * insert (inside jobtrack:listen's transaction) so a test can kill it there.
 */
class RecordGroupEvent
{
    public function handle(GroupEvent $event)
    {
        DB::table('handled_group_events')->insert([
            'event_id' => $event->eventId,
            'event' => $event->event,
            'class' => get_class($event),
            'group_id' => $event->groupId,
            'run' => $event->run,
            'title' => $event->title,
            'counts' => json_encode($event->counts),
            'group_payload' => json_encode($event->groupPayload),
            'pid' => getmypid(),
        ]);
        $dir = getenv('TEST_LISTENER_SLOW_DIR');
        if ($dir) {
            file_put_contents($dir.'/handling-'.$event->eventId, (string) getmypid());
            sleep(30);
        }
    }
}
