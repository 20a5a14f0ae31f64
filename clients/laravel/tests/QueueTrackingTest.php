<?php

namespace Jobtrack\Laravel\Tests;

use App\Jobs\FailingOnceJob;
use App\Jobs\GroupedJob;
use App\Jobs\LongJob;
use App\Jobs\TrackedJob;
use App\Jobs\UntrackedJob;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\JobProcessing;
use Illuminate\Queue\Events\JobQueued;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Str;
use RuntimeException;

class QueueTrackingTest extends TestCase
{
    public function testQueuedJobIsRecordedUnderItsPayloadUuid(): void
    {
        // Laravel 8.83's JobQueued carries no payload: the uuid stamped on
        // the job before serialization links the event to the queued row
        TrackedJob::dispatch('ok', 101);
        $uuid = $this->lastPushedUuid();
        $job = $this->jobByExternalId($uuid);
        $this->assertNotNull($job, 'the queued job is in jobtrack under the payload uuid');
        $this->assertSame('queued', $job->status);
        $this->assertSame(TrackedJob::class, $job->job_type);
        $this->assertSame('tracked-ok', $job->alias);
        $this->assertEquals(['mode' => 'ok', 'n' => 101], json_decode($job->tags, true));
        $this->assertSame(['dispatched_by' => 'test'], json_decode($job->data, true));

        $payload = json_decode($this->value('SELECT payload FROM jobs ORDER BY id DESC LIMIT 1'), true);
        $command = unserialize($payload['data']['command']);
        $this->assertSame($uuid, $command->jobtrackUuid, 'the serialized job carries its uuid');

        UntrackedJob::dispatch();
        $this->assertNull($this->jobByExternalId($this->lastPushedUuid()), 'a job without the trait is not tracked');
    }

