/*
 * threads.c: the thread-safety rules of c-api.md, with pthreads.
 *
 *  (a) 8 threads execute functions of one manager at the same time
 *  (b) one thread compiles new functions and redefinitions into a manager
 *      while others execute in it
 *  (c) the last error is per thread
 *  (d) cleanup of a manager while another thread runs a long function in it
 *  (e) runaway recursion on threads with small stacks is an error, not a crash
 *  (f) many threads creating and cleaning up managers at once
 *  (g) a unit whose top-level statements fail is undone for every thread;
 *      while they run, other threads see the old or the new functions
 *
 * Under valgrind (FFI_SLOW=1, see check.h) the loops of (a), (b) and (f) run
 * 10-20 times fewer iterations and (d) runs 2 rounds of a longer call instead
 * of 5: valgrind runs one thread at a time, each many times slower, and with
 * the full counts this program ran over 8 minutes there ((b) alone 150 s).
 * The fewer iterations still interleave the threads on every call the checks
 * are about.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtjit.h"

#define CHECK_PROGRAM "threads"
#define CHECK_LAST_CODE() rt_last_error_code()
#define CHECK_LAST_MSG() rt_exec_manager_get_last_error()
#include "check.h"
#include "threads.h"

#define NTHREADS 8

static int64_t new_manager(const char *source) {
    int64_t h = rt_exec_manager_create();
    CHECK_MSG(h > 0, "rt_exec_manager_create() returned %lld", (long long)h);
    int32_t s = rt_exec_manager_compile_source(h, source);
    CHECK_MSG(s == RT_OK, "compiling\n----\n%s\n----\nreturned %d %s", source, s, status_name(s));
    return h;
}

static int64_t fib_c(int64_t n) { return n < 2 ? n : fib_c(n - 1) + fib_c(n - 2); }

/* ------------------------------------------------ (a) concurrent execution */

static const char *const SHARED_UNIT = "fn f(x): x^2 + 2*x + 1\n"
                                       "fn add(a, b): a + b\n"
                                       "fn fib(n):\n"
                                       "    if n < 2:\n"
                                       "        return n\n"
                                       "    return fib(n - 1) + fib(n - 2)\n"
                                       "fn scale(a, x: f64) -> f64: a * x\n"
                                       "fn sum_to(n):\n"
                                       "    var s = 0\n"
                                       "    for i in 0..n:\n"
                                       "        s += i\n"
                                       "    return s\n";

struct exec_arg {
    int id;
    int64_t h;
    int iterations;
    pthread_barrier_t *barrier;
};

