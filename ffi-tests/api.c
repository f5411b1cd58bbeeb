/*
 * api.c: every function of the rtjit C ABI (c-api.md, table 1-27), linked
 * normally against librtjit, including text values across the ABI
 * (execute_string, RT_TYPE_TEXT in call / eval / get_global, rt_string_free).
 *
 * Each RUN_GROUP prints one line; the first failed check prints
 * file:line, what was expected and what happened, and exits 1
 * (FFI_KEEP_GOING=1 runs every check instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"

#define CHECK_PROGRAM "api"
#define CHECK_LAST_CODE() rt_last_error_code()
#define CHECK_LAST_MSG() rt_exec_manager_get_last_error()
#include "check.h"

/* The numbers are the contract (c-api.md): hosts hard-code them. */
_Static_assert(RT_BACKEND_AUTO == 0 && RT_BACKEND_CRANELIFT == 1 && RT_BACKEND_LLVM == 2 && RT_BACKEND_UNKNOWN == 3,
               "backend constants");
_Static_assert(RT_OK == 0 && RT_ERR_INVALID_HANDLE == 1 && RT_ERR_INVALID_ARGUMENT == 2 && RT_ERR_COMPILE == 3 &&
                   RT_ERR_NOT_FOUND == 4 && RT_ERR_SIGNATURE == 5 && RT_ERR_RUNTIME == 6 &&
                   RT_ERR_INTERRUPTED == 7 && RT_ERR_UNSUPPORTED == 8 && RT_ERR_IO == 9 && RT_ERR_INTERNAL == 10,
               "status codes");
_Static_assert(RT_TYPE_VOID == 0 && RT_TYPE_I64 == 1 && RT_TYPE_F64 == 2 && RT_TYPE_BOOL == 3 && RT_TYPE_TEXT == 4,
               "type tags");
/* struct rt_value { int32_t type; union { int64_t i64; double f64; int32_t boolean; const char *text; } as; } */
_Static_assert(offsetof(rt_value, type) == 0, "rt_value.type is first");
_Static_assert(offsetof(rt_value, as) == 8 && sizeof(rt_value) == 16, "rt_value layout (LP64)");
_Static_assert(sizeof(((rt_value *)0)->type) == 4 && sizeof(((rt_value *)0)->as.boolean) == 4 &&
                   sizeof(((rt_value *)0)->as.i64) == 8 && sizeof(((rt_value *)0)->as.f64) == 8,
               "rt_value field sizes");

/* A string that is not UTF-8. */
static const char BAD_UTF8[] = "\xff\xfe";
/* Source text that is valid except for one byte in a comment. */
static const char BAD_UTF8_SOURCE[] = "fn bad_utf8_fn(): 1  # \xc3\x28\n";

/* Handles that are not live managers; the stale one is filled in by main. */
static int64_t bad_handles[] = {0, -1, 1, 12345, INT64_MAX, INT64_MIN, 0 /* stale */};
#define N_BAD_HANDLES (sizeof bad_handles / sizeof bad_handles[0])

static int64_t new_manager(void) {
    int64_t h = rt_exec_manager_create();
    CHECK_MSG(h > 0, "rt_exec_manager_create() returned %lld, expected a handle > 0", (long long)h);
    return h;
}

static void compile_ok(int64_t h, const char *source) {
    int32_t s = rt_exec_manager_compile_source(h, source);
    CHECK_MSG(s == RT_OK, "compiling\n----\n%s\n----\nreturned %d %s, expected RT_OK", source, s, status_name(s));
}

static int64_t exec_i64(int64_t h, const char *name, const int64_t *args, size_t nargs) {
    int64_t r = INT64_MIN + 7;
    int32_t s = rt_exec_manager_execute(h, name, args, nargs, &r);
    CHECK_MSG(s == RT_OK, "execute(%s) returned %d %s, expected RT_OK", name, s, status_name(s));
    return r;
}

/* The functions most groups call. Line numbers matter for the runtime errors. */
static const char *const MAIN_UNIT =
    "fn add(a, b): a + b\n"                              /* 1 */
    "fn f(x): x^2 + 2*x + 1\n"                           /* 2 */
    "fn answer(): 42\n"                                  /* 3 */
    "fn nothing():\n"                                    /* 4 */
    "    return\n"                                       /* 5 */
    "fn neg(b: bool) -> bool: not b\n"                   /* 6 */
    "fn both(a: bool, b: bool) -> bool: a and b\n"       /* 7 */
    "fn fadd(x: f64, y: f64) -> f64: x + y\n"            /* 8 */
    "fn mix(a, x: f64) -> f64: a * x\n"                  /* 9 */
    "fn half(a) -> f64: a / 2.0\n"                       /* 10 */
    "fn isbig(x: f64) -> bool: x > 100.0\n"              /* 11 */
    "fn divide(a, b):\n"                                 /* 12 */
    "    val q = a / b\n"                                /* 13 */
    "    return q\n"                                     /* 14 */
    "fn rem(a, b):\n"                                    /* 15 */
    "    return a % b\n"                                 /* 16 */
    "fn boom() -> i64:\n"                                /* 17 */
    "    return divide(1, 0)\n"                          /* 18 */
    "fn r(n) -> i64: r(n + 1) + 1\n"                     /* 19 */
    "fn pw(a, b): a ^ b\n"                               /* 20 */
    "counter = 0\n"                                      /* 21 */
    "fn bump():\n"                                       /* 22 */
    "    counter += 1\n";                                /* 23 */

static int64_t main_manager(void) {
    int64_t h = new_manager();
    compile_ok(h, MAIN_UNIT);
    return h;
}

/* ---------------------------------------------------------------- groups */

static void group_version_and_strings(void) {
    const char *v = rt_version();
    CHECK(v != NULL);
    CHECK_MSG(v != NULL && v[0] != '\0', "rt_version() is empty");
    CHECK_MSG(v != NULL && strchr(v, '.') != NULL, "rt_version() \"%s\" does not look like a version", v ? v : "");
    CHECK_STREQ(rt_version(), v); /* static: the same text every time */
    rt_string_free(NULL);         /* a no-op */
}

static void group_last_error(void) {
    rt_exec_manager_clear_error();
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    CHECK(rt_exec_manager_get_last_error() != NULL);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "");

    int64_t h = main_manager();
    /* A failure sets the code and a message. */
    CHECK_ERR(rt_exec_manager_execute(h, "no_such_fn", NULL, 0, NULL), RT_ERR_NOT_FOUND);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "no_such_fn");
    char saved[512];
    snprintf(saved, sizeof saved, "%s", rt_exec_manager_get_last_error());

    /* Successful calls of every kind do not clear it. */
    int64_t r = 0;
    CHECK_OK(rt_exec_manager_execute(h, "answer", NULL, 0, &r));
    CHECK_EQ(r, 42);
    CHECK_OK(rt_exec_manager_compile_source(h, "fn another(): 1"));
    CHECK_EQ(rt_exec_manager_has_function(h, "another"), 1);
    CHECK(rt_exec_manager_function_count(h) > 0);
    CHECK_EQ(rt_exec_manager_get_opt_level(h), 2);
    CHECK_EQ(rt_exec_manager_is_valid(h), 1);
    CHECK_EQ(rt_get_jit_backend(), rt_get_jit_backend());
    (void)rt_version();
    CHECK_STATUS(rt_last_error_code(), RT_ERR_NOT_FOUND);
    CHECK_STREQ(rt_exec_manager_get_last_error(), saved);

    /* A later failure replaces it. */
    int64_t two[2] = {1, 2};
    CHECK_ERR(rt_exec_manager_execute(h, "answer", two, 2, NULL), RT_ERR_SIGNATURE);
    CHECK(strcmp(rt_exec_manager_get_last_error(), saved) != 0);

    /* clear_error: code RT_OK, message "" (never NULL). */
    rt_exec_manager_clear_error();
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    CHECK(rt_exec_manager_get_last_error() != NULL);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "");
    rt_exec_manager_clear_error(); /* clearing twice is fine */
    CHECK_STREQ(rt_exec_manager_get_last_error(), "");

    /* is_valid sets no error, whatever it is given. */
    CHECK_EQ(rt_exec_manager_is_valid(0), 0);
    CHECK_EQ(rt_exec_manager_is_valid(-1), 0);
    CHECK_EQ(rt_exec_manager_is_valid(12345), 0);
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_backends(void) {
    /* The default until set. */
    CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_AUTO);
    CHECK_OK(rt_set_jit_backend(RT_BACKEND_CRANELIFT));
    CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_CRANELIFT);

    int64_t h1 = new_manager();
    CHECK_EQ(rt_exec_manager_get_backend(h1), RT_BACKEND_CRANELIFT);

    if (check_llvm()) {
        /* Built in: the default for new managers, which report it. */
        CHECK_OK(rt_set_jit_backend(RT_BACKEND_LLVM));
        CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_LLVM);
        int64_t hl = new_manager();
        CHECK_EQ(rt_exec_manager_get_backend(hl), RT_BACKEND_LLVM);
        CHECK_EQ(rt_exec_manager_get_backend(h1), RT_BACKEND_CRANELIFT);
        compile_ok(hl, "fn twice(x): x * 2");
        int64_t x = 21;
        CHECK_EQ(exec_i64(hl, "twice", &x, 1), 42);
        CHECK_OK(rt_exec_manager_cleanup(hl));
        CHECK_OK(rt_set_jit_backend(RT_BACKEND_CRANELIFT));
    } else {
        /* Not built in: RT_ERR_UNSUPPORTED, default unchanged. */
        CHECK_ERR(rt_set_jit_backend(RT_BACKEND_LLVM), RT_ERR_UNSUPPORTED);
    }
    CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_CRANELIFT);
    /* Anything else: RT_ERR_INVALID_ARGUMENT, default unchanged. */
    const int32_t invalid[] = {RT_BACKEND_UNKNOWN, 99, -1, 4, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        rt_exec_manager_clear_error();
        CHECK_ERR(rt_set_jit_backend(invalid[i]), RT_ERR_INVALID_ARGUMENT);
        CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_CRANELIFT);
    }

    CHECK_OK(rt_set_jit_backend(RT_BACKEND_AUTO));
    CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_AUTO);
    /* Existing managers are not affected; AUTO resolves to Cranelift. */
    CHECK_EQ(rt_exec_manager_get_backend(h1), RT_BACKEND_CRANELIFT);
    int64_t h2 = new_manager();
    CHECK_EQ(rt_exec_manager_get_backend(h2), RT_BACKEND_CRANELIFT);
    CHECK_EQ(rt_exec_manager_get_opt_level(h2), 2);

    /* After a failed set, the default is still AUTO. */
    if (!check_llvm()) {
        CHECK_ERR(rt_set_jit_backend(RT_BACKEND_LLVM), RT_ERR_UNSUPPORTED);
        CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_AUTO);
    }
    CHECK_ERR(rt_set_jit_backend(3), RT_ERR_INVALID_ARGUMENT);
    CHECK_EQ(rt_get_jit_backend(), RT_BACKEND_AUTO);

    CHECK_OK(rt_exec_manager_cleanup(h1));
    CHECK_OK(rt_exec_manager_cleanup(h2));
}

