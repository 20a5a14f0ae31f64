<?php

namespace Jobtrack\Laravel\Tests;

use Illuminate\Support\Facades\DB;
use Illuminate\Support\Str;

class ListenerTest extends TestCase
{
    public function testANotificationIsOnlyAWakeUpAndEventsAreReadFromGroupEvents(): void
    {
        $name = 'wake-'.Str::random(6);
        $this->artisanRun(['jobtrack:listen', '--once', '--name='.$name,
            '--from='.(int) $this->value('SELECT coalesce(max(id), 0) FROM jobtrack.group_event')]);
        // it polls once a minute only: what arrives sooner was woken by a notification
        $this->artisan(['jobtrack:listen', '--name='.$name], ['JOBTRACK_POLL_MS' => '60000']);
        usleep(1500000); // it has replayed and now waits

        // a forged or minimal notification ({event, event_id, group_id, run}) is a hint only
        DB::statement("SELECT pg_notify('jobtrack_events', '{\"event\": \"group.completed\", \"event_id\": 987654321, \"group_id\": 1, \"run\": 1}')");

        // a real group: its events arrive at once, long before the next poll
        $t0 = microtime(true);
        $gid = (int) $this->value("SELECT jobtrack.create_group(?::text, '{\"k\": 1}'::jsonb, '1 minute'::interval)", ['wake '.Str::random(6)]);
        $job = $this->jobtrack()->createJob('WakeJob', ['group_id' => $gid]);
        $this->jobtrack()->start($job);
        $this->jobtrack()->succeed($job);
        $this->waitFor(function () use ($gid) {
            return (int) $this->value('SELECT count(*) FROM handled_group_events WHERE group_id = ?', [$gid]) === 2;
        }, 20, 'both events handled, woken by notifications');
        $this->assertLessThan(30.0, microtime(true) - $t0);
        $this->assertSame(0, (int) $this->value('SELECT count(*) FROM handled_group_events WHERE event_id = 987654321'));
        $row = $this->one("SELECT * FROM handled_group_events WHERE group_id = ? AND event = 'group.completed'", [$gid]);
        $this->assertSame(['k' => 1], json_decode($row->group_payload, true));
        $this->assertSame(1, json_decode($row->counts, true)['succeeded']);
    }

    public function testTheCheckpointCanLiveInTheCache(): void
    {
        $env = ['JOBTRACK_CHECKPOINT_STORE' => 'cache'];
        $name = 'cache-'.Str::random(6);
        $newest = (int) $this->value('SELECT coalesce(max(id), 0) FROM jobtrack.group_event');
        $gid = (int) $this->value('SELECT jobtrack.group_id(?::text)', ['cache '.$name]);
        $job = $this->jobtrack()->createJob('CacheJob', ['group_id' => $gid]);
        $this->jobtrack()->start($job);
        $this->jobtrack()->succeed($job);
        $this->waitFor(function () use ($gid) {
            return (int) $this->value('SELECT count(*) FROM jobtrack.group_event WHERE group_id = ?::bigint', [$gid]) === 2;
        }, 10, 'the worker raised both events');

        $p = $this->artisanRun(['jobtrack:listen', '--once', '--name='.$name, '--from='.$newest], $env);
        $this->assertSame(0, $p->getExitCode(), $p->getErrorOutput());
        $this->assertSame(2, (int) $this->value('SELECT count(*) FROM handled_group_events WHERE group_id = ?', [$gid]));
        $this->assertSame(0, (int) $this->value('SELECT count(*) FROM jobtrack_listener_checkpoints WHERE name = ?', [$name]));
        $p = $this->artisanRun(['jobtrack:listen', '--once', '--name='.$name], $env);
        $this->assertStringContainsString('handled 0 event(s)', $p->getOutput());
        $this->assertSame(2, (int) $this->value('SELECT count(*) FROM handled_group_events WHERE group_id = ?', [$gid]));
    }

