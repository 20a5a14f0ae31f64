<?php

namespace Jobtrack\Laravel;

use Illuminate\Database\ConnectionInterface;
use Illuminate\Database\ConnectionResolverInterface;
use Illuminate\Database\QueryException;

/**
 * The SQL API of jobtrack, called the way version 2.0 keeps working:
 * every job function by its jobtrack id with an explicit ::bigint cast,
 * every other argument cast to its declared type, create_job with named
 * arguments, and an external id only ever looked up in job_status.
 */
class Jobtrack
{
    /** SQLSTATEs jobtrack raises. */
    public const UNKNOWN = 'P0002';
    public const FORBIDDEN_TRANSITION = '55000';
    public const INVALID_INPUT = '22023';
    public const NULL_INPUT = '22004';
    public const EVENTS_EXPIRED = 'JT001';

    public const LEVELS = ['debug', 'info', 'success', 'warning', 'error'];

    public const STATUSES = ['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled'];

    /** @var ConnectionResolverInterface */
    protected $db;

    /** @var string|null */
    protected $connectionName;

    public function __construct(ConnectionResolverInterface $db, ?string $connectionName = null)
    {
        $this->db = $db;
        $this->connectionName = $connectionName;
    }

    /** The connection jobtrack is called on (config jobtrack.connection). */
    public function connection(): ConnectionInterface
    {
        return $this->db->connection($this->connectionName);
    }

    /**
     * A connection that commits at once, for progress, heartbeats, messages
     * and signals called from handle(): when the main connection is inside a
     * transaction, a second connection with the same settings is used, so
     * other sessions see the progress while the job runs.
     */
    public function liveConnection(): ConnectionInterface
    {
        $main = $this->connection();
        if ($main->transactionLevel() === 0) {
            return $main;
        }
        $name = $main->getName();
        $live = $name.'__jobtrack_live';
        $config = app('config');
        if (! $config->has("database.connections.$live")) {
            $config->set("database.connections.$live", $config->get("database.connections.$name"));
        }

        return $this->db->connection($live);
    }

    /**
     * This client, or one bound to the live connection when the main one is
     * inside a transaction: what a job records from handle() then neither
     * waits for nor is hidden by the job's own transaction.
     */
    public function live(): self
    {
        $live = $this->liveConnection();

        return $live === $this->connection() ? $this : new static($this->db, $live->getName());
    }

    /** Runs one statement and returns its first column, on the given or the main connection. */
    protected function value(string $sql, array $bindings = [], ?ConnectionInterface $conn = null)
    {
        $row = ($conn ?: $this->connection())->selectOne($sql, $bindings, false);

        return $row === null ? null : array_values((array) $row)[0];
    }

    /**
     * Creates a job (or returns the id of the job with this external id,
     * changing nothing). Options: alias, tags (array), group_id, data
     * (array), external_id, delay (seconds, or an interval string).
     */
    public function createJob(string $jobType, array $options = []): int
    {
        self::checkTags($options['tags'] ?? []);
        $delay = $options['delay'] ?? null;
        if (is_int($delay) || is_float($delay)) {
            $delay = $delay > 0 ? $delay.' seconds' : null;
        }

        return (int) $this->value(
            'SELECT jobtrack.create_job(job_type => ?::text, alias => ?::text, tags => ?::jsonb, '
            .'group_id => ?::bigint, data => ?::jsonb, external_id => ?::text, delay => ?::interval)',
            [
                $jobType,
                $options['alias'] ?? null,
                self::json($options['tags'] ?? [], true),
                $options['group_id'] ?? null,
                self::json($options['data'] ?? null),
                $options['external_id'] ?? null,
                $delay,
            ]
        );
    }

    /** The jobtrack id of the job with this external id, or null. */
    public function findByExternalId(string $externalId): ?int
    {
        $id = $this->value('SELECT id FROM jobtrack.job_status WHERE external_id = ?::text', [$externalId]);

        return $id === null ? null : (int) $id;
    }

    public function start(int $id): string
    {
        return $this->value('SELECT jobtrack.start_job(?::bigint)', [$id]);
    }

    public function succeed(int $id): string
    {
        return $this->value('SELECT jobtrack.succeed_job(?::bigint)', [$id]);
    }

    public function fail(int $id, ?string $reason = null): string
    {
        return $this->value('SELECT jobtrack.fail_job(?::bigint, ?::text)', [$id, $reason]);
    }

    public function cancel(int $id): string
    {
        return $this->value('SELECT jobtrack.cancel_job(?::bigint)', [$id]);
    }

    public function pause(int $id): string
    {
        return $this->value('SELECT jobtrack.pause_job(?::bigint)', [$id]);
    }

    public function retry(int $id): string
    {
        return $this->value('SELECT jobtrack.retry_job(?::bigint)', [$id]);
    }

    public function setStatus(int $id, string $status): string
    {
        return $this->value('SELECT jobtrack.set_status(?::bigint, ?::jobtrack.status)', [$id, $status]);
    }

    public function status(int $id): string
    {
        return $this->value('SELECT jobtrack.get_status(?::bigint)', [$id]);
    }

    public function percentage(int $id): ?float
    {
        $p = $this->value('SELECT jobtrack.percentage(?::bigint)', [$id]);

        return $p === null ? null : (float) $p;
    }