static void group_create_cleanup(void) {
    /* create_with_backend */
    int64_t ha = rt_exec_manager_create_with_backend(RT_BACKEND_AUTO);
    CHECK(ha > 0);
    CHECK_EQ(rt_exec_manager_get_backend(ha), RT_BACKEND_CRANELIFT);
    CHECK_EQ(rt_exec_manager_get_opt_level(ha), 2);
    int64_t hc = rt_exec_manager_create_with_backend(RT_BACKEND_CRANELIFT);
    CHECK(hc > 0);
    CHECK(hc != ha);
    CHECK_EQ(rt_exec_manager_get_backend(hc), RT_BACKEND_CRANELIFT);
    CHECK_EQ(rt_exec_manager_get_opt_level(hc), 2);

    rt_exec_manager_clear_error();
    if (check_llvm()) {
        /* What the SFFI wrapper's backend tests do: create with LLVM, ask. */
        int64_t hl = rt_exec_manager_create_with_backend(RT_BACKEND_LLVM);
        CHECK(hl > 0);
        CHECK_EQ(rt_exec_manager_get_backend(hl), RT_BACKEND_LLVM);
        CHECK_EQ(rt_exec_manager_get_opt_level(hl), 2);
        compile_ok(hl, "fn d(a, b): a / b");
        int64_t ab[2] = {7, 0}, r = 0;
        CHECK_ERR(rt_exec_manager_execute(hl, "d", ab, 2, &r), RT_ERR_RUNTIME);
        CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
        ab[1] = 2;
        CHECK_OK(rt_exec_manager_execute(hl, "d", ab, 2, &r));
        CHECK_EQ(r, 3);
        CHECK_OK(rt_exec_manager_cleanup(hl));
    } else {
        CHECK_EQ(rt_exec_manager_create_with_backend(RT_BACKEND_LLVM), 0);
        CHECK_LAST(RT_ERR_UNSUPPORTED);
    }
    const int32_t invalid[] = {RT_BACKEND_UNKNOWN, 99, -1, INT32_MIN};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        rt_exec_manager_clear_error();
        CHECK_EQ(rt_exec_manager_create_with_backend(invalid[i]), 0);
        CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    }

    /* Managers are independent. */
    compile_ok(ha, "fn only_in_a(): 1\nshared_name = 1");
    compile_ok(hc, "fn only_in_c(): 2\nshared_name = 2");
    CHECK_EQ(rt_exec_manager_has_function(ha, "only_in_a"), 1);
    CHECK_EQ(rt_exec_manager_has_function(ha, "only_in_c"), 0);
    CHECK_EQ(rt_exec_manager_has_function(hc, "only_in_a"), 0);
    rt_value v;
    CHECK_OK(rt_exec_manager_get_global(ha, "shared_name", &v));
    CHECK_VALUE_I64(v, 1);
    CHECK_OK(rt_exec_manager_get_global(hc, "shared_name", &v));
    CHECK_VALUE_I64(v, 2);

    /* is_valid / cleanup / second cleanup */
    CHECK_EQ(rt_exec_manager_is_valid(ha), 1);
    CHECK_OK(rt_exec_manager_cleanup(ha));
    CHECK_EQ(rt_exec_manager_is_valid(ha), 0);
    CHECK_ERR(rt_exec_manager_cleanup(ha), RT_ERR_INVALID_HANDLE);
    CHECK_EQ(rt_exec_manager_is_valid(hc), 1); /* the other one lives on */
    CHECK_EQ(exec_i64(hc, "only_in_c", NULL, 0), 2);

    /* A stale handle never reaches a newer manager, even in a reused slot. */
    for (int i = 0; i < 20; i++) {
        int64_t old = new_manager();
        compile_ok(old, "fn which(): 1");
        CHECK_OK(rt_exec_manager_cleanup(old));
        int64_t fresh = new_manager();
        compile_ok(fresh, "fn which(): 2");
        CHECK(fresh != old);
        CHECK_EQ(rt_exec_manager_is_valid(old), 0);
        CHECK_ERR(rt_exec_manager_execute(old, "which", NULL, 0, NULL), RT_ERR_INVALID_HANDLE);
        CHECK_ERR(rt_exec_manager_cleanup(old), RT_ERR_INVALID_HANDLE);
        CHECK_EQ(rt_exec_manager_is_valid(fresh), 1);
        CHECK_EQ(exec_i64(fresh, "which", NULL, 0), 2);
        CHECK_OK(rt_exec_manager_cleanup(fresh));
    }
    CHECK_OK(rt_exec_manager_cleanup(hc));
}

