/*
 * bench.c: the rtjit benchmark (docs/benchmarks.md).
 *
 * Build (from the crate root, after `cargo build --release`):
 *
 *   cc -std=c11 -Wall -Wextra -Werror -O2 -Iinclude examples-c/bench.c \
 *      -Ltarget/release -lrtjit -Wl,-rpath,$PWD/target/release -lm -o target/bench
 *
 * Run:   target/bench [samples]        (default 101 samples per measurement)
 *
 * Every figure is the median (and the minimum, and the 90th percentile) of
 * `samples` measurements taken with clock_gettime(CLOCK_MONOTONIC). For the
 * comparisons with C, the C and the rtjit runs alternate sample by sample,
 * and the results of both are checked to be equal. The exit status is 0
 * when every result is correct (whether or not a target is met), 1 when a
 * result is wrong or a call fails.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "rtjit.h"

/* ---------------------------------------------------------------------- */
/* Workload parameters. Volatile, so the C compiler cannot fold the C
 * reference computations into constants.                                 */

static volatile int64_t FIB_N = 35;
static volatile int64_t KERNEL_N = 100000000; /* 1e8 iterations */
static volatile int64_t MANDEL_W = 400;
static volatile int64_t MANDEL_H = 300;
static volatile int64_t MANDEL_MAXIT = 200;
static volatile int64_t EXEC_CALLS = 1000000; /* calls per execute batch */

static volatile int64_t sink; /* results go here so nothing is dead code */

/* ---------------------------------------------------------------------- */
/* The programs, in the source language and in C.                          */

static const char *SRC_F = "fn f(x): x^2 + 2*x + 1\n";

static const char *SRC_ID = "fn id(x): x\n";

/* Verbatim from the language specification. */
static const char *SRC_FIB =
    "fn fib(n):\n"
    "    if n < 2:\n"
    "        return n\n"
    "    return fib(n - 1) + fib(n - 2)\n";

/* A 64-bit LCG (Knuth's MMIX constants) whose state is mixed into a sum:
 * a loop-carried multiply, a division by 2^16 and a remainder by 1000 per
 * iteration. The recurrence keeps both compilers from vectorising it or
 * finding a closed form. */
static const char *SRC_KERNEL =
    "fn kernel(n):\n"
    "    var x = 88172645463325252\n"
    "    var acc = 0\n"
    "    var i = 0\n"
    "    while i < n:\n"
    "        x = x * 6364136223846793005 + 1442695040888963407\n"
    "        acc = acc + (x / 65536) % 1000\n"
    "        i = i + 1\n"
    "    return acc\n";

/* Points of a w x h grid over [-2.5, 1.0] x [-1.2, 1.2] that stay bounded
 * for maxit iterations. Same operations, same order as mandel_c. */
static const char *SRC_MANDEL =
    "fn mandel(w, h, maxit):\n"
    "    var count = 0\n"
    "    var py = 0\n"
    "    while py < h:\n"
    "        val ci = float(py) * 2.4 / float(h) - 1.2\n"
    "        var px = 0\n"
    "        while px < w:\n"
    "            val cr = float(px) * 3.5 / float(w) - 2.5\n"
    "            var zr = 0.0\n"
    "            var zi = 0.0\n"
    "            var it = 0\n"
    "            while it < maxit and zr * zr + zi * zi <= 4.0:\n"
    "                val t = zr * zr - zi * zi + cr\n"
    "                zi = 2.0 * zr * zi + ci\n"
    "                zr = t\n"
    "                it = it + 1\n"
    "            if it == maxit:\n"
    "                count = count + 1\n"
    "            px = px + 1\n"
    "        py = py + 1\n"
    "    return count\n";

static int64_t fib_c(int64_t n)
{
    if (n < 2)
        return n;
    return fib_c(n - 1) + fib_c(n - 2);
}

/* The same function with every recursive call made through a function
 * pointer the compiler cannot see through: one real call per node of the
 * call tree (gcc -O2 turns fib_c's second recursion into a loop and inlines
 * recursion levels, so fib_c makes far fewer calls; rtjit at opt >= 2
 * unrolls a few levels of self-recursion). A reference point only. */
