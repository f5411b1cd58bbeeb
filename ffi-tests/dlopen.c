/*
 * dlopen.c: loads librtjit at run time, as host runtimes do. It does not link
 * the library: rtjit.h is included only for the types and constants, and every
 * function the header declares is resolved with dlsym and called at least once.
 *
 * It prints the names it resolved on one line, `dlopen: resolved with dlsym:
 * <name> <name> ...`; tests/ffi.rs compares that list with the functions
 * declared in rtjit.h and with the library's exported symbols, so a new export
 * must be added to SYMBOLS below (and called) or `cargo test` fails.
 *
 * usage: dlopen <path to librtjit.so>
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtjit.h"

/* The function types of rtjit.h (c-api.md, tables 1-27, 28-30, 31-35, 36-47, 50, 55). */
typedef int32_t (*set_jit_backend_fn)(int32_t);
typedef int32_t (*get_jit_backend_fn)(void);
typedef int64_t (*create_fn)(void);
typedef int64_t (*create_with_backend_fn)(int32_t);
typedef int32_t (*cleanup_fn)(int64_t);
typedef int32_t (*is_valid_fn)(int64_t);
typedef int32_t (*get_backend_fn)(int64_t);
typedef int32_t (*compile_source_fn)(int64_t, const char *);
typedef int32_t (*compile_mir_fn)(int64_t, const uint8_t *, size_t);
typedef int32_t (*compile_file_fn)(int64_t, const char *);
typedef int32_t (*execute_fn)(int64_t, const char *, const int64_t *, size_t, int64_t *);
typedef char *(*execute_string_fn)(int64_t, const char *, const char *const *, size_t);
typedef int32_t (*execute_void_fn)(int64_t, const char *);
typedef int32_t (*call_fn)(int64_t, const char *, const rt_value *, size_t, rt_value *);
typedef int32_t (*eval_fn)(int64_t, const char *, rt_value *);
typedef int32_t (*has_function_fn)(int64_t, const char *);
typedef char *(*list_functions_fn)(int64_t);
typedef char *(*function_signature_fn)(int64_t, const char *);
typedef int64_t (*function_count_fn)(int64_t);
typedef int32_t (*set_opt_level_fn)(int64_t, int32_t);
typedef int32_t (*get_opt_level_fn)(int64_t);
typedef const char *(*get_last_error_fn)(void);
typedef void (*clear_error_fn)(void);
typedef int32_t (*last_error_code_fn)(void);
typedef void (*string_free_fn)(char *);
typedef const char *(*version_fn)(void);
typedef int32_t (*get_global_fn)(int64_t, const char *, rt_value *);
typedef int32_t (*register_function_fn)(int64_t, const char *, void *, const char *);
typedef int32_t (*register_function_with_data_fn)(int64_t, const char *, void *, const char *, void *);
typedef int32_t (*bind_struct_fn)(int64_t, const char *, void *, size_t);
typedef char *(*struct_layout_fn)(int64_t, const char *);
typedef void (*raise_error_fn)(const char *);
typedef char *(*mir_from_source_fn)(const char *);
typedef int32_t (*interrupt_fn)(int64_t);
typedef int32_t (*set_limit_fn)(int64_t, uint64_t);
typedef int32_t (*register_stack_fn)(const void *, size_t);
typedef int32_t (*set_print_fn)(int64_t, void (*)(void *, const char *, size_t), void *);
typedef void (*value_free_fn)(rt_value *);
typedef int32_t (*set_global_fn)(int64_t, const char *, const rt_value *);
typedef rt_object *(*array_new_fn)(int32_t);
typedef int32_t (*array_push_fn)(rt_object *, const rt_value *);
typedef int64_t (*object_len_fn)(const rt_object *);
typedef int32_t (*object_get_index_fn)(const rt_object *, int64_t, rt_value *);
typedef int32_t (*object_get_field_fn)(const rt_object *, const char *, rt_value *);
typedef char *(*object_type_fn)(const rt_object *);
typedef char *(*value_to_json_fn)(const rt_value *);
typedef rt_object *(*array_from_f64_fn)(const double *, size_t);
typedef rt_object *(*array_from_i64_fn)(const int64_t *, size_t);
typedef int32_t (*array_read_f64_fn)(const rt_object *, double *, size_t);
typedef int32_t (*array_read_i64_fn)(const rt_object *, int64_t *, size_t);
typedef void (*object_free_fn)(rt_object *);

