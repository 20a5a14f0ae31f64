<?php

namespace Jobtrack\Laravel\Tests;

use Illuminate\Container\Container;
use Illuminate\Contracts\Queue\Job as JobContract;
use Illuminate\Queue\Jobs\Job;

/** A queue job with a given payload and attempt number, to fire queue events by hand. */
class FakeQueueJob extends Job implements JobContract
{
    protected $raw;

    protected $attempt;

    public function __construct(Container $container, string $raw, int $attempt = 1)
    {
        $this->container = $container;
        $this->raw = $raw;
        $this->attempt = $attempt;
        $this->connectionName = 'database';
        $this->queue = 'default';
    }

    public function getJobId()
    {
        return 'fake';
    }

    public function getRawBody()
    {
        return $this->raw;
    }

    public function attempts()
    {
        return $this->attempt;
    }
}
