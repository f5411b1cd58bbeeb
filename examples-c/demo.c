/*
 * demo.c: the seed use cases of rtjit, seen from a C host.
 *
 *   (a) a user formula compiled from a string and called from C
 *   (b) a config file: evaluate it, then read typed values back
 *   (c) a function compiled from a file (scripts/fib.rt)
 *   (d) errors shown the way a host would show them
 *
 * Usage: demo [SCRIPTS_DIR]
 *
 * SCRIPTS_DIR is the directory holding fib.rt. Without it, the demo looks
 * in ./scripts, ./examples-c/scripts and ../scripts next to the executable,
 * so it runs from the repository root and from examples-c/.
 *
 * Every rtjit call is checked; an unexpected failure prints the library's
 * message to stderr and exits with status 1.
 */

#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"
#include "example_files.h"
#include "value_format.h"

/* The manager every section uses; released by finish(). */
static int64_t manager;

static const char *status_name(int32_t code) {
    switch (code) {
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
    default: return "unknown status";
    }
}

/* Releases the manager and exits with `status`. */
static void finish(int status) {
    if (manager != 0) {
        int32_t rc = rt_exec_manager_cleanup(manager);
        manager = 0;
        if (rc != RT_OK) {
            fprintf(stderr, "demo: rt_exec_manager_cleanup failed: %s (%d)\n", status_name(rc), (int)rc);
            status = 1;
        }
    }
    exit(status);
}

/* An rtjit call failed where the demo expected success: say which and why. */
static void fail(const char *what, int32_t code) {
    /* The message is only valid until the next rt_* call: print it first. */
    fprintf(stderr, "demo: %s failed: %s (%d): %s\n", what, status_name(code), (int)code,
            rt_exec_manager_get_last_error());
    finish(1);
}

static void check(int32_t code, const char *what) {
    if (code != RT_OK) {
        fail(what, code);
    }
}

/* Prints a value and its type: `1800 (i64)`. */
static void print_typed(const rt_value *v) {
    if (!fprint_value(stdout, v)) {
        printf("?");
    }
    printf(" (%s)", value_type_name(v->type));
}

/* Prints `text` with every line indented by `indent`. */
static void print_indented(const char *indent, const char *text) {
    const char *line = text;
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        printf("%s%.*s\n", indent, (int)len, line);
        line += len + (end ? 1 : 0);
    }
}

/* ---- (a) a user formula ------------------------------------------------ */

static void demo_formula(void) {
    const char *formula = "fn f(x): x^2 + 2*x + 1";

    printf("== (a) a user formula, compiled from a string ==\n");
    printf("  source: %s\n", formula);
    check(rt_exec_manager_compile_source(manager, formula), "compiling the formula");

    char *signature = rt_exec_manager_function_signature(manager, "f");
    if (signature == NULL) {
        fail("rt_exec_manager_function_signature(\"f\")", rt_last_error_code());
    }
    printf("  type:   %s\n", signature);
    rt_string_free(signature);

    for (int64_t x = 0; x <= 5; x++) {
        int64_t y = 0;
        check(rt_exec_manager_execute(manager, "f", &x, 1, &y), "calling f");
        printf("  f(%" PRId64 ") = %" PRId64 "\n", x, y);
    }
    printf("\n");
}

/* ---- (b) a config file -------------------------------------------------- */

static void demo_config(void) {
    const char *config = "# service settings\n"
                         "timeout = 30 * 60   # seconds\n"
                         "retries = 3\n"
                         "ratio = 0.75\n"
                         "verbose = true\n";
    /* The settings this host reads, and the type it expects of each. */
    const struct {
        const char *name;
        int32_t type;
    } settings[] = {
        {"timeout", RT_TYPE_I64},
        {"retries", RT_TYPE_I64},
        {"ratio", RT_TYPE_F64},
        {"verbose", RT_TYPE_BOOL},
    };

    printf("== (b) config values ==\n");
    printf("  config:\n");
    print_indented("    | ", config);

    /* eval runs the config and hands back the value of its last line. */
    rt_value last = {.type = RT_TYPE_VOID};
    check(rt_exec_manager_eval(manager, config, &last), "evaluating the config");
    printf("  eval returned ");
    print_typed(&last);
    printf(", the value of the last line\n");
    value_release(&last);

    /* Each setting is a global of the manager, read back with its type. */
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        rt_value value = {.type = RT_TYPE_VOID};
        check(rt_exec_manager_get_global(manager, settings[i].name, &value), "reading a config value");
        printf("  %s = ", settings[i].name);
        print_typed(&value);
        printf("\n");
        if (value.type != settings[i].type) {
            fprintf(stderr, "demo: %s should be %s\n", settings[i].name, value_type_name(settings[i].type));
            value_release(&value);
            finish(1);
        }
        value_release(&value);
    }

    /* A host gives a setting the file leaves out a default. */
    rt_value port = {.type = RT_TYPE_VOID};
    int32_t rc = rt_exec_manager_get_global(manager, "port", &port);
    if (rc == RT_OK) {
        printf("  port = ");
        print_typed(&port);
        printf("\n");
        value_release(&port);
    } else if (rc == RT_ERR_NOT_FOUND) {
        printf("  port is not set (%s): using the default 8080\n", status_name(rc));
        rt_exec_manager_clear_error();
    } else {
        fail("reading the port setting", rc);
    }
    printf("\n");
}

