/*
 * check.h: the small check framework the C tests of the rtjit C ABI share.
 *
 * Each program defines, before including this file:
 *   CHECK_LAST_CODE()  this thread's rt_last_error_code(), or -1 if unknown
 *   CHECK_LAST_MSG()   this thread's rt_exec_manager_get_last_error(), or NULL
 *   CHECK_PROGRAM      a short name printed in front of every line
 *
 * A failed check prints `file:line: FAILED: <what>, expected ..., actual ...`
 * and the thread's last rtjit error, then exits with status 1. With the
 * environment variable FFI_KEEP_GOING=1 it counts the failure and carries on,
 * so one run lists every failing check (the exit status is still 1).
 *
 * Checks are grouped: RUN_GROUP(fn) runs `static void fn(void)` and prints one
 * line for the group: `ok     <group> (<n> checks)` or `FAILED <group> ...`.
 *
 * With FFI_SLOW=1 (tests/ffi.rs sets it when it runs the programs under
 * valgrind, RTJIT_FFI_VALGRIND=1) the program runs under a tool that makes it
 * up to about 100 times slower: check_slow() is then true, long loops run fewer
 * iterations, time-based calibrations allow for more, and the checks on the
 * process's resident size, which measure valgrind's own memory there, only
 * print what they see. Every other check stays as it is.
 */
#ifndef FFI_CHECK_H
#define FFI_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"

#ifndef CHECK_PROGRAM
#error "define CHECK_PROGRAM before including check.h"
#endif

static atomic_long check_count;
static atomic_long check_failures;

__attribute__((unused)) static int check_keep_going(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("FFI_KEEP_GOING");
        cached = (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0);
    }
    return cached;
}

__attribute__((unused)) static int check_slow(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("FFI_SLOW");
        cached = (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0);
    }
    return cached;
}

/* Whether the library under test has the LLVM backend built in: tests/ffi.rs
 * sets RTJIT_EXPECT_LLVM=1 when it was built with `--features llvm`, so the
 * programs check what each build must do instead of probing it. */
__attribute__((unused)) static int check_llvm(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("RTJIT_EXPECT_LLVM");
        cached = (v != NULL && strcmp(v, "1") == 0);
    }
    return cached;
}

/* `normal`, or `slow` under FFI_SLOW=1. */
#define SLOW_OR(slow, normal) (check_slow() ? (slow) : (normal))

__attribute__((unused)) static const char *status_name(long long s) {
    switch (s) {
    case RT_OK: return "RT_OK";
    case RT_ERR_INVALID_HANDLE: return "RT_ERR_INVALID_HANDLE";
    case RT_ERR_INVALID_ARGUMENT: return "RT_ERR_INVALID_ARGUMENT";
    case RT_ERR_COMPILE: return "RT_ERR_COMPILE";
    case RT_ERR_NOT_FOUND: return "RT_ERR_NOT_FOUND";
    case RT_ERR_SIGNATURE: return "RT_ERR_SIGNATURE";
    case RT_ERR_RUNTIME: return "RT_ERR_RUNTIME";
    case RT_ERR_INTERRUPTED: return "RT_ERR_INTERRUPTED";
    case RT_ERR_UNSUPPORTED: return "RT_ERR_UNSUPPORTED";
    case RT_ERR_IO: return "RT_ERR_IO";
    case RT_ERR_INTERNAL: return "RT_ERR_INTERNAL";
    default: return "(not a status code)";
    }
}

__attribute__((unused)) static const char *type_name(long long t) {
    switch (t) {
    case RT_TYPE_VOID: return "RT_TYPE_VOID";
    case RT_TYPE_I64: return "RT_TYPE_I64";
    case RT_TYPE_F64: return "RT_TYPE_F64";
    case RT_TYPE_BOOL: return "RT_TYPE_BOOL";
    case RT_TYPE_TEXT: return "RT_TYPE_TEXT";
    case RT_TYPE_ARRAY: return "RT_TYPE_ARRAY";
    case RT_TYPE_RECORD: return "RT_TYPE_RECORD";
    case RT_TYPE_MAP: return "RT_TYPE_MAP";
    default: return "(not a type tag)";
    }
}