static void *exec_worker(void *p) {
    struct exec_arg *a = p;
    pthread_barrier_wait(a->barrier);
    for (int i = 0; i < a->iterations; i++) {
        int64_t x = (int64_t)(a->id * 1000 + i % 1000), r = -1;
        int32_t s = rt_exec_manager_execute(a->h, "f", &x, 1, &r);
        if (s != RT_OK || r != (x + 1) * (x + 1)) {
            CHECK_MSG(0, "thread %d iteration %d: f(%lld) returned %d %s, value %lld, expected %lld", a->id, i,
                      (long long)x, s, status_name(s), (long long)r, (long long)((x + 1) * (x + 1)));
            return NULL;
        }
        int64_t ab[2] = {x, a->id};
        s = rt_exec_manager_execute(a->h, "add", ab, 2, &r);
        if (s != RT_OK || r != x + a->id) {
            CHECK_MSG(0, "thread %d: add(%lld, %d) returned %d, value %lld", a->id, (long long)x, a->id, s,
                      (long long)r);
            return NULL;
        }
        if (i % 50 == 0) {
            int64_t n = 12 + a->id % 5;
            s = rt_exec_manager_execute(a->h, "fib", &n, 1, &r);
            if (s != RT_OK || r != fib_c(n)) {
                CHECK_MSG(0, "thread %d: fib(%lld) returned %d, value %lld", a->id, (long long)n, s, (long long)r);
                return NULL;
            }
            rt_value args[2], out;
            memset(args, 0, sizeof args);
            args[0].type = RT_TYPE_I64;
            args[0].as.i64 = x;
            args[1].type = RT_TYPE_F64;
            args[1].as.f64 = 0.5;
            s = rt_exec_manager_call(a->h, "scale", args, 2, &out);
            if (s != RT_OK || out.type != RT_TYPE_F64 || out.as.f64 != (double)x * 0.5) {
                CHECK_MSG(0, "thread %d: scale(%lld, 0.5) returned %d, type %d", a->id, (long long)x, s, out.type);
                return NULL;
            }
            n = 1000 + a->id;
            s = rt_exec_manager_execute(a->h, "sum_to", &n, 1, &r);
            if (s != RT_OK || r != n * (n - 1) / 2) {
                CHECK_MSG(0, "thread %d: sum_to(%lld) returned %d, value %lld", a->id, (long long)n, s, (long long)r);
                return NULL;
            }
            if (rt_exec_manager_has_function(a->h, "fib") != 1) {
                CHECK_MSG(0, "thread %d: has_function(fib) is not 1", a->id);
                return NULL;
            }
            char *sig = rt_exec_manager_function_signature(a->h, "scale");
            if (sig == NULL || strcmp(sig, "fn(i64, f64) -> f64") != 0) {
                CHECK_MSG(0, "thread %d: function_signature(scale) is \"%s\"", a->id, sig ? sig : "(NULL)");
            }
            rt_string_free(sig);
        }
    }
    CHECK_STATUS(rt_last_error_code(), RT_OK); /* no call failed on this thread */
    return NULL;
}

static void group_concurrent_execute(void) {
    int64_t h = new_manager(SHARED_UNIT);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    struct exec_arg args[NTHREADS];
    const int iterations = SLOW_OR(1000, 20000);
    double t0 = now_seconds();
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (struct exec_arg){i, h, iterations, &barrier};
        start_thread(&t[i], exec_worker, &args[i]);
    }
    for (int i = 0; i < NTHREADS; i++) join_thread(t[i]);
    pthread_barrier_destroy(&barrier);
    printf("threads:        (a) %d threads x %d iterations in %.2f s\n", NTHREADS, iterations, now_seconds() - t0);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------- (b) compiling while others execute */

/* The number of versions of `hot` compiled: 200 (20 under FFI_SLOW). */
static int versions;

static atomic_int published;  /* the newest version whose compile returned */
static atomic_int compiling_done;

struct compile_arg {
    int64_t h;
};

static void *compiler_thread(void *p) {
    struct compile_arg *a = p;
    char src[512];
    for (int k = 1; k <= versions; k++) {
        /* a redefinition of `hot` with the same signature, and a new function */
        snprintf(src, sizeof src, "fn hot(x): x + %d * 1000\nfn gen_%d(x): x * %d\n", k, k, k);
        int32_t s = rt_exec_manager_compile_source(a->h, src);
        CHECK_MSG(s == RT_OK, "compiling version %d returned %d %s", k, s, status_name(s));
        /* later calls reach the new code, also through a caller compiled before */
        int64_t one = 1, r = 0;
        CHECK_OK(rt_exec_manager_execute(a->h, "hot", &one, 1, &r));
        CHECK_EQ(r, 1 + k * 1000);
        CHECK_OK(rt_exec_manager_execute(a->h, "call_hot", &one, 1, &r));
        CHECK_EQ(r, 1 + k * 1000 + 7);
        atomic_store(&published, k);
        if (k % 20 == 0) {
            /* units that fail change nothing, even while others run */
            snprintf(src, sizeof src, "fn hot(x): x + 999999\nfn gen_fail_%d(x): x\nfn broken(: 1\n", k);
            CHECK_ERR(rt_exec_manager_compile_source(a->h, src), RT_ERR_COMPILE);
            CHECK_OK(rt_exec_manager_execute(a->h, "hot", &one, 1, &r));
            CHECK_EQ(r, 1 + k * 1000);
        }
    }
    atomic_store(&compiling_done, 1);
    return NULL;
}

struct hot_arg {
    int id;
    int64_t h;
    long calls;
};

