/*
 * stacks.c: rtjit code running on stacks that are not its thread's own
 * (c-api 35 and 55, rt_register_stack), as a VM's coroutines run it, with
 * makecontext/swapcontext.
 *
 *  (a) on an unregistered coroutine stack a shallow call works (no false
 *      `stack overflow`) and runaway recursion is an error, not a SIGSEGV
 *  (b) on a registered stack the limit comes from its bounds: recursion
 *      goes deeper than on an unregistered one, and still stops cleanly on
 *      a small registered stack
 *  (c) back on the thread's own stack, calls see that stack's bounds again
 *  (d) a compile on a small coroutine stack works (it moves to a thread of
 *      its own) and its top-level code runs on the coroutine
 *  (e) argument checks of rt_register_stack
 *
 * Everything runs on a pthread of its own so that the first rtjit call of
 * the thread is made on a coroutine (bounds cached from that first call
 * were what made calls back on the thread's stack go wrong).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "rtjit.h"

#define CHECK_PROGRAM "stacks"
#define CHECK_LAST_CODE() rt_last_error_code()
#define CHECK_LAST_MSG() rt_exec_manager_get_last_error()
#include "check.h"

static const char *DOWN = "fn down(n):\n    if n == 0:\n        return 0\n    return down(n - 1) + 1\n";

/* What a coroutine does, and what it saw. */
static struct {
    int64_t h;
    const char *function; /* execute this with `arg`, or ... */
    const char *source;   /* ... compile this */
    int64_t arg;
    int64_t result;
    int32_t status;
    char error[512];
} job;

static ucontext_t caller_ctx, coroutine_ctx;

static void coroutine_body(void) {
    if (job.source != NULL) {
        job.status = rt_exec_manager_compile_source(job.h, job.source);
    } else {
        job.status = rt_exec_manager_execute(job.h, job.function, &job.arg, 1, &job.result);
    }
    const char *e = rt_exec_manager_get_last_error();
    snprintf(job.error, sizeof job.error, "%s", e != NULL && job.status != RT_OK ? e : "");
}

/* Runs the job on `stack` and comes back; returns its status. */
static int32_t run_on(void *stack, size_t size) {
    CHECK(getcontext(&coroutine_ctx) == 0);
    coroutine_ctx.uc_stack.ss_sp = stack;
    coroutine_ctx.uc_stack.ss_size = size;
    coroutine_ctx.uc_link = &caller_ctx;
    makecontext(&coroutine_ctx, coroutine_body, 0);
    CHECK(swapcontext(&caller_ctx, &coroutine_ctx) == 0);
    return job.status;
}

static int32_t down_on(void *stack, size_t size, int64_t n) {
    job.function = "down";
    job.source = NULL;
    job.arg = n;
    job.result = -1;
    return run_on(stack, size);
}

/* The deepest power of two `down` reaches on the stack (0: not even 1). */
static int64_t deepest_on(void *stack, size_t size) {
    int64_t deepest = 0;
    for (int64_t n = 1; n <= (1 << 24); n *= 2) {
        if (down_on(stack, size, n) != RT_OK) {
            CHECK_CONTAINS(job.error, "stack overflow");
            break;
        }
        CHECK_EQ(job.result, n);
        deepest = n;
    }
    return deepest;
}

static int64_t h;
static int64_t unregistered_depth;
enum { BIG = 1 << 20, SMALL = 48 << 10 };
static char *big_stack, *small_stack;

static void group_unregistered(void) {
    CHECK_EQ(down_on(big_stack, BIG, 100), RT_OK);
    CHECK_EQ(job.result, 100);
    CHECK_EQ(down_on(big_stack, BIG, 100000000), RT_ERR_RUNTIME);
    CHECK_CONTAINS(job.error, "stack overflow in down");
    unregistered_depth = deepest_on(big_stack, BIG);
    CHECK(unregistered_depth >= 256);
    printf("  deepest recursion on an unregistered stack: %lld\n", (long long)unregistered_depth);
}

