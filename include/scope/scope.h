/*
 * libscope: the umbrella header. Including it gives the whole public API.
 * Since: 0.1
 */
#ifndef SCOPE_SCOPE_H
#define SCOPE_SCOPE_H

#include "common.h"
#include "version.h"
#include "error.h"
#include "clock.h"
#include "series.h"
#include "collector.h"
#include "proc.h"
#include "target.h"
#include "cgroup.h"
#include "pmu.h"
#include "uncore.h"
#include "topdown.h"
#include "recorder.h"
#include "export.h"
#include "prom.h"
#include "hist.h"
#include "load.h"

#endif /* SCOPE_SCOPE_H */
