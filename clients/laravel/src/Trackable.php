<?php

namespace Jobtrack\Laravel;

/**
 * Use in a queued job class and the job is tracked in jobtrack: queued,
 * started, succeeded, failed (with the exception's message), released and
 * retried (with its attempt number), without any other change. The class
 * is the job_type; override jobtrackAlias(), jobtrackTags(), jobtrackData()
 * or jobtrackGroup() to give more. Inside handle(): setProgress(),
 * addMessage(), heartbeat(), takeSignals() and cancelRequested().
 */
trait Trackable
{
    /**
     * The queue payload's uuid (the job's external id in jobtrack), set by
     * the package before the job is serialized. Laravel 8's JobQueued event
     * carries no payload, so this is how it finds the job's uuid.
     *
     * @var string|null
     */
    public $jobtrackUuid;

    /** @var array|null [uuid, jobtrack id], looked up once per attempt (a clone dispatched again looks its own up) */
    protected $jobtrackIdCache;

    /**
     * @var array [uuid, signals]: the signals cancelRequested() took for the
     * job with this payload uuid and takeSignals() has not returned yet. Keyed
     * like $jobtrackIdCache: the buffer is serialized with the job, and a copy
     * dispatched from handle() (a new payload uuid) must not return the
     * original's signals.
     */
    protected $jobtrackSignals = [];

    /**
     * @var string|null the payload uuid of the queue job this object was
     * cloned from while it had one (a copy made in handle()): the copy
     * carries that queue job and uuid along, but they are the original's, so
     * the copy never records under it (nor uses the id cached or the signals
     * buffered for it). Set by __clone(); a string, so the copy still serializes.
     */
    protected $jobtrackCopiedFrom;

    /** An alias (jobtrack's `alias`), e.g. a human name for this kind of job. */
    public function jobtrackAlias(): ?string
    {
        return null;
    }

    /** Tags, a JSON object: ['customer' => 42, 'file' => 'a.csv']. */
    public function jobtrackTags(): array
    {
        return [];
    }

    /** Any data to keep with the job (jobtrack's `data`). */
    public function jobtrackData(): ?array
    {
        return null;
    }

    /**
     * A named group to join: a title, or ['title' => ..., 'payload' => [...],
     * 'time_to_check' => '5 minutes']. A batched job joins its batch's group
     * unless this returns one.
     *
     * @return string|array|null
     */
    public function jobtrackGroup()
    {
        return null;
    }

    /** The job's jobtrack id (null when it is not tracked, e.g. run synchronously by hand). */
    public function jobtrackId(): ?int
    {
        $key = $this->jobtrackKey();
        if ($key === null) {
            return null;
        }
        if (! is_array($this->jobtrackIdCache) || $this->jobtrackIdCache[0] !== $key || $this->jobtrackIdCache[1] === null) {
            $this->jobtrackIdCache = [$key, app(QueueTracker::class)->idForCommand($this)];
        }

        return $this->jobtrackIdCache[1];
    }

    /**
     * A copy of a job that has a queue job (`clone $this` in handle()) is
     * another job: it forgets which payload it runs as. Laravel serializes
     * a clone of every job it pushes, which has no queue job (one that has
     * cannot be serialized), so the payload's own uuid is kept. A job class
     * with a __clone() of its own calls jobtrackForgetPayload() from it.
     */
    public function __clone()
    {
        $this->jobtrackForgetPayload();
    }

    /** What __clone() does: the copy will not record as the job it was copied from. */
    protected function jobtrackForgetPayload(): void
    {
        $queueJob = $this->job ?? null;
        if ($queueJob instanceof \Illuminate\Contracts\Queue\Job && $queueJob->uuid() !== null) {
            $this->jobtrackCopiedFrom = $queueJob->uuid();
        }
    }

    /**
     * The payload uuid of the job running now: the queue job's, else the one
     * stamped at dispatch. A copy of this job dispatched again has its own;
     * a copy run at once (`dispatchNow(clone $this)`) has none, and the
     * original's queue job and uuid it carries along are never its key.
     */
    protected function jobtrackKey(): ?string
    {
        $queueJob = $this->job ?? null;
        $key = $queueJob instanceof \Illuminate\Contracts\Queue\Job ? $queueJob->uuid() : $this->jobtrackUuid;

        return $key !== null && $key === $this->jobtrackCopiedFrom ? null : $key;
    }

    /** The signals cancelRequested() buffered for this very job (none that a copy carried along). */
    protected function jobtrackBufferedSignals(): array
    {
        $buffer = $this->jobtrackSignals;
        if (! isset($buffer[0], $buffer[1]) || $buffer[0] !== $this->jobtrackKey()) {
            return [];
        }

        return $buffer[1];
    }

    /** setProgress(42.5) as a percentage, or setProgress(300, 1200) as current of total. */
    public function setProgress($currentOrPercentage, $total = null): void
    {
        if ($id = $this->jobtrackId()) {
            app(Jobtrack::class)->setProgress($id, $currentOrPercentage, $total);
        }
    }

    /** A message at level debug, info, success, warning or error. */
    public function addMessage(string $message, string $level = 'info'): void
    {
        if ($id = $this->jobtrackId()) {
            app(Jobtrack::class)->addMessage($id, $message, $level);
        }
    }

    /** Tells jobtrack the job is alive (a stuck job is started again). */
    public function heartbeat(): void
    {
        if ($id = $this->jobtrackId()) {
            app(Jobtrack::class)->heartbeat($id);
        }
    }

    /**
     * The signals sent to this job since the last call, each once (arrays
     * with signal, parameters, cancel_job). A cancel signal also marks the
     * job cancelled; check cancelRequested() to stop.
     */
    public function takeSignals(): array
    {
        $signals = $this->jobtrackBufferedSignals();
        $this->jobtrackSignals = [];
        if ($id = $this->jobtrackId()) {
            foreach (app(Jobtrack::class)->takeSignals($id) as $signal) {
                $signals[] = $signal;
            }
        }
        foreach ($signals as $signal) {
            if ($signal['cancel_job']) {
                app(QueueTracker::class)->cancelled($this->jobtrackId());
            }
        }

        return $signals;
    }

    /**
     * True when a cancel was requested (jobtrack.request_cancel, or a signal
     * with cancel_job) or the job was cancelled: the job is then marked
     * cancelled and handle() should return. Other signals stay for
     * takeSignals().
     */
    public function cancelRequested(): bool
    {
        $id = $this->jobtrackId();
        if (! $id) {
            return false;
        }
        $cancel = false;
        $buffered = $this->jobtrackBufferedSignals();
        foreach (app(Jobtrack::class)->takeSignals($id) as $signal) {
            if ($signal['cancel_job']) {
                $cancel = true;
            } else {
                $buffered[] = $signal;
            }
        }
        $this->jobtrackSignals = [$this->jobtrackKey(), $buffered];
        if ($cancel) {
            app(QueueTracker::class)->cancelled($id);

            return true;
        }

        return app(Jobtrack::class)->status($id) === 'cancelled';
    }
}
