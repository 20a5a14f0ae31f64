<?php

namespace App\Jobs;

/** Throws on its first attempt only; with tries = 1 it fails for good. */
class FailingOnceJob extends TrackedJob
{
    public $tries = 1;
}
