<?php

namespace Jobtrack\Laravel\Events;

/** A group's first job (of this run) started or finished. */
class GroupStarted extends GroupEvent
{
}
