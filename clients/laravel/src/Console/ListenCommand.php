<?php

namespace Jobtrack\Laravel\Console;

use Illuminate\Console\Command;
use Jobtrack\Laravel\Jobtrack;
use Jobtrack\Laravel\Listening\CheckpointStore;
use Jobtrack\Laravel\Listening\EventListener;

/**
 * php artisan jobtrack:listen — LISTENs on jobtrack_events and dispatches
 * GroupStarted / GroupCompleted to the app's listeners, resuming after the
 * last event it handled (run it under a supervisor, like queue:work).
 */
class ListenCommand extends Command
{
    protected $signature = 'jobtrack:listen
        {--name=default : The listener\'s name: each name keeps its own checkpoint}
        {--once : Handle the events not yet handled, then exit}
        {--max-time=0 : Exit after this many seconds (0: never)}
        {--from= : Set the checkpoint to this event id first (e.g. 0 to replay every kept event)}';

    protected $description = 'Dispatch jobtrack group events (GroupStarted, GroupCompleted) to the application';

    /** @var bool */
    protected $stopping = false;

    public function handle(Jobtrack $jobtrack, CheckpointStore $store)
    {
        $config = $this->laravel['config']->get('jobtrack.listen', []);
        $name = (string) $this->option('name');
        $listener = new EventListener($jobtrack, $store, $this->laravel['events'], $this->laravel['log'], $name, $config);

        if ($this->option('from') !== null) {
            $store->put($name, (int) $this->option('from'));
        }
        if (extension_loaded('pcntl')) {
            pcntl_async_signals(true);
            foreach ([SIGTERM, SIGINT, SIGQUIT] as $signal) {
                pcntl_signal($signal, function () {
                    $this->stopping = true;
                });
            }
        }
        $print = function (string $line) {
            $this->line($line);
        };

        if ($this->option('once')) {
            $n = $listener->replay($print);
            $this->info("handled $n event(s)");

            return 0;
        }

        $deadline = (int) $this->option('max-time') > 0 ? microtime(true) + (int) $this->option('max-time') : null;
        $this->info(sprintf('listening on %s as "%s", after event %d', $config['channel'] ?? 'jobtrack_events', $name, $store->get($name)));
        $listener->run(function () use ($deadline) {
            return $this->stopping || ($deadline !== null && microtime(true) >= $deadline);
        }, $print, $deadline);

        return 0;
    }
}