static void *hot_reader(void *p) {
    struct hot_arg *a = p;
    int last_seen = 0;
    unsigned seed = (unsigned)a->id * 7919u + 1;
    while (!atomic_load(&compiling_done)) {
        int floor = atomic_load(&published);
        int64_t one = 1, r = -1;
        const char *name = (a->calls & 1) ? "hot" : "call_hot";
        int32_t s = rt_exec_manager_execute(a->h, name, &one, 1, &r);
        a->calls++;
        if (s != RT_OK) {
            CHECK_MSG(0, "reader %d: %s(1) returned %d %s", a->id, name, s, status_name(s));
            return NULL;
        }
        int64_t v = strcmp(name, "call_hot") == 0 ? r - 7 : r;
        if ((v - 1) % 1000 != 0 || (v - 1) / 1000 < 0 || (v - 1) / 1000 > versions) {
            CHECK_MSG(0, "reader %d: %s(1) = %lld is no version of hot (a failed unit became visible?)", a->id,
                      name, (long long)r);
            return NULL;
        }
        int k = (int)((v - 1) / 1000);
        if (k < floor) {
            CHECK_MSG(0, "reader %d: %s(1) ran version %d after version %d had been compiled", a->id, name, k,
                      floor);
            return NULL;
        }
        if (k < last_seen) {
            CHECK_MSG(0, "reader %d: %s(1) ran version %d after this thread had run version %d", a->id, name, k,
                      last_seen);
            return NULL;
        }
        last_seen = k;
        if (floor > 0) {
            int j = 1 + (int)(rand_r(&seed) % (unsigned)floor);
            char fname[32];
            snprintf(fname, sizeof fname, "gen_%d", j);
            int64_t three = 3;
            s = rt_exec_manager_execute(a->h, fname, &three, 1, &r);
            if (s != RT_OK || r != 3 * j) {
                CHECK_MSG(0, "reader %d: %s(3) returned %d %s, value %lld, expected %d", a->id, fname, s,
                          status_name(s), (long long)r, 3 * j);
                return NULL;
            }
            int64_t count = rt_exec_manager_function_count(a->h);
            if (count < 2 + floor) {
                CHECK_MSG(0, "reader %d: function_count %lld < %d after version %d", a->id, (long long)count,
                          2 + floor, floor);
                return NULL;
            }
        }
    }
    return NULL;
}

