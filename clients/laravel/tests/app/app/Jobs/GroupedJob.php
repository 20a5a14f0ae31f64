<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Jobtrack\Laravel\Trackable;

/** Joins a named group explicitly. */
class GroupedJob implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, Trackable;

    public $title;

    public function __construct(string $title)
    {
        $this->title = $title;
    }

    public function jobtrackGroup()
    {
        return ['title' => $this->title, 'payload' => ['report' => $this->title], 'time_to_check' => '5 minutes'];
    }

    public function handle()
    {
        $this->setProgress(50.5);
    }
}