static struct {
    set_jit_backend_fn set_jit_backend;
    get_jit_backend_fn get_jit_backend;
    create_fn create;
    create_with_backend_fn create_with_backend;
    cleanup_fn cleanup;
    is_valid_fn is_valid;
    get_backend_fn get_backend;
    compile_source_fn compile_source;
    compile_mir_fn compile_mir;
    compile_file_fn compile_file;
    execute_fn execute;
    execute_string_fn execute_string;
    execute_void_fn execute_void;
    call_fn call;
    eval_fn eval;
    has_function_fn has_function;
    list_functions_fn list_functions;
    function_signature_fn function_signature;
    function_count_fn function_count;
    set_opt_level_fn set_opt_level;
    get_opt_level_fn get_opt_level;
    get_last_error_fn get_last_error;
    clear_error_fn clear_error;
    last_error_code_fn last_error_code;
    string_free_fn string_free;
    version_fn version;
    get_global_fn get_global;
    register_function_fn register_function;
    register_function_with_data_fn register_function_with_data;
    bind_struct_fn bind_struct;
    struct_layout_fn struct_layout;
    raise_error_fn raise_error;
    mir_from_source_fn mir_from_source;
    interrupt_fn interrupt;
    set_limit_fn set_time_limit;
    set_limit_fn set_step_limit;
    set_limit_fn set_memory_limit;
    set_limit_fn set_stack_limit;
    value_free_fn value_free;
    set_global_fn set_global;
    array_new_fn array_new;
    array_push_fn array_push;
    object_len_fn object_len;
    object_get_index_fn object_get_index;
    object_get_field_fn object_get_field;
    object_type_fn object_type;
    value_to_json_fn value_to_json;
    array_from_f64_fn array_from_f64;
    array_from_i64_fn array_from_i64;
    array_read_f64_fn array_read_f64;
    array_read_i64_fn array_read_i64;
    object_free_fn object_free;
    register_stack_fn register_stack;
    set_print_fn set_print;
} rt;

#define CHECK_PROGRAM "dlopen"
#define CHECK_LAST_CODE() (rt.last_error_code ? (long long)rt.last_error_code() : -1LL)
#define CHECK_LAST_MSG() (rt.get_last_error ? rt.get_last_error() : NULL)
#include "check.h"

static void *lib;
static const char *lib_path;

/* Every function of rtjit.h: its name and the slot in `rt` it is resolved
 * into. The order is c-api.md's. */