static int64_t fib_c_ptr(int64_t n);
static int64_t (*volatile fib_c_ptr_p)(int64_t) = fib_c_ptr;
__attribute__((noinline)) static int64_t fib_c_ptr(int64_t n)
{
    if (n < 2)
        return n;
    int64_t (*f)(int64_t) = fib_c_ptr_p;
    return f(n - 1) + f(n - 2);
}

__attribute__((noinline)) static int64_t kernel_c(int64_t n)
{
    /* Unsigned arithmetic for the wrapping the language defines. */
    uint64_t x = 88172645463325252u;
    int64_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int64_t sx = (int64_t)x;
        acc += (sx / 65536) % 1000;
    }
    return acc;
}

__attribute__((noinline)) static int64_t mandel_c(int64_t w, int64_t h, int64_t maxit)
{
    int64_t count = 0;
    for (int64_t py = 0; py < h; py++) {
        double ci = (double)py * 2.4 / (double)h - 1.2;
        for (int64_t px = 0; px < w; px++) {
            double cr = (double)px * 3.5 / (double)w - 2.5;
            double zr = 0.0, zi = 0.0;
            int64_t it = 0;
            while (it < maxit && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                it++;
            }
            if (it == maxit)
                count++;
        }
    }
    return count;
}

/* The floor for a call through a pointer the compiler cannot see through. */
__attribute__((noinline)) static int64_t id_c(int64_t x)
{
    return x;
}
static int64_t (*volatile id_c_ptr)(int64_t) = id_c;

/* ---------------------------------------------------------------------- */
/* Helpers.                                                                */

static int failures;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, int32_t rc)
{
    fprintf(stderr, "bench: %s failed (status %d): %s\n", what, (int)rc, rt_exec_manager_get_last_error());
    exit(1);
}

static int64_t create_or_die(void)
{
    int64_t h = rt_exec_manager_create();
    if (h == 0)
        die("rt_exec_manager_create", rt_last_error_code());
    return h;
}

static void ok(int32_t rc, const char *what)
{
    if (rc != RT_OK)
        die(what, rc);
}

static void expect(const char *what, int64_t got, int64_t want)
{
    if (got != want) {
        fprintf(stderr, "bench: WRONG RESULT: %s = %lld, expected %lld\n", what, (long long)got, (long long)want);
        failures++;
    }
}

static int64_t exec1(int64_t h, const char *name, int64_t a)
{
    int64_t r = 0;
    ok(rt_exec_manager_execute(h, name, &a, 1, &r), name);
    return r;
}

static int64_t exec3(int64_t h, const char *name, int64_t a, int64_t b, int64_t c)
{
    int64_t args[3] = {a, b, c};
    int64_t r = 0;
    ok(rt_exec_manager_execute(h, name, args, 3, &r), name);
    return r;
}

/* Samples are kept in nanoseconds as doubles (per-call figures are
 * fractional). */
