<?php

namespace Jobtrack\Laravel;

use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Contracts\Queue\Job as QueueJob;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\JobProcessing;
use Illuminate\Queue\Events\JobQueued;
use Illuminate\Queue\Events\JobRetryRequested;
use Illuminate\Support\Facades\Log;
use Throwable;

/**
 * Follows the framework's queue events and moves each tracked job through
 * jobtrack's statuses. Every handler is idempotent (the queue's events may
 * arrive more than once): it reads the job's status under a row lock and
 * does only the steps still missing, in one transaction, so a group never
 * sees a half-done step (a release after an exception is failed + retried
 * in one commit and does not complete and reopen the group).
 *
 * A handler never breaks the queue worker: a database error is logged as a
 * warning and the job runs on.
 */
class QueueTracker
{
    /** @var Jobtrack */
    protected $jobtrack;

    /** @var array<string,int> batch id => group id, a cache of this process */
    protected static $batchGroups = [];

    /** @var array<string,bool> class name => uses Trackable */
    protected static $trackable = [];

    public function __construct(Jobtrack $jobtrack)
    {
        $this->jobtrack = $jobtrack;
    }

    public function subscribe(Dispatcher $events): void
    {
        $events->listen(JobQueued::class, [$this, 'onQueued']);
        $events->listen(JobProcessing::class, [$this, 'onProcessing']);
        $events->listen(JobProcessed::class, [$this, 'onProcessed']);
        $events->listen(JobExceptionOccurred::class, [$this, 'onException']);
        $events->listen(JobFailed::class, [$this, 'onFailed']);
        if (class_exists(JobRetryRequested::class)) {
            $events->listen(JobRetryRequested::class, [$this, 'onRetryRequested']);
        }
        // Laravel 9.x and later raise this instead of leaving the release to be inferred
        if (class_exists('Illuminate\Queue\Events\JobReleasedAfterException')) {
            $events->listen('Illuminate\Queue\Events\JobReleasedAfterException', [$this, 'onReleasedAfterException']);
        }
    }

    public static function isTrackable($classOrObject): bool
    {
        $class = is_object($classOrObject) ? get_class($classOrObject) : $classOrObject;
        if (! is_string($class) || $class === '' || ! class_exists($class)) {
            return false;
        }
        if (! isset(static::$trackable[$class])) {
            static::$trackable[$class] = in_array(Trackable::class, class_uses_recursive($class), true);
        }

        return static::$trackable[$class];
    }

    /**
     * The queue's create-payload hook: runs for every job pushed, batched
     * ones included, before the job is serialized. Stamps the payload's
     * uuid on the job (Laravel 8's JobQueued carries no payload) and records
     * batched jobs at once (Laravel 8 raises no JobQueued for them), inside
     * the batch's own transaction when the queue shares the database.
     */
    public function payloadHook($connectionName, $queue, array $payload): array
    {
        $command = $payload['data']['command'] ?? null;
        if (! is_object($command) || ! static::isTrackable($command) || empty($payload['uuid'])) {
            return [];
        }
        $command->jobtrackUuid = $payload['uuid'];
        if (! empty($command->batchId) || config('jobtrack.record_on_push', false)) {
            $this->guard('queued', function () use ($command, $payload) {
                $this->recordQueued($command, $payload['uuid']);
            });
        }

        return [];
    }

    public function onQueued(JobQueued $event): void
    {
        $command = $event->job;
        if (! is_object($command) || ! static::isTrackable($command)) {
            return;
        }
        $uuid = null;
        if (isset($event->payload) && is_string($event->payload)) {
            // Laravel 10 and later: the event carries the payload
            $uuid = json_decode($event->payload, true)['uuid'] ?? null;
        }
        $uuid = $uuid ?: ($command->jobtrackUuid ?? null);
        if (! $uuid) {
            return;
        }
        $this->guard('queued', function () use ($command, $uuid) {
            $this->recordQueued($command, $uuid);
        });
    }

    /** Creates the job (idempotent by external id = the payload's uuid). */
    public function recordQueued(object $command, string $uuid): int
    {
        $options = [
            'alias' => $command->jobtrackAlias(),
            'tags' => $command->jobtrackTags(),
            'data' => $command->jobtrackData(),
            'external_id' => $uuid,
            'group_id' => $this->groupFor($command),
            'delay' => $this->delaySeconds($command->delay ?? null),
        ];

        return $this->jobtrack->createJob(get_class($command), $options);
    }

