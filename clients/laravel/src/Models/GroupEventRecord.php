<?php

namespace Jobtrack\Laravel\Models;

/** A row of jobtrack.group_event (the Laravel event is Jobtrack\Laravel\Events\GroupEvent). */
class GroupEventRecord extends Model
{
    protected $table = 'jobtrack.group_event';

    protected $casts = ['payload' => 'array', 'run' => 'integer', 'created_at' => 'datetime'];

    public function group()
    {
        return $this->belongsTo(JobGroup::class, 'group_id');
    }
}
