<?php

namespace Jobtrack\Laravel\Events;

/** Every job of the group has finished (succeeded, failed or cancelled). */
class GroupCompleted extends GroupEvent
{
}
