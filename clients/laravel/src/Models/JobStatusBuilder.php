<?php

namespace Jobtrack\Laravel\Models;

use Illuminate\Database\Eloquent\Builder;

class JobStatusBuilder extends Builder
{
    public const AGGREGATES = [
        'total' => 'count(*)',
        'finished' => 'jobtrack.count_finished(status)',
        'successful' => 'jobtrack.count_successful(status)',
        'failed' => 'jobtrack.count_failed(status)',
        'cancelled' => 'jobtrack.count_cancelled(status)',
        'running' => 'jobtrack.count_running(status)',
        'queued' => 'jobtrack.count_queued(status)',
        'not_finished' => 'jobtrack.count_not_finished(status)',
    ];

    /**
     * The counts of the matching jobs in one query, with jobtrack's
     * aggregates: total, finished, successful, failed, cancelled, running,
     * queued, not_finished.
     */
    public function counts(): array
    {
        $select = [];
        foreach (self::AGGREGATES as $name => $expr) {
            $select[] = $expr.' AS '.$name;
        }
        $row = $this->toBase()->cloneWithout(['columns', 'orders', 'limit', 'offset'])
            ->cloneWithoutBindings(['select', 'order'])->selectRaw(implode(', ', $select))->first();

        return array_map('intval', (array) $row);
    }
}
