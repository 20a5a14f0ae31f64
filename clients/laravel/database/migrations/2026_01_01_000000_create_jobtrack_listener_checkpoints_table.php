<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

class CreateJobtrackListenerCheckpointsTable extends Migration
{
    public function getConnection()
    {
        return config('jobtrack.connection') ?: parent::getConnection();
    }

    public function up()
    {
        Schema::connection($this->getConnection())->create('jobtrack_listener_checkpoints', function (Blueprint $table) {
            $table->string('name')->primary();
            $table->unsignedBigInteger('last_event_id')->default(0);
            $table->timestamp('updated_at')->nullable();
        });
    }

    public function down()
    {
        Schema::connection($this->getConnection())->dropIfExists('jobtrack_listener_checkpoints');
    }
}
