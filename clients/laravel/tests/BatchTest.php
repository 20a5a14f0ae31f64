<?php

namespace Jobtrack\Laravel\Tests;

use App\Jobs\FailingOnceJob;
use App\Jobs\TrackedJob;
use Illuminate\Support\Facades\Bus;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Str;

class BatchTest extends TestCase
{
    /** The events the app's listener handled for a group: event name => rows. */
    protected function handled(int $groupId): array
    {
        $out = [];
        foreach (DB::select('SELECT * FROM handled_group_events WHERE group_id = ? ORDER BY id', [$groupId]) as $r) {
            $out[$r->event][] = $r;
        }

        return $out;
    }

    public function testBatchOf50WithFailuresAndRetriesGivesOneStartedAndOneCompletedAcrossAListenerRestart(): void
    {
        $name = 'import '.Str::random(6);
        $listenerName = 'batch-'.Str::random(6);
        $listener = $this->artisan(['jobtrack:listen', '--name='.$listenerName]);

        $gate = static::appPath().'/storage/jobtrack-gate-'.Str::random(8);
        $jobs = [];
        for ($i = 1; $i <= 50; $i++) {
            if ($i === 1) {
                $jobs[] = new TrackedJob('gate', $i, $gate);  // holds the group open until the listener is down
            } elseif ($i % 10 === 0) {
                $jobs[] = new FailingOnceJob('fail', $i);      // 5 fail for good (tries 1)
            } elseif ($i % 7 === 0) {
                $jobs[] = new TrackedJob('fail_once', $i);     // 7 fail once, are retried and succeed
            } else {
                $jobs[] = new TrackedJob('ok', $i);
            }
        }
        $batch = Bus::batch($jobs)->name($name)->allowFailures()->dispatch();

        // Laravel 8.83 raises no JobQueued for batched jobs: they are recorded
        // when their payload is made, in the batch's transaction
        $group = $this->one('SELECT * FROM jobtrack.job_group WHERE payload @> ?::jsonb', [json_encode(['batch_id' => $batch->id])]);
        $this->assertNotNull($group, 'the batch is a jobtrack group');
        $this->assertSame($name.' (batch '.$batch->id.')', $group->title);
        $this->assertEquals(['batch_id' => $batch->id, 'batch_name' => $name], json_decode($group->payload, true));
        $this->assertSame(50, (int) $this->value("SELECT count(*) FROM jobtrack.in_group(?::bigint) WHERE status = 'queued'", [$group->id]));
        $gid = (int) $group->id;

        $this->worker();
        $this->worker();

        $this->waitFor(function () use ($gid) {
            return isset($this->handled($gid)['group.started']);
        }, 30, 'GroupStarted handled by the app');

        // the listener dies; the batch completes while it is down
        $this->kill($listener);
        $this->assertArrayNotHasKey('group.completed', $this->handled($gid));
        touch($gate);
        $this->waitFor(function () use ($gid) {
            return $this->value('SELECT status FROM jobtrack.job_group WHERE id = ?::bigint', [$gid]) === 'completed';
        }, 60, 'the group completed');
        $this->assertArrayNotHasKey('group.completed', $this->handled($gid));

        // restarted, it resumes after the last event it handled
        $this->artisan(['jobtrack:listen', '--name='.$listenerName]);
        $this->waitFor(function () use ($gid) {
            return isset($this->handled($gid)['group.completed']);
        }, 30, 'GroupCompleted handled after the restart');
        usleep(1500000); // anything doubled would show now
        unlink($gate);

        $handled = $this->handled($gid);
        $this->assertCount(1, $handled['group.started']);
        $this->assertCount(1, $handled['group.completed']);
        $this->assertCount(2, DB::select('SELECT 1 FROM handled_group_events WHERE group_id = ?', [$gid]));
        $completed = $handled['group.completed'][0];
        $this->assertSame('Jobtrack\Laravel\Events\GroupCompleted', $completed->class);
        $counts = json_decode($completed->counts, true);
        $this->assertSame(50, $counts['total']);
        $this->assertSame(45, $counts['succeeded']);
        $this->assertSame(5, $counts['failed']);
        $this->assertSame(50, $counts['finished']);
        $this->assertSame($batch->id, json_decode($completed->group_payload, true)['batch_id']);
        $this->assertSame(7, (int) $this->value('SELECT count(*) FROM jobtrack.in_group(?::bigint) WHERE attempts = 2', [$gid]));
        $this->assertSame(1, (int) $this->value('SELECT run FROM jobtrack.job_group WHERE id = ?::bigint', [$gid]),
            'a release after an exception (failed + retried in one commit) never completes and reopens the group');
        // and the framework agrees
        $fresh = Bus::findBatch($batch->id);
        $this->assertSame(5, $fresh->failedJobs);
        $this->assertSame(0, $fresh->pendingJobs - $fresh->failedJobs);
    }

    public function testAListenerKilledWhileHandlingAnEventHandlesItExactlyOnce(): void
    {
        $dir = static::appPath().'/storage/jobtrack-slow-'.Str::random(6); // removed with the test's copy
        mkdir($dir);
        $listenerName = 'slow-'.Str::random(6);
        // start from the newest event: older groups are not this test's
        $this->artisanRun(['jobtrack:listen', '--once', '--name='.$listenerName, '--from='.(int) $this->value('SELECT coalesce(max(id), 0) FROM jobtrack.group_event')]);
        $slow = $this->artisan(['jobtrack:listen', '--name='.$listenerName], ['TEST_LISTENER_SLOW_DIR' => $dir]);

        $batch = Bus::batch([new TrackedJob('ok', 1), new TrackedJob('ok', 2)])->name('slow')->dispatch();
        $gid = (int) $this->value('SELECT id FROM jobtrack.job_group WHERE payload @> ?::jsonb', [json_encode(['batch_id' => $batch->id])]);
        $this->worker();

        $marker = $this->waitFor(function () use ($dir) {
            return glob($dir.'/handling-*')[0] ?? null;
        }, 30, 'the listener inside its transaction');
        $this->kill($slow);
        $this->assertSame(0, (int) $this->value('SELECT count(*) FROM handled_group_events WHERE group_id = ?', [$gid]),
            'the killed transaction left nothing');
        unlink($marker);
        rmdir($dir);

        $this->artisan(['jobtrack:listen', '--name='.$listenerName]);
        $this->waitFor(function () use ($gid) {
            return (int) $this->value("SELECT count(*) FROM handled_group_events WHERE group_id = ? AND event = 'group.completed'", [$gid]) === 1;
        }, 30, 'both events handled after the restart');
        usleep(500000);
        $this->assertSame(['group.started', 'group.completed'], array_map(function ($r) {
            return $r->event;
        }, DB::select('SELECT event FROM handled_group_events WHERE group_id = ? ORDER BY event_id', [$gid])));
    }
}
