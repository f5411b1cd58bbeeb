/*
 * hosts.c: host functions and MIR through the C ABI (c-api.md, functions
 * 28-30, and rt_exec_manager_compile_mir / compile_file on MIR files).
 *
 *  - rt_exec_manager_register_function argument checks
 *  - host functions of each signature shape, called from MIR and from
 *    source `extern fn`
 *  - host functions that call back into the same and another manager
 *  - rt_raise_error: exact messages, nesting, outside any call
 *  - unregistered or mismatched externs
 *  - compile_mir errors and positions, compile_file on MIR files
 *  - rt_mir_from_source
 *  - host data (48, 54): layouts of every field type against offsetof,
 *    reads and writes seen by C, rebinding, unbound externs, index errors
 *
 * Each RUN_GROUP prints one line; the first failed check prints
 * file:line, what was expected and what happened, and exits 1
 * (FFI_KEEP_GOING=1 runs every check instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtjit.h"

#define CHECK_PROGRAM "hosts"
#define CHECK_LAST_CODE() rt_last_error_code()
#define CHECK_LAST_MSG() rt_exec_manager_get_last_error()
#include "check.h"

static const char BAD_UTF8[] = "\xff\xfe";

/* ------------------------------------------------------------------ helpers */

static int64_t new_manager(void) {
    int64_t h = rt_exec_manager_create();
    CHECK_MSG(h > 0, "rt_exec_manager_create() returned %lld, expected a handle > 0", (long long)h);
    return h;
}

static int32_t mir(int64_t h, const char *text) {
    return rt_exec_manager_compile_mir(h, (const uint8_t *)text, strlen(text));
}

static void mir_ok(int64_t h, const char *text) {
    int32_t s = mir(h, text);
    CHECK_MSG(s == RT_OK, "compile_mir of\n----\n%s\n----\nreturned %d %s: %s", text, s, status_name(s),
              rt_exec_manager_get_last_error());
}

static void source_ok(int64_t h, const char *text) {
    int32_t s = rt_exec_manager_compile_source(h, text);
    CHECK_MSG(s == RT_OK, "compile_source of\n----\n%s\n----\nreturned %d %s: %s", text, s, status_name(s),
              rt_exec_manager_get_last_error());
}

static int64_t exec_i64(int64_t h, const char *name, const int64_t *args, size_t nargs) {
    int64_t r = INT64_MIN + 7;
    int32_t s = rt_exec_manager_execute(h, name, args, nargs, &r);
    CHECK_MSG(s == RT_OK, "execute(%s) returned %d %s: %s", name, s, status_name(s), rt_exec_manager_get_last_error());
    return r;
}

static double call_f64(int64_t h, const char *name, const rt_value *args, size_t nargs) {
    rt_value r = {RT_TYPE_VOID, {0}};
    int32_t s = rt_exec_manager_call(h, name, args, nargs, &r);
    CHECK_MSG(s == RT_OK, "call(%s) returned %d %s: %s", name, s, status_name(s), rt_exec_manager_get_last_error());
    CHECK_TYPE(r, RT_TYPE_F64);
    return r.as.f64;
}

static int64_t global_i64(int64_t h, const char *name) {
    rt_value r = {RT_TYPE_VOID, {0}};
    int32_t s = rt_exec_manager_get_global(h, name, &r);
    CHECK_MSG(s == RT_OK, "get_global(%s) returned %d %s: %s", name, s, status_name(s),
              rt_exec_manager_get_last_error());
    CHECK_TYPE(r, RT_TYPE_I64);
    return r.as.i64;
}

/* The last error must be `code` with exactly `message`. */
#define CHECK_LAST_EXACT(code, message)                                                                                \
    do {                                                                                                               \
        CHECK_STATUS(rt_last_error_code(), code);                                                                      \
        CHECK_STREQ(rt_exec_manager_get_last_error(), message);                                                        \
    } while (0)

static rt_value v_i64(int64_t x) {
    rt_value v = {RT_TYPE_I64, {0}};
    v.as.i64 = x;
    return v;
}

static rt_value v_f64(double x) {
    rt_value v = {RT_TYPE_F64, {0}};
    v.as.f64 = x;
    return v;
}

/* ------------------------------------------------------------ host functions */

static int64_t h_const(void) { return 42; }
static int64_t h_digits(int64_t a, int64_t b, int64_t c) { return a * 100 + b * 10 + c; }
static double h_hyp(double x, double y) { return sqrt(x * x + y * y); }
static int32_t h_mixed(int32_t a, const uint8_t *p, bool flag) {
    int32_t sum = p[0] + p[1] + p[2] + p[3];
    return flag ? a + sum : a - sum;
}
static int16_t h_narrow(int8_t a, int16_t b) { return (int16_t)(a * 1000 + b); }
static float h_f32(float x, double y) { return x * 0.5f + (float)y; }
static int64_t void_sum;
static void h_void(int64_t x) { void_sum += x; }
static bool h_not(bool b) { return !b; }
static double h_many(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7, int64_t a8,
                     double f1, double f2, double f3, double f4, double f5, double f6, double f7, double f8, double f9,
                     int64_t a9) {
    return (double)(a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8 + 9 * a9) +
           (f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8) * 0.5 + f9 * 100.0;
}
static int64_t h_twice(int64_t x) { return 2 * x; }
static void *h_get_twice(void) { return (void *)h_twice; }
static int64_t h_version_a(void) { return 1; }
static int64_t h_version_b(void) { return 2; }
static int64_t h_version_f(double x) { return (int64_t)x; }

/* Text host functions: the result buffer is reused by the next call, as
   host code often does, so the library must copy it at once. */
static char log_seen[64];
static void h_log(const char *s) { snprintf(log_seen, sizeof log_seen, "%s", s); }
static char greeting[64];
static const char *h_greet(const char *name, int64_t n) {
    snprintf(greeting, sizeof greeting, "hi %s %lld", name, (long long)n);
    return greeting;
}
static int64_t h_strlen(const char *s) { return (int64_t)strlen(s); }

/* User data: a counter per registration, and a text logger into a buffer. */
typedef struct {
    int64_t calls;
    int64_t sum;
} tally;
static int64_t h_tally(void *user_data, int64_t x) {
    tally *t = user_data;
    t->calls++;
    t->sum += x;
    return t->sum;
}
typedef struct {
    char last[64];
} logbook;
static void h_note(void *user_data, const char *s) { snprintf(((logbook *)user_data)->last, 64, "%s", s); }

static void register_ok(int64_t h, const char *name, void *fn, const char *sig) {
    int32_t s = rt_exec_manager_register_function(h, name, fn, sig);
    CHECK_MSG(s == RT_OK, "register_function(%s, %s) returned %d %s: %s", name, sig, s, status_name(s),
              rt_exec_manager_get_last_error());
}

static void register_shapes(int64_t h) {
    register_ok(h, "h_const", (void *)h_const, "fn() -> i64");
    register_ok(h, "h_digits", (void *)h_digits, "fn(i64, i64, i64) -> i64");
    register_ok(h, "h_hyp", (void *)h_hyp, "fn(f64, f64) -> f64");
    register_ok(h, "h_mixed", (void *)h_mixed, "fn(i32, ptr, bool) -> i32");
    register_ok(h, "h_narrow", (void *)h_narrow, "fn(i8, i16) -> i16");
    register_ok(h, "h_f32", (void *)h_f32, "fn(f32, f64) -> f32");
    register_ok(h, "h_void", (void *)h_void, "fn(i64) -> void");
    register_ok(h, "h_not", (void *)h_not, "fn(bool) -> bool");
    register_ok(h, "h_many", (void *)h_many,
                "fn(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, i64) -> f64");
    register_ok(h, "h_get_twice", (void *)h_get_twice, "fn() -> ptr");
}

/* ---------------------------------------------------------------- groups */