static void group_compile_source(void) {
    int64_t h = new_manager();
    CHECK_EQ(rt_exec_manager_function_count(h), 0);
    compile_ok(h, "fn one(): 1\n\n# a comment\nfn two(): one() + 1\n");
    CHECK_EQ(rt_exec_manager_function_count(h), 2);
    CHECK_EQ(exec_i64(h, "two", NULL, 0), 2);
    compile_ok(h, ""); /* an empty unit */
    compile_ok(h, "# only a comment\n");
    CHECK_EQ(rt_exec_manager_function_count(h), 2);

    /* The example of language.md, verbatim. */
    compile_ok(h, "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n");
    int64_t n = 20;
    CHECK_EQ(exec_i64(h, "fib", &n, 1), 6765);

    /* Compile errors: RT_ERR_COMPILE, `<source>:line:col: ...`. */
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn ok3(): 3\nfn broken() 3\n"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:2:");
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn t(): undefined_name + 1"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:1:");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "undefined_name");
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn t2():\n    if 1:\n        return 1\n    return 2\n"),
              RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:2:");
    /* Atomic: nothing of a failed unit is kept (ok3 came before the error). */
    CHECK_EQ(rt_exec_manager_has_function(h, "ok3"), 0);
    CHECK_EQ(rt_exec_manager_function_count(h), 3);

    /* Top-level statements run; a runtime error in them is RT_ERR_RUNTIME and
     * the unit is undone (functions and globals). */
    compile_ok(h, "base = 5\nfn get_base(): base");
    CHECK_EQ(exec_i64(h, "get_base", NULL, 0), 5);
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn in_failed_unit(): 9\nnew_global = 7\nbase = 6\nx = 1 / (base - 6)\n"),
              RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_EQ(rt_exec_manager_has_function(h, "in_failed_unit"), 0);
    rt_value v;
    CHECK_ERR(rt_exec_manager_get_global(h, "new_global", &v), RT_ERR_NOT_FOUND);
    CHECK_ERR(rt_exec_manager_get_global(h, "x", &v), RT_ERR_NOT_FOUND);
    CHECK_OK(rt_exec_manager_get_global(h, "base", &v));
    CHECK_VALUE_I64(v, 5);
    CHECK_EQ(exec_i64(h, "get_base", NULL, 0), 5);

    /* Redefinition (hot reload): callers compiled earlier reach the new code. */
    compile_ok(h, "fn g(x): x + 1\nfn call_g(x): g(x) * 10");
    int64_t one = 1;
    CHECK_EQ(exec_i64(h, "call_g", &one, 1), 20);
    int64_t count = rt_exec_manager_function_count(h);
    compile_ok(h, "fn g(x): x + 2");
    CHECK_EQ(exec_i64(h, "call_g", &one, 1), 30);
    CHECK_EQ(rt_exec_manager_function_count(h), count);
    /* Changing the signature of a function others call: a compile error naming both. */
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn g(x: f64) -> f64: x"), RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "g");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "call_g");
    CHECK_EQ(exec_i64(h, "call_g", &one, 1), 30);

    /* NULL and bad UTF-8 */
    CHECK_ERR(rt_exec_manager_compile_source(h, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_source(h, BAD_UTF8), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_source(h, BAD_UTF8_SOURCE), RT_ERR_INVALID_ARGUMENT);
    CHECK_EQ(rt_exec_manager_has_function(h, "bad_utf8_fn"), 0);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_compile_mir(void) {
    int64_t h = new_manager();
    /* A module of only the version line is empty but valid. */
    static const char mir[] = "mir 1\n";
    CHECK_OK(rt_exec_manager_compile_mir(h, (const uint8_t *)mir, strlen(mir)));
    static const char mir2[] = "mir 1\nfn @f(i64) -> i64 {\n}\n";
    CHECK_ERR(rt_exec_manager_compile_mir(h, (const uint8_t *)mir2, strlen(mir2)), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:2:");
    /* NULL data with a length. */
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 10), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 1), RT_ERR_INVALID_ARGUMENT);
    /* NULL with length 0 is an empty blob: it lacks the version line. */
    CHECK_ERR(rt_exec_manager_compile_mir(h, NULL, 0), RT_ERR_COMPILE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "version line");
    /* Bytes that are not UTF-8: a compile error with a position. */
    CHECK_ERR(rt_exec_manager_compile_mir(h, (const uint8_t *)BAD_UTF8, 2), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<mir>:1:1:");
    /* The length is what counts, not a NUL: a blob with no NUL after it. */
    static const uint8_t no_nul[6] = {'m', 'i', 'r', ' ', '1', '\n'};
    CHECK_OK(rt_exec_manager_compile_mir(h, no_nul, sizeof no_nul));
    CHECK_EQ(rt_exec_manager_function_count(h), 0);
    /* The manager is unaffected. */
    compile_ok(h, "fn after_mir(): 5");
    CHECK_EQ(exec_i64(h, "after_mir", NULL, 0), 5);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_compile_file(void) {
    int64_t h = new_manager();
    char path[64];

    temp_file(path, sizeof path, ".rt", "# a file\nfn fromfile(x): x * 3\nfile_global = 11\n");
    CHECK_OK(rt_exec_manager_compile_file(h, path));
    int64_t four = 4;
    CHECK_EQ(exec_i64(h, "fromfile", &four, 1), 12);
    rt_value v;
    CHECK_OK(rt_exec_manager_get_global(h, "file_global", &v));
    CHECK_VALUE_I64(v, 11);
    unlink(path);

    /* A compile error names the file: `path:2:5: ...`. */
    temp_file(path, sizeof path, ".rt", "fn fine(): 1\nfn (x): x\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s:2:", path);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), prefix);
    CHECK_EQ(rt_exec_manager_has_function(h, "fine"), 0);
    unlink(path);

    temp_file(path, sizeof path, ".rt", "fn file_ok(): 1\nfn file_bad():\n    return nope\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    snprintf(prefix, sizeof prefix, "%s:3:", path);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), prefix);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "nope");
    unlink(path);

    /* A runtime error in the file's top-level statements. */
    temp_file(path, sizeof path, ".rt", "zero = 0\nbad = 10 / zero\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_ERR(rt_exec_manager_get_global(h, "zero", &v), RT_ERR_NOT_FOUND);
    unlink(path);

    /* A MIR file: recognised by its first line. */
    temp_file(path, sizeof path, ".rt", "mir 1\nfn from_mir(x: i64) -> i64 {\n    x = mul x, 3\n    ret x\n}\n");
    CHECK_OK(rt_exec_manager_compile_file(h, path));
    int64_t three = 3, nine = 0;
    CHECK_OK(rt_exec_manager_execute(h, "from_mir", &three, 1, &nine));
    CHECK_EQ(nine, 9);
    unlink(path);
    temp_file(path, sizeof path, ".rt", "mir 1\nfn broken_mir() -> i64 {\n    ret 1.5\n}\n");
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), path);
    unlink(path);

    /* A file that cannot be read: RT_ERR_IO. */
    CHECK_ERR(rt_exec_manager_compile_file(h, path), RT_ERR_IO); /* just deleted */
    CHECK_ERR(rt_exec_manager_compile_file(h, "/nonexistent-dir/x.rt"), RT_ERR_IO);
    CHECK_ERR(rt_exec_manager_compile_file(h, "/tmp"), RT_ERR_IO); /* a directory */
    CHECK_ERR(rt_exec_manager_compile_file(h, ""), RT_ERR_IO);

    /* A file whose content is not UTF-8 is an error that names the file. */
    temp_file(path, sizeof path, ".rt", BAD_UTF8_SOURCE);
    rt_exec_manager_clear_error();
    int32_t s = rt_exec_manager_compile_file(h, path);
    CHECK_MSG(s == RT_ERR_COMPILE || s == RT_ERR_INVALID_ARGUMENT || s == RT_ERR_IO,
              "compile_file(non-UTF-8 file) returned %d %s", s, status_name(s));
    CHECK_LAST(s);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), path);
    CHECK_EQ(rt_exec_manager_has_function(h, "bad_utf8_fn"), 0);
    unlink(path);

    /* NULL and bad UTF-8 paths */
    CHECK_ERR(rt_exec_manager_compile_file(h, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_file(h, BAD_UTF8), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_compile_file(h, "/tmp/\xff\xfe.rt"), RT_ERR_INVALID_ARGUMENT);

    CHECK_EQ(exec_i64(h, "fromfile", &four, 1), 12);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_execute(void) {
    int64_t h = main_manager();
    int64_t r;

    int64_t a[2] = {2, 3};
    CHECK_EQ(exec_i64(h, "add", a, 2), 5);
    int64_t big[2] = {INT64_MAX, 1}; /* wrapping */
    CHECK_EQ(exec_i64(h, "add", big, 2), INT64_MIN);
    int64_t negs[2] = {-40, -2};
    CHECK_EQ(exec_i64(h, "add", negs, 2), -42);
    int64_t five = 5;
    CHECK_EQ(exec_i64(h, "f", &five, 1), 36);
    int64_t mthree = -3;
    CHECK_EQ(exec_i64(h, "f", &mthree, 1), 4);

    /* args NULL with nargs 0; result NULL */
    CHECK_EQ(exec_i64(h, "answer", NULL, 0), 42);
    int64_t unused = 0;
    CHECK_EQ(exec_i64(h, "answer", &unused, 0), 42);
    CHECK_OK(rt_exec_manager_execute(h, "answer", NULL, 0, NULL));
    CHECK_OK(rt_exec_manager_execute(h, "add", a, 2, NULL));

    /* bool arguments and results (0/1) */
    int64_t b0 = 0, b1 = 1;
    CHECK_EQ(exec_i64(h, "neg", &b1, 1), 0);
    CHECK_EQ(exec_i64(h, "neg", &b0, 1), 1);
    int64_t bb[2] = {1, 1};
    CHECK_EQ(exec_i64(h, "both", bb, 2), 1);
    bb[1] = 0;
    CHECK_EQ(exec_i64(h, "both", bb, 2), 0);

    /* a void function gives 0 */
    r = 99;
    CHECK_OK(rt_exec_manager_execute(h, "nothing", NULL, 0, &r));
    CHECK_EQ(r, 0);
    r = 99;
    CHECK_OK(rt_exec_manager_execute(h, "bump", NULL, 0, &r));
    CHECK_EQ(r, 0);
    rt_value g;
    CHECK_OK(rt_exec_manager_get_global(h, "counter", &g));
    CHECK_VALUE_I64(g, 1);

    /* i64::MIN / -1 wraps (no SIGFPE); % -1 gives 0 */
    int64_t mn[2] = {INT64_MIN, -1};
    CHECK_EQ(exec_i64(h, "divide", mn, 2), INT64_MIN);
    CHECK_EQ(exec_i64(h, "rem", mn, 2), 0);
    int64_t d[2] = {-7, 2};
    CHECK_EQ(exec_i64(h, "divide", d, 2), -3);
    CHECK_EQ(exec_i64(h, "rem", d, 2), -1);

    /* wrong argument count: RT_ERR_SIGNATURE, result unchanged */
    int64_t three[3] = {1, 2, 3};
    r = 777;
    CHECK_ERR(rt_exec_manager_execute(h, "add", three, 1, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "add", three, 3, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "add", NULL, 0, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "answer", three, 1, &r), RT_ERR_SIGNATURE);
    CHECK_EQ(r, 777);

    /* f64 parameters or result: RT_ERR_SIGNATURE */
    CHECK_ERR(rt_exec_manager_execute(h, "fadd", a, 2, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "mix", a, 2, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "half", a, 1, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "isbig", a, 1, &r), RT_ERR_SIGNATURE);
    CHECK_EQ(r, 777);

    /* unknown function */
    CHECK_ERR(rt_exec_manager_execute(h, "no_such", NULL, 0, &r), RT_ERR_NOT_FOUND);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "no_such");
    CHECK_ERR(rt_exec_manager_execute(h, "", NULL, 0, &r), RT_ERR_NOT_FOUND);
    CHECK_EQ(r, 777);

    /* runtime errors: message has the cause, the function and `line N` */
    int64_t z[2] = {7, 0};
    CHECK_ERR(rt_exec_manager_execute(h, "divide", z, 2, &r), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "divide");
    CHECK_MSG(mentions_line(rt_exec_manager_get_last_error(), 13), "expected \"line 13\" in \"%s\"",
              rt_exec_manager_get_last_error());
    CHECK_ERR(rt_exec_manager_execute(h, "rem", z, 2, &r), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "rem");
    CHECK_MSG(mentions_line(rt_exec_manager_get_last_error(), 16), "expected \"line 16\" in \"%s\"",
              rt_exec_manager_get_last_error());
    int64_t pn[2] = {2, -1};
    CHECK_ERR(rt_exec_manager_execute(h, "pw", pn, 2, &r), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "negative exponent");
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "pw");
    CHECK_MSG(mentions_line(rt_exec_manager_get_last_error(), 20), "expected \"line 20\" in \"%s\"",
              rt_exec_manager_get_last_error());
    CHECK_EQ(r, 777);
    /* ... and the manager is still usable */
    CHECK_EQ(exec_i64(h, "f", &five, 1), 36);

    /* NULL / bad UTF-8 */
    CHECK_ERR(rt_exec_manager_execute(h, NULL, a, 2, &r), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_execute(h, BAD_UTF8, a, 2, &r), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_execute(h, "add", NULL, 2, &r), RT_ERR_INVALID_ARGUMENT);
    CHECK_EQ(r, 777);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_runtime_errors_recoverable(void) {
    int64_t h = main_manager();
    int64_t five = 5, zero = 0, r = 0;
    int64_t z[2] = {1, 0};
    for (int i = 0; i < 5; i++) {
        CHECK_ERR(rt_exec_manager_execute(h, "divide", z, 2, &r), RT_ERR_RUNTIME);
        CHECK_EQ(exec_i64(h, "f", &five, 1), 36);

        /* runaway recursion: an error, not a crash */
        CHECK_ERR(rt_exec_manager_execute(h, "r", &zero, 1, &r), RT_ERR_RUNTIME);
        CHECK_CONTAINS(rt_exec_manager_get_last_error(), "stack overflow");
        CHECK_CONTAINS(rt_exec_manager_get_last_error(), "r");
        CHECK_MSG(mentions_line(rt_exec_manager_get_last_error(), 19), "expected \"line 19\" in \"%s\"",
                  rt_exec_manager_get_last_error());
        CHECK_EQ(exec_i64(h, "f", &five, 1), 36);
        int64_t ab[2] = {40, 2};
        CHECK_EQ(exec_i64(h, "add", ab, 2), 42);
    }
    /* the error surfaces through every kind of call */
    rt_value v;
    v.type = RT_TYPE_I64;
    v.as.i64 = 0;
    rt_value out;
    CHECK_ERR(rt_exec_manager_call(h, "r", &v, 1, &out), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "stack overflow");
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_ERR(rt_exec_manager_eval(h, "r(0)", &out), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "stack overflow");
    CHECK_ERR(rt_exec_manager_execute_void(h, "boom"), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn deep() -> i64: r(0)\nval nope = deep()\n"), RT_ERR_RUNTIME);
    CHECK_EQ(rt_exec_manager_has_function(h, "deep"), 0);
    CHECK_EQ(exec_i64(h, "f", &five, 1), 36);
    compile_ok(h, "fn later(): 123");
    CHECK_EQ(exec_i64(h, "later", NULL, 0), 123);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_execute_string(void) {
    int64_t h = main_manager();
    const char *args[2] = {"a", "b"};
    /* the functions of MAIN_UNIT do not take and return only text: a signature
     * error (group_execute_string_text covers text functions) */
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "add", args, 2) == NULL);
    CHECK_LAST(RT_ERR_SIGNATURE);
    CHECK(rt_exec_manager_execute_string(h, "answer", NULL, 0) == NULL);
    CHECK_LAST(RT_ERR_SIGNATURE);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "no_such", args, 2) == NULL);
    CHECK_LAST(RT_ERR_NOT_FOUND);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "no_such", NULL, 0) == NULL);
    CHECK_LAST(RT_ERR_NOT_FOUND);
    /* NULL / bad UTF-8, in the name and in the arguments */
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, NULL, args, 2) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, BAD_UTF8, args, 2) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "add", NULL, 2) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    const char *null_arg[2] = {"a", NULL};
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "add", null_arg, 2) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    const char *bad_arg[2] = {BAD_UTF8, "b"};
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_execute_string(h, "add", bad_arg, 2) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_execute_void(void) {
    int64_t h = main_manager();
    CHECK_OK(rt_exec_manager_execute_void(h, "nothing"));
    CHECK_OK(rt_exec_manager_execute_void(h, "answer")); /* value discarded */
    CHECK_OK(rt_exec_manager_execute_void(h, "bump"));
    CHECK_OK(rt_exec_manager_execute_void(h, "bump"));
    rt_value g;
    CHECK_OK(rt_exec_manager_get_global(h, "counter", &g));
    CHECK_VALUE_I64(g, 2);
    CHECK_ERR(rt_exec_manager_execute_void(h, "add"), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute_void(h, "neg"), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute_void(h, "no_such"), RT_ERR_NOT_FOUND);
    CHECK_ERR(rt_exec_manager_execute_void(h, "boom"), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_ERR(rt_exec_manager_execute_void(h, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_execute_void(h, BAD_UTF8), RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt_exec_manager_execute_void(h, "nothing"));
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static rt_value vi64(int64_t x) {
    rt_value v;
    memset(&v, 0, sizeof v);
    v.type = RT_TYPE_I64;
    v.as.i64 = x;
    return v;
}
static rt_value vf64(double x) {
    rt_value v;
    memset(&v, 0, sizeof v);
    v.type = RT_TYPE_F64;
    v.as.f64 = x;
    return v;
}
static rt_value vbool(int32_t x) {
    rt_value v;
    memset(&v, 0, sizeof v);
    v.type = RT_TYPE_BOOL;
    v.as.boolean = x;
    return v;
}
/* A result slot filled with garbage, to see that calls set it. */
static rt_value garbage(void) {
    rt_value v;
    v.type = 12345;
    v.as.i64 = 0x5a5a5a5a;
    return v;
}

static void group_call(void) {
    int64_t h = main_manager();
    rt_value out;
    rt_value args[3];

    args[0] = vi64(2);
    args[1] = vi64(3);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "add", args, 2, &out));
    CHECK_VALUE_I64(out, 5);

    args[0] = vf64(1.5);
    args[1] = vf64(2.25);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "fadd", args, 2, &out));
    CHECK_VALUE_F64(out, 3.75);

    /* an i64 is accepted for an f64 parameter */
    args[0] = vi64(1);
    args[1] = vf64(0.5);
    CHECK_OK(rt_exec_manager_call(h, "fadd", args, 2, &out));
    CHECK_VALUE_F64(out, 1.5);
    args[0] = vi64(3);
    args[1] = vi64(4);
    CHECK_OK(rt_exec_manager_call(h, "fadd", args, 2, &out));
    CHECK_VALUE_F64(out, 7.0);
    args[0] = vi64(3);
    args[1] = vf64(2.5);
    CHECK_OK(rt_exec_manager_call(h, "mix", args, 2, &out));
    CHECK_VALUE_F64(out, 7.5);
    args[0] = vi64(5);
    CHECK_OK(rt_exec_manager_call(h, "half", args, 1, &out));
    CHECK_VALUE_F64(out, 2.5);

    /* bool */
    args[0] = vbool(1);
    CHECK_OK(rt_exec_manager_call(h, "neg", args, 1, &out));
    CHECK_VALUE_BOOL(out, 0);
    args[0] = vbool(0);
    CHECK_OK(rt_exec_manager_call(h, "neg", args, 1, &out));
    CHECK_VALUE_BOOL(out, 1);
    args[0] = vf64(150.0);
    CHECK_OK(rt_exec_manager_call(h, "isbig", args, 1, &out));
    CHECK_VALUE_BOOL(out, 1);
    args[0] = vi64(50); /* i64 for f64 again */
    CHECK_OK(rt_exec_manager_call(h, "isbig", args, 1, &out));
    CHECK_VALUE_BOOL(out, 0);

    /* void result; args NULL with nargs 0; result NULL */
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "nothing", NULL, 0, &out));
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "answer", NULL, 0, &out));
    CHECK_VALUE_I64(out, 42);
    CHECK_OK(rt_exec_manager_call(h, "answer", NULL, 0, NULL));
    args[0] = vi64(2);
    args[1] = vi64(3);
    CHECK_OK(rt_exec_manager_call(h, "add", args, 2, NULL));

    /* wrong types: RT_ERR_SIGNATURE, *result is RT_TYPE_VOID */
    args[0] = vf64(2.0);
    args[1] = vi64(3);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "add", args, 2, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vbool(1);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "add", args, 2, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vi64(1); /* no i64 -> bool conversion */
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "neg", args, 1, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vbool(1);
    args[1] = vf64(1.0);
    CHECK_ERR(rt_exec_manager_call(h, "fadd", args, 2, &out), RT_ERR_SIGNATURE);
    /* a text argument for an i64 parameter (group_call_text covers text functions) */
    rt_value t;
    memset(&t, 0, sizeof t);
    t.type = RT_TYPE_TEXT;
    t.as.text = "hello";
    args[0] = t;
    args[1] = vi64(1);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "add", args, 2, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);

    /* wrong count */
    args[0] = vi64(1);
    args[1] = vi64(2);
    args[2] = vi64(3);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "add", args, 3, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_ERR(rt_exec_manager_call(h, "add", args, 1, &out), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_call(h, "add", NULL, 0, &out), RT_ERR_SIGNATURE);

    /* bad type tags (8 is the first unused one): RT_ERR_INVALID_ARGUMENT */
    const int32_t bad_tags[] = {99, -1, 8, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_tags / sizeof bad_tags[0]; i++) {
        args[0] = vi64(1);
        args[1] = vi64(2);
        args[1].type = bad_tags[i];
        out = garbage();
        CHECK_ERR(rt_exec_manager_call(h, "add", args, 2, &out), RT_ERR_INVALID_ARGUMENT);
        CHECK_TYPE(out, RT_TYPE_VOID);
    }
    /* RT_TYPE_VOID is no argument value: an argument or a type error */
    args[0] = vi64(1);
    args[1] = vi64(2);
    args[1].type = RT_TYPE_VOID;
    rt_exec_manager_clear_error();
    int32_t s = rt_exec_manager_call(h, "add", args, 2, &out);
    CHECK_MSG(s == RT_ERR_INVALID_ARGUMENT || s == RT_ERR_SIGNATURE, "call with a RT_TYPE_VOID argument returned %d %s",
              s, status_name(s));
    CHECK_LAST(s);

    /* unknown function, runtime error */
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "no_such", NULL, 0, &out), RT_ERR_NOT_FOUND);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vi64(1);
    args[1] = vi64(0);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "divide", args, 2, &out), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_TYPE(out, RT_TYPE_VOID);

    /* NULL / bad UTF-8 */
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, NULL, args, 2, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, BAD_UTF8, args, 2, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "add", NULL, 2, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_eval(void) {
    int64_t h = new_manager();
    rt_value out;

    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "timeout = 30 * 60", &out));
    CHECK_VALUE_I64(out, 1800);
    rt_value g = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "timeout", &g));
    CHECK_VALUE_I64(g, 1800);

    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "1.5 * 2", &out));
    CHECK_VALUE_F64(out, 3.0);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "1 < 2", &out));
    CHECK_VALUE_BOOL(out, 1);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "2 < 1", &out));
    CHECK_VALUE_BOOL(out, 0);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "fn e1(): 1\nfn e2(x): x * 2\n", &out));
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_EQ(rt_exec_manager_has_function(h, "e2"), 1);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "e2(21)", &out));
    CHECK_VALUE_I64(out, 42);

    /* REPL: globals persist across units; the last statement's value */
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "timeout + 1", &out));
    CHECK_VALUE_I64(out, 1801);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "timeout = timeout + 60", &out));
    CHECK_VALUE_I64(out, 1860);
    CHECK_OK(rt_exec_manager_get_global(h, "timeout", &g));
    CHECK_VALUE_I64(g, 1860);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "val seven = 7", &out));
    CHECK_VALUE_I64(out, 7);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "ratio = 0.25\nflag = ratio < 1.0\nseven * 6", &out));
    CHECK_VALUE_I64(out, 42);
    CHECK_OK(rt_exec_manager_get_global(h, "ratio", &g));
    CHECK_VALUE_F64(g, 0.25);
    CHECK_OK(rt_exec_manager_get_global(h, "flag", &g));
    CHECK_VALUE_BOOL(g, 1);
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "", &out));
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_OK(rt_exec_manager_eval(h, "timeout * 2", NULL)); /* result may be NULL */

    /* failures: same codes as compile_source, *result is RT_TYPE_VOID */
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, "1 +", &out), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:1:");
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, "1 / (timeout - 1860)", &out), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "division by zero");
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, NULL, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, BAD_UTF8, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_ERR(rt_exec_manager_eval(h, NULL, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_introspection(void) {
    int64_t h = new_manager();
    /* empty manager */
    CHECK_EQ(rt_exec_manager_function_count(h), 0);
    char *list = rt_exec_manager_list_functions(h);
    CHECK_STREQ(list, "");
    rt_string_free(list);

    compile_ok(h, "fn gamma(): 3\nfn alpha(x, y: f64) -> f64: x * y\nfn zeta():\n    return\nfn beta(b: bool) -> bool: b\n");
    CHECK_EQ(rt_exec_manager_function_count(h), 4);
    list = rt_exec_manager_list_functions(h);
    CHECK_STREQ(list, "alpha\nbeta\ngamma\nzeta");
    rt_string_free(list);
    /* a redefinition does not add a name */
    compile_ok(h, "fn gamma(): 33\nfn delta(): 4");
    CHECK_EQ(rt_exec_manager_function_count(h), 5);
    list = rt_exec_manager_list_functions(h);
    CHECK_STREQ(list, "alpha\nbeta\ndelta\ngamma\nzeta");
    rt_string_free(list);

    /* has_function: 1 or 0; absence is not an error */
    CHECK_EQ(rt_exec_manager_has_function(h, "alpha"), 1);
    rt_exec_manager_clear_error();
    CHECK_EQ(rt_exec_manager_has_function(h, "omega"), 0);
    CHECK_EQ(rt_exec_manager_has_function(h, ""), 0);
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    CHECK_EQ(rt_exec_manager_has_function(h, NULL), 0);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK_EQ(rt_exec_manager_has_function(h, BAD_UTF8), 0);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);

    /* function_signature */
    char *sig = rt_exec_manager_function_signature(h, "alpha");
    CHECK_STREQ(sig, "fn(i64, f64) -> f64");
    rt_string_free(sig);
    sig = rt_exec_manager_function_signature(h, "zeta");
    CHECK_STREQ(sig, "fn() -> void");
    rt_string_free(sig);
    sig = rt_exec_manager_function_signature(h, "beta");
    CHECK_STREQ(sig, "fn(bool) -> bool");
    rt_string_free(sig);
    sig = rt_exec_manager_function_signature(h, "gamma");
    CHECK_STREQ(sig, "fn() -> i64");
    rt_string_free(sig);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_function_signature(h, "omega") == NULL);
    CHECK_LAST(RT_ERR_NOT_FOUND);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_function_signature(h, NULL) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_exec_manager_function_signature(h, BAD_UTF8) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);

    /* get_global */
    rt_value g = garbage();
    CHECK_ERR(rt_exec_manager_get_global(h, "absent", &g), RT_ERR_NOT_FOUND);
    CHECK_TYPE(g, RT_TYPE_VOID);
    compile_ok(h, "present = 3\npi_ish = 3.25\nyes = 2 > 1\n");
    CHECK_OK(rt_exec_manager_get_global(h, "present", &g));
    CHECK_VALUE_I64(g, 3);
    CHECK_OK(rt_exec_manager_get_global(h, "pi_ish", &g));
    CHECK_VALUE_F64(g, 3.25);
    CHECK_OK(rt_exec_manager_get_global(h, "yes", &g));
    CHECK_VALUE_BOOL(g, 1);
    g = garbage();
    CHECK_ERR(rt_exec_manager_get_global(h, "alpha", &g), RT_ERR_NOT_FOUND); /* a function, not a global */
    CHECK_TYPE(g, RT_TYPE_VOID);
    CHECK_ERR(rt_exec_manager_get_global(h, "present", NULL), RT_ERR_INVALID_ARGUMENT);
    g = garbage();
    CHECK_ERR(rt_exec_manager_get_global(h, NULL, &g), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(g, RT_TYPE_VOID);
    g = garbage();
    CHECK_ERR(rt_exec_manager_get_global(h, BAD_UTF8, &g), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(g, RT_TYPE_VOID);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_opt_level(void) {
    int64_t h = new_manager();
    CHECK_EQ(rt_exec_manager_get_opt_level(h), 2);
    for (int32_t level = 0; level <= 3; level++) {
        CHECK_OK(rt_exec_manager_set_opt_level(h, level));
        CHECK_EQ(rt_exec_manager_get_opt_level(h), level);
        /* code compiles and runs at every level */
        char src[128];
        snprintf(src, sizeof src, "fn at_level_%d(x): x^2 + 2*x + 1", level);
        compile_ok(h, src);
        char name[32];
        snprintf(name, sizeof name, "at_level_%d", level);
        int64_t five = 5;
        CHECK_EQ(exec_i64(h, name, &five, 1), 36);
    }
    CHECK_OK(rt_exec_manager_set_opt_level(h, 1));
    const int32_t bad[] = {-1, 4, 5, 255, 256, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_exec_manager_clear_error();
        CHECK_ERR(rt_exec_manager_set_opt_level(h, bad[i]), RT_ERR_INVALID_ARGUMENT);
        CHECK_EQ(rt_exec_manager_get_opt_level(h), 1);
    }
    /* code compiled at an earlier level is kept */
    int64_t five = 5;
    CHECK_EQ(exec_i64(h, "at_level_0", &five, 1), 36);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* Hostile sources come back as errors: never a crash, never RT_ERR_INTERNAL. */
/* `unit` x times, then `middle`, then `suffix_unit` x times. */
static char *repeat(const char *middle, const char *unit, size_t times, const char *suffix_unit) {
    size_t ul = strlen(unit), sl = strlen(suffix_unit), pl = strlen(middle);
    char *s = malloc(pl + times * (ul + sl) + 1);
    CHECK(s != NULL);
    if (s == NULL) _exit(1);
    char *p = s;
    for (size_t i = 0; i < times; i++, p += ul) memcpy(p, unit, ul);
    memcpy(p, middle, pl);
    p += pl;
    for (size_t i = 0; i < times; i++, p += sl) memcpy(p, suffix_unit, sl);
    *p = '\0';
    return s;
}

static void group_hostile_sources(void) {
    int64_t h = main_manager();
    char *sources[] = {
        repeat("1", "(", 100000, ")"),          /* deep parentheses */
        repeat("1", "-", 100000, ""),           /* deep unary minus */
        repeat("true", "not ", 50000, ""),      /* deep not */
        repeat("1", "2^", 50000, ""),           /* deep right-associative power */
        repeat("1", "f(", 50000, ")"),          /* deep calls */
        repeat("x = 1", "if true:\n ", 3000, ""), /* deep blocks (one space more each line) */
        strdup("99999999999999999999"),
        strdup("fn f(x): x^2 + 2*x + 1\nfn f(x, y): x"),
        strdup("fn"),
        strdup(":"),
        strdup("\n\n\n    \n"),
        strdup("fn w():\n\twhile true: 1\n"),
        strdup("(1"),
        strdup("\"unterminated"),
        strdup("x = \"\\u{110000}\""),
        strdup("fn add(a, b): a + b\nadd(1)"),
    };
    /* the deep-blocks source: indent each `if` one more space */
    {
        size_t depth = 3000, cap = depth * (depth + 16) / 2 + depth * 16 + 64;
        char *b = malloc(cap), *p = b;
        if (b == NULL) _exit(1);
        for (size_t i = 0; i < depth; i++) {
            memset(p, ' ', i);
            p += i;
            p += sprintf(p, "if true:\n");
        }
        memset(p, ' ', depth);
        p += depth;
        sprintf(p, "x_deep = 1\n");
        free(sources[5]);
        sources[5] = b;
    }
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        rt_value out = garbage();
        rt_exec_manager_clear_error();
        int32_t s = rt_exec_manager_eval(h, sources[i], &out);
        char shown[48];
        snprintf(shown, sizeof shown, "%s", sources[i]);
        CHECK_MSG(s == RT_ERR_COMPILE || s == RT_ERR_RUNTIME || s == RT_OK,
                  "eval of hostile source #%zu (\"%s...\") returned %d %s", i, shown, s, status_name(s));
        if (s != RT_OK) {
            CHECK_LAST(s);
            CHECK_TYPE(out, RT_TYPE_VOID);
        }
        free(sources[i]);
    }
    /* the manager is fine */
    int64_t five = 5;
    CHECK_EQ(exec_i64(h, "f", &five, 1), 36);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* Every function that takes a handle, with handles that are not live. */
static void group_bad_handles(void) {
    char path[64];
    temp_file(path, sizeof path, ".rt", "fn from_bad_handle_file(): 1\n");
    static const char mir[] = "mir 1\n";
    for (size_t i = 0; i < N_BAD_HANDLES; i++) {
        int64_t h = bad_handles[i];
        int64_t args[2] = {1, 2}, r = 777;
        rt_value vargs[2] = {vi64(1), vi64(2)};
        rt_value out;
        const char *sargs[1] = {"x"};
        char label[64];
        snprintf(label, sizeof label, "handle %lld", (long long)h);

        rt_exec_manager_clear_error();
        CHECK_MSG(rt_exec_manager_is_valid(h) == 0, "%s: is_valid is not 0", label);
        CHECK_MSG(rt_last_error_code() == RT_OK, "%s: is_valid set an error", label);

#define CHECK_BAD(call)                                                                                                \
    do {                                                                                                               \
        rt_exec_manager_clear_error();                                                                                 \
        int32_t s_ = (call);                                                                                           \
        CHECK_MSG(s_ == RT_ERR_INVALID_HANDLE, "%s: `%s` returned %d %s, expected RT_ERR_INVALID_HANDLE", label,       \
                  #call, s_, status_name(s_));                                                                         \
        CHECK_LAST(RT_ERR_INVALID_HANDLE);                                                                             \
    } while (0)
#define CHECK_BAD_VALUE(call, fallback)                                                                                \
    do {                                                                                                               \
        rt_exec_manager_clear_error();                                                                                 \
        long long v_ = (long long)(call);                                                                              \
        CHECK_MSG(v_ == (long long)(fallback), "%s: `%s` returned %lld, expected %lld", label, #call, v_,              \
                  (long long)(fallback));                                                                              \
        CHECK_LAST(RT_ERR_INVALID_HANDLE);                                                                             \
    } while (0)
#define CHECK_BAD_NULL(call)                                                                                           \
    do {                                                                                                               \
        rt_exec_manager_clear_error();                                                                                 \
        char *p_ = (call);                                                                                             \
        CHECK_MSG(p_ == NULL, "%s: `%s` returned \"%s\", expected NULL", label, #call, p_ ? p_ : "");                  \
        CHECK_LAST(RT_ERR_INVALID_HANDLE);                                                                             \
    } while (0)

        CHECK_BAD(rt_exec_manager_cleanup(h));
        CHECK_BAD_VALUE(rt_exec_manager_get_backend(h), RT_BACKEND_UNKNOWN);
        CHECK_BAD(rt_exec_manager_compile_source(h, "fn x(): 1"));
        CHECK_BAD(rt_exec_manager_compile_mir(h, (const uint8_t *)mir, strlen(mir)));
        CHECK_BAD(rt_exec_manager_compile_file(h, path));
        CHECK_BAD(rt_exec_manager_execute(h, "add", args, 2, &r));
        CHECK_MSG(r == 777, "%s: execute changed *result on failure", label);
        CHECK_BAD_NULL(rt_exec_manager_execute_string(h, "add", sargs, 1));
        CHECK_BAD(rt_exec_manager_execute_void(h, "answer"));
        out = garbage();
        CHECK_BAD(rt_exec_manager_call(h, "add", vargs, 2, &out));
        CHECK_TYPE(out, RT_TYPE_VOID);
        out = garbage();
        CHECK_BAD(rt_exec_manager_eval(h, "1 + 1", &out));
        CHECK_TYPE(out, RT_TYPE_VOID);
        CHECK_BAD_VALUE(rt_exec_manager_has_function(h, "add"), 0);
        CHECK_BAD_NULL(rt_exec_manager_list_functions(h));
        CHECK_BAD_NULL(rt_exec_manager_function_signature(h, "add"));
        CHECK_BAD_VALUE(rt_exec_manager_function_count(h), -1);
        CHECK_BAD(rt_exec_manager_set_opt_level(h, 1));
        CHECK_BAD_VALUE(rt_exec_manager_get_opt_level(h), -1);
        out = garbage();
        CHECK_BAD(rt_exec_manager_get_global(h, "timeout", &out));
        CHECK_TYPE(out, RT_TYPE_VOID);
#undef CHECK_BAD
#undef CHECK_BAD_VALUE
#undef CHECK_BAD_NULL
    }
    unlink(path);
}

/* A loop of create/compile/execute/cleanup keeps a flat resident size. */
static long resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    long size = 0, resident = -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void one_lifecycle(int i) {
    int64_t h = rt_exec_manager_create();
    CHECK_MSG(h > 0, "iteration %d: create returned %lld", i, (long long)h);
    char src[512];
    snprintf(src, sizeof src,
             "limit = %d\n"
             "fn f(x): x^2 + 2*x + 1\n"
             "fn g(x: f64) -> f64: x * 0.5 + limit\n"
             "fn loop(n):\n"
             "    var s = 0\n"
             "    for i in 0..n:\n"
             "        s += i\n"
             "    return s\n",
             i);
    CHECK_OK(rt_exec_manager_compile_source(h, src));
    int64_t five = 5, r = 0;
    CHECK_OK(rt_exec_manager_execute(h, "f", &five, 1, &r));
    CHECK_EQ(r, 36);
    int64_t n = 100;
    CHECK_OK(rt_exec_manager_execute(h, "loop", &n, 1, &r));
    CHECK_EQ(r, 4950);
    rt_value a = vf64(3.0), out;
    CHECK_OK(rt_exec_manager_call(h, "g", &a, 1, &out));
    CHECK_VALUE_F64(out, 1.5 + i);
    CHECK_OK(rt_exec_manager_eval(h, "limit * 2", &out));
    CHECK_VALUE_I64(out, 2 * i);
    char *list = rt_exec_manager_list_functions(h);
    CHECK_STREQ(list, "f\ng\nloop");
    rt_string_free(list);
    char *sig = rt_exec_manager_function_signature(h, "g");
    CHECK_STREQ(sig, "fn(f64) -> f64");
    rt_string_free(sig);
    /* the error paths too */
    CHECK_ERR(rt_exec_manager_compile_source(h, "fn broken(: 1"), RT_ERR_COMPILE);
    CHECK_ERR(rt_exec_manager_eval(h, "1 / (limit - limit)", &out), RT_ERR_RUNTIME);
    CHECK_ERR(rt_exec_manager_execute(h, "nope", NULL, 0, &r), RT_ERR_NOT_FOUND);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* Under FFI_SLOW (valgrind, see check.h) the memory loops run a hundredth of
 * their iterations, to keep each leak path exercised in a few seconds, and
 * the resident size, then valgrind's own, is printed but not checked. */
static void check_growth(long growth, long limit, const char *what, int iterations, long before, long after) {
    if (check_slow()) return;
    CHECK_MSG(growth <= limit, "%s: resident size grew by %ld KiB over %d iterations (limit %ld KiB): %ld KiB -> %ld KiB",
              what, growth / 1024, iterations, limit / 1024, before / 1024, after / 1024);
}

static void group_memory(void) {
    const int warmup = SLOW_OR(3, 300), iterations = SLOW_OR(30, 3000);
    for (int i = 0; i < warmup; i++) one_lifecycle(i);
    long before = resident_bytes();
    CHECK(before > 0);
    for (int i = 0; i < iterations; i++) {
        one_lifecycle(i);
        if ((i + 1) % 1000 == 0) {
            printf("api:        memory: after %d more iterations resident %ld KiB\n", i + 1, resident_bytes() / 1024);
        }
    }
    long after = resident_bytes();
    long growth = after - before;
    printf("api:        memory: resident %ld KiB after %d warm-up iterations, %ld KiB after %d more (%+ld KiB)\n",
           before / 1024, warmup, after / 1024, iterations, growth / 1024);
    check_growth(growth, 4L * 1024 * 1024, "create/compile/execute/cleanup", iterations, before, after);
}

/* ------------------------------------------------------------------ text */

/* Text functions; line numbers matter for the runtime errors. */
static const char *const TEXT_UNIT =
    "fn greet(name: text) -> text: \"Hello, \" + name + \"!\"\n"                  /* 1 */
    "fn join3(a: text, b: text, c: text) -> text: a + \"-\" + b + \"-\" + c\n"     /* 2 */
    "fn constant() -> text: \"constant\"\n"                                       /* 3 */
    "fn empty() -> text: \"\"\n"                                                  /* 4 */
    "fn tlen(s: text) -> i64: len(s)\n"                                           /* 5 */
    "fn mixed(s: text, n) -> text: s + str(n)\n"                                  /* 6 */
    "fn with_nul(s: text) -> text: s + \"\\0hidden\"\n"                           /* 7 */
    "fn doubled(s: text) -> text:\n"                                              /* 8 */
    "    return str(int(s) * 2)\n"                                                /* 9 */
    "fn as_float(s: text) -> f64: float(s)\n"                                     /* 10 */
    "fn is_yes(s: text) -> bool: s == \"yes\"\n"                                  /* 11 */
    "var last = \"\"\n"                                                           /* 12 */
    "fn remember(s: text) -> text:\n"                                             /* 13 */
    "    last = s\n"                                                              /* 14 */
    "    return last\n"                                                           /* 15 */
    "fn twice(s: text) -> text: s + s\n"                                          /* 16 */
    "fn count(n) -> i64: n\n"                                                     /* 17 */
    "fn shout(s: text):\n"                                                        /* 18 */
    "    last = s + \"!\"\n";                                                     /* 19 */

static int64_t text_manager(void) {
    int64_t h = new_manager();
    compile_ok(h, TEXT_UNIT);
    return h;
}

static rt_value vtext(const char *s) {
    rt_value v;
    memset(&v, 0, sizeof v);
    v.type = RT_TYPE_TEXT;
    v.as.text = s;
    return v;
}

/* Frees the string of a RT_TYPE_TEXT value the library returned. */
static void free_value(rt_value *v) {
    if (v->type == RT_TYPE_TEXT) {
        rt_string_free((char *)v->as.text);
        v->as.text = NULL;
    }
}

/* execute_string that must succeed with `expected`; frees the result. */
static void exec_string_is(int64_t h, const char *name, const char *const *args, size_t nargs, const char *expected) {
    rt_exec_manager_clear_error();
    char *r = rt_exec_manager_execute_string(h, name, args, nargs);
    CHECK_MSG(r != NULL, "execute_string(%s) returned NULL, expected \"%s\"", name, expected);
    CHECK_STREQ(r, expected);
    CHECK_STATUS(rt_last_error_code(), RT_OK);
    rt_string_free(r);
}

/* execute_string that must fail with `code`: NULL and the last error set. */
static void exec_string_fails(int64_t h, const char *name, const char *const *args, size_t nargs, int32_t code) {
    rt_exec_manager_clear_error();
    char *r = rt_exec_manager_execute_string(h, name, args, nargs);
    CHECK_MSG(r == NULL, "execute_string(%s) returned \"%s\", expected NULL with %s", name, r ? r : "", status_name(code));
    rt_string_free(r);
    CHECK_LAST(code);
}

static void group_execute_string_text(void) {
    int64_t h = text_manager();

    /* Happy path: one, two, three arguments and none. */
    const char *world[1] = {"World"};
    exec_string_is(h, "greet", world, 1, "Hello, World!");
    const char *abc[3] = {"a", "b", "c"};
    exec_string_is(h, "join3", abc, 3, "a-b-c");
    const char *empties[3] = {"", "", ""};
    exec_string_is(h, "join3", empties, 3, "--");
    exec_string_is(h, "constant", NULL, 0, "constant");
    const char *unused[1] = {"ignored"};
    exec_string_is(h, "constant", unused, 0, "constant"); /* nargs 0: args not read */
    exec_string_is(h, "empty", NULL, 0, "");               /* "" is a string, not NULL */
    const char *utf8[1] = {"w\xc3\xb6rld \xe2\x82\xac\xf0\x9f\x98\x80"}; /* wörld €😀 */
    exec_string_is(h, "greet", utf8, 1, "Hello, w\xc3\xb6rld \xe2\x82\xac\xf0\x9f\x98\x80!");
    const char *twenty_one[1] = {" 21 "};
    exec_string_is(h, "doubled", twenty_one, 1, "42");

    /* A long argument and result. */
    char *long_arg = malloc(5001);
    CHECK(long_arg != NULL);
    if (long_arg == NULL) _exit(1);
    memset(long_arg, 'q', 5000);
    long_arg[5000] = '\0';
    const char *long_args[1] = {long_arg};
    char *r = rt_exec_manager_execute_string(h, "twice", long_args, 1);
    CHECK(r != NULL);
    CHECK_EQ(r ? strlen(r) : 0, 10000);
    CHECK(r != NULL && r[0] == 'q' && r[9999] == 'q');
    rt_string_free(r);
    free(long_arg);

    /* Each result is a new string: two results are independent. */
    char *r1 = rt_exec_manager_execute_string(h, "greet", world, 1);
    char *r2 = rt_exec_manager_execute_string(h, "greet", world, 1);
    CHECK(r1 != NULL && r2 != NULL && r1 != r2);
    if (r1 != NULL) r1[0] = 'J'; /* the caller owns it */
    CHECK_STREQ(r2, "Hello, World!");
    rt_string_free(r1);
    CHECK_STREQ(r2, "Hello, World!");
    rt_string_free(r2);

    /* Arguments are borrowed: the library copies what it keeps. */
    char buf[32];
    snprintf(buf, sizeof buf, "kept");
    const char *keep[1] = {buf};
    exec_string_is(h, "remember", keep, 1, "kept");
    memset(buf, 'X', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    rt_value g;
    CHECK_OK(rt_exec_manager_get_global(h, "last", &g));
    CHECK_VALUE_TEXT(g, "kept");
    free_value(&g);

    /* A text holding NUL is cut at the first NUL. */
    const char *ab[1] = {"ab"};
    exec_string_is(h, "with_nul", ab, 1, "ab");

    /* Runtime errors: NULL, RT_ERR_RUNTIME, the message names text, function and line. */
    const char *bad[1] = {"12x"};
    exec_string_fails(h, "doubled", bad, 1, RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"12x\" in doubled at line 9");
    const char *empty_arg[1] = {""};
    exec_string_fails(h, "doubled", empty_arg, 1, RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"\" in doubled at line 9");
    exec_string_is(h, "doubled", twenty_one, 1, "42"); /* still usable */

    /* Wrong argument count: RT_ERR_SIGNATURE and NULL. */
    exec_string_fails(h, "greet", NULL, 0, RT_ERR_SIGNATURE);
    exec_string_fails(h, "greet", abc, 2, RT_ERR_SIGNATURE);
    exec_string_fails(h, "join3", abc, 2, RT_ERR_SIGNATURE);
    exec_string_fails(h, "constant", abc, 1, RT_ERR_SIGNATURE);

    /* Functions that are not all-text: RT_ERR_SIGNATURE and NULL. */
    const char *hello[1] = {"hello"};
    exec_string_fails(h, "tlen", hello, 1, RT_ERR_SIGNATURE);     /* text -> i64 */
    exec_string_fails(h, "is_yes", hello, 1, RT_ERR_SIGNATURE);   /* text -> bool */
    exec_string_fails(h, "as_float", hello, 1, RT_ERR_SIGNATURE); /* text -> f64 */
    const char *mixed_args[2] = {"n", "5"};
    exec_string_fails(h, "mixed", mixed_args, 2, RT_ERR_SIGNATURE); /* (text, i64) -> text */
    const char *five[1] = {"5"};
    exec_string_fails(h, "count", five, 1, RT_ERR_SIGNATURE);   /* i64 -> i64 */
    exec_string_fails(h, "shout", hello, 1, RT_ERR_SIGNATURE);  /* text -> void */
    exec_string_fails(h, "no_such_text_fn", hello, 1, RT_ERR_NOT_FOUND);

    /* NULL and bad UTF-8: in the array, in an element, in the name. */
    const char *null_elem[3] = {"a", NULL, "c"};
    exec_string_fails(h, "join3", null_elem, 3, RT_ERR_INVALID_ARGUMENT);
    const char *null_first[1] = {NULL};
    exec_string_fails(h, "greet", null_first, 1, RT_ERR_INVALID_ARGUMENT);
    const char *bad_utf8[1] = {BAD_UTF8};
    exec_string_fails(h, "greet", bad_utf8, 1, RT_ERR_INVALID_ARGUMENT);
    const char *bad_later[3] = {"a", "b", "\xc3\x28"};
    exec_string_fails(h, "join3", bad_later, 3, RT_ERR_INVALID_ARGUMENT);
    exec_string_fails(h, "greet", NULL, 1, RT_ERR_INVALID_ARGUMENT);
    exec_string_fails(h, NULL, world, 1, RT_ERR_INVALID_ARGUMENT);
    exec_string_fails(h, BAD_UTF8, world, 1, RT_ERR_INVALID_ARGUMENT);
    /* None of the failures stored anything. */
    CHECK_OK(rt_exec_manager_get_global(h, "last", &g));
    CHECK_VALUE_TEXT(g, "kept");
    free_value(&g);
    exec_string_is(h, "greet", world, 1, "Hello, World!");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_call_text(void) {
    int64_t h = text_manager();
    rt_value out, args[3];

    args[0] = vtext("Ann");
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "greet", args, 1, &out));
    CHECK_VALUE_TEXT(out, "Hello, Ann!");
    free_value(&out);

    args[0] = vtext("x");
    args[1] = vtext("");
    args[2] = vtext("\xc3\xa9"); /* é */
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "join3", args, 3, &out));
    CHECK_VALUE_TEXT(out, "x--\xc3\xa9");
    free_value(&out);

    /* text arguments with other result types */
    args[0] = vtext("h\xc3\xa9llo");
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "tlen", args, 1, &out));
    CHECK_VALUE_I64(out, 6); /* bytes */
    args[0] = vtext("yes");
    CHECK_OK(rt_exec_manager_call(h, "is_yes", args, 1, &out));
    CHECK_VALUE_BOOL(out, 1);
    args[0] = vtext("no");
    CHECK_OK(rt_exec_manager_call(h, "is_yes", args, 1, &out));
    CHECK_VALUE_BOOL(out, 0);
    args[0] = vtext(" 2.5e-3 ");
    CHECK_OK(rt_exec_manager_call(h, "as_float", args, 1, &out));
    CHECK_VALUE_F64(out, 0.0025);

    /* mixed text and i64 arguments */
    args[0] = vtext("n=");
    args[1] = vi64(-5);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "mixed", args, 2, &out));
    CHECK_VALUE_TEXT(out, "n=-5");
    free_value(&out);

    /* a text result from an i64 argument; no arguments; the empty text */
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "constant", NULL, 0, &out));
    CHECK_VALUE_TEXT(out, "constant");
    free_value(&out);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "empty", NULL, 0, &out));
    CHECK_VALUE_TEXT(out, "");
    CHECK(out.as.text != NULL);
    free_value(&out);

    /* a text holding NUL is cut at the first NUL */
    args[0] = vtext("cut");
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "with_nul", args, 1, &out));
    CHECK_VALUE_TEXT(out, "cut");
    free_value(&out);

    /* a void function with a text argument; result NULL for a text result */
    args[0] = vtext("hey");
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "shout", args, 1, &out));
    CHECK_TYPE(out, RT_TYPE_VOID);
    rt_value g;
    CHECK_OK(rt_exec_manager_get_global(h, "last", &g));
    CHECK_VALUE_TEXT(g, "hey!");
    free_value(&g);
    args[0] = vtext("dropped");
    CHECK_OK(rt_exec_manager_call(h, "remember", args, 1, NULL));
    CHECK_OK(rt_exec_manager_get_global(h, "last", &g));
    CHECK_VALUE_TEXT(g, "dropped");
    free_value(&g);

    /* the argument is borrowed: the global keeps its own copy */
    char buf[16];
    snprintf(buf, sizeof buf, "mine");
    args[0] = vtext(buf);
    out = garbage();
    CHECK_OK(rt_exec_manager_call(h, "remember", args, 1, &out));
    CHECK_VALUE_TEXT(out, "mine");
    free_value(&out);
    memcpy(buf, "XXXX", 5);
    CHECK_OK(rt_exec_manager_get_global(h, "last", &g));
    CHECK_VALUE_TEXT(g, "mine");
    free_value(&g);

    /* a runtime error: RT_ERR_RUNTIME, *result RT_TYPE_VOID, the exact message */
    args[0] = vtext("bad");
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "doubled", args, 1, &out), RT_ERR_RUNTIME);
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"bad\" in doubled at line 9");
    args[0] = vtext("x");
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "as_float", args, 1, &out), RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"x\" in as_float at line 10");
    CHECK_TYPE(out, RT_TYPE_VOID);

    /* type mismatches both ways: RT_ERR_SIGNATURE, *result RT_TYPE_VOID */
    args[0] = vi64(1);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 1, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vtext("1");
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "count", args, 1, &out), RT_ERR_SIGNATURE);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vf64(1.0);
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 1, &out), RT_ERR_SIGNATURE);
    args[0] = vbool(1);
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 1, &out), RT_ERR_SIGNATURE);
    args[0] = vtext("n");
    args[1] = vtext("5");
    CHECK_ERR(rt_exec_manager_call(h, "mixed", args, 2, &out), RT_ERR_SIGNATURE);
    args[0] = vtext("a");
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 2, &out), RT_ERR_SIGNATURE); /* count */

    /* a NULL or non-UTF-8 text: RT_ERR_INVALID_ARGUMENT */
    args[0] = vtext(NULL);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 1, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);
    args[0] = vtext(BAD_UTF8);
    out = garbage();
    CHECK_ERR(rt_exec_manager_call(h, "greet", args, 1, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_TYPE(out, RT_TYPE_VOID);

    /* execute passes integers only: text functions are RT_ERR_SIGNATURE */
    int64_t r = 777, one = 1;
    CHECK_ERR(rt_exec_manager_execute(h, "greet", &one, 1, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "tlen", &one, 1, &r), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_exec_manager_execute(h, "constant", NULL, 0, &r), RT_ERR_SIGNATURE);
    CHECK_EQ(r, 777);

    /* signatures name text */
    char *sig = rt_exec_manager_function_signature(h, "mixed");
    CHECK_STREQ(sig, "fn(text, i64) -> text");
    rt_string_free(sig);
    sig = rt_exec_manager_function_signature(h, "shout");
    CHECK_STREQ(sig, "fn(text) -> void");
    rt_string_free(sig);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

static void group_eval_text(void) {
    int64_t h = new_manager();
    rt_value out, g;

    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "\"abc\"", &out));
    CHECK_VALUE_TEXT(out, "abc");
    free_value(&out);

    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "name = \"Ann\" + \" \" + \"Lee\"", &out));
    CHECK_VALUE_TEXT(out, "Ann Lee");
    free_value(&out);
    g = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "name", &g));
    CHECK_VALUE_TEXT(g, "Ann Lee");
    /* each read is a new string */
    rt_value g2 = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "name", &g2));
    CHECK_VALUE_TEXT(g2, "Ann Lee");
    CHECK(g.as.text != g2.as.text);
    free_value(&g);
    CHECK_STREQ(g2.as.text, "Ann Lee");
    free_value(&g2);

    /* escapes, UTF-8, str() of each type */
    static const struct {
        const char *source, *expected;
    } cases[] = {
        {"\"tab\\there\"", "tab\there"},
        {"\"caf\\u{e9}\"", "caf\xc3\xa9"},
        {"\"say \\\"hi\\\"\"", "say \"hi\""},
        {"\"back\\\\slash\"", "back\\slash"},
        {"\"\\u{48}\\u{1F600}\"", "H\xf0\x9f\x98\x80"},
        {"\"line\\nbreak\\r\"", "line\nbreak\r"},
        {"str(42)", "42"},
        {"str(-9223372036854775808)", "-9223372036854775808"},
        {"str(1.0)", "1.0"},
        {"str(0.1)", "0.1"},
        {"str(1e16)", "1e16"},
        {"str(0.0 / 0)", "NaN"},
        {"str(1.0 / 0)", "inf"},
        {"str(2 > 1)", "true"},
        {"str(false)", "false"},
        {"\"\"", ""},
        {"name + \"!\"", "Ann Lee!"},
        {"\"cut\\0here\"", "cut"}, /* cut at the first NUL */
        {"\"\\0starts with NUL\"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        out = garbage();
        int32_t s = rt_exec_manager_eval(h, cases[i].source, &out);
        CHECK_MSG(s == RT_OK, "eval(%s) returned %d %s", cases[i].source, s, status_name(s));
        CHECK_VALUE_TEXT(out, cases[i].expected);
        CHECK_MSG(out.type != RT_TYPE_TEXT || out.as.text != NULL, "eval(%s): a text result is never NULL",
                  cases[i].source);
        free_value(&out);
    }

    /* numbers from text */
    out = garbage();
    CHECK_OK(rt_exec_manager_eval(h, "len(\"h\\u{e9}llo\")", &out));
    CHECK_VALUE_I64(out, 6);
    CHECK_OK(rt_exec_manager_eval(h, "int(\" -42 \")", &out));
    CHECK_VALUE_I64(out, -42);
    CHECK_OK(rt_exec_manager_eval(h, "float(\"1e3\")", &out));
    CHECK_VALUE_F64(out, 1000.0);
    CHECK_OK(rt_exec_manager_eval(h, "\"abc\" < \"abd\"", &out));
    CHECK_VALUE_BOOL(out, 1);

    /* a global holding NUL: get_global cuts it too */
    CHECK_OK(rt_exec_manager_eval(h, "with_nul = \"a\\0b\"\nlen(with_nul)", &out));
    CHECK_VALUE_I64(out, 3); /* the text itself keeps all three bytes */
    g = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "with_nul", &g));
    CHECK_VALUE_TEXT(g, "a");
    free_value(&g);

    /* the zero value of a text global is "" */
    CHECK_OK(rt_exec_manager_eval(h, "if false:\n    never_set = \"x\"\n", NULL));
    g = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "never_set", &g));
    CHECK_VALUE_TEXT(g, "");
    free_value(&g);

    /* errors: the exact runtime message; compile errors for text misuse */
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, "int(\"12x\")", &out), RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"12x\" in top-level code at line 1");
    CHECK_TYPE(out, RT_TYPE_VOID);
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, "\"a\" + 1", &out), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt_exec_manager_get_last_error(), "<source>:1:");
    CHECK_TYPE(out, RT_TYPE_VOID);
    CHECK_ERR(rt_exec_manager_eval(h, "if \"a\": x = 1", &out), RT_ERR_COMPILE);
    CHECK_ERR(rt_exec_manager_eval(h, "\"unterminated", &out), RT_ERR_COMPILE);
    CHECK_ERR(rt_exec_manager_eval(h, "\"\\q\"", &out), RT_ERR_COMPILE);

    /* atomic: a failing unit leaves a text global's value */
    out = garbage();
    CHECK_ERR(rt_exec_manager_eval(h, "name = \"changed\"\nnew_text = \"new\"\nx = int(name)\n", &out), RT_ERR_RUNTIME);
    CHECK_STREQ(rt_exec_manager_get_last_error(), "invalid number \"changed\" in top-level code at line 3");
    CHECK_TYPE(out, RT_TYPE_VOID);
    g = garbage();
    CHECK_OK(rt_exec_manager_get_global(h, "name", &g));
    CHECK_VALUE_TEXT(g, "Ann Lee");
    free_value(&g);
    g = garbage();
    CHECK_ERR(rt_exec_manager_get_global(h, "new_text", &g), RT_ERR_NOT_FOUND);
    CHECK_TYPE(g, RT_TYPE_VOID);

    /* text globals persist across units and are seen by functions */
    compile_ok(h, "fn hello() -> text: \"hi \" + name\n");
    CHECK_OK(rt_exec_manager_eval(h, "name = \"Bo\"", NULL));
    exec_string_is(h, "hello", NULL, 0, "hi Bo");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* Resident-size growth in bytes over `iterations` calls of `body`, after a warm-up. */
