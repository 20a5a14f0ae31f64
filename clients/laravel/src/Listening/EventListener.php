<?php

namespace Jobtrack\Laravel\Listening;

use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Database\QueryException;
use Jobtrack\Laravel\Events\EventsExpired;
use Jobtrack\Laravel\Events\GroupEvent;
use Jobtrack\Laravel\Jobtrack;
use PDO;
use Psr\Log\LoggerInterface;
use RuntimeException;

/**
 * The loop behind jobtrack:listen. A notification is only a wake-up: the
 * events themselves are always read from jobtrack.group_events(last id),
 * so a notification that carries only {event, event_id, group_id, run}, a
 * forged one, or one lost while disconnected changes nothing. Each event is
 * dispatched as a Laravel event and its id stored, in one transaction when
 * the store allows, before the next one.
 */
class EventListener
{
    /** @var Jobtrack */
    protected $jobtrack;

    /** @var CheckpointStore */
    protected $store;

    /** @var Dispatcher */
    protected $events;

    /** @var LoggerInterface */
    protected $log;

    /** @var string */
    protected $name;

    /** @var array */
    protected $options;

    /** @var int JT001 seen in a row without progress */
    protected $expiredInARow = 0;

    public function __construct(Jobtrack $jobtrack, CheckpointStore $store, Dispatcher $events, LoggerInterface $log,
        string $name = 'default', array $options = [])
    {
        $this->jobtrack = $jobtrack;
        $this->store = $store;
        $this->events = $events;
        $this->log = $log;
        $this->name = $name;
        $this->options = $options + [
            'channel' => 'jobtrack_events',
            'transaction' => true,
            'poll_ms' => 5000,
            'on_expired' => 'newest',
        ];
    }

    /**
     * Listens until $stop() returns true (checked at least every poll_ms).
     * $output receives one line per handled event.
     */
    public function run(callable $stop, ?callable $output = null, ?float $deadline = null): void
    {
        while (! $stop()) {
            $this->listen();
            $this->replay($output);
            if ($stop()) {
                break;
            }
            $wait = (int) $this->options['poll_ms'];
            if ($deadline !== null) {
                $wait = (int) max(1, min($wait, ($deadline - microtime(true)) * 1000));
            }
            $this->wait($wait);
        }
    }

    /** LISTEN on the channel (again after a reconnect: it is idempotent). */
    public function listen(): void
    {
        $channel = str_replace('"', '""', $this->options['channel']);
        $this->jobtrack->connection()->unprepared('LISTEN "'.$channel.'"');
    }

    /** Waits for a notification (or the timeout) and drains any others queued. */
    public function wait(int $timeoutMs): bool
    {
        $pdo = $this->jobtrack->connection()->getPdo();
        if (! method_exists($pdo, 'pgsqlGetNotify')) {
            usleep($timeoutMs * 1000);

            return false;
        }
        $got = $pdo->pgsqlGetNotify(PDO::FETCH_ASSOC, $timeoutMs) !== false;
        while ($got && $pdo->pgsqlGetNotify(PDO::FETCH_ASSOC, 0) !== false) {
            // a burst of notifications is one replay
        }

        return $got;
    }

    /** Handles every event after the checkpoint; returns how many were dispatched. */
    public function replay(?callable $output = null): int
    {
        $handled = 0;
        while (true) {
            $last = $this->store->get($this->name);
            try {
                $rows = $this->jobtrack->groupEvents($last, 500);
            } catch (QueryException $e) {
                if (Jobtrack::sqlstate($e) !== Jobtrack::EVENTS_EXPIRED) {
                    throw $e;
                }
                $this->expired($last, $e);
                continue;
            }
            $this->expiredInARow = 0;
            if (! $rows) {
                return $handled;
            }
            foreach ($rows as $row) {
                if ($this->handle($row)) {
                    $handled++;
                    if ($output) {
                        $output(sprintf('event %d: %s group %d run %d', $row->id, $row->event, $row->group_id, $row->run));
                    }
                }
            }
        }
    }

    /** Dispatches one event unless it was already handled; true if dispatched. */
    protected function handle($row): bool
    {
        $id = (int) $row->id;
        $work = function () use ($row, $id) {
            if ($id <= $this->store->lock($this->name)) {
                return false; // another listener of this name handled it
            }
            $this->events->dispatch(GroupEvent::fromRow($row));
            $this->store->put($this->name, $id);

            return true;
        };
        if ($this->options['transaction'] && $this->store->isTransactional()) {
            return $this->jobtrack->connection()->transaction($work);
        }

        return $work();
    }

    /**
     * The events after $last have expired (SQLSTATE JT001). Logged as an
     * error, announced as EventsExpired, and the checkpoint moved per
     * on_expired: 'newest' (skip to the newest event) or 'oldest' (replay the
     * events still kept). Never loops: a second JT001 in a row without
     * progress falls back to 'newest', a third stops the listener.
     */
    protected function expired(int $last, QueryException $e): void
    {
        $this->expiredInARow++;
        if ($this->expiredInARow > 2) {
            throw new RuntimeException('jobtrack:listen: group_events() keeps raising JT001 (events expired) after '
                .'moving the checkpoint; stopping: '.$e->getMessage(), 0, $e);
        }
        $policy = $this->expiredInARow > 1 ? 'newest' : $this->options['on_expired'];
        $db = $this->jobtrack->connection();
        if ($policy === 'oldest') {
            $resume = (int) ($db->selectOne('SELECT coalesce(min(id), 1) - 1 AS id FROM jobtrack.group_event', [], false)->id);
        } else {
            $resume = (int) ($db->selectOne('SELECT coalesce(max(id), 0) AS id FROM jobtrack.group_event', [], false)->id);
        }
        $resume = max($resume, $last);
        $message = sprintf('jobtrack:listen "%s": the group events after id %d have expired (SQLSTATE JT001) and were '
            .'missed; resuming after event %d (policy "%s"). Rebuild what you derive from events from the groups\' '
            .'current state.', $this->name, $last, $resume, $policy);
        $this->log->error($message, ['sqlstate' => 'JT001', 'error' => $e->getMessage()]);
        $this->events->dispatch(new EventsExpired($this->name, $last, $resume, $message));
        $this->store->put($this->name, $resume);
    }
}