static void group_register_arguments(void) {
    int64_t h = new_manager();
    void *fn = (void *)h_const;
    CHECK_ERR(rt_exec_manager_register_function(h, NULL, fn, "fn() -> i64"), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function(h, "ok_name", NULL, "fn() -> i64"), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function(h, "ok_name", fn, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function(h, BAD_UTF8, fn, "fn() -> i64"), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function(h, "ok_name", fn, BAD_UTF8), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function(h, "ok_name", fn, "fn(i64) -> \xc3\x28"), RT_ERR_INVALID_ARGUMENT);

    static const char *const bad_sigs[] = {
        "",
        "fn",
        "fn(",
        "fn()",
        "fn(i64)",
        "fn(i64) ->",
        "fn(i64) -> ",
        "(i64) -> i64",
        "fn(i65) -> i64",
        "fn(i64,) -> i64",
        "fn(,i64) -> i64",
        "fn(i64 i64) -> i64",
        "fn(i64) -> i64 extra",
        "fn(i64) -> i64)",
        "fn(void) -> i64",
        "fn(I64) -> i64",
        "func(i64) -> i64",
        "fn(i64) => i64",
        "fn(i64) -> i64 -> i64",
        "fn([i64]) -> i64",
        "fn() -> {text: i64}",
        "fn(i64, [text]) -> void",
    };
    for (size_t i = 0; i < sizeof bad_sigs / sizeof bad_sigs[0]; i++) {
        rt_exec_manager_clear_error();
        int32_t s = rt_exec_manager_register_function(h, "ok_name", fn, bad_sigs[i]);
        CHECK_MSG(s == RT_ERR_INVALID_ARGUMENT, "signature \"%s\": expected RT_ERR_INVALID_ARGUMENT, got %d %s",
                  bad_sigs[i], s, status_name(s));
        CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    }
    /* The message of an array signature says why (text is allowed). */
    CHECK_ERR(rt_exec_manager_register_function(h, "ok_name", fn, "fn([i64]) -> i64"), RT_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "an array, a map or a record");

    static const char *const bad_names[] = {"", "1abc", "a-b", "a b", "\xc3\xa9", "a.b", "a$b", " ab", "ab ", "a\tb"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        rt_exec_manager_clear_error();
        int32_t s = rt_exec_manager_register_function(h, bad_names[i], fn, "fn() -> i64");
        CHECK_MSG(s == RT_ERR_INVALID_ARGUMENT, "name \"%s\": expected RT_ERR_INVALID_ARGUMENT, got %d %s",
                  bad_names[i], s, status_name(s));
        CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    }
    /* Nothing of the refused registrations is visible. */
    static const char uses[] = "mir 1\nextern fn ok_name() -> i64\n";
    CHECK_ERR(mir(h, uses), RT_ERR_COMPILE);

    /* Good ones: whitespace is free, every type but text. */
    CHECK_OK(rt_exec_manager_register_function(h, "_ok1", fn, "fn() -> i64"));
    CHECK_OK(rt_exec_manager_register_function(h, "ok2", (void *)h_hyp, "  fn ( f64 ,f64 )->f64  "));
    CHECK_OK(rt_exec_manager_register_function(h, "ok3", (void *)h_void, "fn(i64) -> void"));
    CHECK_OK(rt_exec_manager_register_function(
        h, "ok4", fn, "fn(i8, i16, i32, i64, f32, f64, ptr, bool) -> bool"));
    mir_ok(h, "mir 1\nextern fn ok2(f64, f64) -> f64\nfn use_ok2() -> f64 {\n    local r: f64\n    r = call ok2(3.0, 4.0)\n    ret r\n}\n");
    CHECK_F64(call_f64(h, "use_ok2", NULL, 0), 5.0);

    /* Bad handles. */
    CHECK_ERR(rt_exec_manager_register_function(0, "x", fn, "fn() -> i64"), RT_ERR_INVALID_HANDLE);
    CHECK_ERR(rt_exec_manager_register_function(-1, "x", fn, "fn() -> i64"), RT_ERR_INVALID_HANDLE);
    CHECK_ERR(rt_exec_manager_register_function(INT64_MAX, "x", fn, "fn() -> i64"), RT_ERR_INVALID_HANDLE);
    int64_t stale = new_manager();
    CHECK_OK(rt_exec_manager_cleanup(stale));
    CHECK_ERR(rt_exec_manager_register_function(stale, "x", fn, "fn() -> i64"), RT_ERR_INVALID_HANDLE);
    /* A bad handle is reported before the other arguments. */
    CHECK_ERR(rt_exec_manager_register_function(stale, NULL, NULL, NULL), RT_ERR_INVALID_HANDLE);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static const char SHAPES_MIR[] =
    "mir 1\n"
    "extern fn h_const() -> i64\n"
    "extern fn h_digits(i64, i64, i64) -> i64\n"
    "extern fn h_hyp(f64, f64) -> f64\n"
    "extern fn h_mixed(i32, ptr, bool) -> i32\n"
    "extern fn h_narrow(i8, i16) -> i16\n"
    "extern fn h_f32(f32, f64) -> f32\n"
    "extern fn h_void(i64) -> void\n"
    "extern fn h_not(bool) -> bool\n"
    "extern fn h_many(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, i64) -> f64\n"
    "extern fn h_get_twice() -> ptr\n"
    "fn c0() -> i64 {\n    local r: i64\n    r = call h_const()\n    ret r\n}\n"
    "fn c1(a: i64, b: i64, c: i64) -> i64 {\n    local r: i64\n    r = call h_digits(a, b, c)\n    ret r\n}\n"
    "fn c2(x: f64) -> f64 {\n    local r: f64\n    r = call h_hyp(x, 4.0)\n    ret r\n}\n"
    "fn c3(a: i32, flag: bool) -> i32 {\n    slot s 8\n    local p: ptr\n    local r: i32\n    p = addr s\n"
    "    store p, 0, 0x04030201:i32\n    r = call h_mixed(a, p, flag)\n    ret r\n}\n"
    "fn c4(big: i64, b: i16) -> i16 {\n    local a: i8\n    local r: i16\n    a = reduce big\n"
    "    r = call h_narrow(a, b)\n    ret r\n}\n"
    "fn c5(x: f32) -> f32 {\n    local r: f32\n    r = call h_f32(x, 1.0)\n    ret r\n}\n"
    "fn c6(x: i64) -> void {\n    call h_void(x)\n    call h_void(x)\n    ret\n}\n"
    "fn c7(b: i64) -> bool {\n    local c: bool\n    local r: bool\n    c = gt b, 0\n    r = call h_not(c)\n    ret r\n}\n"
    "fn c8() -> f64 {\n    local r: f64\n"
    "    r = call h_many(1, 2, 3, 4, 5, 6, 7, 8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10)\n    ret r\n}\n"
    "fn c9(x: i64) -> i64 {\n    local p: ptr\n    local r: i64\n    p = call h_get_twice()\n"
    "    r = call_indirect p(x) as fn(i64) -> i64\n    ret r\n}\n"
    "fn c10(p: ptr, x: i64) -> i64 {\n    local r: i64\n    r = call_indirect p(x) as fn(i64) -> i64\n    ret r\n}\n";

static void group_shapes_from_mir(void) {
    int64_t h = new_manager();
    register_shapes(h);
    mir_ok(h, SHAPES_MIR);
    CHECK_EQ(exec_i64(h, "c0", NULL, 0), 42);
    int64_t a1[] = {1, 2, 3};
    CHECK_EQ(exec_i64(h, "c1", a1, 3), 123);
    rt_value a2[] = {v_f64(3.0)};
    CHECK_F64(call_f64(h, "c2", a2, 1), 5.0);
    int64_t a3[] = {100, 1};
    CHECK_EQ(exec_i64(h, "c3", a3, 2), 110);
    a3[1] = 0;
    CHECK_EQ(exec_i64(h, "c3", a3, 2), 90);
    /* The i8 argument is the low byte of a wider value. */
    int64_t a4[] = {0x105, 7};
    CHECK_EQ(exec_i64(h, "c4", a4, 2), 5007);
    int64_t a4b[] = {0x7fff, -2};
    CHECK_EQ(exec_i64(h, "c4", a4b, 2), -1002);
    rt_value a5[] = {v_f64(3.0)};
    CHECK_F64(call_f64(h, "c5", a5, 1), 2.5);
    void_sum = 0;
    int64_t a6[] = {21};
    int64_t r = -1;
    CHECK_OK(rt_exec_manager_execute(h, "c6", a6, 1, &r));
    CHECK_EQ(r, 0);
    CHECK_EQ(void_sum, 42);
    int64_t a7[] = {5};
    CHECK_EQ(exec_i64(h, "c7", a7, 1), 0);
    a7[0] = -5;
    CHECK_EQ(exec_i64(h, "c7", a7, 1), 1);
    CHECK_F64(call_f64(h, "c8", NULL, 0), h_many(1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    int64_t a9[] = {21};
    CHECK_EQ(exec_i64(h, "c9", a9, 1), 42);
    int64_t a10[] = {(int64_t)(intptr_t)(void *)h_twice, -8};
    CHECK_EQ(exec_i64(h, "c10", a10, 2), -16);
    /* Signatures as the host sees them. */
    char *sig = rt_exec_manager_function_signature(h, "c3");
    CHECK_STREQ(sig, "fn(i32, bool) -> i32");
    rt_string_free(sig);
    /* A blob that declares but does not call is fine; declaring is per unit. */
    mir_ok(h, "mir 1\nextern fn h_const() -> i64\n");
    CHECK_ERR(mir(h, "mir 1\nfn d() -> i64 {\n    local r: i64\n    r = call h_const()\n    ret r\n}\n"),
              RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "<mir>:4:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "`h_const`");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_shapes_from_source(void) {
    int64_t h = new_manager();
    register_shapes(h);
    source_ok(h, "extern fn h_const() -> i64\n"
                 "extern fn h_digits(a: i64, b: i64, c: i64) -> i64\n"
                 "extern fn h_hyp(x: f64, y: f64) -> f64\n"
                 "extern fn h_void(x: i64)\n"
                 "extern fn h_not(b: bool) -> bool\n"
                 "fn s0(): h_const() + 1\n"
                 "fn s1(x): h_digits(x, x + 1, x + 2)\n"
                 "fn s2(x) -> f64: h_hyp(x, 4)\n"
                 "fn s3(x):\n    h_void(x)\n    h_void(1)\n"
                 "fn s4(x): h_not(x > 0)\n"
                 "val at_load = h_const() * 2\n");
    CHECK_EQ(exec_i64(h, "s0", NULL, 0), 43);
    int64_t a[] = {4};
    CHECK_EQ(exec_i64(h, "s1", a, 1), 456);
    rt_value a2[] = {v_i64(3)};
    CHECK_F64(call_f64(h, "s2", a2, 1), 5.0);
    void_sum = 0;
    int64_t a3[] = {10};
    exec_i64(h, "s3", a3, 1);
    CHECK_EQ(void_sum, 11);
    CHECK_EQ(exec_i64(h, "s4", a3, 1), 0);
    CHECK_EQ(global_i64(h, "at_load"), 84);
    /* eval through a host function. */
    rt_value v = {RT_TYPE_VOID, {0}};
    CHECK_OK(rt_exec_manager_eval(h, "extern fn h_hyp(x: f64, y: f64) -> f64\nh_hyp(6, 8)", &v));
    CHECK_VALUE_F64(v, 10.0);
    /* Types source code has no word for. */
    CHECK_ERR(rt_exec_manager_compile_source(h, "extern fn h_narrow(a: i64, b: i64) -> i64\n"), RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "h_narrow");
    CHECK_ERR(rt_exec_manager_compile_source(h, "extern fn h_const(x: i64) -> i64\n"), RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "registered as fn() -> i64");
    CHECK_ERR(rt_exec_manager_compile_source(h, "\n\nextern fn nothere(x: i64) -> i64\n"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:3:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "`nothere` is not a registered host function");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* -------------------------------------------------------------- callbacks */

static int64_t same_h, other_h, doomed_h;

/* inner(x) in this manager plus inner(x) in the other one; an inner error
 * (division by zero) counts as -1000 and must leave RT_ERR_RUNTIME. */
static int64_t cb_reenter(int64_t x) {
    int64_t a = 0, b = 0;
    int64_t args[] = {x};
    int32_t s = rt_exec_manager_execute(same_h, "inner", args, 1, &a);
    if (s == RT_ERR_RUNTIME) {
        a = -1000;
        CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero in inner");
    } else {
        CHECK_STATUS(s, RT_OK);
    }
    CHECK_OK(rt_exec_manager_execute(other_h, "inner", args, 1, &b));
    return a + b;
}

/* Compiles into the running manager (source and MIR) and uses what it made. */
static int64_t cb_compile(int64_t x) {
    char src[128], text[256];
    snprintf(src, sizeof src, "fn made_inside(): %lld * 2\n", (long long)x);
    if (rt_exec_manager_compile_source(same_h, src) != RT_OK) return -1;
    snprintf(text, sizeof text, "mir 1\nfn made_inside_mir() -> i64 {\n    ret %lld\n}\n", (long long)x);
    if (mir(same_h, text) != RT_OK) return -2;
    if (rt_exec_manager_has_function(same_h, "made_inside") != 1) return -3;
    rt_value g = {RT_TYPE_VOID, {0}};
    if (rt_exec_manager_get_global(same_h, "calls", &g) != RT_OK) return -4;
    char *list = rt_exec_manager_list_functions(same_h);
    int listed = list != NULL && strstr(list, "made_inside_mir") != NULL;
    rt_string_free(list);
    if (!listed) return -5;
    int64_t a = 0, b = 0;
    if (rt_exec_manager_execute(same_h, "made_inside", NULL, 0, &a) != RT_OK) return -6;
    if (rt_exec_manager_execute(same_h, "made_inside_mir", NULL, 0, &b) != RT_OK) return -7;
    return a + b + g.as.i64 * 1000;
}

static int64_t cb_inner_host(int64_t mode) {
    if (mode >= 1) rt_raise_error("inner raised");
    return 7;
}

/* Calls inner_raises (which raises in an inner execution) and raises its own
 * message in mode 2. */
static int64_t cb_nested(int64_t mode) {
    int64_t r = 0;
    int64_t args[] = {mode};
    int32_t s = rt_exec_manager_execute(same_h, "inner_raises", args, 1, &r);
    int64_t code;
    if (s == RT_ERR_RUNTIME && strcmp(rt_exec_manager_get_last_error(), "inner raised") == 0)
        code = 10;
    else if (s == RT_OK)
        code = r;
    else
        code = 99;
    if (mode == 2) rt_raise_error("outer raised");
    return code;
}

/* Cleans up the manager that is running this call. */
static int64_t cb_cleanup_self(int64_t x) {
    int32_t s = rt_exec_manager_cleanup(doomed_h);
    return s == RT_OK ? x + 1 : -1;
}

static void group_callbacks(void) {
    same_h = new_manager();
    other_h = new_manager();
    register_ok(same_h, "cb_reenter", (void *)cb_reenter, "fn(i64) -> i64");
    register_ok(same_h, "cb_compile", (void *)cb_compile, "fn(i64) -> i64");
    register_ok(same_h, "cb_inner_host", (void *)cb_inner_host, "fn(i64) -> i64");
    register_ok(same_h, "cb_nested", (void *)cb_nested, "fn(i64) -> i64");
    mir_ok(same_h, "mir 1\n"
                   "extern fn cb_reenter(i64) -> i64\n"
                   "extern fn cb_compile(i64) -> i64\n"
                   "extern fn cb_inner_host(i64) -> i64\n"
                   "extern fn cb_nested(i64) -> i64\n"
                   "global var calls: i64\n"
                   "fn inner(x: i64) -> i64 {\n    local r: i64\n    r = div 100, x\n    ret r\n}\n"
                   "fn outer(x: i64) -> i64 {\n    local r: i64\n    local c: i64\n    c = gload calls\n"
                   "    c = add c, 1\n    gstore calls, c\n    r = call cb_reenter(x)\n    r = add r, 1\n    ret r\n}\n"
                   "fn builder(x: i64) -> i64 {\n    local r: i64\n    r = call cb_compile(x)\n    ret r\n}\n"
                   "fn inner_raises(mode: i64) -> i64 {\n    local r: i64\n    r = call cb_inner_host(mode)\n    ret r\n}\n"
                   "fn nest(mode: i64) -> i64 {\n    local r: i64\n    r = call cb_nested(mode)\n"
                   "    r = add r, 1000\n    ret r\n}\n");
    mir_ok(other_h, "mir 1\nfn inner(x: i64) -> i64 {\n    local r: i64\n    r = mul x, 3\n    ret r\n}\n");
    int64_t a[] = {5};
    CHECK_EQ(exec_i64(same_h, "outer", a, 1), 20 + 15 + 1);
    a[0] = 0;
    CHECK_EQ(exec_i64(same_h, "outer", a, 1), -1000 + 0 + 1);
    /* From source, and from init code (while its unit is being installed). */
    source_ok(same_h, "extern fn cb_reenter(x: i64) -> i64\nfn via_source(x): cb_reenter(x) * 2\n");
    a[0] = 10;
    CHECK_EQ(exec_i64(same_h, "via_source", a, 1), (10 + 30) * 2);
    mir_ok(same_h, "mir 1\nextern fn cb_reenter(i64) -> i64\nglobal var from_init: i64\n"
                   "init -> void {\n    local r: i64\n    r = call cb_reenter(4)\n    gstore from_init, r\n    ret\n}\n");
    CHECK_EQ(global_i64(same_h, "from_init"), 25 + 12);
    /* Compiling into the manager from inside one of its calls. */
    a[0] = 21;
    CHECK_EQ(exec_i64(same_h, "builder", a, 1), 42 + 21 + 2 * 1000);
    CHECK_EQ(exec_i64(same_h, "made_inside", NULL, 0), 42);
    CHECK_EQ(exec_i64(same_h, "made_inside_mir", NULL, 0), 21);
    /* Nested raise: only the inner execution stops. */
    a[0] = 0;
    CHECK_EQ(exec_i64(same_h, "nest", a, 1), 1007);
    a[0] = 1;
    CHECK_EQ(exec_i64(same_h, "nest", a, 1), 1010);
    a[0] = 2;
    int64_t r = 12345;
    CHECK_ERR(rt_exec_manager_execute(same_h, "nest", a, 1, &r), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "outer raised");
    CHECK_EQ(r, 12345);
    a[0] = 1;
    CHECK_EQ(exec_i64(same_h, "nest", a, 1), 1010);
    /* Both managers keep working. */
    a[0] = 2;
    CHECK_EQ(exec_i64(other_h, "inner", a, 1), 6);
    CHECK_EQ(exec_i64(same_h, "inner", a, 1), 50);
    CHECK_OK(rt_exec_manager_cleanup(other_h));
    CHECK_OK(rt_exec_manager_cleanup(same_h));

    /* A host function that cleans up the manager running it: the running
     * call finishes, and the handle is dead afterwards. */
    doomed_h = new_manager();
    register_ok(doomed_h, "cb_cleanup_self", (void *)cb_cleanup_self, "fn(i64) -> i64");
    mir_ok(doomed_h, "mir 1\nextern fn cb_cleanup_self(i64) -> i64\n"
                     "fn doom(x: i64) -> i64 {\n    local r: i64\n    r = call cb_cleanup_self(x)\n    r = mul r, 10\n    ret r\n}\n");
    a[0] = 4;
    CHECK_EQ(exec_i64(doomed_h, "doom", a, 1), 50);
    CHECK_EQ(rt_exec_manager_is_valid(doomed_h), 0);
    CHECK_ERR(rt_exec_manager_execute(doomed_h, "doom", a, 1, &r), RT_ERR_INVALID_HANDLE);
}

/* ------------------------------------------------ callbacks during init */

static int64_t init_h;

/* Compiles a unit into the manager whose init code is running. */
static int64_t cb_nested_compile(int64_t x) {
    char src[128];
    snprintf(src, sizeof src, "fn nested_fn(): %lld\n", (long long)x);
    return rt_exec_manager_compile_source(init_h, src) == RT_OK ? 1 : -1;
}

struct exec_job {
    const char *name;
    int64_t arg, result;
    int32_t status;
};

static void *exec_thread(void *p) {
    struct exec_job *job = p;
    int64_t args[] = {job->arg};
    job->status = rt_exec_manager_execute(init_h, job->name, args, 1, &job->result);
    return NULL;
}

/* Runs functions of the manager on another thread while init code runs:
 * one of the unit being installed, one of an earlier unit. */
static int64_t cb_thread_exec(int64_t x) {
    struct exec_job jobs[2] = {{"unit_fn", x, 0, -1}, {"old_fn", x, 0, -1}};
    int64_t total = 0;
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, exec_thread, &jobs[i]) != 0) return -1;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 20;
        int rc = pthread_timedjoin_np(t, NULL, &deadline);
        CHECK_MSG(rc == 0, "the thread executing %s during init code did not finish in 20 s (blocked?)", jobs[i].name);
        if (rc != 0) return -2; /* the thread is joined after init ends */
        CHECK_MSG(jobs[i].status == RT_OK, "executing %s on another thread during init code: %d %s", jobs[i].name,
                  jobs[i].status, status_name(jobs[i].status));
        total += jobs[i].result;
    }
    return total;
}

static void group_callbacks_during_init(void) {
    init_h = new_manager();
    register_ok(init_h, "cb_nested_compile", (void *)cb_nested_compile, "fn(i64) -> i64");
    register_ok(init_h, "cb_thread_exec", (void *)cb_thread_exec, "fn(i64) -> i64");
    source_ok(init_h, "fn old_fn(x): x * 100\n");
    /* A unit compiled from init code is kept when init succeeds ... */
    mir_ok(init_h, "mir 1\nextern fn cb_nested_compile(i64) -> i64\nglobal var made: i64\n"
                   "init -> void {\n    local r: i64\n    r = call cb_nested_compile(5)\n    gstore made, r\n    ret\n}\n");
    CHECK_EQ(global_i64(init_h, "made"), 1);
    CHECK_EQ(exec_i64(init_h, "nested_fn", NULL, 0), 5);
    /* ... and undone with it when init fails. */
    CHECK_ERR(mir(init_h, "mir 1\nextern fn cb_nested_compile(i64) -> i64\n"
                          "init -> i64 {\n    local r: i64\n    local z: i64\n    r = call cb_nested_compile(6)\n"
                          "    r = div r, z\n    ret r\n}\n"),
              RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "division by zero in top-level code at line 7");
    CHECK_EQ(exec_i64(init_h, "nested_fn", NULL, 0), 5);
    /* Other threads may execute while init code runs. */
    mir_ok(init_h, "mir 1\nextern fn cb_thread_exec(i64) -> i64\nglobal var seen: i64\n"
                   "fn unit_fn(x: i64) -> i64 {\n    local r: i64\n    r = add x, 1\n    ret r\n}\n"
                   "init -> void {\n    local r: i64\n    r = call cb_thread_exec(2)\n    gstore seen, r\n    ret\n}\n");
    CHECK_EQ(global_i64(init_h, "seen"), 3 + 200);
    CHECK_OK(rt_exec_manager_cleanup(init_h));
}

/* ------------------------------------------------------------ raise_error */

static int64_t raise_calls;
static double r_sqrt(double x) {
    raise_calls++;
    if (x < 0) {
        rt_raise_error("r_sqrt: negative input");
        return 123.0; /* ignored */
    }
    return sqrt(x);
}
static int64_t r_twice(void) {
    rt_raise_error("first message");
    rt_raise_error("second message");
    return 0;
}
static int64_t r_null(void) {
    rt_raise_error(NULL);
    return 0;
}
static int64_t r_bad_utf8(void) {
    rt_raise_error("bad \xff byte");
    return 0;
}
/* "void host failed: ünïcödé ✓" */
#define UNICODE_MESSAGE "void host failed: \xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93"
static char long_message[20000];
static int64_t r_long(void) {
    rt_raise_error(long_message);
    return 0;
}
static void r_void(void) { rt_raise_error(UNICODE_MESSAGE); }

static void *raise_on_other_thread(void *arg) {
    (void)arg;
    rt_exec_manager_clear_error();
    rt_raise_error("from another thread");
    int32_t *code = malloc(sizeof *code);
    if (code != NULL) *code = rt_last_error_code();
    return code;
}
static int64_t r_thread(int64_t x) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, raise_on_other_thread, NULL);
    if (rc != 0) return -1;
    void *res = NULL;
    pthread_join(t, &res);
    int32_t code = res != NULL ? *(int32_t *)res : -1;
    free(res);
    return code == RT_ERR_INVALID_ARGUMENT ? x + 1 : -2;
}

static void group_raise_error(void) {
    int64_t h = new_manager();
    register_ok(h, "r_sqrt", (void *)r_sqrt, "fn(f64) -> f64");
    register_ok(h, "r_twice", (void *)r_twice, "fn() -> i64");
    register_ok(h, "r_null", (void *)r_null, "fn() -> i64");
    register_ok(h, "r_bad_utf8", (void *)r_bad_utf8, "fn() -> i64");
    register_ok(h, "r_long", (void *)r_long, "fn() -> i64");
    register_ok(h, "r_void", (void *)r_void, "fn() -> void");
    register_ok(h, "r_thread", (void *)r_thread, "fn(i64) -> i64");
    mir_ok(h, "mir 1\n"
              "extern fn r_sqrt(f64) -> f64\n"
              "extern fn r_twice() -> i64\n"
              "extern fn r_null() -> i64\n"
              "extern fn r_bad_utf8() -> i64\n"
              "extern fn r_long() -> i64\n"
              "extern fn r_void() -> void\n"
              "extern fn r_thread(i64) -> i64\n"
              "global var after: i64\n"
              "fn root(x: f64) -> f64 {\n    local r: f64\n    r = call r_sqrt(x)\n    gstore after, 1\n    ret r\n}\n"
              "fn deeper(x: i64) -> i64 {\n    local f: f64\n    local r: i64\n    f = sitof x\n"
              "    f = call root(f)\n    r = ftosi f\n    ret r\n}\n"
              "fn twice() -> i64 {\n    local r: i64\n    r = call r_twice()\n    ret r\n}\n"
              "fn nul() -> i64 {\n    local r: i64\n    r = call r_null()\n    ret r\n}\n"
              "fn bad() -> i64 {\n    local r: i64\n    r = call r_bad_utf8()\n    ret r\n}\n"
              "fn longer() -> i64 {\n    local r: i64\n    r = call r_long()\n    ret r\n}\n"
              "fn v() -> i64 {\n    call r_void()\n    ret 5\n}\n"
              "fn thr(x: i64) -> i64 {\n    local r: i64\n    r = call r_thread(x)\n    ret r\n}\n");
    int64_t a[] = {16};
    CHECK_EQ(exec_i64(h, "deeper", a, 1), 4);
    source_ok(h, "after = 0");
    /* execute */
    a[0] = -4;
    int64_t r = 777;
    rt_exec_manager_clear_error();
    CHECK_ERR(rt_exec_manager_execute(h, "deeper", a, 1, &r), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_EQ(r, 777);
    CHECK_EQ(global_i64(h, "after"), 0);
    /* call */
    rt_value args[] = {v_f64(-1.0)};
    rt_value res = v_i64(5);
    CHECK_ERR(rt_exec_manager_call(h, "root", args, 1, &res), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_TYPE(res, RT_TYPE_VOID);
    /* execute_void */
    CHECK_ERR(rt_exec_manager_execute_void(h, "v"), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, UNICODE_MESSAGE);
    /* A second raise keeps the first message. */
    CHECK_ERR(rt_exec_manager_execute(h, "twice", NULL, 0, &r), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "first message");
    /* NULL gives a generic message; bad UTF-8 is replaced. */
    CHECK_ERR(rt_exec_manager_execute(h, "nul", NULL, 0, &r), RT_ERR_RUNTIME);
    CHECK_LAST(RT_ERR_RUNTIME);
    CHECK_ERR(rt_exec_manager_execute(h, "bad", NULL, 0, &r), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "bad \xef\xbf\xbd byte");
    /* A long message is kept whole. */
    memset(long_message, 'x', sizeof long_message - 1);
    long_message[0] = 'L';
    long_message[sizeof long_message - 2] = 'E';
    CHECK_ERR(rt_exec_manager_execute(h, "longer", NULL, 0, &r), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, long_message);
    /* From source code, compile_source top-level code and eval. */
    source_ok(h, "extern fn r_sqrt(x: f64) -> f64\nfn s(x) -> f64: r_sqrt(x) * 2\n");
    rt_value sa[] = {v_i64(-9)};
    CHECK_ERR(rt_exec_manager_call(h, "s", sa, 1, &res), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn gone(): 1\nx = s(-1)\n"), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_EQ(rt_exec_manager_has_function(h, "gone"), 0);
    rt_value ev = v_i64(1);
    CHECK_ERR(rt_exec_manager_eval(h, "s(-2)", &ev), RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_TYPE(ev, RT_TYPE_VOID);
    /* From MIR init code: the blob is undone. */
    CHECK_ERR(mir(h, "mir 1\nextern fn r_sqrt(f64) -> f64\nfn gone2() -> i64 {\n    ret 1\n}\n"
                     "init -> f64 {\n    local r: f64\n    r = call r_sqrt(-2.0)\n    ret r\n}\n"),
              RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "r_sqrt: negative input");
    CHECK_EQ(rt_exec_manager_has_function(h, "gone2"), 0);
    /* rt_raise_error on another thread while a host function runs: that
     * thread has no execution, so it only gets RT_ERR_INVALID_ARGUMENT. */
    a[0] = 5;
    CHECK_EQ(exec_i64(h, "thr", a, 1), 6);
    /* The manager keeps working. */
    a[0] = 9;
    CHECK_EQ(exec_i64(h, "deeper", a, 1), 3);
    CHECK_EQ(global_i64(h, "after"), 1);

    /* Outside any call: RT_ERR_INVALID_ARGUMENT and nothing else. */
    rt_exec_manager_clear_error();
    rt_raise_error("nobody is listening");
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    rt_raise_error(NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    a[0] = 4;
    CHECK_EQ(exec_i64(h, "deeper", a, 1), 2);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* --------------------------------------------------------------- externs */

static void group_externs(void) {
    int64_t h = new_manager();
    register_ok(h, "ver", (void *)h_version_a, "fn() -> i64");
    CHECK_ERR(mir(h, "mir 1\n\nextern fn not_registered(i64) -> i64\n"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:3:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "`not_registered` is not a registered host function");
    CHECK_ERR(mir(h, "mir 1\nextern fn ver(i64) -> i64\n"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:2:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "declared fn(i64) -> i64 but registered as fn() -> i64");
    CHECK_ERR(mir(h, "mir 1\nextern fn ver() -> [i64]\n"), RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "cannot take or return an array, a map or a record");
    /* An @N annotation does not move the position. */
    CHECK_ERR(mir(h, "mir 1\n\n\nextern fn nope() -> i64 @50\n"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:4:");
    CHECK_EQ(rt_exec_manager_function_count(h), 0);

    /* Re-registering reaches compiled callers, from MIR and from source. */
    mir_ok(h, "mir 1\nextern fn ver() -> i64\nfn which() -> i64 {\n    local r: i64\n    r = call ver()\n    ret r\n}\n");
    source_ok(h, "extern fn ver() -> i64\nfn which_src(): ver() * 10\n");
    CHECK_EQ(exec_i64(h, "which", NULL, 0), 1);
    CHECK_EQ(exec_i64(h, "which_src", NULL, 0), 10);
    register_ok(h, "ver", (void *)h_version_b, "fn() -> i64");
    CHECK_EQ(exec_i64(h, "which", NULL, 0), 2);
    CHECK_EQ(exec_i64(h, "which_src", NULL, 0), 20);
    /* Another signature while compiled code calls it: refused, old kept. */
    CHECK_ERR(rt_exec_manager_register_function(h, "ver", (void *)h_version_f, "fn(f64) -> i64"), RT_ERR_SIGNATURE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "calls it");
    CHECK_EQ(exec_i64(h, "which", NULL, 0), 2);
    /* A name nothing calls may change its signature. */
    register_ok(h, "unused", (void *)h_version_a, "fn() -> i64");
    register_ok(h, "unused", (void *)h_version_f, "fn(f64) -> i64");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------ compile_mir */

static void group_text_hosts(void) {
    int64_t h = new_manager();
    register_ok(h, "log", (void *)h_log, "fn(text) -> void");
    register_ok(h, "greet", (void *)h_greet, "fn(text, i64) -> text");
    register_ok(h, "c_strlen", (void *)h_strlen, "fn(text) -> i64");
    source_ok(h, "extern fn log(s: text)\nextern fn greet(s: text, n: i64) -> text\nextern fn c_strlen(s: text) -> i64\n"
                 "fn two(s: text) -> text:\n    log(\"to \" + s)\n    return greet(s, 1) + \"/\" + greet(\"x\", 2)\n"
                 "fn lens() -> i64:\n    return c_strlen(\"\") * 10 + c_strlen(\"abc\")\n"
                 "fn many(n) -> i64:\n    var t = 0\n    for i in 0..n:\n        t += len(greet(str(i), i))\n    return t\n");
    rt_value arg = {RT_TYPE_TEXT, {0}};
    arg.as.text = "ann";
    rt_value r = {RT_TYPE_VOID, {0}};
    CHECK_OK(rt_exec_manager_call(h, "two", &arg, 1, &r));
    CHECK_TYPE(r, RT_TYPE_TEXT);
    CHECK_STREQ(r.as.text, "hi ann 1/hi x 2");
    CHECK_STREQ(log_seen, "to ann");
    rt_value_free(&r);
    CHECK_EQ(exec_i64(h, "lens", NULL, 0), 3);
    /* 10^5 results kept would be megabytes; the limit is far below. */
    CHECK_OK(rt_exec_manager_set_memory_limit(h, 256 * 1024));
    int64_t n = 100000, want = 0;
    for (int64_t i = 0; i < n; i++) {
        char buf[64];
        want += snprintf(buf, sizeof buf, "hi %lld %lld", (long long)i, (long long)i);
    }
    CHECK_EQ(exec_i64(h, "many", &n, 1), want);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_user_data(void) {
    int64_t h = new_manager();
    tally a = {0, 0}, b = {0, 0};
    logbook book = {{0}};
    CHECK_OK(rt_exec_manager_register_function_with_data(h, "tally", (void *)h_tally, "fn(i64) -> i64", &a));
    CHECK_OK(rt_exec_manager_register_function_with_data(h, "note", (void *)h_note, "fn(text) -> void", &book));
    source_ok(h, "extern fn tally(x: i64) -> i64\nextern fn note(s: text)\n"
                 "fn run(n) -> i64:\n    var r = 0\n    for i in 0..n:\n        r = tally(i)\n    note(\"ran \" + str(n))\n"
                 "    return r\n");
    int64_t n = 10;
    CHECK_EQ(exec_i64(h, "run", &n, 1), 45);
    CHECK_EQ(a.calls, 10);
    CHECK_STREQ(book.last, "ran 10");
    /* New data for the same function: compiled callers use it from the next call. */
    CHECK_OK(rt_exec_manager_register_function_with_data(h, "tally", (void *)h_tally, "fn(i64) -> i64", &b));
    n = 4;
    CHECK_EQ(exec_i64(h, "run", &n, 1), 6);
    CHECK_EQ(a.calls, 10);
    CHECK_EQ(b.calls, 4);
    /* Dropping the user data changes the C signature: refused while called. */
    CHECK_ERR(rt_exec_manager_register_function(h, "tally", (void *)h_twice, "fn(i64) -> i64"), RT_ERR_SIGNATURE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "fn(i64) -> i64 with user data");
    /* NULL user data is passed as NULL; a NULL function is refused. */
    CHECK_ERR(rt_exec_manager_register_function_with_data(h, "other", NULL, "fn() -> i64", &a), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_register_function_with_data(-5, "other", (void *)h_tally, "fn(i64) -> i64", NULL),
              RT_ERR_INVALID_HANDLE);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_compile_mir(void) {
    int64_t h = new_manager();
    /* Positions: <mir>:LINE:COL: with the right line. */
    struct {
        const char *text;
        const char *prefix;
        const char *words;
    } cases[] = {
        {"mir 1\nfn f() -> i64 {\n    local x: i64\n    x = frob 1\n    ret 0\n}\n", "<mir>:4:9:", "unknown instruction `frob`"},
        {"mir 1\nfn f(a: i64, b: f64) -> i64 {\n    local r: i64\n    r = add a, b\n    ret r\n}\n", "<mir>:4:",
         "expected i64, found f64"},
        {"mir 1\nfn f() -> i64 {\n    jmp nowhere\n}\n", "<mir>:3:", "undefined label `nowhere`"},
        {"mir 1\nfn f() -> i64 {\n    ret zz\n}\n", "<mir>:3:", "undefined local `zz`"},
        {"mir 1\nfn f() -> i64 {\n    local r: i64\n    r = call nope()\n    ret r\n}\n", "<mir>:4:",
         "undefined function `nope`"},
        {"mir 1\nfn f() -> i64 {\n    local x: i64\na:\n    x = copy 1\nb:\n    ret x\n}\n", "<mir>:6:", "falls off its end"},
        {"mir 2\n", "<mir>:1:", "unsupported MIR version 2"},
        {"fn f() -> i64 {\n    ret 1\n}\n", "<mir>:1:1:", "version line"},
        {"", "<mir>:1:1:", "version line"},
        {"mir 1\nfn f() -> i64 {\n    ret 1\n", "<mir>:4:", "not closed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_exec_manager_clear_error();
        int32_t s = mir(h, cases[i].text);
        CHECK_MSG(s == RT_ERR_COMPILE, "case %zu: expected RT_ERR_COMPILE, got %d %s", i, s, status_name(s));
        CHECK_LAST(RT_ERR_COMPILE);
        CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), cases[i].prefix);
        CHECK_CONTAINS(rt_exec_manager_get_last_error(), cases[i].words);
    }
    /* NULL data. */
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 1), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 100), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, SIZE_MAX), RT_ERR_INVALID_ARGUMENT);
    /* NULL with len 0 is empty text: the version-line error. */
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 0), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:1:1:");
    /* Bad UTF-8, with its position. */
    static const uint8_t bad[] = "mir 1\nfn f() -> i64 {\n    ret 1 ; \xff\n}\n";
    CHECK_ERR(rt_exec_manager_compile_mir(h, bad, sizeof bad - 1), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:3:13:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "UTF-8");
    CHECK_ERR(rt_exec_manager_compile_mir(h, (const uint8_t *)BAD_UTF8, 2), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:1:1:");
    /* Not NUL-terminated: only `len` bytes are read. */
    static const char text[] = "mir 1\nfn exact() -> i64 {\n    ret 8\n}\nGARBAGE";
    CHECK_OK(rt_exec_manager_compile_mir(h, (const uint8_t *)text, strlen(text) - strlen("GARBAGE")));
    CHECK_EQ(exec_i64(h, "exact", NULL, 0), 8);
    /* An embedded NUL is just a bad character. */
    static const uint8_t nul[] = "mir 1\nfn f() -> i64 {\n    ret 1\0\n}\n";
    CHECK_ERR(rt_exec_manager_compile_mir(h, nul, sizeof nul - 1), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:3:");
    /* Runtime error in init: RT_ERR_RUNTIME, the blob undone. */
    CHECK_ERR(mir(h, "mir 1\nfn gone() -> i64 {\n    ret 1\n}\ninit -> i64 {\n    local z: i64\n    local r: i64\n"
                     "    r = div 1, z\n    ret r\n}\n"),
              RT_ERR_RUNTIME);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, "division by zero in top-level code at line 8");
    CHECK_EQ(rt_exec_manager_has_function(h, "gone"), 0);
    /* A rejected blob changes nothing. */
    CHECK_EQ(rt_exec_manager_function_count(h), 1);
    /* Bad handles. */
    CHECK_ERR(mir(0, "mir 1\n"), RT_ERR_INVALID_HANDLE);
    int64_t stale = new_manager();
    CHECK_OK(rt_exec_manager_cleanup(stale));
    CHECK_ERR(mir(stale, "mir 1\n"), RT_ERR_INVALID_HANDLE);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------ MIR files */

static void group_compile_file(void) {
    int64_t h = new_manager();
    char path[64], expected[256];
    temp_file(path, sizeof path, ".mir",
              "mir 1\nglobal var loaded: i64\nfn from_file(x: i64) -> i64 {\n    local r: i64\n    r = add x, 1\n    ret r\n}\n"
              "init -> void {\n    gstore loaded, 7\n    ret\n}\n");
    CHECK_OK(rt_exec_manager_compile_file(h, path));
    int64_t a[] = {1};
    CHECK_EQ(exec_i64(h, "from_file", a, 1), 2);
    CHECK_EQ(global_i64(h, "loaded"), 7);
    unlink(path);

    temp_file(path, sizeof path, ".mir", "mir 1\nfn f() -> i64 {\n    x = frob 1\n    ret 0\n}\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    snprintf(expected, sizeof expected, "%s:3:", path);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), expected);
    unlink(path);

    temp_file(path, sizeof path, ".mir", "mir 1\ninit -> i64 {\n    local z: i64\n    local r: i64\n    r = div 1, z\n    ret r\n}\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_RUNTIME);
    snprintf(expected, sizeof expected, "division by zero in top-level code of %s at line 5", path);
    CHECK_LAST_EXACT(RT_ERR_RUNTIME, expected);
    unlink(path);

    /* Not UTF-8: the error names the file. */
    temp_file(path, sizeof path, ".mir", "mir 1\nfn f() -> i64 {\n    ret 1 ; \xff\n}\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), path);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "UTF-8");
    unlink(path);

    /* A BOM before the version line is skipped. */
    temp_file(path, sizeof path, ".mir", "\xef\xbb\xbfmir 1\nfn bom_fn() -> i64 {\n    ret 3\n}\n");
    CHECK_OK(rt_exec_manager_compile_file(h, path));
    CHECK_EQ(exec_i64(h, "bom_fn", NULL, 0), 3);
    unlink(path);

    /* A blank line first: the file is source code (and not valid source). */
    temp_file(path, sizeof path, ".mir", "\nmir 1\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), path);
    unlink(path);

    CHECK_ERR(rt_exec_manager_compile_file(h, "/nonexistent/rtjit/file.mir"), RT_ERR_IO);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------- rt_mir_from_source */

static void group_mir_from_source(void) {
    static const char source[] = "limit = 10\n"
                                 "fn sum_to(n):\n"
                                 "    var s = 0\n"
                                 "    for i in 0..n:\n"
                                 "        s += min(i, limit)\n"
                                 "    return s\n"
                                 "fn d(a, b): a / b\n"
                                 "total = sum_to(20)\n";
    char *text = rt_mir_from_source(source);
    CHECK_MSG(text != NULL, "rt_mir_from_source returned NULL: %s", rt_exec_manager_get_last_error());
    if (text == NULL) return;
    CHECK_STARTS_WITH(text, "mir 1\n");
    int64_t by_mir = new_manager(), by_source = new_manager();
    mir_ok(by_mir, text);
    source_ok(by_source, source);
    CHECK_EQ(global_i64(by_mir, "total"), global_i64(by_source, "total"));
    CHECK_EQ(global_i64(by_mir, "total"), 145);
    int64_t a[] = {5};
    CHECK_EQ(exec_i64(by_mir, "sum_to", a, 1), exec_i64(by_source, "sum_to", a, 1));
    /* Runtime errors read the same (the printed MIR keeps source lines). */
    int64_t z[] = {1, 0};
    int64_t r;
    CHECK_ERR(rt_exec_manager_execute(by_source, "d", z, 2, &r), RT_ERR_RUNTIME);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", rt_exec_manager_get_last_error());
    CHECK_ERR(rt_exec_manager_execute(by_mir, "d", z, 2, &r), RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), msg);
    CHECK_STREQ(msg, "division by zero in d at line 7");
    char *s1 = rt_exec_manager_function_signature(by_mir, "sum_to");
    char *s2 = rt_exec_manager_function_signature(by_source, "sum_to");
    CHECK_STREQ(s1, s2);
    rt_string_free(s1);
    rt_string_free(s2);
    rt_string_free(text);
    CHECK_OK(rt_exec_manager_cleanup(by_mir));
    CHECK_OK(rt_exec_manager_cleanup(by_source));

    /* Externs are printed as written: no manager checks them. */
    text = rt_mir_from_source("extern fn anything(x: i64, y: f64) -> bool\n");
    CHECK(text != NULL);
    CHECK_CONTAINS(text, "extern fn anything(i64, f64) -> bool");
    rt_string_free(text);
    /* An empty unit. */
    text = rt_mir_from_source("");
    CHECK_STREQ(text, "mir 1\n");
    rt_string_free(text);
    /* Errors: NULL with the last error set. */
    rt_exec_manager_clear_error();
    CHECK(rt_mir_from_source(NULL) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_mir_from_source(BAD_UTF8) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_mir_from_source("fn f(x): x +\n") == NULL);
    CHECK_LAST(RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:1:");
    rt_exec_manager_clear_error();
    CHECK(rt_mir_from_source("x = 1\ny: i64 = 2.5\n") == NULL);
    CHECK_LAST(RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:2:");
    /* Text with every kind of escape survives the round trip. */
    text = rt_mir_from_source("fn t(): \"tab\\there \\\"q\\\" caf\\u{e9} \\\\ nl\\n\"\n");
    CHECK(text != NULL);
    int64_t h = new_manager();
    mir_ok(h, text);
    char *out = rt_exec_manager_execute_string(h, "t", NULL, 0);
    CHECK_STREQ(out, "tab\there \"q\" caf\xc3\xa9 \\ nl\n");
    rt_string_free(out);
    rt_string_free(text);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------- header hygiene */

/* The header may define only rt_/RT_ names: a generic macro such as VERSION
 * clashes with the host program's own (cbindgen exports every pub const of
 * the crate unless told otherwise). */
static void group_header_names(void) {
#ifdef VERSION
    CHECK_MSG(0, "rtjit.h defines the macro VERSION (= %d), which is not an rt_/RT_ name", VERSION);
#endif
#ifdef MAX_FRAME_SLOTS
    CHECK_MSG(0, "rtjit.h defines the macro MAX_FRAME_SLOTS, which is not an rt_/RT_ name");
#endif
    CHECK(1);
}

/* ---------------------------------------------------------------- host data */

/* Every field type, in an order that needs padding, as a C compiler lays it out. */
typedef struct {
    uint8_t a;
    double b;
    int16_t c;
    int8_t d;
    int32_t e;
    uint16_t f;
    float g;
    bool h;
    int64_t i;
    uint32_t j;
} AllFields;

static const char ALL_FIELDS[] =
    "extern struct AllFields:\n"
    "    a: u8\n    b: f64\n    c: i16\n    d: i8\n    e: i32\n"
    "    f: u16\n    g: f32\n    h: bool\n    i: i64\n    j: u32\n"
    "extern val all: AllFields\n"
    "extern val many: [AllFields]\n"
    "fn fill(k: i64):\n"
    "    all.a = k\n    all.b = 0.5 * k\n    all.c = k\n    all.d = k\n    all.e = k\n"
    "    all.f = k\n    all.g = 0.1 * k\n    all.h = k > 0\n    all.i = k * k\n    all.j = k\n"
    "fn total() -> f64:\n"
    "    return all.a + all.b + all.c + all.d + all.e + all.f + all.g + all.i + all.j\n"
    "fn count_true() -> i64:\n"
    "    var n = 0\n"
    "    for x in many:\n"
    "        if x.h:\n"
    "            n += 1\n"
    "    return n\n"
    "fn poke(i: i64):\n"
    "    many[i].e += 1\n";

/* `"name": "NAME", "type": "TYPE", "offset": OFFSET` is in the layout. */
static bool has_field(const char *layout, const char *name, const char *type, size_t offset) {
    char want[128];
    snprintf(want, sizeof want, "{\"name\": \"%s\", \"type\": \"%s\", \"offset\": %zu}", name, type, offset);
    return strstr(layout, want) != NULL;
}

static void group_host_data(void) {
    int64_t h = rt_exec_manager_create();
    CHECK(h > 0);
    CHECK_OK(rt_exec_manager_compile_source(h, ALL_FIELDS));
    char *layout = rt_exec_manager_struct_layout(h, "AllFields");
    CHECK(layout != NULL);
    char head[64];
    snprintf(head, sizeof head, "{\"size\": %zu, \"align\": %zu,", sizeof(AllFields), _Alignof(AllFields));
    CHECK(strncmp(layout, head, strlen(head)) == 0);
    CHECK(has_field(layout, "a", "u8", offsetof(AllFields, a)));
    CHECK(has_field(layout, "b", "f64", offsetof(AllFields, b)));
    CHECK(has_field(layout, "c", "i16", offsetof(AllFields, c)));
    CHECK(has_field(layout, "d", "i8", offsetof(AllFields, d)));
    CHECK(has_field(layout, "e", "i32", offsetof(AllFields, e)));
    CHECK(has_field(layout, "f", "u16", offsetof(AllFields, f)));
    CHECK(has_field(layout, "g", "f32", offsetof(AllFields, g)));
    CHECK(has_field(layout, "h", "bool", offsetof(AllFields, h)));
    CHECK(has_field(layout, "i", "i64", offsetof(AllFields, i)));
    CHECK(has_field(layout, "j", "u32", offsetof(AllFields, j)));
    rt_string_free(layout);
    CHECK(rt_exec_manager_struct_layout(h, "Nope") == NULL);
    CHECK_EQ(rt_last_error_code(), RT_ERR_NOT_FOUND);

    /* Unbound: a runtime error naming the extern, never a NULL read. */
    rt_value k = { .type = RT_TYPE_I64, .as.i64 = 3 }, out;
    CHECK_ERR(rt_exec_manager_call(h, "fill", &k, 1, &out), RT_ERR_RUNTIME);
    CHECK(strstr(rt_exec_manager_get_last_error(), "unbound extern all in fill at line 15") != NULL);

    /* Writes land in C's struct, narrowed as C would; reads see C's writes. */
    AllFields one = { 0 }, two = { 0 };
    CHECK_OK(rt_exec_manager_bind_struct(h, "all", &one, 1));
    k.as.i64 = -3;
    CHECK_OK(rt_exec_manager_call(h, "fill", &k, 1, &out));
    CHECK_EQ(one.a, 253);
    CHECK(one.b == -1.5);
    CHECK_EQ(one.c, -3);
    CHECK_EQ(one.d, -3);
    CHECK_EQ(one.e, -3);
    CHECK_EQ(one.f, 65533);
    CHECK(one.g == (float)(0.1 * -3));
    CHECK(!one.h);
    CHECK_EQ(one.i, 9);
    CHECK_EQ(one.j, 4294967293u);
    one.a = 1, one.b = 2, one.c = 3, one.d = 4, one.e = 5, one.f = 6, one.g = 0.5f, one.i = 7, one.j = 8;
    CHECK_OK(rt_exec_manager_call(h, "total", NULL, 0, &out));
    CHECK(out.type == RT_TYPE_F64 && out.as.f64 == 36.5);

    /* Rebinding is seen by the next call; the old struct is left alone. */
    CHECK_OK(rt_exec_manager_bind_struct(h, "all", &two, 1));
    k.as.i64 = 1;
    CHECK_OK(rt_exec_manager_call(h, "fill", &k, 1, &out));
    CHECK(two.h && two.a == 1 && one.a == 1 && one.e == 5);

    /* An array binding: for-in, checked indexes, rebinding to a shorter one. */
    AllFields many[8] = { 0 };
    for (int i = 0; i < 8; i += 3) many[i].h = true;
    CHECK_OK(rt_exec_manager_bind_struct(h, "many", many, 8));
    CHECK_OK(rt_exec_manager_call(h, "count_true", NULL, 0, &out));
    CHECK_EQ(out.as.i64, 3);
    rt_value i7 = { .type = RT_TYPE_I64, .as.i64 = 7 };
    CHECK_OK(rt_exec_manager_call(h, "poke", &i7, 1, &out));
    CHECK_EQ(many[7].e, 1);
    CHECK_OK(rt_exec_manager_bind_struct(h, "many", many, 4));
    CHECK_ERR(rt_exec_manager_call(h, "poke", &i7, 1, &out), RT_ERR_RUNTIME);
    CHECK(strstr(rt_exec_manager_get_last_error(), "index out of range: 7 (length 4)") != NULL);
    CHECK_EQ(many[7].e, 1);

    /* Argument checks. */
    CHECK_ERR(rt_exec_manager_bind_struct(h, "many", NULL, 2), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_bind_struct(h, "all", many, 2), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_bind_struct(h, "nothing", many, 1), RT_ERR_NOT_FOUND);
    CHECK_ERR(rt_exec_manager_bind_struct(h, NULL, many, 1), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_bind_struct(0, "all", many, 1), RT_ERR_INVALID_HANDLE);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

int main(void) {
    RUN_GROUP(group_register_arguments, "register_function arguments");
    RUN_GROUP(group_shapes_from_mir, "host functions of every shape from MIR");
    RUN_GROUP(group_shapes_from_source, "host functions from source extern fn");
    RUN_GROUP(group_callbacks, "callbacks into the same and another manager");
    RUN_GROUP(group_callbacks_during_init, "callbacks during init code");
    RUN_GROUP(group_raise_error, "rt_raise_error");
    RUN_GROUP(group_externs, "extern declarations and re-registration");
    RUN_GROUP(group_text_hosts, "text in host functions");
    RUN_GROUP(group_user_data, "host functions with user data");
    RUN_GROUP(group_host_data, "host structs: layouts, reads, writes, bindings");
    RUN_GROUP(group_compile_mir, "compile_mir errors");
    RUN_GROUP(group_compile_file, "compile_file on MIR files");
    RUN_GROUP(group_mir_from_source, "rt_mir_from_source");
    RUN_GROUP(group_header_names, "the header defines only rt_/RT_ names");
    return check_finish();
}
