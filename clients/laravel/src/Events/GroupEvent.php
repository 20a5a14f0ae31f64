<?php

namespace Jobtrack\Laravel\Events;

/**
 * A jobtrack group event, read from jobtrack.group_events() (never from
 * the notification). GroupStarted and GroupCompleted extend it; an event
 * name this version does not know arrives as a plain GroupEvent.
 */
class GroupEvent
{
    /** @var int the event's id in jobtrack.group_event */
    public $eventId;

    /** @var int */
    public $groupId;

    /** @var int the group's run (1, then 2 after a reopen, …) */
    public $run;

    /** @var string group.started, group.completed, … */
    public $event;

    /** @var string|null */
    public $title;

    /** @var array total, queued, running, paused, stuck, not_finished, finished, succeeded, failed, cancelled */
    public $counts;

    /** @var array the event's whole payload */
    public $payload;

    /** @var array|null the group's own payload (create_group's; for a batch: batch_id, batch_name) */
    public $groupPayload;

    /** @var string|null */
    public $createdAt;

    public function __construct(int $eventId, int $groupId, int $run, string $event, array $payload,
        ?array $groupPayload = null, ?string $createdAt = null)
    {
        $this->eventId = $eventId;
        $this->groupId = $groupId;
        $this->run = $run;
        $this->event = $event;
        $this->payload = $payload;
        $this->title = $payload['title'] ?? null;
        $this->counts = $payload['counts'] ?? [];
        $this->groupPayload = $groupPayload;
        $this->createdAt = $createdAt;
    }

    /** Builds the right class from a row of jobtrack.group_events(). */
    public static function fromRow($row): self
    {
        $row = (array) $row;
        $payload = json_decode($row['payload'] ?? '{}', true) ?: [];
        $group = isset($row['group_payload']) ? json_decode($row['group_payload'], true) : null;
        $map = ['group.started' => GroupStarted::class, 'group.completed' => GroupCompleted::class];
        $class = $map[$row['event']] ?? self::class;

        return new $class((int) $row['id'], (int) $row['group_id'], (int) $row['run'], (string) $row['event'],
            $payload, is_array($group) ? $group : null, $row['created_at'] ?? null);
    }

    /** The batch id when the group was made for a Bus::batch. */
    public function batchId(): ?string
    {
        return $this->groupPayload['batch_id'] ?? null;
    }
}
