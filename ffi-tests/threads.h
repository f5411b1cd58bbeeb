/*
 * threads.h: clocks, sleeps and checked pthread calls for the C tests that
 * run several threads (threads.c, limits.c). Include after check.h.
 */
#ifndef RTJIT_FFI_THREADS_H
#define RTJIT_FFI_THREADS_H

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A thread that cannot be started fails the program: the checks that
 * follow would wait for it. */
static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg) {
    int rc = pthread_create(t, NULL, fn, arg);
    CHECK_MSG(rc == 0, "pthread_create failed: %s", strerror(rc));
    if (rc != 0) _exit(1);
}

static void join_thread(pthread_t t) {
    int rc = pthread_join(t, NULL);
    CHECK_MSG(rc == 0, "pthread_join failed: %s", strerror(rc));
}

#endif