static void group_compile_while_executing(void) {
    int64_t h = new_manager("fn hot(x): x + 0 * 1000\nfn call_hot(x): hot(x) + 7\n");
    versions = SLOW_OR(20, 200);
    atomic_store(&published, 0);
    atomic_store(&compiling_done, 0);
    enum { READERS = NTHREADS - 1 };
    pthread_t readers[READERS], compiler;
    struct hot_arg args[READERS];
    for (int i = 0; i < READERS; i++) {
        args[i] = (struct hot_arg){i, h, 0};
        start_thread(&readers[i], hot_reader, &args[i]);
    }
    struct compile_arg ca = {h};
    double t0 = now_seconds();
    start_thread(&compiler, compiler_thread, &ca);
    join_thread(compiler);
    long total = 0;
    for (int i = 0; i < READERS; i++) {
        join_thread(readers[i]);
        total += args[i].calls;
    }
    printf("threads:        (b) %d units compiled in %.2f s while %d threads made %ld calls\n", versions,
           now_seconds() - t0, READERS, total);
    CHECK_EQ(rt_exec_manager_function_count(h), 2 + versions);
    int64_t one = 1, r = 0;
    CHECK_OK(rt_exec_manager_execute(h, "call_hot", &one, 1, &r));
    CHECK_EQ(r, 1 + versions * 1000 + 7);
    CHECK_EQ(rt_exec_manager_has_function(h, "broken"), 0);
    CHECK_EQ(rt_exec_manager_has_function(h, "gen_fail_20"), 0);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* A unit whose top-level statements fail is undone. Its top-level
 * statements run after the unit is installed (as a module import does), so
 * while they run other threads may call its functions: every call sees the
 * old or the new `stable`, never anything else, and once the failing
 * compile has returned, only the old one. */
struct atomic_arg {
    int64_t h;
    atomic_int stop;
    long calls;
    int64_t bad_value;
};

static void *atomic_reader(void *p) {
    struct atomic_arg *a = p;
    while (!atomic_load(&a->stop)) {
        int64_t one = 1, r = -1;
        int32_t s = rt_exec_manager_execute(a->h, "stable", &one, 1, &r);
        a->calls++;
        if (s != RT_OK || (r != 2 && r != 1001)) {
            a->bad_value = s != RT_OK ? -1000 - s : r;
            return NULL;
        }
    }
    return NULL;
}

static void group_failed_unit_invisible(void) {
    int64_t h = new_manager("fn stable(x): x + 1\nspin_limit = 3000000\n");
    struct atomic_arg a = {.h = h, .calls = 0, .bad_value = 0};
    atomic_store(&a.stop, 0);
    pthread_t t;
    start_thread(&t, atomic_reader, &a);
    for (int i = 0; i < 3; i++) {
        CHECK_ERR(rt_exec_manager_compile_source(h, "fn stable(x): x + 1000\n"
                                                    "var i = 0\n"
                                                    "while i < spin_limit:\n"
                                                    "    i += 1\n"
                                                    "oops = 1 / (i - spin_limit)\n"),
                  RT_ERR_RUNTIME);
        int64_t one = 1, r = 0;
        CHECK_OK(rt_exec_manager_execute(h, "stable", &one, 1, &r));
        CHECK_EQ(r, 2);
        CHECK_EQ(rt_exec_manager_has_function(h, "oops"), 0);
        rt_value g;
        CHECK_ERR(rt_exec_manager_get_global(h, "oops", &g), RT_ERR_NOT_FOUND);
    }
    atomic_store(&a.stop, 1);
    join_thread(t);
    CHECK_MSG(a.bad_value == 0,
              "while a unit redefining `stable` ran its failing top-level statements, another thread's "
              "stable(1) gave %lld instead of 2 or 1001",
              (long long)a.bad_value);
    int64_t one = 1, r = 0;
    CHECK_OK(rt_exec_manager_execute(h, "stable", &one, 1, &r));
    CHECK_EQ(r, 2);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------- (c) thread-local last errors */

struct error_case {
    int32_t code;
    const char *needle;
};

static const struct error_case ERROR_CASES[NTHREADS] = {
    {RT_ERR_RUNTIME, "division by zero"},        {RT_ERR_NOT_FOUND, "missing_fn_of_thread_1"},
    {RT_ERR_SIGNATURE, "add"},                   {RT_ERR_COMPILE, "<source>:1:"},
    {RT_ERR_INVALID_HANDLE, ""},                 {RT_ERR_INVALID_ARGUMENT, ""},
    {RT_ERR_RUNTIME, "stack overflow"},          {RT_ERR_UNSUPPORTED, ""},
};

struct err_arg {
    int id;
    int64_t h;
    pthread_barrier_t *barrier;
};

static int32_t provoke(int id, int64_t h) {
    int64_t ab[2] = {1, 0}, r;
    switch (id) {
    case 0: return rt_exec_manager_execute(h, "div", ab, 2, &r);
    case 1: return rt_exec_manager_execute(h, "missing_fn_of_thread_1", NULL, 0, &r);
    case 2: return rt_exec_manager_execute(h, "add", ab, 1, &r);
    case 3: return rt_exec_manager_compile_source(h, "fn (x) x");
    case 4: return rt_exec_manager_execute(12345, "add", ab, 2, &r);
    case 5: return rt_exec_manager_execute(h, NULL, ab, 2, &r);
    case 6: return rt_exec_manager_execute(h, "runaway", ab, 1, &r);
    /* A backend this build does not have (with LLVM built in, none). */
    default: return rt_set_jit_backend(check_llvm() ? RT_BACKEND_UNKNOWN : RT_BACKEND_LLVM);
    }
}

static void *error_worker(void *p) {
    struct err_arg *a = p;
    struct error_case llvm_case = {RT_ERR_INVALID_ARGUMENT, "unknown backend"};
    const struct error_case *c = a->id == 7 && check_llvm() ? &llvm_case : &ERROR_CASES[a->id];
    for (int round = 0; round < 20; round++) {
        rt_exec_manager_clear_error();
        pthread_barrier_wait(a->barrier);
        int32_t s = provoke(a->id, a->h);
        CHECK_MSG(s == c->code, "thread %d: provoking returned %d %s, expected %s", a->id, s, status_name(s),
                  status_name(c->code));
        char mine[1024];
        snprintf(mine, sizeof mine, "%s", rt_exec_manager_get_last_error());
        pthread_barrier_wait(a->barrier); /* every thread has set its error */
        /* a successful call in between changes nothing */
        int64_t x = 2, r = 0;
        CHECK_OK(rt_exec_manager_execute(a->h, "f", &x, 1, &r));
        CHECK_EQ(r, 9);
        CHECK_MSG(rt_last_error_code() == c->code, "thread %d: last error code %d %s, expected its own %s", a->id,
                  rt_last_error_code(), status_name(rt_last_error_code()), status_name(c->code));
        CHECK_MSG(strcmp(rt_exec_manager_get_last_error(), mine) == 0,
                  "thread %d: last error \"%s\" changed from its own \"%s\"", a->id, rt_exec_manager_get_last_error(),
                  mine);
        CHECK_MSG(mine[0] != '\0' && strstr(mine, c->needle) != NULL,
                  "thread %d: its message \"%s\" should contain \"%s\"", a->id, mine, c->needle);
        /* no other thread's message leaked in */
        static const char *const distinct[] = {"division by zero", "missing_fn_of_thread_1", "<source>:1:",
                                               "stack overflow"};
        for (size_t j = 0; j < sizeof distinct / sizeof distinct[0]; j++) {
            if (strcmp(distinct[j], c->needle) == 0) continue;
            CHECK_MSG(strstr(mine, distinct[j]) == NULL, "thread %d: its message \"%s\" mentions \"%s\" of another thread",
                      a->id, mine, distinct[j]);
        }
        pthread_barrier_wait(a->barrier);
        if (a->id % 2 == 0) rt_exec_manager_clear_error();
        pthread_barrier_wait(a->barrier); /* even threads have cleared */
        if (a->id % 2 == 0) {
            CHECK_STATUS(rt_last_error_code(), RT_OK);
            CHECK_STREQ(rt_exec_manager_get_last_error(), "");
        } else {
            CHECK_MSG(rt_last_error_code() == c->code, "thread %d: another thread's clear_error cleared this one's",
                      a->id);
            CHECK_STREQ(rt_exec_manager_get_last_error(), mine);
        }
        pthread_barrier_wait(a->barrier);
    }
    return NULL;
}

static void group_thread_local_errors(void) {
    int64_t h = new_manager("fn f(x): x^2 + 2*x + 1\n"
                            "fn add(a, b): a + b\n"
                            "fn div(a, b): a / b\n"
                            "fn runaway(n) -> i64: runaway(n + 1) + 1\n");
    rt_exec_manager_clear_error();
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    struct err_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (struct err_arg){i, h, &barrier};
        start_thread(&t[i], error_worker, &args[i]);
    }
    for (int i = 0; i < NTHREADS; i++) join_thread(t[i]);
    pthread_barrier_destroy(&barrier);
    /* none of the threads' errors is visible on this thread */
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------- (d) cleanup while another thread executes */

static const char *const SPIN_UNIT = "fn spin(n):\n"
                                     "    var s = 0\n"
                                     "    var i = 0\n"
                                     "    while i < n:\n"
                                     "        s += i % 7\n"
                                     "        i += 1\n"
                                     "    return s\n"
                                     "fn fib(n):\n"
                                     "    if n < 2:\n"
                                     "        return n\n"
                                     "    return fib(n - 1) + fib(n - 2)\n";

static int64_t spin_c(int64_t n) {
    int64_t s = 0;
    for (int64_t i = 0; i < n; i++) s += i % 7;
    return s;
}

struct long_arg {
    int64_t h;
    const char *name;
    int64_t n;
    int64_t expected;
    atomic_int started;
    int32_t status;
    int64_t result;
    double finished_at;
};

static void *long_runner(void *p) {
    struct long_arg *a = p;
    atomic_store(&a->started, 1);
    a->result = -1;
    a->status = rt_exec_manager_execute(a->h, a->name, &a->n, 1, &a->result);
    a->finished_at = now_seconds();
    return NULL;
}

/* Calls the manager in a loop until its handle goes away. */
struct hammer_arg {
    int64_t h;
    atomic_int stop;
    atomic_long ok_calls, invalid_calls;
    int bad_status;
};

/* Waits (at most 10 s) until `*counter` is positive. */
static void wait_positive(atomic_long *counter) {
    double until = now_seconds() + 10;
    while (atomic_load(counter) <= 0 && now_seconds() < until) sleep_ms(1);
}

static void *hammer(void *p) {
    struct hammer_arg *a = p;
    while (!atomic_load(&a->stop)) {
        int64_t n = 10, r = -1;
        int32_t s = rt_exec_manager_execute(a->h, "fib", &n, 1, &r);
        if (s == RT_OK && r == 55) {
            atomic_fetch_add(&a->ok_calls, 1);
        } else if (s == RT_ERR_INVALID_HANDLE) {
            atomic_fetch_add(&a->invalid_calls, 1);
        } else {
            a->bad_status = s == RT_OK ? -1 : s;
            return NULL;
        }
    }
    return NULL;
}

/* Compiles into (and evaluates in) the manager in a loop until its handle goes away. */
static void *compile_hammer(void *p) {
    struct hammer_arg *a = p;
    for (long i = 0; !atomic_load(&a->stop); i++) {
        char src[128];
        snprintf(src, sizeof src, "fn extra_%ld(x): x + %ld\nfib(5) + extra_%ld(1)", i % 50, i, i % 50);
        rt_value out;
        int32_t s = rt_exec_manager_eval(a->h, src, &out);
        if (s == RT_OK && out.type == RT_TYPE_I64 && out.as.i64 == 5 + 1 + i) {
            atomic_fetch_add(&a->ok_calls, 1);
        } else if (s == RT_ERR_INVALID_HANDLE) {
            atomic_fetch_add(&a->invalid_calls, 1);
        } else {
            a->bad_status = s == RT_OK ? -1 : s;
            return NULL;
        }
    }
    return NULL;
}

static void check_long_result(struct long_arg *a, int round) {
    if (a->status == RT_OK) {
        CHECK_MSG(a->result == a->expected, "round %d: %s(%lld) finished after cleanup with %lld, expected %lld",
                  round, a->name, (long long)a->n, (long long)a->result, (long long)a->expected);
    } else {
        CHECK_MSG(a->status == RT_ERR_INVALID_HANDLE || a->status == RT_ERR_RUNTIME ||
                      a->status == RT_ERR_INTERRUPTED,
                  "round %d: %s(%lld) running during cleanup returned %d %s", round, a->name, (long long)a->n,
                  a->status, status_name(a->status));
    }
}

static void group_cleanup_while_executing(void) {
    /* calibrate spin so one call takes about 0.4 s; 1 s under FFI_SLOW, since
     * valgrind slows the other threads' first calls, which must come before
     * the cleanup, far more than this tight loop */
    const double spin_seconds = SLOW_OR(1.0, 0.4);
    int64_t h = new_manager(SPIN_UNIT);
    int64_t n = 20000000, r = 0;
    double t0 = now_seconds();
    CHECK_OK(rt_exec_manager_execute(h, "spin", &n, 1, &r));
    double per = (now_seconds() - t0) / (double)n;
    CHECK_EQ(r, spin_c(n));
    CHECK_OK(rt_exec_manager_cleanup(h));
    int64_t spin_n = (int64_t)(spin_seconds / (per > 0 ? per : 1e-9));
    if (spin_n < 5000000) spin_n = 5000000;
    if (spin_n > 200000000) spin_n = 200000000;
    const int64_t spin_expected = spin_c(spin_n);

    const int rounds = SLOW_OR(2, 5);
    for (int round = 0; round < rounds; round++) {
        h = new_manager(SPIN_UNIT);
        struct long_arg spinner = {.h = h, .name = "spin", .n = spin_n, .expected = spin_expected};
        struct long_arg fibber = {.h = h, .name = "fib", .n = 30, .expected = 832040};
        atomic_store(&spinner.started, 0);
        atomic_store(&fibber.started, 0);
        struct hammer_arg ham = {.h = h, .bad_status = 0};
        atomic_init(&ham.stop, 0);
        atomic_init(&ham.ok_calls, 0);
        atomic_init(&ham.invalid_calls, 0);
        struct hammer_arg cham = {.h = h, .bad_status = 0};
        atomic_init(&cham.stop, 0);
        atomic_init(&cham.ok_calls, 0);
        atomic_init(&cham.invalid_calls, 0);
        pthread_t ts, tf, th, tc;
        start_thread(&ts, long_runner, &spinner);
        start_thread(&tf, long_runner, &fibber);
        start_thread(&th, hammer, &ham);
        start_thread(&tc, compile_hammer, &cham);
        while (!atomic_load(&spinner.started) || !atomic_load(&fibber.started)) sleep_ms(1);
        wait_positive(&ham.ok_calls);
        wait_positive(&cham.ok_calls);
        sleep_ms(20); /* the long calls are well inside the JIT code now */

        double c0 = now_seconds();
        CHECK_OK(rt_exec_manager_cleanup(h));
        double cleanup_returned = now_seconds();
        /* afterwards the handle is invalid, at once */
        CHECK_EQ(rt_exec_manager_is_valid(h), 0);
        int64_t ten = 10;
        CHECK_ERR(rt_exec_manager_execute(h, "fib", &ten, 1, &r), RT_ERR_INVALID_HANDLE);
        CHECK_ERR(rt_exec_manager_cleanup(h), RT_ERR_INVALID_HANDLE);

        join_thread(ts);
        join_thread(tf);
        wait_positive(&ham.invalid_calls);
        wait_positive(&cham.invalid_calls);
        atomic_store(&ham.stop, 1);
        atomic_store(&cham.stop, 1);
        join_thread(th);
        join_thread(tc);
        CHECK_MSG(cham.bad_status == 0, "round %d: a compile racing with cleanup returned %d %s", round,
                  cham.bad_status, status_name(cham.bad_status));
        CHECK_MSG(cham.ok_calls > 0 && cham.invalid_calls > 0,
                  "round %d: compiles before/after cleanup: %ld ok, %ld RT_ERR_INVALID_HANDLE (expected both > 0)",
                  round, atomic_load(&cham.ok_calls), atomic_load(&cham.invalid_calls));
        CHECK_MSG(spinner.finished_at > c0, "round %d: spin(%lld) ended before cleanup was called (the test's "
                  "calibration is off: the call should take about %.1f s)", round, (long long)spin_n, spin_seconds);
        check_long_result(&spinner, round);
        check_long_result(&fibber, round);
        CHECK_MSG(ham.bad_status == 0, "round %d: a call racing with cleanup returned %d %s", round, ham.bad_status,
                  status_name(ham.bad_status));
        CHECK_MSG(atomic_load(&ham.invalid_calls) > 0, "round %d: calls after cleanup never saw RT_ERR_INVALID_HANDLE",
                  round);
        CHECK_EQ(rt_exec_manager_is_valid(h), 0);
        if (round == 0) {
            printf("threads:        (d) spin(%lld): %s %s; cleanup took %.3f s, the spin call ended %.3f s after "
                   "cleanup returned\n",
                   (long long)spin_n, status_name(spinner.status), status_name(fibber.status), cleanup_returned - c0,
                   spinner.finished_at - cleanup_returned);
        }
    }

    /* a manager created afterwards is unaffected */
    h = new_manager(SPIN_UNIT);
    n = 1000;
    CHECK_OK(rt_exec_manager_execute(h, "spin", &n, 1, &r));
    CHECK_EQ(r, spin_c(1000));
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ---------------------------------------- (e) small stacks, deep recursion */

struct stack_arg {
    int64_t h;
    int32_t status;
    char message[512];
    int64_t after;
};

static void *stack_worker(void *p) {
    struct stack_arg *a = p;
    int64_t zero = 0, r = 0;
    a->status = rt_exec_manager_execute(a->h, "runaway", &zero, 1, &r);
    snprintf(a->message, sizeof a->message, "%s", rt_exec_manager_get_last_error());
    int64_t five = 5;
    a->after = -1;
    if (rt_exec_manager_execute(a->h, "f", &five, 1, &r) == RT_OK) a->after = r;
    return NULL;
}

static void group_small_stacks(void) {
    int64_t h = new_manager("fn f(x): x^2 + 2*x + 1\nfn runaway(n) -> i64: runaway(n + 1) + 1\n");
    const size_t sizes[] = {256 * 1024, 1024 * 1024, 16 * 1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        CHECK_EQ(pthread_attr_setstacksize(&attr, sizes[i]), 0);
        struct stack_arg a = {.h = h};
        pthread_t t;
        int rc = pthread_create(&t, &attr, stack_worker, &a);
        CHECK_EQ(rc, 0);
        pthread_attr_destroy(&attr);
        if (rc != 0) continue;
        join_thread(t);
        CHECK_MSG(a.status == RT_ERR_RUNTIME, "stack of %zu KiB: runaway(0) returned %d %s", sizes[i] / 1024,
                  a.status, status_name(a.status));
        CHECK_CONTAINS(a.message, "stack overflow");
        CHECK_EQ(a.after, 36);
    }
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------ (f) concurrent create and cleanup */

static void *lifecycle_worker(void *p) {
    int id = *(int *)p;
    for (int i = 0; i < SLOW_OR(4, 40); i++) {
        int64_t h = rt_exec_manager_create();
        if (h <= 0) {
            CHECK_MSG(0, "thread %d: create returned %lld", id, (long long)h);
            return NULL;
        }
        char src[128];
        snprintf(src, sizeof src, "fn me(): %d\nfn f(x): x^2 + 2*x + 1\n", id * 1000 + i);
        CHECK_OK(rt_exec_manager_compile_source(h, src));
        int64_t r = 0;
        CHECK_OK(rt_exec_manager_execute(h, "me", NULL, 0, &r));
        CHECK_EQ(r, id * 1000 + i);
        CHECK_OK(rt_exec_manager_cleanup(h));
        CHECK_EQ(rt_exec_manager_is_valid(h), 0);
        CHECK_ERR(rt_exec_manager_execute(h, "me", NULL, 0, &r), RT_ERR_INVALID_HANDLE);
    }
    return NULL;
}

static void group_concurrent_lifecycle(void) {
    pthread_t t[NTHREADS];
    int ids[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ids[i] = i;
        start_thread(&t[i], lifecycle_worker, &ids[i]);
    }
    for (int i = 0; i < NTHREADS; i++) join_thread(t[i]);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("threads: rtjit version %s\n", rt_version());
    RUN_GROUP(group_concurrent_execute, "(a) 8 threads execute in one manager");
    RUN_GROUP(group_compile_while_executing, "(b) one thread compiles (new names, redefinitions) while 7 execute");
    RUN_GROUP(group_thread_local_errors, "(c) each thread sees only its own last error");
    RUN_GROUP(group_cleanup_while_executing, "(d) cleanup while other threads execute in the manager");
    RUN_GROUP(group_small_stacks, "(e) runaway recursion on 256 KiB / 1 MiB / 16 MiB thread stacks");
    RUN_GROUP(group_concurrent_lifecycle, "(f) 8 threads create/compile/execute/cleanup managers");
    RUN_GROUP(group_failed_unit_invisible, "(g) a unit whose top-level statements fail is undone for every thread");
    return check_finish();
}
