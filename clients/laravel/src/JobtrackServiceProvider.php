<?php

namespace Jobtrack\Laravel;

use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Queue\Queue;
use Illuminate\Support\ServiceProvider;
use Jobtrack\Laravel\Console\ListenCommand;
use Jobtrack\Laravel\Listening\CacheCheckpointStore;
use Jobtrack\Laravel\Listening\CheckpointStore;
use Jobtrack\Laravel\Listening\DatabaseCheckpointStore;

class JobtrackServiceProvider extends ServiceProvider
{
    /** @var bool */
    protected static $hooked = false;

    public function register()
    {
        $this->mergeConfigFrom(__DIR__.'/../config/jobtrack.php', 'jobtrack');

        $this->app->singleton(Jobtrack::class, function ($app) {
            return new Jobtrack($app['db'], $app['config']->get('jobtrack.connection'));
        });
        $this->app->singleton(QueueTracker::class, function ($app) {
            return new QueueTracker($app->make(Jobtrack::class));
        });
        $this->app->bind(CheckpointStore::class, function ($app) {
            $store = $app['config']->get('jobtrack.listen.checkpoint_store', 'database');
            if ($store === 'database') {
                return new DatabaseCheckpointStore($app->make(Jobtrack::class)->connection());
            }
            if ($store === 'cache') {
                return new CacheCheckpointStore($app['cache']->store($app['config']->get('jobtrack.listen.cache_store')));
            }

            return $app->make($store);
        });
    }

    public function boot()
    {
        $this->publishes([__DIR__.'/../config/jobtrack.php' => $this->app->configPath('jobtrack.php')], 'jobtrack-config');
        $this->loadMigrationsFrom(__DIR__.'/../database/migrations');

        if ($this->app->runningInConsole()) {
            $this->commands([ListenCommand::class]);
        }

        if ($this->app['config']->get('jobtrack.track_queue', true)) {
            $this->app->make(QueueTracker::class)->subscribe($this->app->make(Dispatcher::class));
            // the hook list is static: register once per process, resolve per call
            if (! static::$hooked) {
                static::$hooked = true;
                Queue::createPayloadUsing(function ($connection, $queue, $payload) {
                    return app(QueueTracker::class)->payloadHook($connection, $queue, $payload);
                });
            }
        }
    }
}