__attribute__((format(printf, 3, 4))) static void check_fail(const char *file, int line, const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    long long code = CHECK_LAST_CODE();
    const char *msg = CHECK_LAST_MSG();
    fprintf(stderr, "%s:%d: FAILED: %s\n    (this thread's last rtjit error: %lld %s, \"%s\")\n", file, line, buf, code,
            status_name(code), msg ? msg : "(NULL)");
    fflush(stderr);
    atomic_fetch_add(&check_failures, 1);
    if (!check_keep_going()) {
        fprintf(stderr, "%s: stopping at the first failed check (set FFI_KEEP_GOING=1 to run every check)\n",
                CHECK_PROGRAM);
        fflush(stdout);
        fflush(stderr);
        _exit(1);
    }
}

/* Any condition. */
#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (!(cond)) check_fail(__FILE__, __LINE__, "expected `%s` to hold", #cond);                                   \
    } while (0)

/* Any condition, with an explanation. */
#define CHECK_MSG(cond, ...)                                                                                           \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (!(cond)) check_fail(__FILE__, __LINE__, __VA_ARGS__);                                                      \
    } while (0)

/* Integers. */
#define CHECK_EQ(actual, expected)                                                                                     \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                                                \
        if (a_ != e_)                                                                                                  \
            check_fail(__FILE__, __LINE__, "`%s`: expected %lld (`%s`), actual %lld", #actual, e_, #expected, a_);     \
    } while (0)

/* Doubles, compared exactly (the tests only use exactly representable values). */
#define CHECK_F64(actual, expected)                                                                                    \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        double a_ = (double)(actual), e_ = (double)(expected);                                                         \
        if (a_ != e_) check_fail(__FILE__, __LINE__, "`%s`: expected %.17g, actual %.17g", #actual, e_, a_);          \
    } while (0)

/* A status code returned by a call, compared by name. */
#define CHECK_STATUS(actual, expected)                                                                                 \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                                                \
        if (a_ != e_)                                                                                                  \
            check_fail(__FILE__, __LINE__, "`%s`: expected status %lld %s, actual %lld %s", #actual, e_,               \
                       status_name(e_), a_, status_name(a_));                                                          \
    } while (0)

/* A call that must succeed. */
#define CHECK_OK(call) CHECK_STATUS(call, RT_OK)

/* This thread's last error must be `expected`, with a non-empty message. */
#define CHECK_LAST(expected)                                                                                           \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        long long c_ = (long long)CHECK_LAST_CODE(), e_ = (long long)(expected);                                       \
        const char *m_ = CHECK_LAST_MSG();                                                                             \
        if (c_ != e_)                                                                                                  \
            check_fail(__FILE__, __LINE__, "rt_last_error_code(): expected %lld %s, actual %lld %s", e_,               \
                       status_name(e_), c_, status_name(c_));                                                          \
        else if (m_ == NULL)                                                                                           \
            check_fail(__FILE__, __LINE__, "rt_exec_manager_get_last_error() returned NULL");                          \
        else if (e_ != RT_OK && m_[0] == '\0')                                                                         \
            check_fail(__FILE__, __LINE__, "the last error (%s) has an empty message", status_name(e_));               \
    } while (0)

/* A status-returning call that must fail with `expected`, and set it as this
 * thread's last error with a message. */
#define CHECK_ERR(call, expected)                                                                                      \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        long long a_ = (long long)(call), e_ = (long long)(expected);                                                  \
        if (a_ != e_)                                                                                                  \
            check_fail(__FILE__, __LINE__, "`%s`: expected status %lld %s, actual %lld %s", #call, e_,                 \
                       status_name(e_), a_, status_name(a_));                                                          \
        else                                                                                                           \
            CHECK_LAST(expected);                                                                                      \
    } while (0)

/* Strings (either may be NULL). */
#define CHECK_STREQ(actual, expected)                                                                                  \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        const char *a_ = (actual), *e_ = (expected);                                                                   \
        if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0)                                                 \
            check_fail(__FILE__, __LINE__, "`%s`: expected \"%s\", actual \"%s\"", #actual, e_ ? e_ : "(NULL)",        \
                       a_ ? a_ : "(NULL)");                                                                            \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                                               \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        const char *h_ = (haystack), *n_ = (needle);                                                                   \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                                                      \
            check_fail(__FILE__, __LINE__, "`%s`: expected a string containing \"%s\", actual \"%s\"", #haystack, n_, \
                       h_ ? h_ : "(NULL)");                                                                            \
    } while (0)

