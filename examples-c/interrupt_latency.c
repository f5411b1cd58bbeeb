/*
 * interrupt_latency.c: how long rt_exec_manager_interrupt takes to stop a
 * running call (docs/benchmarks.md, "Interruption").
 *
 * A worker thread runs an endless loop (`forever`, in a function and then
 * in a unit's top-level code) and a function called from a host callback;
 * the main thread waits until the loop runs, takes the time, calls
 * rt_exec_manager_interrupt, and the worker takes the time when its call
 * has returned RT_ERR_INTERRUPTED. The figure is the difference: from the
 * interrupt call to the stopped call's return, as a host sees it.
 *
 * Build and run:   make -C examples-c interrupt-latency [ARGS=tries]
 * (default 1000 tries per case; prints median, p90, p99 and max).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtjit.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void check(int32_t rc, int32_t want, const char *what)
{
    if (rc != want) {
        const char *e = rt_exec_manager_get_last_error();
        fprintf(stderr, "interrupt_latency: %s returned %d, expected %d: %s\n", what, rc, want, e ? e : "");
        exit(1);
    }
}

static int64_t h;
static atomic_int phase; /* 0 idle, 1 JIT code runs, 2 the call returned */
static atomic_llong returned_at;
static int which;        /* 0 function, 1 top-level code, 2 host callback */

/* Called by the script just before its endless loop: from here on the call
 * is running, so an interrupt must stop it (a call still waiting to start,
 * or a unit still being compiled before its turn, need not be). */
static int64_t running(int64_t x)
{
    atomic_store(&phase, 1);
    return x;
}

/* A host function that calls back into the manager's endless loop. */
static int64_t call_forever(int64_t x)
{
    int64_t r = 0;
    rt_exec_manager_execute(h, "forever", &x, 1, &r);
    return r;
}

static void *worker(void *unused)
{
    (void)unused;
    int64_t arg = 1, r = 0;
    int32_t rc = RT_OK;
    switch (which) {
    case 0: rc = rt_exec_manager_execute(h, "forever", &arg, 1, &r); break;
    case 1: rc = rt_exec_manager_compile_source(h, "extern fn running(x: i64) -> i64\nvar x = running(0)\nwhile true:\n    x += 1\n"); break;
    default: rc = rt_exec_manager_execute(h, "via_host", &arg, 1, &r); break;
    }
    atomic_store(&returned_at, now_ns());
    atomic_store(&phase, 2);
    check(rc, RT_ERR_INTERRUPTED, "the stopped call");
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void run_case(int tries, const char *name)
{
    int64_t *lat = calloc((size_t)tries, sizeof *lat);
    if (lat == NULL) {
        fprintf(stderr, "interrupt_latency: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < tries; i++) {
        atomic_store(&phase, 0);
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0) {
            fprintf(stderr, "interrupt_latency: pthread_create failed\n");
            exit(1);
        }
        while (atomic_load(&phase) == 0) {
        }
        sleep_us(200); /* well inside the loop by now (any time after `running` would do) */
        int64_t sent = now_ns();
        check(rt_exec_manager_interrupt(h), RT_OK, "rt_exec_manager_interrupt");
        pthread_join(t, NULL);
        lat[i] = atomic_load(&returned_at) - sent;
    }
    qsort(lat, (size_t)tries, sizeof *lat, cmp);
    printf("| %-34s | %8.1f | %8.1f | %8.1f | %8.1f | %5d |\n", name, lat[tries / 2] / 1e3,
           lat[(tries - 1) * 9 / 10] / 1e3, lat[(tries - 1) * 99 / 100] / 1e3, lat[tries - 1] / 1e3, tries);
    free(lat);
}

int main(int argc, char **argv)
{
    int tries = argc > 1 ? atoi(argv[1]) : 1000;
    if (tries < 1) {
        fprintf(stderr, "usage: interrupt_latency [tries]\n");
        return 2;
    }
    h = rt_exec_manager_create();
    if (h <= 0) {
        fprintf(stderr, "interrupt_latency: cannot create a manager\n");
        return 1;
    }
    check(rt_exec_manager_register_function(h, "call_forever", (void *)call_forever, "fn(i64) -> i64"), RT_OK,
          "register call_forever");
    check(rt_exec_manager_register_function(h, "running", (void *)running, "fn(i64) -> i64"), RT_OK,
          "register running");
    check(rt_exec_manager_compile_source(h, "extern fn call_forever(x: i64) -> i64\n"
                                            "extern fn running(x: i64) -> i64\n"
                                            "fn forever(x):\n    var s = running(0)\n    while true:\n        s += x\n    return s\n"
                                            "fn via_host(x): call_forever(x) + 1\n"),
          RT_OK, "compile");
    printf("| case (interrupt to return, us)     |   median |      p90 |      p99 |      max | tries |\n");
    printf("|------------------------------------|---------:|---------:|---------:|---------:|------:|\n");
    which = 0;
    run_case(tries, "endless loop in a function");
    which = 1;
    run_case(tries, "endless loop in top-level code");
    which = 2;
    run_case(tries, "loop in a call from a host callback");
    check(rt_exec_manager_cleanup(h), RT_OK, "cleanup");
    return 0;
}