static long growth_over(void (*body)(int64_t, int), int64_t h, int warmup, int iterations, long *before,
                        long *after) {
    for (int i = 0; i < warmup; i++) body(h, i);
    *before = resident_bytes();
    for (int i = 0; i < iterations; i++) body(h, i);
    *after = resident_bytes();
    CHECK(*before > 0 && *after > 0);
    return *after - *before;
}

static void text_via_execute_string(int64_t h, int i) {
    static char arg[501];
    if (arg[0] == '\0') memset(arg, 'e', 500);
    const char *args[1] = {arg};
    char *r = rt_exec_manager_execute_string(h, "twice", args, 1);
    CHECK_MSG(r != NULL && strlen(r) == 1000, "execute_string iteration %d", i);
    rt_string_free(r);
}

static void text_via_eval(int64_t h, int i) {
    rt_value out = garbage();
    int32_t s = rt_exec_manager_eval(h, "big", &out);
    CHECK_MSG(s == RT_OK && out.type == RT_TYPE_TEXT && strlen(out.as.text) == 4000, "eval iteration %d", i);
    free_value(&out);
}

static void text_via_get_global(int64_t h, int i) {
    rt_value g = garbage();
    int32_t s = rt_exec_manager_get_global(h, "big", &g);
    CHECK_MSG(s == RT_OK && g.type == RT_TYPE_TEXT && strlen(g.as.text) == 4000, "get_global iteration %d", i);
    free_value(&g);
}

