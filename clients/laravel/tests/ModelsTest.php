<?php

namespace Jobtrack\Laravel\Tests;

use Illuminate\Database\QueryException;
use Illuminate\Support\Str;
use Jobtrack\Laravel\Jobtrack;
use Jobtrack\Laravel\Models\JobGroup;
use Jobtrack\Laravel\Models\JobStatus;
use Jobtrack\Laravel\Models\JobStatusCollection;

class ModelsTest extends TestCase
{
    /** @var string */
    protected $type;

    /** @var int[] status => id */
    protected $ids = [];

    /** @var int */
    protected $group;

    protected function setUp(): void
    {
        parent::setUp();
        $j = $this->jobtrack();
        $this->type = 'ModelsTest'.Str::random(6);
        $this->group = $j->createGroup('models '.$this->type, ['for' => 'models'], '10 seconds');
        $rows = [
            'queued' => ['rows' => 5, 'customer' => 'acme'],
            'started' => ['rows' => 50, 'customer' => 'acme'],
            'succeeded' => ['rows' => 500, 'customer' => 'initech'],
            'failed' => ['rows' => 1000, 'customer' => 'acme'],
            'cancelled' => ['rows' => 7, 'customer' => 'initech'],
        ];
        foreach ($rows as $status => $tags) {
            $id = $j->createJob($this->type, ['alias' => $status === 'failed' ? 'nightly' : null, 'tags' => $tags,
                'group_id' => $this->group, 'data' => ['s' => $status]]);
            if ($status !== 'queued') {
                $j->start($id);
            }
            if ($status === 'succeeded') {
                $j->succeed($id);
            } elseif ($status === 'failed') {
                $j->fail($id, 'bad row');
            } elseif ($status === 'cancelled') {
                $j->cancel($id);
            }
            $this->ids[$status] = $id;
        }
        $j->addMessage($this->ids['failed'], 'row 7 is bad', 'error');
    }

    protected function ids($query): array
    {
        return $query->orderBy('id')->pluck('id')->map(function ($id) {
            return (int) $id;
        })->all();
    }

    public function testScopesCallJobtracksScopeFunctionsAndCombine(): void
    {
        $ids = $this->ids;
        $this->assertSame(array_values($ids), $this->ids(JobStatus::forJob($this->type)));
        $this->assertSame([$ids['failed']], $this->ids(JobStatus::forJob($this->type)->forJobAlias('nightly')));
        $this->assertSame([$ids['succeeded'], $ids['failed']], $this->ids(JobStatus::forJob($this->type)->whereTag('rows', '>=', 500)));
        $this->assertSame([$ids['queued'], $ids['cancelled']], $this->ids(JobStatus::forJob($this->type)->whereTag('rows', '<', 10)));
        $this->assertSame([$ids['succeeded'], $ids['cancelled']], $this->ids(JobStatus::forJob($this->type)->whereTag('customer', 'initech')));
        $this->assertSame([$ids['queued'], $ids['started'], $ids['failed']], $this->ids(JobStatus::forJob($this->type)->whereTag('customer', '!=', 'initech')));
        $this->assertSame([$ids['failed'], $ids['cancelled']], $this->ids(JobStatus::forJob($this->type)->whereStatus('failed', 'cancelled')));
        $this->assertSame([$ids['queued'], $ids['started']], $this->ids(JobStatus::inGroup($this->group)->whereNotStatus(['succeeded', 'failed', 'cancelled'])));
        $this->assertSame([$ids['failed']], $this->ids(JobStatus::inGroup($this->group)->whereTag('customer', 'acme')->whereStatus('failed')));

        $failed = JobStatus::find($ids['failed']);
        $this->assertSame(['rows' => 1000, 'customer' => 'acme'], $failed->tags + []);
        $this->assertSame('bad row', $failed->failed_reason);
        $this->assertTrue($failed->isFinished());
        $this->assertSame(['row 7 is bad'], $failed->messages->pluck('message')->all());
        $this->assertSame('models '.$this->type, $failed->group->title);
        $this->assertSame(['for' => 'models'], $failed->group->payload);
        $this->assertSame(5, JobGroup::titled('models '.$this->type)->first()->jobs()->count());

        $this->expectException(QueryException::class);
        JobStatus::forJob($this->type)->whereTag('rows', '~', '1')->get(); // unknown operator: 22023
    }

