<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Support\Facades\DB;
use Jobtrack\Laravel\Trackable;

/** Works in $steps steps of $sleepMs, reporting progress, and stops when a cancel is requested. */
class LongJob implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, Trackable;

    public $steps;

    public $sleepMs;

    public $inTransaction;

    public function __construct(int $steps = 50, int $sleepMs = 200, bool $inTransaction = false)
    {
        $this->steps = $steps;
        $this->sleepMs = $sleepMs;
        $this->inTransaction = $inTransaction;
    }

    public function jobtrackTags(): array
    {
        return ['kind' => 'long'];
    }

    public function handle()
    {
        if ($this->inTransaction) {
            // progress reported from inside the job's own transaction
            DB::transaction(function () {
                DB::table('jobs')->count();
                $this->work();
            });

            return;
        }
        $this->work();
    }

    protected function work(): void
    {
        foreach (['debug', 'info', 'success', 'warning', 'error'] as $level) {
            $this->addMessage("a $level message", $level);
        }
        for ($i = 1; $i <= $this->steps; $i++) {
            if ($this->cancelRequested()) {
                $this->addMessage("stopped cleanly at step $i", 'warning');

                return;
            }
            foreach ($this->takeSignals() as $signal) {
                $this->addMessage('signal '.$signal['signal'].' '.json_encode($signal['parameters']), 'info');
            }
            usleep($this->sleepMs * 1000);
            $this->setProgress($i, $this->steps);
            $this->heartbeat();
        }
    }
}
