<?php

namespace Jobtrack\Laravel\Models;

class JobSignal extends Model
{
    protected $table = 'jobtrack.job_signal';

    protected $casts = [
        'parameters' => 'array',
        'cancel_job' => 'boolean',
        'created_at' => 'datetime',
        'handled_at' => 'datetime',
    ];

    public function job()
    {
        return $this->belongsTo(JobStatus::class, 'job_id');
    }
}
