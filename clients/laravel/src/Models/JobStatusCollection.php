<?php

namespace Jobtrack\Laravel\Models;

use Illuminate\Database\Eloquent\Collection;

/** Jobs loaded into PHP, with the counts of jobtrack's aggregates. */
class JobStatusCollection extends Collection
{
    protected function countIn(array $statuses): int
    {
        return $this->filter(function ($job) use ($statuses) {
            return in_array($job->status, $statuses, true);
        })->count();
    }

    public function countFinished(): int
    {
        return $this->countIn(['succeeded', 'failed', 'cancelled']);
    }

    public function countSuccessful(): int
    {
        return $this->countIn(['succeeded']);
    }

    public function countFailed(): int
    {
        return $this->countIn(['failed']);
    }

    public function countCancelled(): int
    {
        return $this->countIn(['cancelled']);
    }

    public function countRunning(): int
    {
        return $this->countIn(['started']);
    }

    public function countQueued(): int
    {
        return $this->countIn(['queued', 'delayed']);
    }

    public function countNotFinished(): int
    {
        return $this->count() - $this->countFinished();
    }

    /** All counts at once, keyed like JobStatusBuilder::counts(). */
    public function counts(): array
    {
        return [
            'total' => $this->count(),
            'finished' => $this->countFinished(),
            'successful' => $this->countSuccessful(),
            'failed' => $this->countFailed(),
            'cancelled' => $this->countCancelled(),
            'running' => $this->countRunning(),
            'queued' => $this->countQueued(),
            'not_finished' => $this->countNotFinished(),
        ];
    }
}
