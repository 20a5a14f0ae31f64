<?php

namespace Jobtrack\Laravel\Events;

/**
 * jobtrack:listen found that the events after the last one it handled
 * have expired (SQLSTATE JT001): some events were missed. The app should
 * rebuild what it derives from events from the groups' current state
 * (Jobtrack\Laravel\Models\JobGroup). The listener resumes after
 * $resumeAfterId.
 */
class EventsExpired
{
    /** @var string */
    public $listener;

    /** @var int */
    public $lastHandledId;

    /** @var int */
    public $resumeAfterId;

    /** @var string */
    public $message;

    public function __construct(string $listener, int $lastHandledId, int $resumeAfterId, string $message)
    {
        $this->listener = $listener;
        $this->lastHandledId = $lastHandledId;
        $this->resumeAfterId = $resumeAfterId;
        $this->message = $message;
    }
}