    /** A PHP boolean matches the JSON true or false of a tag, not PHP's text for it ('1' or ''). */
    public function testBooleanTagsMatchTheirJsonValue(): void
    {
        $j = $this->jobtrack();
        $urgent = $j->createJob($this->type, ['tags' => ['urgent' => true]]);
        $later = $j->createJob($this->type, ['tags' => ['urgent' => false]]);
        $this->assertSame([$urgent], $this->ids(JobStatus::forJob($this->type)->whereTag('urgent', true)));
        $this->assertSame([$later], $this->ids(JobStatus::forJob($this->type)->whereTag('urgent', false)));
        $this->assertSame([$later], $this->ids(JobStatus::forJob($this->type)->whereTag('urgent', '!=', true)));
    }

    /**
     * null is JSON null, as where('col', null) is IS NULL: never PHP's text for
     * it (''), nor the string 'null'; a job without the key never matches; and
     * null with an ordering operator is rejected, as Laravel's where() does.
     */
    public function testANullTagValueMatchesJsonNull(): void
    {
        $j = $this->jobtrack();
        $null = $j->createJob($this->type, ['tags' => ['note' => null]]);
        $empty = $j->createJob($this->type, ['tags' => ['note' => '']]);
        $text = $j->createJob($this->type, ['tags' => ['note' => 'null']]);
        $set = $j->createJob($this->type, ['tags' => ['note' => 'set']]);
        $zero = $j->createJob($this->type, ['tags' => ['0' => null, 'note2' => 1]]);
        $this->assertSame([$null], $this->ids(JobStatus::forJob($this->type)->whereTag('note', null)));
        $this->assertSame([$null], $this->ids(JobStatus::forJob($this->type)->whereTag('note', '=', null)));
        $this->assertSame([$empty, $text, $set], $this->ids(JobStatus::forJob($this->type)->whereTag('note', '!=', null)));
        $this->assertSame([$zero], $this->ids(JobStatus::forJob($this->type)->whereTag('0', null)));
        $this->assertSame([$empty], $this->ids(JobStatus::forJob($this->type)->whereTag('note', '')));
        $this->assertSame([$text], $this->ids(JobStatus::forJob($this->type)->whereTag('note', 'null')));
        $this->expectException(\InvalidArgumentException::class);
        JobStatus::forJob($this->type)->whereTag('note', '<', null);
    }

    /**
     * A tag compares with a scalar (tags->>key is text): an array or an object
     * without __toString is an InvalidArgumentException naming the key, in both
     * forms, never PHP's "Array to string conversion".
     */
    public function testWhereTagRejectsAnArrayOrObjectValue(): void
    {
        $cases = [
            'two arguments, array' => function () {
                return JobStatus::forJob($this->type)->whereTag('customer', ['acme', 'initech']);
            },
            'operator, array' => function () {
                return JobStatus::forJob($this->type)->whereTag('rows', '>=', [500]);
            },
            'operator, object' => function () {
                return JobStatus::forJob($this->type)->whereTag('customer', '!=', (object) ['name' => 'acme']);
            },
        ];
        foreach ($cases as $case => $query) {
            try {
                $query()->get();
                $this->fail("$case: no exception");
            } catch (\InvalidArgumentException $e) {
                $this->assertStringContainsString('tag '.($case === 'operator, array' ? 'rows' : 'customer'), $e->getMessage(), $case);
                $this->assertStringContainsString('scalar', $e->getMessage(), $case);
            }
        }
        // a scalar still works, and an object with __toString is its text
        $this->assertSame([$this->ids['succeeded'], $this->ids['cancelled']],
            $this->ids(JobStatus::forJob($this->type)->whereTag('customer', Str::of('initech'))));
    }