#define CHECK_STARTS_WITH(haystack, prefix)                                                                            \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        const char *h_ = (haystack), *p_ = (prefix);                                                                   \
        if (h_ == NULL || strncmp(h_, p_, strlen(p_)) != 0)                                                            \
            check_fail(__FILE__, __LINE__, "`%s`: expected a string starting with \"%s\", actual \"%s\"", #haystack,   \
                       p_, h_ ? h_ : "(NULL)");                                                                        \
    } while (0)

/* An rt_value: type tag and payload. */
#define CHECK_TYPE(value, expected)                                                                                    \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        long long a_ = (long long)(value).type, e_ = (long long)(expected);                                            \
        if (a_ != e_)                                                                                                  \
            check_fail(__FILE__, __LINE__, "`%s.type`: expected %s, actual %lld %s", #value, type_name(e_), a_,        \
                       type_name(a_));                                                                                 \
    } while (0)

#define CHECK_VALUE_I64(value, expected)                                                                               \
    do {                                                                                                               \
        CHECK_TYPE(value, RT_TYPE_I64);                                                                                \
        CHECK_EQ((value).as.i64, expected);                                                                            \
    } while (0)

#define CHECK_VALUE_F64(value, expected)                                                                               \
    do {                                                                                                               \
        CHECK_TYPE(value, RT_TYPE_F64);                                                                                \
        CHECK_F64((value).as.f64, expected);                                                                           \
    } while (0)

#define CHECK_VALUE_BOOL(value, expected)                                                                              \
    do {                                                                                                               \
        CHECK_TYPE(value, RT_TYPE_BOOL);                                                                               \
        CHECK_EQ((value).as.boolean, expected);                                                                        \
    } while (0)

/* A RT_TYPE_TEXT value whose string equals `expected` (the caller still owns
 * and frees the string). */
#define CHECK_VALUE_TEXT(value, expected)                                                                              \
    do {                                                                                                               \
        CHECK_TYPE(value, RT_TYPE_TEXT);                                                                               \
        if ((value).type == RT_TYPE_TEXT) CHECK_STREQ((value).as.text, expected);                                      \
    } while (0)

/* True when `msg` mentions `line N` (and not, say, `line N0`). */
__attribute__((unused)) static int mentions_line(const char *msg, int n) {
    char needle[32];
    snprintf(needle, sizeof needle, "line %d", n);
    size_t len = strlen(needle);
    for (const char *p = msg ? strstr(msg, needle) : NULL; p != NULL; p = strstr(p + 1, needle)) {
        if (p[len] < '0' || p[len] > '9') return 1;
    }
    return 0;
}

#define RUN_GROUP(fn, title)                                                                                           \
    do {                                                                                                               \
        long c0_ = atomic_load(&check_count), f0_ = atomic_load(&check_failures);                                      \
        fn();                                                                                                          \
        long c_ = atomic_load(&check_count) - c0_, f_ = atomic_load(&check_failures) - f0_;                            \
        if (f_ == 0)                                                                                                   \
            printf("%s: ok     %s (%ld checks)\n", CHECK_PROGRAM, title, c_);                                          \
        else                                                                                                           \
            printf("%s: FAILED %s (%ld of %ld checks failed)\n", CHECK_PROGRAM, title, f_, c_);                        \
        fflush(stdout);                                                                                                \
    } while (0)

/* The exit status of main. */
__attribute__((unused)) static int check_finish(void) {
    long f = atomic_load(&check_failures), c = atomic_load(&check_count);
    if (f == 0) {
        printf("%s: all %ld checks passed\n", CHECK_PROGRAM, c);
        fflush(stdout);
        return 0;
    }
    printf("%s: %ld of %ld checks FAILED\n", CHECK_PROGRAM, f, c);
    fflush(stdout);
    return 1;
}

/* Writes `text` to `path`; a failure is a failed check. */
__attribute__((unused)) static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot open %s for writing: %s", path, strerror(errno));
    if (f == NULL) return;
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

/* A new file `/tmp/rtjit-test-XXXXXX<suffix>` holding `text`; its path goes
 * to `path`. (Needs _GNU_SOURCE for mkstemps.) */
__attribute__((unused)) static void temp_file(char *path, size_t size, const char *suffix, const char *text) {
    snprintf(path, size, "/tmp/rtjit-test-XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    CHECK_MSG(fd >= 0, "mkstemps: %s", strerror(errno));
    if (fd < 0) return;
    close(fd);
    write_file(path, text);
}

#endif /* FFI_CHECK_H */