/* ---- (c) a function from a file ---------------------------------------- */

/* Finds fib.rt: in `dir` when given, else where the examples keep it. */
static int find_script(const char *dir, const char *argv0, char *path, size_t size) {
    if (dir != NULL) {
        snprintf(path, size, "%s/fib.rt", dir);
        return access(path, R_OK) == 0;
    }
    return find_example_file(argv0, "scripts/fib.rt", path, size);
}

static void demo_file(const char *scripts_dir, const char *argv0) {
    char path[4096];

    printf("== (c) a function compiled from a file ==\n");
    if (!find_script(scripts_dir, argv0, path, sizeof path)) {
        fprintf(stderr, "demo: cannot find fib.rt%s%s; pass the scripts directory as the first argument\n",
                scripts_dir ? " in " : "", scripts_dir ? scripts_dir : "");
        finish(1);
    }
    printf("  file:   %s\n", path);
    check(rt_exec_manager_compile_file(manager, path), "compiling fib.rt");

    char *signature = rt_exec_manager_function_signature(manager, "fib");
    if (signature == NULL) {
        fail("rt_exec_manager_function_signature(\"fib\")", rt_last_error_code());
    }
    printf("  type:   %s\n", signature);
    rt_string_free(signature);

    int64_t n = 30, result = 0;
    check(rt_exec_manager_execute(manager, "fib", &n, 1, &result), "calling fib");
    printf("  fib(%" PRId64 ") = %" PRId64 "\n", n, result);
    printf("\n");
}

/* ---- (d) errors ---------------------------------------------------------- */

/* Checks that a step failed with `expected`; prints the error like a host. */
static void show_error(const char *kind, int32_t rc, int32_t expected) {
    if (rc != expected) {
        fprintf(stderr, "demo: expected %s, got %s (%d)\n", status_name(expected), status_name(rc), (int)rc);
        if (rc != RT_OK) {
            fprintf(stderr, "demo: message: %s\n", rt_exec_manager_get_last_error());
        }
        finish(1);
    }
    /* The status and the message are kept per thread until the next failure. */
    int32_t code = rt_last_error_code();
    const char *message = rt_exec_manager_get_last_error();
    printf("  %s error (%s): %s\n", kind, status_name(code), message);
    if (code != expected) {
        fprintf(stderr, "demo: rt_last_error_code() is %d, the call returned %d\n", (int)code, (int)rc);
        finish(1);
    }
}

static void demo_errors(void) {
    const char *typo = "fn area(width, height):\n"
                       "    return width * heigth\n";
    const char *divide = "fn per_item(total, count):\n"
                         "    return total / count\n";

    printf("== (d) errors, as a host shows them ==\n");

    printf("  source:\n");
    print_indented("    | ", typo);
    show_error("compile", rt_exec_manager_compile_source(manager, typo), RT_ERR_COMPILE);
    /* A unit that fails to compile changes nothing. */
    int32_t has_area = rt_exec_manager_has_function(manager, "area");
    printf("  area defined after the failed compile: %s\n", has_area ? "yes" : "no");
    if (has_area) {
        fprintf(stderr, "demo: a failed compile unit left `area` behind\n");
        finish(1);
    }

    printf("\n  source:\n");
    print_indented("    | ", divide);
    check(rt_exec_manager_compile_source(manager, divide), "compiling per_item");
    int64_t args[2] = {10, 0};
    int64_t result = 0;
    printf("  calling per_item(10, 0)\n");
    show_error("runtime", rt_exec_manager_execute(manager, "per_item", args, 2, &result), RT_ERR_RUNTIME);

    /* A runtime error leaves the manager usable. */
    args[1] = 4;
    check(rt_exec_manager_execute(manager, "per_item", args, 2, &result), "calling per_item again");
    printf("  the manager still works: per_item(10, 4) = %" PRId64 "\n", result);

    rt_exec_manager_clear_error();
    printf("  after rt_exec_manager_clear_error: code %d, message \"%s\"\n", (int)rt_last_error_code(),
           rt_exec_manager_get_last_error());
}

int main(int argc, char **argv) {
    const char *scripts_dir = argc > 1 ? argv[1] : NULL;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [SCRIPTS_DIR]\n", argv[0]);
        return 2;
    }

    printf("rtjit %s demo\n\n", rt_version());

    manager = rt_exec_manager_create();
    if (manager == 0) {
        fail("rt_exec_manager_create", rt_last_error_code());
    }

    demo_formula();
    demo_config();
    demo_file(scripts_dir, argv[0]);
    demo_errors();

    finish(0);
}
