/*
 * stats.c: a C host hands a script its own numbers and gets a record back.
 *
 * The host has 1,000,000 doubles in a C array. It copies them into an rtjit
 * array in one call (rt_array_from_f64), calls the script function
 *
 *   fn summary(xs: [f64]) -> Stats
 *
 * and prints the record it returns, field by field (rt_object_get_field)
 * and as JSON (rt_value_to_json). It then calls the function again with
 * the array it got back from a second script function, `normalized`, to
 * show that arrays and records go both ways and that the host's array is
 * never changed by the script. Every object and string the library hands
 * out is freed (rt_value_free, rt_string_free).
 *
 * Usage: stats [N]   (N numbers, default 1000000)
 * Exit status: 0; 1 if an rtjit call fails (the error goes to stderr).
 */

#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rtjit.h"

static const char *const SCRIPT =
    "struct Stats:\n"
    "    count: i64\n"
    "    mean: f64\n"
    "    stddev: f64\n"
    "    min: f64\n"
    "    max: f64\n"
    "\n"
    "fn summary(xs: [f64]) -> Stats:\n"
    "    var lo = xs[0]\n"
    "    var hi = xs[0]\n"
    "    var sum = 0.0\n"
    "    for x in xs:\n"
    "        sum += x\n"
    "        lo = min(lo, x)\n"
    "        hi = max(hi, x)\n"
    "    val mean = sum / len(xs)\n"
    "    var sq = 0.0\n"
    "    for x in xs:\n"
    "        sq += (x - mean) * (x - mean)\n"
    "    return Stats(count: len(xs), mean: mean, stddev: sqrt(sq / len(xs)), min: lo, max: hi)\n"
    "\n"
    "fn normalized(xs: [f64], s: Stats) -> [f64]:\n"
    "    var out = xs\n"
    "    for i in 0..len(out):\n"
    "        out[i] = (out[i] - s.mean) / s.stddev\n"
    "    return out\n";

static int fail(const char *what) {
    fprintf(stderr, "stats: %s failed: %s\n", what, rt_exec_manager_get_last_error());
    return 1;
}

static double field(const rt_object *record, const char *name) {
    rt_value v;
    if (rt_object_get_field(record, name, &v) != RT_OK) return NAN;
    double x = v.type == RT_TYPE_I64 ? (double)v.as.i64 : v.as.f64;
    rt_value_free(&v);
    return x;
}

static void print_stats(const char *title, const rt_value *stats) {
    char *type = rt_object_type(stats->as.object);
    char *json = rt_value_to_json(stats);
    printf("%s: a %s record\n", title, type);
    printf("  count %.0f  mean %.6f  stddev %.6f  min %.6f  max %.6f\n", field(stats->as.object, "count"),
           field(stats->as.object, "mean"), field(stats->as.object, "stddev"), field(stats->as.object, "min"),
           field(stats->as.object, "max"));
    printf("  as JSON: %s\n", json);
    rt_string_free(json);
    rt_string_free(type);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    if (n == 0) n = 1;
    double *data = malloc(n * sizeof *data);
    if (data == NULL) return 1;
    /* A deterministic series: a sine wave with some drift. */
    for (size_t i = 0; i < n; i++) data[i] = 10.0 + 3.0 * sin((double)i * 0.001) + (double)(i % 100) / 100.0;

    int64_t h = rt_exec_manager_create();
    if (h == 0) return fail("rt_exec_manager_create");
    if (rt_exec_manager_compile_source(h, SCRIPT) != RT_OK) return fail("compile_source");

    double t0 = now_ms();
    rt_value arg = {.type = RT_TYPE_ARRAY, .as.object = rt_array_from_f64(data, n)};
    if (arg.as.object == NULL) return fail("rt_array_from_f64");
    double t1 = now_ms();
    rt_value stats;
    if (rt_exec_manager_call(h, "summary", &arg, 1, &stats) != RT_OK) return fail("call summary");
    double t2 = now_ms();
    printf("%zu doubles copied in %.2f ms, summarised in %.2f ms\n", n, t1 - t0, t2 - t1);
    print_stats("summary(xs)", &stats);

    rt_value args[2] = {arg, stats}, normal;
    if (rt_exec_manager_call(h, "normalized", args, 2, &normal) != RT_OK) return fail("call normalized");
    rt_value normal_stats;
    if (rt_exec_manager_call(h, "summary", &normal, 1, &normal_stats) != RT_OK) return fail("call summary");
    print_stats("summary(normalized(xs))", &normal_stats);

    /* The host's array is unchanged: read its first element back. */
    double first;
    rt_array_read_f64(arg.as.object, &first, 1);
    printf("the host's array still starts with %.6f (data[0] = %.6f)\n", first, data[0]);

    rt_value_free(&normal_stats);
    rt_value_free(&normal);
    rt_value_free(&stats);
    rt_value_free(&arg);
    rt_exec_manager_cleanup(h);
    free(data);
    return 0;
}
