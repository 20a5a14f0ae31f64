<?php

namespace Jobtrack\Laravel\Listening;

/**
 * Where jobtrack:listen keeps the id of the last group event it handled,
 * per listener name. Bind your own implementation (config
 * jobtrack.listen.checkpoint_store) to keep it elsewhere.
 */
interface CheckpointStore
{
    /** The last handled event id (0 when none). */
    public function get(string $name): int;

    /**
     * The last handled event id, read while holding a lock that a second
     * listener of the same name waits for (called inside the handling
     * transaction when the store is transactional; else the same as get()).
     */
    public function lock(string $name): int;

    public function put(string $name, int $eventId): void;

    /** Whether put() commits with the database transaction around it. */
    public function isTransactional(): bool;
}
