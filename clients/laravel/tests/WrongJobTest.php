<?php

namespace Jobtrack\Laravel\Tests;

use App\Jobs\RedispatchingJob;
use App\Jobs\SignalledCopyJob;
use App\Jobs\SyncCopyJob;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Str;
use PDO;
use PDOException;

/**
 * The wrong-job reproduction through PHP's PDO, whose prepared statements
 * send their parameters untyped: job B's external id is job A's id as text,
 * so a call that resolved an untyped parameter to an external-id overload
 * would act on B.  Against jobtrack 2.0 it acts on A.  And the client's
 * own guards: a job's jobtrack id, once looked up, is never used by another
 * job, and neither are the signals it took and has not returned yet.
 */
class WrongJobTest extends TestCase
{
    private function pdoValue(PDO $pdo, string $sql, array $params = [])
    {
        $st = $pdo->prepare($sql);
        $st->execute($params);
        return $st->fetchColumn();
    }

    public function testAnUntypedParameterNamesTheJobtrackIdNeverAnExternalId(): void
    {
        $pdo = DB::connection()->getPdo();
        $pdo->setAttribute(PDO::ATTR_EMULATE_PREPARES, false);
        $version = $this->pdoValue($pdo, "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'");
        if (version_compare($version, '2.0', '<')) {
            $this->markTestSkipped('jobtrack '.$version.' still has the text twins');
        }
        $a = (int) $this->pdoValue($pdo, 'SELECT jobtrack.create_job(?)', ['A']);
        $b = (int) $this->pdoValue($pdo, 'SELECT jobtrack.create_job(?, external_id => ?)', ['B', (string) $a]);
        $this->pdoValue($pdo, 'SELECT jobtrack.start_job(?)', [$a]);
        $this->pdoValue($pdo, 'SELECT jobtrack.start_job(?)', [$b]);

        $this->assertSame('succeeded', $this->pdoValue($pdo, 'SELECT jobtrack.succeed_job(?)', [(string) $a]));
        $this->assertSame('succeeded', $this->pdoValue($pdo, 'SELECT status FROM jobtrack.job_status WHERE id = ?', [$a]));
        $this->assertSame('started', $this->pdoValue($pdo, 'SELECT status FROM jobtrack.job_status WHERE id = ?', [$b]));
        $this->assertSame('failed', $this->pdoValue($pdo, 'SELECT jobtrack.fail_job(job_id => ?, reason => ?)', [$b, 'named']));
        $this->assertSame('succeeded', $this->pdoValue($pdo, 'SELECT status FROM jobtrack.job_status WHERE id = ?', [$a]));
        $this->assertSame($b, (int) $this->pdoValue($pdo, 'SELECT jobtrack.job(?)', [(string) $a]));

        // an external id where a job id belongs is an error, not another job
        try {
            $this->pdoValue($pdo, 'SELECT jobtrack.cancel_job(?)', ['bull-1']);
            $this->fail('an external id passed as a job id was accepted');
        } catch (PDOException $e) {
            $this->assertSame('22P02', $e->getCode());
        }
    }

    /**
     * A job that dispatches a copy of itself from handle() hands the copy the
     * jobtrack id it looked up (a property, serialized with the job): the copy
     * is a new job with its own payload uuid, and records on its own row.
     */
    public function testACopyDispatchedFromHandleRecordsOnItsOwnJobNeverTheOriginals(): void
    {
        $key = Str::random(8);
        RedispatchingJob::dispatch($key);
        $this->worker();
        $ids = $this->waitFor(function () use ($key) {
            $rows = DB::select("SELECT id FROM jobtrack.job_status WHERE tags @> ?::jsonb AND status = 'succeeded' ORDER BY id",
                [json_encode(['redispatch' => $key])]);

            return count($rows) === 2 ? [(int) $rows[0]->id, (int) $rows[1]->id] : null;
        }, 30, 'the job and its copy succeeded');
        $this->assertSame(['info: handled as the original'], $this->messages($ids[0]));
        $this->assertSame(['info: handled as the copy'], $this->messages($ids[1]), 'the copy recorded on its own job');
    }