typedef struct {
    double median, min, p90;
    int n;
} stats;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static stats summarize(const double *samples, int n)
{
    double *s = malloc(sizeof(double) * (size_t)n);
    if (!s) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    memcpy(s, samples, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    stats st;
    st.n = n;
    st.min = s[0];
    st.median = (n % 2) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    int i90 = (int)((n - 1) * 0.9 + 0.5);
    st.p90 = s[i90];
    free(s);
    return st;
}

static double *alloc_samples(int n)
{
    double *s = calloc((size_t)n, sizeof(double));
    if (!s) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    return s;
}

/* ---------------------------------------------------------------------- */
/* Report table.                                                           */

enum unit { NS, US, MS };

static const char *unit_name(enum unit u)
{
    return u == NS ? "ns" : u == US ? "us" : "ms";
}

static double in_unit(double ns, enum unit u)
{
    return u == NS ? ns : u == US ? ns / 1e3 : ns / 1e6;
}

static void table_header(void)
{
    printf("| %-50s | %12s | %12s | %12s | %4s | %-14s | %-6s |\n", "measurement", "median", "min", "p90", "n",
           "target", "status");
    printf("|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------------", "-------------:",
           "-------------:", "-------------:", "-----:", "----------------", "--------");
}

/* `target_ns` < 0: no target. */
static void row(const char *name, stats st, enum unit u, double target_ns, const char *target_text)
{
    char med[32], mn[32], p90[32];
    snprintf(med, sizeof med, "%.3f %s", in_unit(st.median, u), unit_name(u));
    snprintf(mn, sizeof mn, "%.3f %s", in_unit(st.min, u), unit_name(u));
    snprintf(p90, sizeof p90, "%.3f %s", in_unit(st.p90, u), unit_name(u));
    const char *status = target_ns < 0 ? "" : (st.median < target_ns ? "met" : "MISSED");
    printf("| %-50s | %12s | %12s | %12s | %4d | %-14s | %-6s |\n", name, med, mn, p90, st.n,
           target_text ? target_text : "", status);
}

/* A ratio row: medians over medians, minima over minima. */
static void ratio_row(const char *name, stats a, stats b, double target, const char *target_text)
{
    char med[32], mn[32];
    double r_med = a.median / b.median, r_min = a.min / b.min;
    snprintf(med, sizeof med, "%.2fx", r_med);
    snprintf(mn, sizeof mn, "%.2fx", r_min);
    const char *status = target < 0 ? "" : (r_med <= target ? "met" : "MISSED");
    printf("| %-50s | %12s | %12s | %12s | %4s | %-14s | %-6s |\n", name, med, mn, "", "", target_text ? target_text : "",
           status);
}

/* ---------------------------------------------------------------------- */
/* Machine description.                                                    */

static void print_cpu_line(const char *key)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        printf("%-10s (no /proc/cpuinfo)\n", key);
        return;
    }
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                v[strcspn(v, "\n")] = 0;
                printf("%s\n", v);
                fclose(f);
                return;
            }
        }
    }
    printf("(unknown)\n");
    fclose(f);
}

static void print_loadavg(const char *when)
{
    FILE *la = fopen("/proc/loadavg", "r");
    if (!la)
        return;
    char buf[128] = "";
    if (fgets(buf, sizeof buf, la)) {
        buf[strcspn(buf, "\n")] = 0;
        printf("loadavg:    %s (%s)\n", buf, when);
    }
    fclose(la);
}

/* Which librtjit this process loaded (from /proc/self/maps), and when
 * that file was last modified: the library changes under development. */
static void print_library(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "librtjit")) {
            path[strcspn(path, "\n")] = 0;
            struct stat st;
            char when[64] = "?";
            if (stat(path, &st) == 0) {
                struct tm tm;
                if (gmtime_r(&st.st_mtime, &tm))
                    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
            }
            printf("library:    %s (modified %s)\n", path, when);
            break;
        }
    }
    fclose(f);
}

static void print_machine(int samples)
{
    struct utsname u;
    char date[64] = "(unknown)";
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);

    printf("## rtjit benchmark\n\n");
    printf("date:       %s\n", date);
    printf("cpu:        ");
    print_cpu_line("model name");
    printf("cpu MHz:    ");
    print_cpu_line("cpu MHz");
    printf("cores:      %ld online (%ld configured)\n", sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
    if (uname(&u) == 0)
        printf("os:         %s %s %s (%s)\n", u.sysname, u.release, u.machine, u.version);
    print_loadavg("at start");
#if defined(__clang__)
    printf("cc:         clang %s (compiled this program with -O2)\n", __clang_version__);
#elif defined(__GNUC__)
    printf("cc:         gcc %s (compiled this program with -O2)\n", __VERSION__);
#else
    printf("cc:         (unknown compiler)\n");
#endif
    printf("rtjit:      %s, default backend %d (0 = auto: Cranelift)\n", rt_version(), (int)rt_get_jit_backend());
    print_library();
    printf("samples:    %d per measurement\n\n", samples);
}

/* ---------------------------------------------------------------------- */
/* Cold start: the first manager, and the first compile at each opt level,
 * in a process that has loaded the library but not used it yet. Each sample
 * runs in a freshly forked child (before the parent creates any manager),
 * which reports its two times through a pipe.                             */

typedef struct {
    double create_ns, compile_ns;
} cold_sample;

/* In the child: time the first create, then the first compile + call of f
 * at `level` (in a second manager, so the first one's creation is done). */
