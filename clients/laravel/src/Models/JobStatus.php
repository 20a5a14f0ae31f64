<?php

namespace Jobtrack\Laravel\Models;

use Illuminate\Database\Eloquent\Builder;

/**
 * A job (jobtrack.job_status). Read-only by design: change a job through
 * Jobtrack\Laravel\Jobtrack (the status machine lives in SQL).
 *
 * Scopes call jobtrack's own scope functions, so they use its indexes and
 * combine: JobStatus::forJob(Import::class)->whereTag('rows', '>=', 1000)
 * ->whereStatus('failed', 'stuck')->get(). Counts: ->counts() (one query
 * with jobtrack's aggregates) or, on a loaded collection, countFinished()…
 */
class JobStatus extends Model
{
    protected $table = 'jobtrack.job_status';

    protected $casts = [
        'tags' => 'array',
        'data' => 'array',
        'percentage' => 'float',
        'progress_current' => 'integer',
        'progress_total' => 'integer',
        'attempts' => 'integer',
        'group_id' => 'integer',
        'created_at' => 'datetime',
        'available_at' => 'datetime',
        'started_at' => 'datetime',
        'finished_at' => 'datetime',
        'heartbeat_at' => 'datetime',
        'updated_at' => 'datetime',
    ];

    public function newEloquentBuilder($query)
    {
        return new JobStatusBuilder($query);
    }

    public function newCollection(array $models = [])
    {
        return new JobStatusCollection($models);
    }

    public function group()
    {
        return $this->belongsTo(JobGroup::class, 'group_id');
    }

    public function messages()
    {
        return $this->hasMany(JobMessage::class, 'job_id')->orderBy('id');
    }

    public function signals()
    {
        return $this->hasMany(JobSignal::class, 'job_id')->orderBy('id');
    }

    /** Restricts to the ids a jobtrack scope function returns. */
    protected function scopeThrough(Builder $query, string $function, string $args, array $bindings): Builder
    {
        return $query->whereIn($this->qualifyColumn('id'), function ($sub) use ($function, $args, $bindings) {
            $sub->selectRaw('s.id')->fromRaw('jobtrack.'.$function.'('.$args.') AS s', $bindings);
        });
    }

    public function scopeForJob(Builder $query, string $jobType): Builder
    {
        return $this->scopeThrough($query, 'for_job', '?::text', [$jobType]);
    }

    public function scopeForJobAlias(Builder $query, string $alias): Builder
    {
        return $this->scopeThrough($query, 'for_job_alias', '?::text', [$alias]);
    }

    /**
     * whereTag('customer', 42) or whereTag('rows', '>=', 1000); operators =, !=, <, <=, >, >=.
     * A job without the key never matches. null is JSON null, as where('col', null)
     * is IS NULL: whereTag('customer', null) finds the jobs whose tag is JSON null,
     * whereTag('customer', '!=', null) those whose tag is anything else; null with
     * another operator is an InvalidArgumentException, as in Laravel's where().
     */
    public function scopeWhereTag(Builder $query, string $key, $operator, $value = null): Builder
    {
        if (func_num_args() === 3) {
            [$operator, $value] = ['=', $operator];
        }
        if ($value === null) {
            return $this->whereTagIsNull($query, $key, (string) $operator);
        }

        return $this->scopeThrough($query, 'where_tag', '?::text, ?::text, ?::text',
            [$key, (string) $operator, self::tagText($key, $value)]);
    }

    /**
     * jobtrack.where_tag compares tags->>key, which is SQL NULL for a JSON null
     * (and '' or 'null' would match strings): so a JSON null is matched here,
     * by containment ('=', an operator the GIN index on tags supports) or by the key's
     * jsonb value ('!=').
     */
    protected function whereTagIsNull(Builder $query, string $key, string $operator): Builder
    {
        $tags = $this->qualifyColumn('tags');
        if ($operator === '=') {
            return $query->whereRaw($tags.' @> jsonb_build_object(?::text, null)', [$key]);
        }
        if ($operator === '!=') {
            return $query->whereRaw('('.$tags.' -> ?::text) <> \'null\'::jsonb', [$key]);
        }

        throw new \InvalidArgumentException("whereTag: null compares only with = or !=, not $operator");
    }

    public function scopeWhereStatus(Builder $query, ...$statuses): Builder
    {
        return $this->scopeThrough($query, 'where_status', 'VARIADIC ?::jobtrack.status[]', [self::statusArray($statuses)]);
    }

    public function scopeWhereNotStatus(Builder $query, ...$statuses): Builder
    {
        return $this->scopeThrough($query, 'where_not_status', 'VARIADIC ?::jobtrack.status[]', [self::statusArray($statuses)]);
    }

    public function scopeInGroup(Builder $query, $group): Builder
    {
        $id = $group instanceof JobGroup ? $group->getKey() : $group;

        return $this->scopeThrough($query, 'in_group', '?::bigint', [(int) $id]);
    }

    public function scopeWithExternalId(Builder $query, string $externalId): Builder
    {
        return $query->whereRaw($this->qualifyColumn('external_id').' = ?::text', [$externalId]);
    }

    public function isFinished(): bool
    {
        return in_array($this->status, ['succeeded', 'failed', 'cancelled'], true);
    }

    public function isRunning(): bool
    {
        return $this->status === 'started';
    }

    protected static function statusArray(array $statuses): string
    {
        $flat = [];
        array_walk_recursive($statuses, function ($s) use (&$flat) {
            $flat[] = (string) $s;
        });
        foreach ($flat as $s) {
            if (! preg_match('/^[a-z_]+$/', $s)) {
                throw new \InvalidArgumentException("not a jobtrack status: $s");
            }
        }

        return '{'.implode(',', $flat).'}';
    }

    /**
     * The text jobtrack.where_tag compares with tags->>key. Only a scalar (or an
     * object with __toString) has one: an array or another object would be PHP's
     * "Array to string conversion", or an Error, rather than a query.
     */
    protected static function tagText(string $key, $value): string
    {
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        if (is_array($value) || (is_object($value) && ! method_exists($value, '__toString'))) {
            throw new \InvalidArgumentException("whereTag: tag $key compares with a scalar, or null for JSON null, not "
                .(is_array($value) ? 'an array' : 'an object of class '.get_class($value)));
        }

        return (string) $value;
    }
}
