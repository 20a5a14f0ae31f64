<?php

namespace Jobtrack\Laravel\Models;

use Illuminate\Database\Eloquent\Model as Eloquent;

/** Base of the read models: jobtrack's tables, on jobtrack's connection. */
abstract class Model extends Eloquent
{
    public $timestamps = false;

    protected $guarded = ['*'];

    public function getConnectionName()
    {
        return $this->connection ?? config('jobtrack.connection');
    }
}
