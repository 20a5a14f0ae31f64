<?php

// The tests run inside the minimal application (tests/app) after
// `composer update` installed this package into it from its path
// repository; test.sh sets JOBTRACK_TEST_APP to that application's copy.
$app = getenv('JOBTRACK_TEST_APP') ?: __DIR__.'/app';
if (! is_file($app.'/vendor/autoload.php')) {
    fwrite(STDERR, "no $app/vendor/autoload.php: run test.sh (composer installs the package into the test app)\n");
    exit(1);
}
require_once 'Illuminate/autoload.php';
require_once $app.'/vendor/autoload.php';
require_once __DIR__.'/TestCase.php';
require_once __DIR__.'/FakeQueueJob.php';