static void group_registered(void) {
    CHECK_OK(rt_register_stack(big_stack, BIG));
    int64_t registered_depth = deepest_on(big_stack, BIG);
    printf("  deepest recursion on a registered 1 MiB stack: %lld\n", (long long)registered_depth);
    /* 768 KiB usable against 48 KiB assumed. */
    CHECK(registered_depth >= 8 * unregistered_depth);
    CHECK_EQ(down_on(big_stack, BIG, 100000000), RT_ERR_RUNTIME);
    CHECK_CONTAINS(job.error, "stack overflow in down");
    CHECK_OK(rt_register_stack(big_stack, 0));

    CHECK_OK(rt_register_stack(small_stack, SMALL));
    CHECK_EQ(down_on(small_stack, SMALL, 50), RT_OK);
    CHECK_EQ(job.result, 50);
    CHECK_EQ(down_on(small_stack, SMALL, 100000000), RT_ERR_RUNTIME);
    CHECK_CONTAINS(job.error, "stack overflow in down");
    int64_t small_depth = deepest_on(small_stack, SMALL);
    CHECK(small_depth >= 64 && small_depth < unregistered_depth * 2);
    printf("  deepest recursion on a registered 48 KiB stack: %lld\n", (long long)small_depth);
    CHECK_OK(rt_register_stack(small_stack, 0));
}

static void group_back_home(void) {
    int64_t n = 100000, r = 0;
    CHECK_OK(rt_exec_manager_execute(h, "down", &n, 1, &r));
    CHECK_EQ(r, n);
    n = 100000000;
    CHECK_ERR(rt_exec_manager_execute(h, "down", &n, 1, &r), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "stack overflow in down");
}

static void group_compile_on_small_stack(void) {
    CHECK_OK(rt_register_stack(small_stack, SMALL));
    for (int opt = 0; opt <= 3; opt++) {
        CHECK_OK(rt_exec_manager_set_opt_level(h, opt));
        job.source = "fn tri(n):\n    var s = 0\n    for i in 0..n + 1:\n        s += i\n    return s\n"
                     "t = tri(100) + down(10)\n";
        CHECK_EQ(run_on(small_stack, SMALL), RT_OK);
        rt_value v;
        CHECK_OK(rt_exec_manager_get_global(h, "t", &v));
        CHECK_EQ(v.as.i64, 5060);
        job.source = "u = down(100000000)\n";
        CHECK_EQ(run_on(small_stack, SMALL), RT_ERR_RUNTIME);
        CHECK_CONTAINS(job.error, "stack overflow in down");
    }
    CHECK_OK(rt_register_stack(small_stack, 0));
    CHECK_OK(rt_exec_manager_set_opt_level(h, 2));
}

static void group_arguments(void) {
    CHECK_ERR(rt_register_stack(NULL, 4096), RT_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "cannot register a stack");
    CHECK_ERR(rt_register_stack((void *)(UINTPTR_MAX - 16), 4096), RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt_register_stack(NULL, 0));      /* removing nothing */
    CHECK_OK(rt_register_stack(big_stack, 0)); /* removing what is not there */
}

static void *all_groups(void *unused) {
    (void)unused;
    job.h = h;
    big_stack = malloc(BIG);
    small_stack = malloc(SMALL);
    CHECK(big_stack != NULL && small_stack != NULL);
    RUN_GROUP(group_unregistered, "(a) an unregistered coroutine stack: shallow calls work, runaway recursion is an error");
    RUN_GROUP(group_registered, "(b) registered stacks give the limit: deeper on a big one, clean on a small one");
    RUN_GROUP(group_back_home, "(c) back on the thread's own stack, its own bounds");
    RUN_GROUP(group_compile_on_small_stack, "(d) compiling on a 48 KiB coroutine stack at opt 0-3");
    RUN_GROUP(group_arguments, "(e) rt_register_stack's argument checks");
    free(big_stack);
    free(small_stack);
    return NULL;
}

int main(void) {
    /* Compiled here, so that the first rtjit call of the thread below is
     * made on a coroutine. */
    h = rt_exec_manager_create();
    CHECK(h > 0);
    CHECK_OK(rt_exec_manager_compile_source(h, DOWN));
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 8u << 20);
    CHECK(pthread_create(&t, &attr, all_groups, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    pthread_attr_destroy(&attr);
    CHECK_OK(rt_exec_manager_cleanup(h));
    return check_finish();
}