    /** The group a job joins: its own jobtrackGroup(), else its batch's group. */
    public function groupFor(object $command): ?int
    {
        $group = method_exists($command, 'jobtrackGroup') ? $command->jobtrackGroup() : null;
        if (is_string($group) && $group !== '') {
            return $this->jobtrack->group($group);
        }
        if (is_array($group) && ! empty($group['title'])) {
            return $this->jobtrack->group($group['title'], $group['payload'] ?? null, $group['time_to_check'] ?? null);
        }
        if (! empty($command->batchId)) {
            return $this->batchGroup($command->batchId);
        }

        return null;
    }

    /**
     * A batch's group: title "<name> (batch <uuid>)" (titles are unique,
     * batch names are not), payload {batch_id, batch_name}.
     */
    public function batchGroup(string $batchId): int
    {
        if (isset(static::$batchGroups[$batchId])) {
            return static::$batchGroups[$batchId];
        }
        $name = null;
        try {
            $batch = app(\Illuminate\Bus\BatchRepository::class)->find($batchId);
            $name = $batch ? $batch->name : null;
        } catch (Throwable $e) {
            // no batch table here: the group keeps the batch's id only
        }
        $title = ($name !== null && $name !== '' ? $name.' ' : '').'(batch '.$batchId.')';
        $id = $this->jobtrack->group($title, ['batch_id' => $batchId, 'batch_name' => $name],
            config('jobtrack.batch_time_to_check'));
        if (count(static::$batchGroups) > 100) {
            static::$batchGroups = [];
        }

        return static::$batchGroups[$batchId] = $id;
    }

    public function onProcessing(JobProcessing $event): void
    {
        $this->guard('started', function () use ($event) {
            if (! ($id = $this->idForQueueJob($event->job, true))) {
                return;
            }
            $this->transition($id, 'started', null, (int) $event->job->attempts());
        });
    }

    public function onProcessed(JobProcessed $event): void
    {
        $this->guard('processed', function () use ($event) {
            if (! ($id = $this->idForQueueJob($event->job))) {
                return;
            }
            $job = $event->job;
            if ($job->hasFailed()) {
                return; // JobFailed records it
            }
            if ($job->isReleased()) {
                // released by the job itself ($this->release()): back to queued
                $this->transition($id, 'released', 'released by the job');
            } else {
                // deleted from the queue after handle(): done, unless the job
                // recorded another end (cancelled) itself
                $this->transition($id, 'succeeded');
            }
        });
    }

    public function onException(JobExceptionOccurred $event): void
    {
        $this->guard('exception', function () use ($event) {
            $job = $event->job;
            if ($job->hasFailed() || $job->isDeleted()) {
                return; // JobFailed records the failure
            }
            if (! ($id = $this->idForQueueJob($job))) {
                return;
            }
            // Laravel 8 releases the job right after this event for another attempt
            $this->transition($id, 'retried', $this->reason($event->exception), (int) $job->attempts());
        });
    }

    /** Laravel 9.x and later: JobReleasedAfterException. */
    public function onReleasedAfterException($event): void
    {
        $this->guard('released', function () use ($event) {
            if ($id = $this->idForQueueJob($event->job)) {
                $this->transition($id, 'retried', 'released after an exception', (int) $event->job->attempts());
            }
        });
    }

    public function onFailed(JobFailed $event): void
    {
        $this->guard('failed', function () use ($event) {
            if ($id = $this->idForQueueJob($event->job, true)) {
                $this->transition($id, 'failed', $this->reason($event->exception));
            }
        });
    }

    /** php artisan queue:retry: the failed job is queued again (attempts + 1). */
    public function onRetryRequested(JobRetryRequested $event): void
    {
        $this->guard('retry', function () use ($event) {
            $payload = json_decode($event->job->payload ?? '{}', true) ?: [];
            if (empty($payload['uuid']) || ! static::isTrackable($payload['data']['commandName'] ?? $payload['displayName'] ?? '')) {
                return;
            }
            if ($id = $this->jobtrack->findByExternalId($payload['uuid'])) {
                $this->transition($id, 'retry');
            }
        });
    }

    /**
     * A job that saw a cancel request, from inside handle(): → cancelled,
     * committed at once even when handle() runs in a transaction.
     */
    public function cancelled(?int $id): void
    {
        if ($id) {
            (new static($this->jobtrack->live()))->transition($id, 'cancelled');
        }
    }

    /** The jobtrack id of a command inside handle() (null when not tracked). */
    public function idForCommand(object $command): ?int
    {
        $queueJob = $command->job ?? null;
        if ($queueJob instanceof QueueJob) {
            return $this->idForQueueJob($queueJob, true);
        }
        if (! empty($command->jobtrackUuid)) {
            return $this->jobtrack->findByExternalId($command->jobtrackUuid);
        }

        return null;
    }