#define SYM(field, symbol) {symbol, &rt.field, sizeof rt.field}
static const struct {
    const char *name;
    void *slot;
    size_t size;
} SYMBOLS[] = {
    SYM(set_jit_backend, "rt_set_jit_backend"),                      /* 1 */
    SYM(get_jit_backend, "rt_get_jit_backend"),                      /* 2 */
    SYM(create, "rt_exec_manager_create"),                           /* 3 */
    SYM(create_with_backend, "rt_exec_manager_create_with_backend"), /* 4 */
    SYM(cleanup, "rt_exec_manager_cleanup"),                         /* 5 */
    SYM(is_valid, "rt_exec_manager_is_valid"),                       /* 6 */
    SYM(get_backend, "rt_exec_manager_get_backend"),                 /* 7 */
    SYM(compile_source, "rt_exec_manager_compile_source"),           /* 8 */
    SYM(compile_mir, "rt_exec_manager_compile_mir"),                 /* 9 */
    SYM(compile_file, "rt_exec_manager_compile_file"),               /* 10 */
    SYM(execute, "rt_exec_manager_execute"),                         /* 11 */
    SYM(execute_string, "rt_exec_manager_execute_string"),           /* 12 */
    SYM(execute_void, "rt_exec_manager_execute_void"),               /* 13 */
    SYM(call, "rt_exec_manager_call"),                               /* 14 */
    SYM(eval, "rt_exec_manager_eval"),                               /* 15 */
    SYM(has_function, "rt_exec_manager_has_function"),               /* 16 */
    SYM(list_functions, "rt_exec_manager_list_functions"),           /* 17 */
    SYM(function_signature, "rt_exec_manager_function_signature"),   /* 18 */
    SYM(function_count, "rt_exec_manager_function_count"),           /* 19 */
    SYM(set_opt_level, "rt_exec_manager_set_opt_level"),             /* 20 */
    SYM(get_opt_level, "rt_exec_manager_get_opt_level"),             /* 21 */
    SYM(get_last_error, "rt_exec_manager_get_last_error"),           /* 22 */
    SYM(clear_error, "rt_exec_manager_clear_error"),                 /* 23 */
    SYM(last_error_code, "rt_last_error_code"),                      /* 24 */
    SYM(string_free, "rt_string_free"),                              /* 25 */
    SYM(version, "rt_version"),                                      /* 26 */
    SYM(get_global, "rt_exec_manager_get_global"),                   /* 27 */
    SYM(register_function, "rt_exec_manager_register_function"),     /* 28 */
    SYM(raise_error, "rt_raise_error"),                              /* 29 */
    SYM(mir_from_source, "rt_mir_from_source"),                      /* 30 */
    SYM(interrupt, "rt_exec_manager_interrupt"),                     /* 31 */
    SYM(set_time_limit, "rt_exec_manager_set_time_limit"),           /* 32 */
    SYM(set_step_limit, "rt_exec_manager_set_step_limit"),           /* 33 */
    SYM(set_memory_limit, "rt_exec_manager_set_memory_limit"),       /* 34 */
    SYM(set_stack_limit, "rt_exec_manager_set_stack_limit"),         /* 35 */
    SYM(value_free, "rt_value_free"),                                /* 36 */
    SYM(set_global, "rt_exec_manager_set_global"),                   /* 37 */
    SYM(array_new, "rt_array_new"),                                  /* 38 */
    SYM(array_push, "rt_array_push"),                                /* 39 */
    SYM(object_len, "rt_object_len"),                                /* 40 */
    SYM(object_get_index, "rt_object_get_index"),                    /* 41 */
    SYM(object_get_field, "rt_object_get_field"),                    /* 42 */
    SYM(object_type, "rt_object_type"),                              /* 43 */
    SYM(value_to_json, "rt_value_to_json"),                          /* 44 */
    SYM(array_from_f64, "rt_array_from_f64"),                        /* 45 */
    SYM(array_from_i64, "rt_array_from_i64"),                        /* 45 */
    SYM(array_read_f64, "rt_array_read_f64"),                        /* 46 */
    SYM(array_read_i64, "rt_array_read_i64"),                        /* 46 */
    SYM(object_free, "rt_object_free"),                              /* 47 */
    SYM(bind_struct, "rt_exec_manager_bind_struct"),                 /* 48 */
    SYM(register_function_with_data, "rt_exec_manager_register_function_with_data"), /* 49 */
    SYM(struct_layout, "rt_exec_manager_struct_layout"),             /* 54 */
    SYM(set_print, "rt_exec_manager_set_print"),                     /* 50 */
    SYM(register_stack, "rt_register_stack"),                        /* 55 */
};
#define N_SYMBOLS (sizeof SYMBOLS / sizeof SYMBOLS[0])

