<?php

namespace Jobtrack\Laravel\Listening;

use Illuminate\Contracts\Cache\Repository;

/** Keeps the checkpoint in a cache store (it must be persistent: a lost key replays every kept event). */
class CacheCheckpointStore implements CheckpointStore
{
    /** @var Repository */
    protected $cache;

    public function __construct(Repository $cache)
    {
        $this->cache = $cache;
    }

    public function get(string $name): int
    {
        return (int) $this->cache->get('jobtrack:listen:'.$name, 0);
    }

    public function lock(string $name): int
    {
        return $this->get($name);
    }

    public function put(string $name, int $eventId): void
    {
        $this->cache->forever('jobtrack:listen:'.$name, $eventId);
    }

    public function isTransactional(): bool
    {
        return false;
    }
}
