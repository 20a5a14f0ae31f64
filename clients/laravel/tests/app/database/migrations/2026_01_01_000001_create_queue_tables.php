<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

/** What `queue:table`, `queue:batches-table` and `queue:failed-table` generate, plus the test's own table. */
class CreateQueueTables extends Migration
{
    public function up()
    {
        Schema::create('jobs', function (Blueprint $table) {
            $table->bigIncrements('id');
            $table->string('queue')->index();
            $table->longText('payload');
            $table->unsignedTinyInteger('attempts');
            $table->unsignedInteger('reserved_at')->nullable();
            $table->unsignedInteger('available_at');
            $table->unsignedInteger('created_at');
        });
        Schema::create('job_batches', function (Blueprint $table) {
            $table->string('id')->primary();
            $table->string('name');
            $table->integer('total_jobs');
            $table->integer('pending_jobs');
            $table->integer('failed_jobs');
            $table->text('failed_job_ids');
            $table->mediumText('options')->nullable();
            $table->integer('cancelled_at')->nullable();
            $table->integer('created_at');
            $table->integer('finished_at')->nullable();
        });
        Schema::create('failed_jobs', function (Blueprint $table) {
            $table->id();
            $table->string('uuid')->unique();
            $table->text('connection');
            $table->text('queue');
            $table->longText('payload');
            $table->longText('exception');
            $table->timestamp('failed_at')->useCurrent();
        });
        Schema::create('handled_group_events', function (Blueprint $table) {
            $table->id();
            $table->bigInteger('event_id');
            $table->string('event');
            $table->string('class');
            $table->bigInteger('group_id');
            $table->integer('run');
            $table->text('title')->nullable();
            $table->jsonb('counts')->nullable();
            $table->jsonb('group_payload')->nullable();
            $table->integer('pid');
            $table->timestamp('handled_at')->useCurrent();
        });
    }

    public function down()
    {
        foreach (['handled_group_events', 'failed_jobs', 'job_batches', 'jobs'] as $t) {
            Schema::dropIfExists($t);
        }
    }
}