    /**
     * 2.0 raises SQLSTATE JT001 from group_events(after_id) when after_id is
     * older than the oldest kept event. Simulated here in a database of its
     * own, whose group_events() is replaced by one that raises it.
     */
    public function testExpiredEventsAreLoggedAnnouncedAndResumedNeverLoopingSilently(): void
    {
        $db = 'app_expiry';
        DB::statement("DROP DATABASE IF EXISTS $db WITH (FORCE)");
        DB::statement("CREATE DATABASE $db");
        $config = static::$app['config'];
        $config->set('database.connections.expiry', array_merge($config->get('database.connections.pgsql'), ['database' => $db]));
        $x = DB::connection('expiry');
        $x->statement('CREATE EXTENSION jobtrack');
        $env = ['DB_DATABASE' => $db];
        $migrate = $this->artisanRun(['migrate', '--force'], $env);
        $this->assertSame(0, $migrate->getExitCode(), $migrate->getErrorOutput().$migrate->getOutput());

        // six events (no worker serves this database: check by hand)
        for ($i = 1; $i <= 3; $i++) {
            $g = $x->selectOne("SELECT jobtrack.create_group('g$i') AS id")->id;
            $j = $x->selectOne("SELECT jobtrack.create_job(job_type => 'X'::text, group_id => ?::bigint) AS id", [$g])->id;
            $x->select('SELECT jobtrack.start_job(?::bigint), jobtrack.succeed_job(?::bigint)', [$j, $j]);
            $x->select('SELECT jobtrack.check_groups()');
        }
        $this->assertSame(6, (int) $x->selectOne('SELECT count(*) AS n FROM jobtrack.group_event')->n);
        $x->unprepared(<<<'SQL'
CREATE OR REPLACE FUNCTION jobtrack.group_events(after_id bigint DEFAULT 0)
 RETURNS SETOF jobtrack.group_event LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF after_id < (SELECT coalesce(min(id), 1) - 1 FROM jobtrack.group_event) THEN
        RAISE EXCEPTION 'group events after id % have expired', after_id USING ERRCODE = 'JT001';
    END IF;
    RETURN QUERY SELECT e.* FROM jobtrack.group_event e WHERE e.id > after_id ORDER BY e.id;
END $$;
SQL);
        $x->statement('DELETE FROM jobtrack.group_event WHERE id <= 4'); // "expired"
        $log = static::appPath().'/storage/logs/laravel.log';
        $logSize = is_file($log) ? filesize($log) : 0;

        // policy newest (default): announced, logged, skips to the newest event
        $p = $this->artisanRun(['jobtrack:listen', '--once', '--name=a', '--from=1'], $env);
        $this->assertSame(0, $p->getExitCode(), $p->getErrorOutput().$p->getOutput());
        $this->assertSame(6, (int) $x->selectOne("SELECT last_event_id FROM jobtrack_listener_checkpoints WHERE name = 'a'")->last_event_id);
        $handled = $x->select('SELECT event, event_id FROM handled_group_events ORDER BY id');
        $this->assertCount(1, $handled);
        $this->assertSame('expired', $handled[0]->event);
        $this->assertSame(6, (int) $handled[0]->event_id);
        $logged = substr(file_get_contents($log), $logSize);
        $this->assertStringContainsString('have expired (SQLSTATE JT001)', $logged);
        $this->assertStringContainsString('resuming after event 6 (policy "newest")', $logged);

        // policy oldest: replays what is still kept
        $x->statement('DELETE FROM handled_group_events');
        $p = $this->artisanRun(['jobtrack:listen', '--once', '--name=b', '--from=1'], $env + ['JOBTRACK_ON_EXPIRED' => 'oldest']);
        $this->assertSame(0, $p->getExitCode(), $p->getErrorOutput().$p->getOutput());
        $this->assertSame([['expired', 4], ['group.started', 5], ['group.completed', 6]], array_map(function ($r) {
            return [$r->event, (int) $r->event_id];
        }, $x->select('SELECT event, event_id FROM handled_group_events ORDER BY id')));

        // an error that does not go away stops the listener, loudly
        $x->unprepared(<<<'SQL'
CREATE OR REPLACE FUNCTION jobtrack.group_events(after_id bigint DEFAULT 0)
 RETURNS SETOF jobtrack.group_event LANGUAGE plpgsql STABLE AS $$
BEGIN
    RAISE EXCEPTION 'group events after id % have expired', after_id USING ERRCODE = 'JT001';
END $$;
SQL);
        $p = $this->artisanRun(['jobtrack:listen', '--once', '--name=c'], $env);
        $this->assertNotSame(0, $p->getExitCode());
        $this->assertStringContainsString('keeps raising JT001', $p->getErrorOutput().$p->getOutput());

        DB::disconnect('expiry');
        DB::statement("DROP DATABASE IF EXISTS $db WITH (FORCE)");
    }
}