static int cold_child(int fd, int level)
{
    cold_sample cs;
    int64_t t0 = now_ns();
    int64_t h = rt_exec_manager_create();
    int64_t t1 = now_ns();
    if (h == 0)
        return 2;
    cs.create_ns = (double)(t1 - t0);
    if (rt_exec_manager_set_opt_level(h, level) != RT_OK)
        return 2;
    int64_t a = 5, r = 0;
    int64_t c0 = now_ns();
    if (rt_exec_manager_compile_source(h, SRC_F) != RT_OK)
        return 2;
    if (rt_exec_manager_execute(h, "f", &a, 1, &r) != RT_OK)
        return 2;
    int64_t c1 = now_ns();
    if (r != 36)
        return 3;
    cs.compile_ns = (double)(c1 - c0);
    rt_exec_manager_cleanup(h);
    if (write(fd, &cs, sizeof cs) != (ssize_t)sizeof cs)
        return 2;
    return 0;
}

static cold_sample cold_run(int level)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("bench: pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(cold_child(fds[1], level));
    }
    close(fds[1]);
    cold_sample cs;
    ssize_t got = read(fds[0], &cs, sizeof cs);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof cs || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: cold-start child failed (status %d)\n", status);
        exit(1);
    }
    return cs;
}

/* `samples` children compile at opt 0 and `samples` at opt 2, alternating;
 * the first create is timed in all of them. */
static void bench_cold(int samples, stats *create, stats *compile0, stats *compile2)
{
    double *a = alloc_samples(2 * samples), *b = alloc_samples(samples), *c = alloc_samples(samples);
    for (int i = 0; i < samples; i++) {
        cold_sample s0 = cold_run(0);
        cold_sample s2 = cold_run(2);
        a[2 * i] = s0.create_ns;
        a[2 * i + 1] = s2.create_ns;
        b[i] = s0.compile_ns;
        c[i] = s2.compile_ns;
    }
    *create = summarize(a, 2 * samples);
    *compile0 = summarize(b, samples);
    *compile2 = summarize(c, samples);
    free(a);
    free(b);
    free(c);
}

/* ---------------------------------------------------------------------- */
/* 1. Manager creation (warm: the process has created managers before).   */

static void bench_create(int samples, stats *create, stats *cleanup)
{
    double *a = alloc_samples(samples), *b = alloc_samples(samples);
    rt_exec_manager_cleanup(create_or_die()); /* warm-up */
    for (int i = 0; i < samples; i++) {
        int64_t t0 = now_ns();
        int64_t h = rt_exec_manager_create();
        int64_t t1 = now_ns();
        if (h == 0)
            die("rt_exec_manager_create", rt_last_error_code());
        int32_t rc = rt_exec_manager_cleanup(h);
        int64_t t2 = now_ns();
        ok(rc, "rt_exec_manager_cleanup");
        a[i] = (double)(t1 - t0);
        b[i] = (double)(t2 - t1);
    }
    *create = summarize(a, samples);
    *cleanup = summarize(b, samples);
    free(a);
    free(b);
}

/* ---------------------------------------------------------------------- */
/* 2. Compile + first call in a fresh manager (creation not timed).        */

typedef struct {
    stats total, compile, first_call;
} compile_stats;

static compile_stats bench_compile(int samples, int level, const char *src, const char *fn, int64_t arg,
                                   int64_t want)
{
    double *tot = alloc_samples(samples), *cmp = alloc_samples(samples), *call = alloc_samples(samples);
    for (int i = -1; i < samples; i++) { /* i == -1: warm-up */
        int64_t h = create_or_die();
        ok(rt_exec_manager_set_opt_level(h, level), "rt_exec_manager_set_opt_level");
        int64_t r = 0;
        int64_t t0 = now_ns();
        int32_t rc1 = rt_exec_manager_compile_source(h, src);
        int64_t t1 = now_ns();
        int32_t rc2 = rt_exec_manager_execute(h, fn, &arg, 1, &r);
        int64_t t2 = now_ns();
        ok(rc1, "rt_exec_manager_compile_source");
        ok(rc2, "rt_exec_manager_execute");
        expect(fn, r, want);
        ok(rt_exec_manager_cleanup(h), "rt_exec_manager_cleanup");
        if (i >= 0) {
            tot[i] = (double)(t2 - t0);
            cmp[i] = (double)(t1 - t0);
            call[i] = (double)(t2 - t1);
        }
    }
    compile_stats cs = {summarize(tot, samples), summarize(cmp, samples), summarize(call, samples)};
    free(tot);
    free(cmp);
    free(call);
    return cs;
}

