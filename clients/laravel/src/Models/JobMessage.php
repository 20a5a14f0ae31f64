<?php

namespace Jobtrack\Laravel\Models;

class JobMessage extends Model
{
    protected $table = 'jobtrack.job_message';

    protected $casts = ['created_at' => 'datetime'];

    public function job()
    {
        return $this->belongsTo(JobStatus::class, 'job_id');
    }
}
