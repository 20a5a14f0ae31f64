<?php

namespace App\Jobs;

use Illuminate\Bus\Batchable;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;
use Jobtrack\Laravel\Trackable;
use RuntimeException;

/**
 * A job as an application writes it, plus `use Trackable`. $mode:
 * ok, fail (always throws), fail_once (throws on its first attempt),
 * release_once (releases itself on its first attempt), delete (deletes itself),
 * gate (waits until the file $gate exists).
 */
class TrackedJob implements ShouldQueue
{
    use Batchable, Dispatchable, InteractsWithQueue, Queueable, SerializesModels, Trackable;

    public $tries = 3;

    public $mode;

    public $n;

    public $gate;

    public function __construct(string $mode = 'ok', int $n = 0, ?string $gate = null)
    {
        $this->mode = $mode;
        $this->n = $n;
        $this->gate = $gate;
    }

    public function jobtrackAlias(): ?string
    {
        return 'tracked-'.$this->mode;
    }

    public function jobtrackTags(): array
    {
        return ['mode' => $this->mode, 'n' => $this->n];
    }

    public function jobtrackData(): ?array
    {
        return ['dispatched_by' => 'test'];
    }

    public function handle()
    {
        $this->addMessage('handling '.$this->mode.' '.$this->n, 'debug');
        if ($this->mode === 'fail') {
            throw new RuntimeException("job {$this->n} always fails");
        }
        if ($this->mode === 'fail_once' && $this->attempts() === 1) {
            throw new RuntimeException("job {$this->n} fails on attempt 1");
        }
        if ($this->mode === 'release_once' && $this->attempts() === 1) {
            $this->release(0);

            return;
        }
        if ($this->mode === 'gate') {
            $deadline = microtime(true) + 60;
            while (! file_exists($this->gate) && microtime(true) < $deadline) {
                usleep(50000);
                $this->heartbeat();
            }
        }
        if ($this->mode === 'delete') {
            $this->delete();

            return;
        }
        $this->setProgress(1, 1);
        $this->addMessage('done', 'success');
    }
}
