<?php

namespace Jobtrack\Laravel\Tests;

use Illuminate\Contracts\Console\Kernel;
use Illuminate\Foundation\Application;
use Illuminate\Support\Facades\DB;
use Jobtrack\Laravel\Jobtrack;
use PHPUnit\Framework\TestCase as BaseTestCase;
use Symfony\Component\Process\Process;

/**
 * Boots the test application in this process (it dispatches jobs like an
 * application would) and runs `php artisan queue:work` and
 * `php artisan jobtrack:listen` as separate processes.
 */
abstract class TestCase extends BaseTestCase
{
    /** @var Application|null */
    protected static $app;

    /** @var Process[] */
    protected $processes = [];

    protected function setUp(): void
    {
        parent::setUp();
        if (static::$app === null) {
            $base = static::appPath();
            $app = require $base.'/bootstrap/app.php';
            $app->make(Kernel::class)->bootstrap();
            static::$app = $app;
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->processes as $p) {
            $this->stopProcess($p);
        }
        $this->processes = [];
        parent::tearDown();
    }

    public static function appPath(): string
    {
        return getenv('JOBTRACK_TEST_APP') ?: __DIR__.'/app';
    }

    protected function jobtrack(): Jobtrack
    {
        return static::$app->make(Jobtrack::class);
    }

    protected function one(string $sql, array $bindings = [])
    {
        return DB::connection()->selectOne($sql, $bindings, false);
    }

    protected function value(string $sql, array $bindings = [])
    {
        $row = $this->one($sql, $bindings);

        return $row === null ? null : array_values((array) $row)[0];
    }

    /** Starts `php artisan ...` in the background. */
    protected function artisan(array $args, array $env = []): Process
    {
        $p = new Process(array_merge([PHP_BINARY, 'artisan'], $args), static::appPath(), $env ?: null, null, null);
        $p->start();
        $this->processes[] = $p;

        return $p;
    }

    /** Runs `php artisan ...` to its end. */
    protected function artisanRun(array $args, array $env = []): Process
    {
        $p = new Process(array_merge([PHP_BINARY, 'artisan'], $args), static::appPath(), $env ?: null, null, 60);
        $p->run();

        return $p;
    }

    protected function worker(): Process
    {
        return $this->artisan(['queue:work', 'database', '--sleep=0.1', '--backoff=0', '--timeout=60']);
    }

    protected function stopProcess(Process $p): void
    {
        if ($p->isRunning()) {
            $p->stop(5, SIGTERM);
        }
    }

    protected function kill(Process $p): void
    {
        if ($p->isRunning()) {
            posix_kill($p->getPid(), SIGKILL);
            $deadline = microtime(true) + 5;
            while ($p->isRunning() && microtime(true) < $deadline) {
                usleep(20000);
            }
        }
    }

    /** Waits until $condition returns a truthy value, which it returns. */
    protected function waitFor(callable $condition, float $seconds, string $what)
    {
        $deadline = microtime(true) + $seconds;
        do {
            $value = $condition();
            if ($value) {
                return $value;
            }
            usleep(50000);
        } while (microtime(true) < $deadline);
        $this->fail("timed out after {$seconds}s waiting for: $what\n".$this->processOutput());
    }

    protected function processOutput(): string
    {
        $out = '';
        foreach ($this->processes as $i => $p) {
            $out .= "--- process $i: ".$p->getCommandLine()."\n".substr($p->getOutput().$p->getErrorOutput(), -3000)."\n";
        }

        return $out;
    }

    /** The payload uuid of the last job pushed to the database queue. */
    protected function lastPushedUuid(): string
    {
        $row = $this->one('SELECT payload FROM jobs ORDER BY id DESC LIMIT 1');

        return json_decode($row->payload, true)['uuid'];
    }

    protected function jobByExternalId(string $uuid)
    {
        return $this->one('SELECT * FROM jobtrack.job_status WHERE external_id = ?::text', [$uuid]);
    }

    protected function messages(int $jobId): array
    {
        return array_map(function ($r) {
            return $r->level.': '.$r->message;
        }, DB::select('SELECT level, message FROM jobtrack.job_message WHERE job_id = ?::bigint ORDER BY id', [$jobId]));
    }
}