    /**
     * The Laravel 8.83 limits the package works around, shown to be real
     * here: if a newer framework lifts them this test says so.
     */
    public function testTheLaravel8LimitsAreHandled(): void
    {
        $version = static::$app->version();
        if (version_compare($version, '9.0', '>=')) {
            $this->markTestSkipped("Laravel $version: the 8.x limits do not apply as such");
        }
        $this->assertFalse(property_exists(JobQueued::class, 'payload'), 'JobQueued carries no payload on 8.x');

        $queued = 0;
        static::$app['events']->listen(JobQueued::class, function () use (&$queued) {
            $queued++;
        });
        $batch = \Illuminate\Support\Facades\Bus::batch([new TrackedJob('ok', 401), new TrackedJob('ok', 402)])->dispatch();
        $this->assertSame(0, $queued, 'batched jobs raise no JobQueued on 8.x');
        // and yet both are tracked, queued, in the batch's group
        $this->assertSame(2, (int) $this->value("SELECT count(*) FROM jobtrack.job_status j JOIN jobtrack.job_group g ON g.id = j.group_id
            WHERE g.payload @> ?::jsonb AND j.status = 'queued'", [json_encode(['batch_id' => $batch->id])]));
        TrackedJob::dispatch('ok', 403);
        $this->assertSame(1, $queued);
    }

    public function testLifecycleThroughARealWorker(): void
    {
        $cases = ['ok' => TrackedJob::class, 'fail_once' => TrackedJob::class, 'fail' => FailingOnceJob::class,
            'release_once' => TrackedJob::class, 'delete' => TrackedJob::class];
        $ids = [];
        foreach ($cases as $mode => $class) {
            $class::dispatch($mode, 200);
            $job = $this->jobByExternalId($this->lastPushedUuid());
            $this->assertNotNull($job, "$class is tracked (FailingOnceJob only inherits the trait from TrackedJob)");
            $ids[$mode] = (int) $job->id;
        }
        $delayed = TrackedJob::dispatch('ok', 201)->delay(3600);
        unset($delayed); // dispatches now
        $delayedId = (int) $this->jobByExternalId($this->lastPushedUuid())->id;
        $this->assertSame('delayed', $this->jobtrack()->status($delayedId), 'a delayed dispatch is delayed in jobtrack');

        $this->worker();
        $this->waitFor(function () use ($ids) {
            return (int) $this->value("SELECT count(*) FROM jobtrack.job_status WHERE id = ANY(?::bigint[]) AND status IN ('succeeded', 'failed', 'cancelled')",
                ['{'.implode(',', $ids).'}']) === count($ids);
        }, 30, 'every job finished');

        $row = function ($mode) use ($ids) {
            return $this->one('SELECT * FROM jobtrack.job_status WHERE id = ?::bigint', [$ids[$mode]]);
        };
        $this->assertSame('succeeded', $row('ok')->status);
        $this->assertEquals(100, $row('ok')->percentage);
        $this->assertNotNull($row('ok')->started_at);
        $this->assertContains('success: done', $this->messages($ids['ok']));

        // failed on attempt 1, released, retried with its attempt number, succeeded
        $this->assertSame('succeeded', $row('fail_once')->status);
        $this->assertSame(2, (int) $row('fail_once')->attempts);
        $messages = $this->messages($ids['fail_once']);
        $this->assertContains('error: attempt 1 failed: job 200 fails on attempt 1', $messages);
        $this->assertContains('warning: released for attempt 2', $messages);
        $this->assertContains('info: attempt 2 started', $messages);

        // failed for good, with the exception's message
        $this->assertSame('failed', $row('fail')->status);
        $this->assertSame('job 200 always fails', $row('fail')->failed_reason);

        // released by the job itself, then processed again
        $this->assertSame('succeeded', $row('release_once')->status);
        $this->assertContains('info: released by the job', $this->messages($ids['release_once']));
        $this->assertContains('info: attempt 2 started', $this->messages($ids['release_once']));

        // deleted by the job itself: processed, so finished
        $this->assertSame('succeeded', $row('delete')->status);

        $this->assertSame('delayed', $this->jobtrack()->status($delayedId));

        // php artisan queue:retry (JobRetryRequested): queued again, attempts + 1, then fails again
        $failedUuid = $this->value('SELECT external_id FROM jobtrack.job_status WHERE id = ?::bigint', [$ids['fail']]);
        $retry = $this->artisanRun(['queue:retry', $failedUuid]);
        $this->assertSame(0, $retry->getExitCode(), $retry->getOutput().$retry->getErrorOutput());
        $this->waitFor(function () use ($row) {
            $r = $row('fail');

            return $r->status === 'failed' && (int) $r->attempts === 2;
        }, 20, 'the retried job failed again, on attempt 2');
        $this->assertSame('job 200 always fails', $row('fail')->failed_reason);
    }

    /** The queue's events may arrive more than once: each handler is idempotent. */
    public function testRepeatedQueueEventsChangeNothing(): void
    {
        $events = static::$app['events'];
        $command = new TrackedJob('fail_once', 300);
        $uuid = (string) Str::uuid();
        $command->jobtrackUuid = $uuid;
        $raw = json_encode(['uuid' => $uuid, 'displayName' => TrackedJob::class, 'job' => 'Illuminate\Queue\CallQueuedHandler@call',
            'data' => ['commandName' => TrackedJob::class, 'command' => serialize($command)]]);
        $attempt1 = new FakeQueueJob(static::$app, $raw, 1);
        $attempt2 = new FakeQueueJob(static::$app, $raw, 2);
        $boom = new RuntimeException('boom');

        $events->dispatch(new JobQueued('database', 1, $command));
        $events->dispatch(new JobQueued('database', 1, $command));
        $id = (int) $this->jobByExternalId($uuid)->id;
        $this->assertSame(1, (int) $this->value('SELECT count(*) FROM jobtrack.job_status WHERE external_id = ?::text', [$uuid]));

        $events->dispatch(new JobProcessing('database', $attempt1));
        $events->dispatch(new JobProcessing('database', $attempt1));
        $this->assertSame('started', $this->jobtrack()->status($id));

        $events->dispatch(new JobExceptionOccurred('database', $attempt1, $boom));
        $events->dispatch(new JobExceptionOccurred('database', $attempt1, $boom));
        $this->assertSame('queued', $this->jobtrack()->status($id));
        $this->assertSame(2, (int) $this->value('SELECT attempts FROM jobtrack.job_status WHERE id = ?::bigint', [$id]));

        $events->dispatch(new JobProcessing('database', $attempt2));
        $events->dispatch(new JobProcessing('database', $attempt2));
        $attempt2->delete();
        $events->dispatch(new JobProcessed('database', $attempt2));
        $events->dispatch(new JobProcessed('database', $attempt2));
        // a late duplicate of an earlier event does not reopen a finished job
        $events->dispatch(new JobProcessing('database', $attempt2));
        $events->dispatch(new JobFailed('database', $attempt2, $boom));

        $job = $this->one('SELECT * FROM jobtrack.job_status WHERE id = ?::bigint', [$id]);
        $this->assertSame('succeeded', $job->status);
        $this->assertSame(2, (int) $job->attempts);
        $messages = $this->messages($id);
        $this->assertSame(1, count(array_keys($messages, 'error: attempt 1 failed: boom')));
        $this->assertSame(1, count(array_keys($messages, 'info: attempt 2 started')));
    }

    public function testJobJoinsANamedGroupWithItsTimeToCheck(): void
    {
        $title = 'report '.Str::random(8);
        GroupedJob::dispatch($title);
        GroupedJob::dispatch($title);
        $group = $this->one('SELECT * FROM jobtrack.job_group WHERE title = ?::text', [$title]);
        $this->assertNotNull($group);
        $this->assertSame('00:05:00', $group->time_to_check);
        $this->assertSame(['report' => $title], json_decode($group->payload, true));
        $this->assertSame(2, (int) $this->value('SELECT count(*) FROM jobtrack.in_group(?::bigint)', [$group->id]));
    }

    public function testProgressIsVisibleWhileRunningAndACancelFromSqlStopsTheJob(): void
    {
        LongJob::dispatch(200, 50);
        $uuid = $this->lastPushedUuid();
        $id = (int) $this->jobByExternalId($uuid)->id;
        $this->worker();

        // another connection (this one) sees the progress while the job runs
        $p1 = $this->waitFor(function () use ($id) {
            $r = $this->one('SELECT status, percentage FROM jobtrack.job_status WHERE id = ?::bigint', [$id]);

            return $r->status === 'started' && $r->percentage > 0 ? (float) $r->percentage : null;
        }, 20, 'progress while started');
        $this->waitFor(function () use ($id, $p1) {
            return (float) $this->value('SELECT percentage FROM jobtrack.job_status WHERE id = ?::bigint', [$id]) > $p1;
        }, 10, 'progress moving');
        $this->assertNotNull($this->value('SELECT heartbeat_at FROM jobtrack.job_status WHERE id = ?::bigint', [$id]));

        // a signal, then a cancel, both sent from SQL
        DB::select("SELECT jobtrack.send_signal(?::bigint, 'note'::text, '{\"x\": 1}'::jsonb)", [$id]);
        $this->waitFor(function () use ($id) {
            return in_array('info: signal note {"x":1}', $this->messages($id), true);
        }, 10, 'the signal seen by the job');
        DB::select('SELECT jobtrack.request_cancel(?::bigint)', [$id]);
        $this->waitFor(function () use ($id) {
            return $this->jobtrack()->status($id) === 'cancelled';
        }, 10, 'the job cancelled');
        $this->waitFor(function () use ($id) {
            return (bool) preg_grep('/^warning: stopped cleanly at step \d+$/', $this->messages($id));
        }, 10, 'the job stopped cleanly');
        $job = $this->one('SELECT * FROM jobtrack.job_status WHERE id = ?::bigint', [$id]);
        $this->assertLessThan(100, (float) $job->percentage);
        $this->assertNotNull($job->finished_at);
        $messages = $this->messages($id);
        foreach (['debug', 'info', 'success', 'warning', 'error'] as $level) {
            $this->assertContains("$level: a $level message", $messages);
        }
        // the worker lives on and the job has left the queue
        $this->waitFor(function () use ($uuid) {
            return (int) $this->value('SELECT count(*) FROM jobs WHERE payload LIKE ?', ['%'.$uuid.'%']) === 0;
        }, 10, 'the job deleted from the queue');
        $this->assertTrue($this->processes[0]->isRunning());
        usleep(300000);
        $this->assertSame('cancelled', $this->jobtrack()->status($id), 'JobProcessed does not turn a cancelled job into succeeded');
    }

    /**
     * handle() opens a transaction on jobtrack's connection: what the job adds
     * there goes through the live connection and commits at once. Its progress
     * would be seen without it (jobtrack shows progress to other sessions before
     * the job's transaction commits), so the message is what this checks.
     */
    public function testMessagesAddedInsideTheJobsOwnTransactionAreVisibleBeforeItCommits(): void
    {
        LongJob::dispatch(200, 50, true);
        $id = (int) $this->jobByExternalId($this->lastPushedUuid())->id;
        $this->worker();
        $this->waitFor(function () use ($id) {
            $r = $this->one('SELECT status, percentage FROM jobtrack.job_status WHERE id = ?::bigint', [$id]);

            return $r->status === 'started' && $r->percentage > 0;
        }, 20, 'progress visible while the job\'s transaction is open');
        // so are the messages it added before its first progress, long before that transaction ends
        $this->assertContains('info: a info message', $this->messages($id),
            'a message added from inside the job\'s transaction is committed at once');
        DB::select('SELECT jobtrack.request_cancel(?::bigint)', [$id]);
        $this->waitFor(function () use ($id) {
            return $this->jobtrack()->status($id) === 'cancelled';
        }, 10, 'the job cancelled');
        $this->assertLessThan(100, (float) $this->jobtrack()->percentage($id));
    }
}