/* dlsym into a function pointer without a data-to-function pointer cast. */
static int resolve(void *slot, size_t size, const char *name) {
    dlerror();
    void *sym = dlsym(lib, name);
    const char *err = dlerror();
    if (sym == NULL || err != NULL) {
        fprintf(stderr, "dlopen: missing symbol %s in %s: %s\n", name, lib_path, err ? err : "(NULL)");
        return 0;
    }
    memcpy(slot, &sym, size);
    return 1;
}

static void group_load(void) {
    lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(lib != NULL, "dlopen(\"%s\") failed: %s", lib_path, dlerror());
    if (lib == NULL) {
        _exit(1);
    }
    int missing = 0;
    for (size_t i = 0; i < N_SYMBOLS; i++) missing += !resolve(SYMBOLS[i].slot, SYMBOLS[i].size, SYMBOLS[i].name);
    CHECK_MSG(missing == 0, "%d of the %zu rt_* functions are missing from %s", missing, N_SYMBOLS, lib_path);
    if (missing != 0) _exit(1);
    /* The list tests/ffi.rs checks against rtjit.h and the library's exports. */
    printf("dlopen: resolved with dlsym:");
    for (size_t i = 0; i < N_SYMBOLS; i++) printf(" %s", SYMBOLS[i].name);
    printf("\n");

    /* Loading the same path again gives the same library. */
    void *again = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    CHECK(again == lib);
    if (again != NULL) CHECK_EQ(dlclose(again), 0);

    const char *v = rt.version();
    CHECK_MSG(v != NULL && v[0] != '\0', "rt_version() is empty");
    printf("dlopen: loaded %s, rtjit version %s\n", lib_path, v ? v : "(NULL)");
}

static void group_run(void) {
    CHECK_EQ(rt.get_jit_backend(), RT_BACKEND_AUTO);
    int64_t h = rt.create();
    CHECK(h > 0);
    CHECK_EQ(rt.is_valid(h), 1);
    CHECK_EQ(rt.get_backend(h), RT_BACKEND_CRANELIFT);
    CHECK_EQ(rt.get_opt_level(h), 2);
    CHECK_OK(rt.set_opt_level(h, 3));
    CHECK_EQ(rt.get_opt_level(h), 3);

    CHECK_OK(rt.compile_source(h, "fn f(x): x^2 + 2*x + 1"));
    int64_t five = 5, r = 0;
    CHECK_OK(rt.execute(h, "f", &five, 1, &r));
    CHECK_EQ(r, 36);
    CHECK_EQ(rt.has_function(h, "f"), 1);
    CHECK_EQ(rt.function_count(h), 1);

    rt_value out;
    CHECK_OK(rt.eval(h, "timeout = 30 * 60", &out));
    CHECK_TYPE(out, RT_TYPE_I64);
    CHECK_EQ(out.as.i64, 1800);
    rt_value g;
    CHECK_OK(rt.get_global(h, "timeout", &g));
    CHECK_TYPE(g, RT_TYPE_I64);
    CHECK_EQ(g.as.i64, 1800);
    CHECK_OK(rt.eval(h, "f(timeout) - timeout^2", &out));
    CHECK_TYPE(out, RT_TYPE_I64);
    CHECK_EQ(out.as.i64, 2 * 1800 + 1);

    CHECK_OK(rt.compile_source(h, "fn scale(a, x: f64) -> f64: a * x\nfn done():\n    return\n"));
    rt_value args[2];
    memset(args, 0, sizeof args);
    args[0].type = RT_TYPE_I64;
    args[0].as.i64 = 3;
    args[1].type = RT_TYPE_F64;
    args[1].as.f64 = 0.5;
    CHECK_OK(rt.call(h, "scale", args, 2, &out));
    CHECK_TYPE(out, RT_TYPE_F64);
    CHECK_F64(out.as.f64, 1.5);
    CHECK_OK(rt.execute_void(h, "done"));

    char *list = rt.list_functions(h);
    CHECK_STREQ(list, "done\nf\nscale");
    rt.string_free(list);
    char *sig = rt.function_signature(h, "scale");
    CHECK_STREQ(sig, "fn(i64, f64) -> f64");
    rt.string_free(sig);
    rt.string_free(NULL);

    CHECK_OK(rt.set_jit_backend(RT_BACKEND_CRANELIFT));
    CHECK_EQ(rt.get_jit_backend(), RT_BACKEND_CRANELIFT);
    int64_t h2 = rt.create_with_backend(RT_BACKEND_AUTO);
    CHECK(h2 > 0);
    CHECK(h2 != h);
    CHECK_EQ(rt.function_count(h2), 0);
    CHECK_OK(rt.cleanup(h2));
    CHECK_OK(rt.set_jit_backend(RT_BACKEND_AUTO));

    CHECK_OK(rt.cleanup(h));
    CHECK_EQ(rt.is_valid(h), 0);
}

