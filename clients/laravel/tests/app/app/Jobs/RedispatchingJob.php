<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Jobtrack\Laravel\Trackable;

/**
 * Records a message, then, the first time only, dispatches a copy of itself
 * from handle(), as a job that continues its work in a new job does. The copy
 * carries every property of the original, the jobtrack id it looked up included.
 */
class RedispatchingJob implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, Trackable;

    public $key;

    public $copy = false;

    public function __construct(string $key)
    {
        $this->key = $key;
    }

    public function jobtrackTags(): array
    {
        return ['redispatch' => $this->key];
    }

    public function handle()
    {
        $this->addMessage($this->copy ? 'handled as the copy' : 'handled as the original');
        if (! $this->copy) {
            $next = clone $this;
            $next->job = null;
            $next->copy = true;
            dispatch($next);
        }
    }
}