    /**
     * Tags are key => value pairs: a PHP list would be a JSON array, no object
     * of tags, so createJob rejects it before writing anything (not even the
     * external id). An object keeps keys 0, 1 ... as keys.
     */
    public function testTagsAsAListAreRejectedBeforeAnythingIsWritten(): void
    {
        $j = $this->jobtrack();
        $external = 'models-list-'.Str::random(8);
        foreach ([['a', 'b'], ['0' => 'first'], 'customer=acme'] as $tags) {
            try {
                $j->createJob($this->type, ['tags' => $tags, 'external_id' => $external]);
                $this->fail('no exception for tags '.json_encode($tags));
            } catch (\InvalidArgumentException $e) {
                $this->assertStringContainsString('key => value pairs', $e->getMessage());
            }
        }
        $this->assertNull($j->findByExternalId($external));
        $this->assertSame(5, JobStatus::forJob($this->type)->count());

        $keyed = $j->createJob($this->type, ['tags' => (object) ['0' => 'first']]);
        $this->assertSame([$keyed], $this->ids(JobStatus::forJob($this->type)->whereTag('0', 'first')));
        $this->assertSame(['0' => 'first'], JobStatus::find($keyed)->tags + []);
    }

    public function testCountsWithJobtracksAggregatesAndOnCollections(): void
    {
        $expected = ['total' => 5, 'finished' => 3, 'successful' => 1, 'failed' => 1, 'cancelled' => 1,
            'running' => 1, 'queued' => 1, 'not_finished' => 2];
        $this->assertSame($expected, JobStatus::forJob($this->type)->counts());
        $this->assertSame(['total' => 3, 'finished' => 1, 'successful' => 0, 'failed' => 1, 'cancelled' => 0,
            'running' => 1, 'queued' => 1, 'not_finished' => 2], JobStatus::forJob($this->type)->whereTag('customer', 'acme')->counts());

        $jobs = JobStatus::forJob($this->type)->get();
        $this->assertInstanceOf(JobStatusCollection::class, $jobs);
        $this->assertSame($expected, $jobs->counts());
        $this->assertSame(3, $jobs->countFinished());
        $this->assertSame(1, $jobs->countSuccessful());
        $this->assertSame(1, $jobs->countRunning());
        $this->assertSame(2, $jobs->countNotFinished());
    }

    public function testClientErrorsCarryJobtracksSqlstates(): void
    {
        $j = $this->jobtrack();
        $cases = [
            Jobtrack::UNKNOWN => function () use ($j) {
                $j->start(999999999);
            },
            Jobtrack::FORBIDDEN_TRANSITION => function () {
                $this->jobtrack()->start($this->ids['succeeded']);
            },
            Jobtrack::INVALID_INPUT => function () {
                $this->jobtrack()->addMessage($this->ids['queued'], 'x', 'loud');
            },
        ];
        foreach ($cases as $sqlstate => $call) {
            try {
                $call();
                $this->fail("expected SQLSTATE $sqlstate");
            } catch (QueryException $e) {
                $this->assertSame((string) $sqlstate, Jobtrack::sqlstate($e));
            }
        }
    }

    /** Every call names the job by its id, cast: a job whose external id looks like another job's id is never hit. */
    public function testCallsNeverResolveToTheExternalIdOverload(): void
    {
        $j = $this->jobtrack();
        $target = $this->ids['queued'];
        $decoy = $j->createJob($this->type, ['external_id' => (string) $target]);
        $this->assertSame($decoy, $j->createJob('Other', ['external_id' => (string) $target]), 'idempotent by external id');
        $this->assertSame($decoy, $j->findByExternalId((string) $target));
        $j->start($target);
        $j->setProgress($target, 30, 120);
        $this->assertSame('started', $j->status($target));
        $this->assertSame(25.0, $j->percentage($target));
        $this->assertSame('queued', $j->status($decoy));
        $signal = $j->sendSignal($target, 'hello', ['a' => 1]);
        $this->assertGreaterThan(0, $signal);
        $taken = $j->takeSignals($target);
        $this->assertSame('hello', $taken[0]['signal']);
        $this->assertSame(['a' => 1], $taken[0]['parameters']);
        $this->assertSame([], $j->takeSignals($target));
        $this->assertSame([], $j->takeSignals($decoy));
    }
}
