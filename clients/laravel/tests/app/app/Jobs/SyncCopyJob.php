<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Support\Facades\Bus;
use Jobtrack\Laravel\Jobtrack;
use Jobtrack\Laravel\Trackable;

/**
 * Runs a copy of itself synchronously from handle(), as `dispatchNow(clone
 * $this)` does: the copy keeps every property of the original, the queue job
 * the original runs as included (Laravel gives a job run at once a queue job
 * of its own only when it has none). In order:
 *
 * - the original checks cancelRequested(), which keeps the signal `first`
 *   (sent before it ran) for takeSignals(); it sets its progress, and sends
 *   itself the signal `second`;
 * - the copy, run at once: cancelRequested(), a message, a progress of 50, a
 *   heartbeat and takeSignals(); it writes its jobtrackId() and the signals it
 *   got to the file $report, as its messages could land anywhere;
 * - the original, once the copy returned: takeSignals(), recorded as a message.
 */
class SyncCopyJob implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, Trackable;

    public $key;

    public $report;

    public $copy = false;

    public function __construct(string $key, string $report)
    {
        $this->key = $key;
        $this->report = $report;
    }

    public function jobtrackTags(): array
    {
        return ['sync_copy' => $this->key];
    }

    public function handle()
    {
        if ($this->copy) {
            $cancel = $this->cancelRequested();
            $this->addMessage('the copy ran');
            $this->setProgress(50);
            $this->heartbeat();
            file_put_contents($this->report, json_encode([
                'id' => $this->jobtrackId(),
                'cancel' => $cancel,
                'signals' => $this->signalNames($this->takeSignals()),
            ]));

            return;
        }
        if ($this->cancelRequested()) {
            return;
        }
        $this->setProgress(10);
        app(Jobtrack::class)->sendSignal($this->jobtrackId(), 'second');
        $copy = clone $this;
        $copy->copy = true;
        Bus::dispatchNow($copy);
        $this->addMessage('original took: '.implode(', ', $this->signalNames($this->takeSignals())));
    }

    private function signalNames(array $signals): array
    {
        return array_map(function ($signal) {
            return $signal['signal'];
        }, $signals);
    }
}