static void text_via_call(int64_t h, int i) {
    rt_value a = vtext("0123456789"), out = garbage();
    int32_t s = rt_exec_manager_call(h, "grow", &a, 1, &out);
    CHECK_MSG(s == RT_OK && out.type == RT_TYPE_TEXT && strlen(out.as.text) == 4000, "call iteration %d", i);
    free_value(&out);
}

static void text_via_call_discarding(int64_t h, int i) {
    rt_value a = vtext("0123456789");
    int32_t s = rt_exec_manager_call(h, "grow", &a, 1, NULL);
    CHECK_MSG(s == RT_OK, "call(result NULL) iteration %d returned %d %s", i, s, status_name(s));
}

static void text_via_eval_discarding(int64_t h, int i) {
    int32_t s = rt_exec_manager_eval(h, "big", NULL);
    CHECK_MSG(s == RT_OK, "eval(result NULL) iteration %d returned %d %s", i, s, status_name(s));
}

static void text_via_failing_call(int64_t h, int i) {
    static char arg[2001];
    if (arg[0] == '\0') memset(arg, 'z', 2000);
    rt_value a = vtext(arg), out = garbage();
    int32_t s = rt_exec_manager_call(h, "doubled", &a, 1, &out);
    CHECK_MSG(s == RT_ERR_RUNTIME && out.type == RT_TYPE_VOID, "failing call iteration %d returned %d", i, s);
}

