<?php

namespace Jobtrack\Laravel\Models;

/** A group (jobtrack.job_group); a Bus::batch's group has payload {batch_id, batch_name}. */
class JobGroup extends Model
{
    protected $table = 'jobtrack.job_group';

    protected $casts = [
        'payload' => 'array',
        'run' => 'integer',
        'created_at' => 'datetime',
        'started_at' => 'datetime',
        'completed_at' => 'datetime',
        'checked_at' => 'datetime',
    ];

    public function jobs()
    {
        return $this->hasMany(JobStatus::class, 'group_id');
    }

    public function events()
    {
        return $this->hasMany(GroupEventRecord::class, 'group_id')->orderBy('id');
    }

    public function scopeTitled($query, string $title)
    {
        return $query->whereRaw('title = ?::text', [$title]);
    }

    public function scopeForBatch($query, string $batchId)
    {
        return $query->whereRaw('payload @> ?::jsonb', [json_encode(['batch_id' => $batchId])]);
    }

    public function isCompleted(): bool
    {
        return $this->status === 'completed';
    }
}
