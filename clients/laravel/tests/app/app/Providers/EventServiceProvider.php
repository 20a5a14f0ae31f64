<?php

namespace App\Providers;

use App\Listeners\RecordEventsExpired;
use App\Listeners\RecordGroupEvent;
use Illuminate\Foundation\Support\Providers\EventServiceProvider as ServiceProvider;
use Jobtrack\Laravel\Events\EventsExpired;
use Jobtrack\Laravel\Events\GroupCompleted;
use Jobtrack\Laravel\Events\GroupStarted;

class EventServiceProvider extends ServiceProvider
{
    protected $listen = [
        GroupStarted::class => [RecordGroupEvent::class],
        GroupCompleted::class => [RecordGroupEvent::class],
        EventsExpired::class => [RecordEventsExpired::class],
    ];
}