    /**
     * The jobtrack id of a queue job (by its payload's uuid), created when
     * missing and $create is set (a job pushed before the package was
     * installed, or whose queued event was lost).
     */
    public function idForQueueJob(QueueJob $job, bool $create = false): ?int
    {
        $payload = $job->payload();
        $class = $payload['data']['commandName'] ?? null;
        $uuid = $payload['uuid'] ?? null;
        if (! $uuid || ! static::isTrackable($class)) {
            return null;
        }
        $id = $this->jobtrack->findByExternalId($uuid);
        if ($id === null && $create) {
            $id = $this->jobtrack->createJob($class, ['external_id' => $uuid]);
        }

        return $id;
    }

    /**
     * Moves a job to a target in one transaction, doing only what is
     * missing, so a repeated event changes nothing. Targets: started,
     * succeeded, failed, cancelled, released (started → paused → queued),
     * retried (started → failed → queued, attempts + 1), retry (failed,
     * cancelled or stuck → queued).
     */
    public function transition(int $id, string $target, ?string $reason = null, ?int $attempt = null): ?string
    {
        return $this->jobtrack->connection()->transaction(function () use ($id, $target, $reason, $attempt) {
            $row = $this->jobtrack->connection()->selectOne(
                'SELECT status FROM jobtrack.job_status WHERE id = ?::bigint FOR UPDATE', [$id], false);
            if ($row === null) {
                return null;
            }
            $status = $row->status;
            $j = $this->jobtrack;
            $finished = in_array($status, ['succeeded', 'failed', 'cancelled'], true);
            switch ($target) {
                case 'started':
                    if (in_array($status, ['queued', 'delayed', 'paused', 'stuck'], true)) {
                        $status = $j->start($id);
                        if ($attempt > 1) {
                            $j->addMessage($id, "attempt $attempt started", 'info', false);
                        }

                        return $status;
                    }
                    if ($status === 'cancelled') {
                        Log::info("jobtrack: job $id was cancelled before it started; handle() may check cancelRequested()");
                    }

                    return $status;
                case 'succeeded':
                case 'failed':
                    if ($finished) {
                        return $status;
                    }
                    // queued, delayed and paused cannot finish without starting;
                    // stuck can fail but not succeed
                    if ($status !== 'started' && ! ($status === 'stuck' && $target === 'failed')) {
                        $j->start($id);
                    }

                    return $target === 'succeeded' ? $j->succeed($id) : $j->fail($id, $reason);
                case 'cancelled':
                    return $finished ? $status : $j->cancel($id);
                case 'released':
                    if ($status === 'started' || $status === 'stuck') {
                        if ($status === 'started') {
                            $j->pause($id);
                        }
                        $j->setStatus($id, 'queued');
                        $j->addMessage($id, $reason ?: 'released', 'info', false);

                        return 'queued';
                    }

                    return $status;
                case 'retried':
                    if ($status === 'started' || $status === 'stuck') {
                        if ($status === 'started') {
                            $j->fail($id, $reason);
                        }
                        $j->addMessage($id, ($attempt ? "attempt $attempt failed: " : 'failed: ').($reason ?? ''), 'error', false);
                        $j->retry($id);
                        $j->addMessage($id, 'released for attempt '.(($attempt ?: 0) + 1), 'warning', false);

                        return 'queued';
                    }

                    return $status;
                case 'retry':
                    return in_array($status, ['failed', 'cancelled', 'stuck'], true) ? $j->retry($id) : $status;
            }

            throw new \InvalidArgumentException("unknown target $target");
        });
    }

    protected function reason($exception): ?string
    {
        if (! $exception instanceof Throwable) {
            return null;
        }
        $message = $exception->getMessage();

        return $message !== '' ? $message : get_class($exception);
    }

    protected function delaySeconds($delay): ?int
    {
        if ($delay === null) {
            return null;
        }
        if ($delay instanceof \DateInterval) {
            $delay = (new \DateTimeImmutable())->add($delay);
        }
        if ($delay instanceof \DateTimeInterface) {
            return max(0, $delay->getTimestamp() - time());
        }

        return is_numeric($delay) ? (int) $delay : null;
    }

    /** Runs a handler; logs a database error and never lets it reach the worker. */
    protected function guard(string $what, callable $fn): void
    {
        try {
            $fn();
        } catch (Throwable $e) {
            Log::warning('jobtrack: could not record '.$what.': '.$e->getMessage(),
                ['sqlstate' => Jobtrack::sqlstate($e)]);
        }
    }
}