    /** setProgress($id, 42.5) sets a percentage; setProgress($id, 300, 1200) current of total. */
    public function setProgress(int $id, $currentOrPercentage, $total = null): void
    {
        if ($total === null) {
            $this->value('SELECT jobtrack.set_progress(?::bigint, ?::numeric)',
                [$id, (string) $currentOrPercentage], $this->liveConnection());
        } else {
            $this->value('SELECT jobtrack.set_progress(?::bigint, ?::bigint, ?::bigint)',
                [$id, (int) $currentOrPercentage, (int) $total], $this->liveConnection());
        }
    }

    public function heartbeat(int $id): void
    {
        $this->value('SELECT jobtrack.heartbeat(?::bigint)', [$id], $this->liveConnection());
    }

    /** $live false: on the main connection, inside its transaction (as the queue tracking does). */
    public function addMessage(int $id, string $message, string $level = 'info', bool $live = true): int
    {
        return (int) $this->value('SELECT jobtrack.add_message(?::bigint, ?::text, ?::text)',
            [$id, $message, $level], $live ? $this->liveConnection() : $this->connection());
    }

    public function sendSignal(int $id, string $signal, array $parameters = [], bool $cancelJob = false): int
    {
        return (int) $this->value('SELECT jobtrack.send_signal(?::bigint, ?::text, ?::jsonb, ?::boolean)',
            [$id, $signal, self::json($parameters, true), $cancelJob ? 'true' : 'false'], $this->liveConnection());
    }

    public function requestCancel(int $id): int
    {
        return (int) $this->value('SELECT jobtrack.request_cancel(?::bigint)', [$id], $this->liveConnection());
    }

    /**
     * The signals not yet taken, each once, marked handled. Each is an
     * array: id, signal, parameters (array), cancel_job (bool), created_at.
     */
    public function takeSignals(int $id): array
    {
        $rows = $this->liveConnection()->select(
            'SELECT id, signal, parameters, cancel_job, created_at FROM jobtrack.take_signals(?::bigint) ORDER BY id',
            [$id], false);

        return array_map(function ($r) {
            return [
                'id' => (int) $r->id,
                'signal' => $r->signal,
                'parameters' => json_decode($r->parameters ?? '{}', true) ?: [],
                'cancel_job' => in_array($r->cancel_job, [true, 't', 1, '1'], true),
                'created_at' => $r->created_at,
            ];
        }, $rows);
    }

    public function createGroup(string $title, ?array $payload = null, ?string $timeToCheck = null): int
    {
        return (int) $this->value(
            'SELECT jobtrack.create_group(?::text, ?::jsonb, coalesce(?::interval, \'1 minute\'::interval))',
            [$title, self::json($payload), $timeToCheck]
        );
    }

    /** The id of the group with this title, created (without payload) when missing. */
    public function groupId(string $title): int
    {
        return (int) $this->value('SELECT jobtrack.group_id(?::text)', [$title]);
    }

    /**
     * First-or-create a group, with a payload and time_to_check when it
     * is created here. A concurrent creator is tolerated (SQLSTATE 23505
     * inside a savepoint, then the existing group is read).
     */
    public function group(string $title, ?array $payload = null, ?string $timeToCheck = null): int
    {
        $id = $this->value('SELECT id FROM jobtrack.job_group WHERE title = ?::text', [$title]);
        if ($id !== null) {
            return (int) $id;
        }
        if ($payload === null && $timeToCheck === null) {
            return $this->groupId($title);
        }
        try {
            return $this->connection()->transaction(function () use ($title, $payload, $timeToCheck) {
                return $this->createGroup($title, $payload, $timeToCheck);
            });
        } catch (QueryException $e) {
            if (self::sqlstate($e) !== '23505') {
                throw $e;
            }

            return $this->groupId($title);
        }
    }

    /**
     * Group events after an id, in id order, each with its group's own
     * payload (group_payload) beside the event's payload.
     * Raises QueryException with SQLSTATE JT001 when after_id has expired.
     */
    public function groupEvents(int $afterId, int $limit = 1000): array
    {
        return $this->connection()->select(
            'SELECT e.id, e.group_id, e.run, e.event, e.created_at, e.payload, g.payload AS group_payload '
            .'FROM jobtrack.group_events(?::bigint) e LEFT JOIN jobtrack.job_group g ON g.id = e.group_id '
            .'ORDER BY e.id LIMIT '.max(1, $limit),
            [$afterId], false);
    }

    /** The SQLSTATE of a query exception (or null). */
    public static function sqlstate(\Throwable $e): ?string
    {
        if ($e instanceof QueryException || $e instanceof \PDOException) {
            $info = $e instanceof \PDOException ? $e->errorInfo : ($e->errorInfo ?? null);
            if (is_array($info) && isset($info[0]) && is_string($info[0])) {
                return $info[0];
            }
            $code = $e->getCode();

            return is_string($code) && strlen($code) === 5 ? $code : null;
        }

        return null;
    }

    /**
     * Tags are key => value pairs (a JSON object), searched by key: a non-empty
     * PHP list would be a JSON array, which create_job rejects, and a scalar is
     * no object either. Checked before anything is written.
     */
    protected static function checkTags($tags): void
    {
        if (is_object($tags) || (is_array($tags) && ($tags === [] || array_keys($tags) !== range(0, count($tags) - 1)))) {
            return;
        }

        throw new \InvalidArgumentException('tags are key => value pairs, such as [\'customer\' => 42], not '
            .(is_array($tags) ? 'a list of '.count($tags).' values (a list has no keys to search by)' : 'a '.gettype($tags)));
    }

    /** JSON for a jsonb parameter; an empty array is an object when $object is set. */
    public static function json($value, bool $object = false): ?string
    {
        if ($value === null) {
            return null;
        }
        if ($object && $value === []) {
            return '{}';
        }

        return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }
}
