<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Jobtrack\Laravel\Trackable;

/**
 * The original checks cancelRequested(), which takes the signals sent to it
 * and keeps all but a cancel for takeSignals(), then dispatches a copy of
 * itself before it calls takeSignals(). Each records the signals its own
 * takeSignals() returned as a message.
 */
class SignalledCopyJob implements ShouldQueue
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
        return ['signalled_copy' => $this->key];
    }

    public function handle()
    {
        if (! $this->copy) {
            if ($this->cancelRequested()) {
                return;
            }
            $next = clone $this;
            $next->job = null;
            $next->copy = true;
            dispatch($next);
        }
        $names = array_map(function ($signal) {
            return $signal['signal'];
        }, $this->takeSignals());
        $this->addMessage(($this->copy ? 'copy' : 'original').' took: '.($names ? implode(', ', $names) : 'nothing'));
    }
}