/* Compile only, of a larger unit (the mandelbrot function). */
static stats bench_compile_only(int samples, int level, const char *src)
{
    double *a = alloc_samples(samples);
    for (int i = -1; i < samples; i++) {
        int64_t h = create_or_die();
        ok(rt_exec_manager_set_opt_level(h, level), "rt_exec_manager_set_opt_level");
        int64_t t0 = now_ns();
        int32_t rc = rt_exec_manager_compile_source(h, src);
        int64_t t1 = now_ns();
        ok(rc, "rt_exec_manager_compile_source");
        ok(rt_exec_manager_cleanup(h), "rt_exec_manager_cleanup");
        if (i >= 0)
            a[i] = (double)(t1 - t0);
    }
    stats st = summarize(a, samples);
    free(a);
    return st;
}

/* ---------------------------------------------------------------------- */
/* 3. Call overhead of rt_exec_manager_execute by name, and reference
 * points: a C call through a function pointer, and two cheap API calls
 * that do part of what execute does (handle lookup; handle + name lookup).*/

typedef struct {
    stats execute, c_call, is_valid, has_function;
} overhead_stats;

static overhead_stats bench_overhead(int samples)
{
    int64_t h = create_or_die();
    ok(rt_exec_manager_compile_source(h, SRC_ID), "compile id");
    int64_t calls = EXEC_CALLS;
    double *ex = alloc_samples(samples), *cc = alloc_samples(samples), *iv = alloc_samples(samples),
           *hf = alloc_samples(samples);
    int64_t want = calls * (calls - 1) / 2;
    for (int s = -1; s < samples; s++) {
        /* execute */
        int64_t sum = 0;
        int64_t t0 = now_ns();
        for (int64_t i = 0; i < calls; i++) {
            int64_t r;
            if (rt_exec_manager_execute(h, "id", &i, 1, &r) != RT_OK)
                die("rt_exec_manager_execute(id)", rt_last_error_code());
            sum += r;
        }
        int64_t t1 = now_ns();
        expect("sum of id(i)", sum, want);

        /* C call through a volatile function pointer */
        int64_t csum = 0;
        int64_t t2 = now_ns();
        for (int64_t i = 0; i < calls; i++)
            csum += id_c_ptr(i);
        int64_t t3 = now_ns();
        expect("sum of id_c(i)", csum, want);

        /* is_valid: handle lookup only */
        int64_t vsum = 0;
        int64_t t4 = now_ns();
        for (int64_t i = 0; i < calls; i++)
            vsum += rt_exec_manager_is_valid(h);
        int64_t t5 = now_ns();
        expect("sum of is_valid", vsum, calls);

        /* has_function: handle lookup + name check + catalog lookup */
        int64_t fsum = 0;
        int64_t t6 = now_ns();
        for (int64_t i = 0; i < calls; i++)
            fsum += rt_exec_manager_has_function(h, "id");
        int64_t t7 = now_ns();
        expect("sum of has_function", fsum, calls);

        if (s >= 0) {
            ex[s] = (double)(t1 - t0) / (double)calls;
            cc[s] = (double)(t3 - t2) / (double)calls;
            iv[s] = (double)(t5 - t4) / (double)calls;
            hf[s] = (double)(t7 - t6) / (double)calls;
        }
    }
    ok(rt_exec_manager_cleanup(h), "rt_exec_manager_cleanup");
    overhead_stats os = {summarize(ex, samples), summarize(cc, samples), summarize(iv, samples),
                         summarize(hf, samples)};
    free(ex);
    free(cc);
    free(iv);
    free(hf);
    return os;
}

/* ---------------------------------------------------------------------- */
/* 4-6. rtjit vs C, alternating samples.                                   */

typedef struct {
    stats jit, c, extra;
} pair_stats;

enum workload { FIB, KERNEL, MANDEL };

static int64_t run_c(enum workload w)
{
    switch (w) {
    case FIB:
        return fib_c(FIB_N);
    case KERNEL:
        return kernel_c(KERNEL_N);
    case MANDEL:
        return mandel_c(MANDEL_W, MANDEL_H, MANDEL_MAXIT);
    }
    return 0;
}

/* A third variant, where there is one: fib in C with every call through a
 * pointer; mandelbrot in rtjit at opt level 1 (manager `h1`). */