    /**
     * cancelRequested() takes every signal sent to the job and keeps all but a
     * cancel for takeSignals(), in a property serialized with the job: a copy
     * dispatched from handle() before takeSignals() must not return them as
     * its own, and the original still must.
     */
    public function testSignalsTheOriginalTookAreNeverReturnedByACopyDispatchedFromHandle(): void
    {
        $key = Str::random(8);
        SignalledCopyJob::dispatch($key);
        $original = (int) $this->jobByExternalId($this->lastPushedUuid())->id;
        DB::select("SELECT jobtrack.send_signal(?::bigint, 'note'::text, '{\"for\": \"the original\"}'::jsonb)", [$original]);
        $this->worker();
        $ids = $this->waitFor(function () use ($key) {
            $rows = DB::select("SELECT id FROM jobtrack.job_status WHERE tags @> ?::jsonb AND status = 'succeeded' ORDER BY id",
                [json_encode(['signalled_copy' => $key])]);

            return count($rows) === 2 ? [(int) $rows[0]->id, (int) $rows[1]->id] : null;
        }, 30, 'the job and its copy succeeded');
        $this->assertSame($original, $ids[0]);
        $this->assertSame(['info: original took: note'], $this->messages($ids[0]), 'the original gets its signal');
        $this->assertSame(['info: copy took: nothing'], $this->messages($ids[1]), 'the copy has no signal of the original');
    }

    /**
     * A copy run at once from handle() (`Bus::dispatchNow(clone $this)`) has
     * no payload of its own: it must not take the original's jobtrack job for
     * its own, through the queue job it carries along, its cached id or the
     * signals the original buffered. It runs untracked, as any job run at
     * once does; the original's row gets none of its writes and keeps every
     * signal for the original.
     */
    public function testACopyRunAtOnceFromHandleNeverWritesOnTheOriginalsJob(): void
    {
        $key = Str::random(8);
        $report = tempnam(sys_get_temp_dir(), 'jobtrack-sync-copy');
        unlink($report);
        try {
            SyncCopyJob::dispatch($key, $report);
            $original = (int) $this->jobByExternalId($this->lastPushedUuid())->id;
            DB::select("SELECT jobtrack.send_signal(?::bigint, 'first'::text)", [$original]);
            $this->worker();
            $row = $this->waitFor(function () use ($original) {
                $row = $this->one('SELECT * FROM jobtrack.job_status WHERE id = ?::bigint', [$original]);

                return in_array($row->status, ['succeeded', 'failed', 'cancelled'], true) ? $row : null;
            }, 30, 'the original finished');
            $this->assertFileExists($report, 'the copy ran');
            $copy = json_decode(file_get_contents($report), true);

            $this->assertSame('succeeded', $row->status, 'the copy did not end the original');
            $this->assertSame(['info: original took: first, second'], $this->messages($original),
                'the original has none of the copy\'s messages and gets both its signals');
            $this->assertSame(0, (int) $this->value("SELECT count(*) FROM jobtrack.job_message WHERE message = 'the copy ran'
                AND job_id IN (SELECT id FROM jobtrack.job_status WHERE tags @> ?::jsonb)", [json_encode(['sync_copy' => $key])]));
            $this->assertNull($copy['id'], 'the copy run at once is not tracked, and not as the original');
            $this->assertFalse($copy['cancel']);
            $this->assertSame([], $copy['signals'], 'the copy took none of the original\'s signals');
            $this->assertSame(0, (int) $this->value('SELECT count(*) FROM jobtrack.job_signal WHERE job_id = ?::bigint AND handled_at IS NULL',
                [$original]), 'the original took both its signals itself');
            $this->assertSame(1, (int) $this->value('SELECT count(*) FROM jobtrack.job_status WHERE tags @> ?::jsonb',
                [json_encode(['sync_copy' => $key])]), 'one job: the original');
        } finally {
            @unlink($report);
        }
    }
}
