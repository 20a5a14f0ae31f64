<?php

namespace Jobtrack\Laravel\Listening;

use Illuminate\Database\ConnectionInterface;

/** The default store: a row per listener in jobtrack_listener_checkpoints. */
class DatabaseCheckpointStore implements CheckpointStore
{
    /** @var ConnectionInterface */
    protected $db;

    /** @var string */
    protected $table;

    public function __construct(ConnectionInterface $db, string $table = 'jobtrack_listener_checkpoints')
    {
        $this->db = $db;
        $this->table = $table;
    }

    public function get(string $name): int
    {
        $row = $this->db->selectOne('SELECT last_event_id FROM '.$this->table.' WHERE name = ?', [$name], false);

        return $row ? (int) $row->last_event_id : 0;
    }

    public function lock(string $name): int
    {
        $this->db->statement('INSERT INTO '.$this->table.' (name, last_event_id, updated_at) VALUES (?, 0, now()) ON CONFLICT (name) DO NOTHING', [$name]);
        $row = $this->db->selectOne('SELECT last_event_id FROM '.$this->table.' WHERE name = ? FOR UPDATE', [$name], false);

        return $row ? (int) $row->last_event_id : 0;
    }

    public function put(string $name, int $eventId): void
    {
        $this->db->statement('INSERT INTO '.$this->table.' (name, last_event_id, updated_at) VALUES (?, ?, now()) '
            .'ON CONFLICT (name) DO UPDATE SET last_event_id = excluded.last_event_id, updated_at = excluded.updated_at', [$name, $eventId]);
    }

    public function isTransactional(): bool
    {
        return true;
    }
}