static void group_errors(void) {
    int64_t h = rt.create();
    CHECK(h > 0);
    rt.clear_error();
    CHECK_EQ(rt.last_error_code(), RT_OK);
    CHECK_STREQ(rt.get_last_error(), "");

    CHECK_OK(rt.compile_source(h, "fn d(a, b):\n    return a / b\n"));
    int64_t ab[2] = {1, 0}, r = 99;
    CHECK_ERR(rt.execute(h, "d", ab, 2, &r), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt.get_last_error(), "division by zero");
    CHECK_CONTAINS(rt.get_last_error(), "d");
    CHECK_MSG(mentions_line(rt.get_last_error(), 2), "expected \"line 2\" in \"%s\"", rt.get_last_error());
    CHECK_EQ(r, 99);
    ab[1] = 2;
    CHECK_OK(rt.execute(h, "d", ab, 2, &r)); /* still usable; the error stays */
    CHECK_EQ(r, 0);
    CHECK_EQ(rt.last_error_code(), RT_ERR_RUNTIME);

    CHECK_ERR(rt.compile_source(h, "fn broken(x) x"), RT_ERR_COMPILE);
    CHECK_STARTS_WITH(rt.get_last_error(), "<source>:1:");
    CHECK_ERR(rt.execute(h, "nope", NULL, 0, NULL), RT_ERR_NOT_FOUND);
    CHECK_ERR(rt.execute(h, "d", NULL, 0, NULL), RT_ERR_SIGNATURE);
    CHECK_ERR(rt.execute(h, NULL, NULL, 0, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt.compile_mir(h, (const uint8_t *)"mir 1\n", 6));
    CHECK_ERR(rt.compile_mir(h, (const uint8_t *)"mir 7\n", 6), RT_ERR_COMPILE);
    CHECK_ERR(rt.compile_file(h, "/nonexistent/file.rt"), RT_ERR_IO);
    CHECK(rt.execute_string(h, "d", NULL, 0) == NULL);
    CHECK_LAST(RT_ERR_SIGNATURE);
    rt_value g;
    CHECK_ERR(rt.get_global(h, "absent", &g), RT_ERR_NOT_FOUND);
    CHECK_TYPE(g, RT_TYPE_VOID);
    CHECK_ERR(rt.set_opt_level(h, 4), RT_ERR_INVALID_ARGUMENT);
    if (check_llvm()) {
        int64_t hl = rt.create_with_backend(RT_BACKEND_LLVM);
        CHECK(hl > 0);
        CHECK_EQ(rt.get_backend(hl), RT_BACKEND_LLVM);
        CHECK_OK(rt.cleanup(hl));
    } else {
        CHECK_ERR(rt.set_jit_backend(RT_BACKEND_LLVM), RT_ERR_UNSUPPORTED);
        CHECK_EQ(rt.create_with_backend(RT_BACKEND_LLVM), 0);
        CHECK_LAST(RT_ERR_UNSUPPORTED);
    }

    CHECK_OK(rt.cleanup(h));
    CHECK_ERR(rt.cleanup(h), RT_ERR_INVALID_HANDLE);
    CHECK_ERR(rt.execute(h, "d", ab, 2, &r), RT_ERR_INVALID_HANDLE);
    CHECK_EQ(rt.function_count(h), -1);
    CHECK_EQ(rt.get_opt_level(h), -1);
    CHECK_EQ(rt.get_backend(h), RT_BACKEND_UNKNOWN);
    CHECK(rt.list_functions(h) == NULL);
    CHECK_LAST(RT_ERR_INVALID_HANDLE);
    rt.clear_error();
    CHECK_EQ(rt.last_error_code(), RT_OK);
    CHECK_STREQ(rt.get_last_error(), "");
}

/* Host functions for group_hosts: they reach the library only through `rt`. */
static int64_t host_triple(int64_t x) { return 3 * x; }
static int64_t host_checked(int64_t x) {
    if (x < 0) {
        rt.raise_error("host_checked: negative input");
        return 0; /* ignored */
    }
    return x + 100;
}

static int64_t host_scaled(void *user_data, int64_t x) { return *(const int64_t *)user_data * x; }

static void group_hosts(void) {
    int64_t h = rt.create();
    CHECK(h > 0);
    static const int64_t scale = 7;
    CHECK_OK(rt.register_function(h, "host_triple", (void *)host_triple, "fn(i64) -> i64"));
    CHECK_OK(rt.register_function(h, "host_checked", (void *)host_checked, "fn(i64) -> i64"));
    CHECK_OK(rt.register_function_with_data(h, "host_scaled", (void *)host_scaled, "fn(i64) -> i64", (void *)&scale));
    CHECK_OK(rt.compile_source(h, "extern fn host_scaled(x: i64) -> i64\nfn s(x): host_scaled(x)\n"));
    int64_t six = 6, scaled = 0;
    CHECK_OK(rt.execute(h, "s", &six, 1, &scaled));
    CHECK_EQ(scaled, 42);
    /* Host data: a struct bound in place, and its layout. */
    struct { double x; int32_t n; } thing = { 1.5, 2 };
    CHECK_OK(rt.compile_source(h, "extern struct Thing:\n    x: f64\n    n: i32\n"
                                  "extern val thing: Thing\nfn grow(): thing.n += 40\n"));
    CHECK_OK(rt.bind_struct(h, "thing", &thing, 1));
    CHECK_OK(rt.execute(h, "grow", NULL, 0, NULL));
    CHECK_EQ(thing.n, 42);
    char *layout = rt.struct_layout(h, "Thing");
    CHECK(layout != NULL && strstr(layout, "\"size\": 16") != NULL);
    rt.string_free(layout);
    CHECK_ERR(rt.register_function(h, "host_triple", (void *)host_triple, "fn([i64]) -> i64"), RT_ERR_INVALID_ARGUMENT);
    CHECK_OK(rt.compile_source(h, "extern fn host_triple(x: i64) -> i64\n"
                                  "extern fn host_checked(x: i64) -> i64\n"
                                  "fn t(x): host_triple(x) + 1\n"
                                  "fn c(x): host_checked(x)\n"));
    int64_t x = 5, r = 0;
    CHECK_OK(rt.execute(h, "t", &x, 1, &r));
    CHECK_EQ(r, 16);
    CHECK_OK(rt.execute(h, "c", &x, 1, &r));
    CHECK_EQ(r, 105);
    /* rt_raise_error inside a host function fails the call that reached it. */
    x = -1;
    r = 77;
    rt.clear_error();
    CHECK_ERR(rt.execute(h, "c", &x, 1, &r), RT_ERR_RUNTIME);
    CHECK_STREQ(rt.get_last_error(), "host_checked: negative input");
    CHECK_EQ(r, 77);
    /* ... and outside any call only sets the last error. */
    rt.clear_error();
    rt.raise_error("nobody is listening");
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt.clear_error();

    /* rt_mir_from_source: the MIR compiles to the same behaviour. */
    char *text = rt.mir_from_source("fn sq(x): x * x\n");
    CHECK_MSG(text != NULL, "rt_mir_from_source returned NULL: %s", rt.get_last_error());
    if (text != NULL) {
        CHECK_STARTS_WITH(text, "mir 1\n");
        int64_t m = rt.create();
        CHECK(m > 0);
        CHECK_OK(rt.compile_mir(m, (const uint8_t *)text, strlen(text)));
        x = 7;
        CHECK_OK(rt.execute(m, "sq", &x, 1, &r));
        CHECK_EQ(r, 49);
        CHECK_OK(rt.cleanup(m));
        rt.string_free(text);
    }
    CHECK(rt.mir_from_source("fn sq(x): x *\n") == NULL);
    CHECK_LAST(RT_ERR_COMPILE);
    rt.clear_error();
    CHECK_OK(rt.cleanup(h));
}

/* Interruption and limits: each limit stops what passes it, with its
 * status; the manager runs the next call normally. */
static void group_limits(void) {
    int64_t h = rt.create();
    CHECK(h > 0);
    CHECK_OK(rt.compile_source(h, "fn spin(n):\n    var i = 0\n    while i < n:\n        i += 1\n    return i\n"));
    int64_t n = 10, r = 0;
    CHECK_OK(rt.interrupt(h)); /* nothing running: no effect on later calls */
    CHECK_OK(rt.execute(h, "spin", &n, 1, &r));
    CHECK_EQ(r, 10);
    CHECK_OK(rt.set_step_limit(h, 5));
    CHECK_ERR(rt.execute(h, "spin", &n, 1, &r), RT_ERR_INTERRUPTED);
    CHECK_CONTAINS(rt.get_last_error(), "step limit of 5 exceeded in spin at line 3");
    CHECK_OK(rt.set_step_limit(h, 0));
    n = 1000000000;
    CHECK_OK(rt.set_time_limit(h, 20000));
    CHECK_ERR(rt.execute(h, "spin", &n, 1, &r), RT_ERR_INTERRUPTED);
    CHECK_CONTAINS(rt.get_last_error(), "time limit of 20 ms exceeded");
    CHECK_OK(rt.set_time_limit(h, 0));
    CHECK_OK(rt.set_memory_limit(h, 4096));
    CHECK_ERR(rt.compile_source(h, "var s = \"ab\"\nwhile true:\n    s += s\n"), RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt.get_last_error(), "out of memory: limit of 4096 bytes");
    CHECK_OK(rt.set_memory_limit(h, 0));
    CHECK_OK(rt.set_stack_limit(h, 1 << 20));
    static char coroutine_stack[64 << 10];
    CHECK_OK(rt.register_stack(coroutine_stack, sizeof coroutine_stack));
    CHECK_OK(rt.register_stack(coroutine_stack, 0));
    CHECK_ERR(rt.register_stack(NULL, 64), RT_ERR_INVALID_ARGUMENT);
    n = 10;
    CHECK_OK(rt.execute(h, "spin", &n, 1, &r));
    CHECK_EQ(r, 10);
    CHECK_ERR(rt.interrupt(0), RT_ERR_INVALID_HANDLE);
    CHECK_ERR(rt.set_time_limit(-1, 1), RT_ERR_INVALID_HANDLE);
    rt.clear_error();
    CHECK_OK(rt.cleanup(h));
}

/* What `print` gave the handler: the lines, one after another. */
static char printed[256];

static void on_print(void *user_data, const char *text, size_t len) {
    size_t used = strlen(printed);
    if (used + len + 2 < sizeof printed) {
        memcpy(printed + used, text, len);
        printed[used + len] = '|';
        printed[used + len + 1] = '\0';
    }
    *(int *)user_data += 1;
}

/* print (c-api 50): to the handler with its user data, then to stdout
 * again after a NULL handler. */
static void group_print(void) {
    int64_t h = rt.create();
    CHECK(h > 0);
    int calls = 0;
    CHECK_OK(rt.set_print(h, on_print, &calls));
    CHECK_OK(rt.compile_source(h, "print(\"sum\", 1 + 2, [1.5, 2.0])\nprint()\n"));
    CHECK_EQ(calls, 2);
    CHECK_STREQ(printed, "sum 3 [1.5, 2.0]||");
    CHECK_OK(rt.set_print(h, NULL, NULL));
    CHECK_OK(rt.compile_source(h, "print(\"(dlopen: print goes to stdout again)\")\n"));
    CHECK_EQ(calls, 2);
    CHECK_ERR(rt.set_print(0, on_print, NULL), RT_ERR_INVALID_HANDLE);
    rt.clear_error();
    CHECK_OK(rt.cleanup(h));
}

/* Objects (c-api 36-47): one round trip through each function. */
static void group_objects(void) {
    int64_t h = rt.create();
    CHECK(h > 0);
    CHECK_OK(rt.compile_source(h, "fn twice(xs: [i64]) -> [i64]: xs + xs\n"));
    int64_t ns[2] = {4, 5};
    rt_value arg = {.type = RT_TYPE_ARRAY, .as.object = rt.array_from_i64(ns, 2)}, out;
    rt_value six = {.type = RT_TYPE_I64, .as.i64 = 6};
    CHECK_OK(rt.array_push(arg.as.object, &six));
    CHECK_OK(rt.call(h, "twice", &arg, 1, &out));
    CHECK_EQ(rt.object_len(out.as.object), 6);
    int64_t back[6] = {0};
    CHECK_OK(rt.array_read_i64(out.as.object, back, 6));
    CHECK_EQ(back[5], 6);
    rt_value e;
    CHECK_OK(rt.object_get_index(out.as.object, 3, &e));
    CHECK_EQ(e.as.i64, 4);
    CHECK_ERR(rt.object_get_field(out.as.object, "x", &e), RT_ERR_SIGNATURE);
    char *type = rt.object_type(out.as.object);
    CHECK_STREQ(type, "[i64]");
    rt.string_free(type);
    char *json = rt.value_to_json(&out);
    CHECK_STREQ(json, "[4,5,6,4,5,6]");
    rt.string_free(json);
    CHECK_OK(rt.set_global(h, "kept", &out));
    rt.value_free(&out);
    CHECK_OK(rt.get_global(h, "kept", &out));
    CHECK_EQ(out.type, RT_TYPE_ARRAY);
    rt.value_free(&out);
    rt.value_free(&arg);
    double xs[1] = {0.25};
    rt_object *f = rt.array_from_f64(xs, 1);
    double d = 0;
    CHECK_OK(rt.array_read_f64(f, &d, 1));
    CHECK_F64(d, 0.25);
    rt.object_free(f);
    rt_object *empty = rt.array_new(RT_TYPE_TEXT);
    CHECK_EQ(rt.object_len(empty), 0);
    rt.object_free(empty);
    rt.clear_error();
    CHECK_OK(rt.cleanup(h));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s <path to librtjit.so>\n", argv[0]);
        return 2;
    }
    lib_path = argv[1];
    RUN_GROUP(group_load, "dlopen + dlsym of every function of rtjit.h");
    RUN_GROUP(group_run, "create / compile / execute / eval / get_global / list_functions / cleanup");
    RUN_GROUP(group_errors, "errors through dlsym'd functions");
    RUN_GROUP(group_hosts, "register_function / raise_error / mir_from_source through dlsym'd functions");
    RUN_GROUP(group_limits, "interrupt and the time, step, memory and stack limits through dlsym'd functions");
    RUN_GROUP(group_print, "set_print through dlsym'd functions");
    RUN_GROUP(group_objects, "arrays through dlsym'd functions (36-47)");
    return check_finish();
}