static int64_t run_extra(int64_t h1, enum workload w)
{
    switch (w) {
    case FIB:
        return fib_c_ptr(FIB_N);
    case MANDEL:
        return exec3(h1, "mandel", MANDEL_W, MANDEL_H, MANDEL_MAXIT);
    case KERNEL:
        break;
    }
    return 0;
}

static int64_t run_jit(int64_t h, enum workload w)
{
    switch (w) {
    case FIB:
        return exec1(h, "fib", FIB_N);
    case KERNEL:
        return exec1(h, "kernel", KERNEL_N);
    case MANDEL:
        return exec3(h, "mandel", MANDEL_W, MANDEL_H, MANDEL_MAXIT);
    }
    return 0;
}

/* Samples of rtjit, C (and the extra variant) alternate, the order
 * rotating from sample to sample. */
static pair_stats bench_pair(int samples, int64_t h, int64_t h1, enum workload w, const char *what,
                             int64_t *result)
{
    int kinds = (w == KERNEL) ? 2 : 3;
    double *ss[3] = {alloc_samples(samples), alloc_samples(samples), alloc_samples(samples)};
    /* Warm-up, and the reference result. */
    int64_t want = run_c(w);
    expect(what, run_jit(h, w), want);
    if (kinds == 3)
        expect(what, run_extra(h1, w), want);
    *result = want;
    for (int i = 0; i < samples; i++) {
        for (int k = 0; k < kinds; k++) {
            int which = (i + k) % kinds; /* 0 rtjit, 1 C, 2 extra */
            int64_t t0 = now_ns();
            int64_t r = which == 0 ? run_jit(h, w) : which == 1 ? run_c(w) : run_extra(h1, w);
            int64_t t1 = now_ns();
            sink = r;
            expect(what, r, want);
            ss[which][i] = (double)(t1 - t0);
        }
    }
    pair_stats ps = {summarize(ss[0], samples), summarize(ss[1], samples), summarize(ss[2], samples)};
    for (int k = 0; k < 3; k++)
        free(ss[k]);
    return ps;
}

/* ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    int samples = 101;
    if (argc > 1) {
        samples = atoi(argv[1]);
        if (samples < 1) {
            fprintf(stderr, "usage: %s [samples]   (default 101)\n", argv[0]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_machine(samples);

    /* Cold start first: nothing in this process has used rtjit yet. */
    fprintf(stderr, "bench: cold start (fork per sample)...\n");
    stats cold_create, cold_c0, cold_c2;
    bench_cold(samples, &cold_create, &cold_c0, &cold_c2);

    fprintf(stderr, "bench: creation...\n");
    stats create, cleanup;
    bench_create(samples, &create, &cleanup);

    fprintf(stderr, "bench: compile...\n");
    compile_stats c0 = bench_compile(samples, 0, SRC_F, "f", 5, 36);
    compile_stats c2 = bench_compile(samples, 2, SRC_F, "f", 5, 36);
    stats mandel_c0 = bench_compile_only(samples, 0, SRC_MANDEL);
    stats mandel_c2 = bench_compile_only(samples, 2, SRC_MANDEL);

    fprintf(stderr, "bench: execute overhead...\n");
    overhead_stats ov = bench_overhead(samples);

    int64_t h = create_or_die(); /* opt level 2, the default */
    ok(rt_exec_manager_compile_source(h, SRC_FIB), "compile fib");
    ok(rt_exec_manager_compile_source(h, SRC_KERNEL), "compile kernel");
    ok(rt_exec_manager_compile_source(h, SRC_MANDEL), "compile mandel");
    int64_t h1 = create_or_die();
    ok(rt_exec_manager_set_opt_level(h1, 1), "rt_exec_manager_set_opt_level");
    ok(rt_exec_manager_compile_source(h1, SRC_MANDEL), "compile mandel at opt 1");

    int64_t fib_r, kernel_r, mandel_r;
    fprintf(stderr, "bench: fib(%lld)...\n", (long long)FIB_N);
    pair_stats fib = bench_pair(samples, h, h1, FIB, "fib", &fib_r);
    expect("fib(35)", fib_r, FIB_N == 35 ? 9227465 : fib_r);
    fprintf(stderr, "bench: integer kernel...\n");
    pair_stats kern = bench_pair(samples, h, h1, KERNEL, "kernel", &kernel_r);
    fprintf(stderr, "bench: mandelbrot...\n");
    pair_stats mand = bench_pair(samples, h, h1, MANDEL, "mandel", &mandel_r);
    ok(rt_exec_manager_cleanup(h), "rt_exec_manager_cleanup");
    ok(rt_exec_manager_cleanup(h1), "rt_exec_manager_cleanup");

    printf("### Results (opt level 2 unless stated; times per operation)\n\n");
    table_header();
    row("1. create manager (warm)", create, US, 1e6, "< 1 ms");
    row("1. create manager (first in a process)", cold_create, US, 1e6, "< 1 ms");
    row("2. compile + first call f(5), opt 0", c0.total, US, 1e6, "< 1 ms");
    row("2. compile + first call f(5), opt 2", c2.total, US, -1, NULL);
    row("2. same, opt 0, first compile in a process", cold_c0, US, -1, NULL);
    row("2. same, opt 2, first compile in a process", cold_c2, US, -1, NULL);
    row("3. execute(\"id\", x) by name, per call", ov.execute, NS, 100, "< 100 ns");
    row("4. fib(35) rtjit", fib.jit, MS, -1, NULL);
    row("4. fib(35) C -O2", fib.c, MS, -1, NULL);
    ratio_row("4. fib(35) rtjit / C", fib.jit, fib.c, 2.0, "<= 2x");
    row("5. integer kernel (LCG, 1e8 iters) rtjit", kern.jit, MS, -1, NULL);
    row("5. integer kernel (LCG, 1e8 iters) C -O2", kern.c, MS, -1, NULL);
    ratio_row("5. integer kernel rtjit / C", kern.jit, kern.c, -1, NULL);
    row("6. mandelbrot 400x300, 200 iters, rtjit", mand.jit, MS, -1, NULL);
    row("6. mandelbrot 400x300, 200 iters, C -O2", mand.c, MS, -1, NULL);
    ratio_row("6. mandelbrot rtjit / C", mand.jit, mand.c, -1, NULL);

    printf("\n### Supplementary\n\n");
    table_header();
    row("cleanup of an empty manager", cleanup, US, -1, NULL);
    row("compile f, opt 0 (without the first call)", c0.compile, US, -1, NULL);
    row("first call f(5) after compile, opt 0", c0.first_call, US, -1, NULL);
    row("compile f, opt 2 (without the first call)", c2.compile, US, -1, NULL);
    row("first call f(5) after compile, opt 2", c2.first_call, US, -1, NULL);
    row("compile mandel (21 lines), opt 0", mandel_c0, US, -1, NULL);
    row("compile mandel (21 lines), opt 2", mandel_c2, US, -1, NULL);
    row("fib(35) C -O2, every call through a pointer", fib.extra, MS, -1, NULL);
    ratio_row("fib(35) rtjit / C through a pointer", fib.jit, fib.extra, -1, NULL);
    row("mandelbrot rtjit at opt 1", mand.extra, MS, -1, NULL);
    ratio_row("mandelbrot rtjit opt 1 / C", mand.extra, mand.c, -1, NULL);
    row("C call via function pointer, per call", ov.c_call, NS, -1, NULL);
    row("rt_exec_manager_is_valid(h), per call", ov.is_valid, NS, -1, NULL);
    row("rt_exec_manager_has_function(h, \"id\"), per call", ov.has_function, NS, -1, NULL);

    printf("\n### Results checked\n\n");
    printf("f(5) = 36 at opt 0 and 2; sum of id(i) over %lld calls per batch\n", (long long)EXEC_CALLS);
    printf("fib(%lld) = %lld (rtjit and C)\n", (long long)FIB_N, (long long)fib_r);
    printf("kernel(%lld) = %lld (rtjit and C)\n", (long long)KERNEL_N, (long long)kernel_r);
    printf("mandel(%lld, %lld, %lld) = %lld points in the set (rtjit and C)\n", (long long)MANDEL_W,
           (long long)MANDEL_H, (long long)MANDEL_MAXIT, (long long)mandel_r);
    printf("\n");
    print_loadavg("at end");
    if (failures) {
        printf("\n%d WRONG RESULT(S): see stderr\n", failures);
        return 1;
    }
    printf("all results equal\n");
    return 0;
}