static void group_text_memory(void) {
    int64_t h = text_manager();
    compile_ok(h,
               "fn grow(s: text) -> text:\n"
               "    var r = \"\"\n"
               "    while len(r) < 4000:\n"
               "        r += s\n"
               "    return r\n"
               "val big = grow(\"0123456789\")\n");
    const long limit = 4L * 1024 * 1024;
    static const struct {
        const char *what;
        void (*body)(int64_t, int);
        int warmup, iterations;
    } loops[] = {
        {"execute_string with a 1000-byte result, freed", text_via_execute_string, 2000, 20000},
        {"eval with a 4000-byte text result, freed", text_via_eval, 300, 5000},
        {"get_global of a 4000-byte text, freed", text_via_get_global, 2000, 20000},
        {"call with a 4000-byte text result, freed", text_via_call, 2000, 20000},
        {"call of a text function with result NULL", text_via_call_discarding, 2000, 20000},
        {"eval of a text with result NULL", text_via_eval_discarding, 300, 5000},
        {"a call failing with a 2000-byte text in its message", text_via_failing_call, 2000, 20000},
    };
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        const int warmup = SLOW_OR(loops[i].warmup / 100, loops[i].warmup);
        const int iterations = SLOW_OR(loops[i].iterations / 100, loops[i].iterations);
        long before = 0, after = 0;
        long growth = growth_over(loops[i].body, h, warmup, iterations, &before, &after);
        printf("api:        text memory: %s: %+ld KiB over %d iterations\n", loops[i].what, growth / 1024, iterations);
        check_growth(growth, limit, loops[i].what, iterations, before, after);
    }
    rt_exec_manager_clear_error(); /* the failing calls left a 2000-byte message */
    CHECK_OK(rt_exec_manager_cleanup(h));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("api: rtjit version %s\n", rt_version());

    /* a stale handle: issued, then cleaned up */
    int64_t stale = rt_exec_manager_create();
    CHECK(stale > 0);
    CHECK_OK(rt_exec_manager_cleanup(stale));
    bad_handles[N_BAD_HANDLES - 1] = stale;

    RUN_GROUP(group_version_and_strings, "rt_version, rt_string_free(NULL)");
    RUN_GROUP(group_backends, "rt_set_jit_backend / rt_get_jit_backend");
    RUN_GROUP(group_last_error, "get_last_error / clear_error / rt_last_error_code");
    RUN_GROUP(group_create_cleanup, "create / create_with_backend / cleanup / is_valid / get_backend");
    RUN_GROUP(group_compile_source, "compile_source");
    RUN_GROUP(group_execute_string_text, "execute_string with text functions");
    RUN_GROUP(group_call_text, "call with RT_TYPE_TEXT arguments and results");
    RUN_GROUP(group_eval_text, "eval / get_global of text values");
    RUN_GROUP(group_compile_mir, "compile_mir");
    RUN_GROUP(group_compile_file, "compile_file");
    RUN_GROUP(group_execute, "execute");
    RUN_GROUP(group_runtime_errors_recoverable, "runtime errors leave the manager usable");
    RUN_GROUP(group_execute_string, "execute_string");
    RUN_GROUP(group_execute_void, "execute_void");
    RUN_GROUP(group_call, "call");
    RUN_GROUP(group_eval, "eval / get_global");
    RUN_GROUP(group_introspection, "has_function / list_functions / function_signature / function_count / get_global");
    RUN_GROUP(group_opt_level, "set_opt_level / get_opt_level");
    RUN_GROUP(group_hostile_sources, "hostile sources (deep nesting, bad literals) are errors, not crashes");
    RUN_GROUP(group_bad_handles, "bad handles (0, -1, 1, 12345, INT64_MAX, INT64_MIN, stale) on every function");
    RUN_GROUP(group_memory, "create/compile/execute/cleanup loop keeps a flat resident size");
    RUN_GROUP(group_text_memory, "text results freed with rt_string_free keep a flat resident size");
    return check_finish();
}
