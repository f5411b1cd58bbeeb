/*
 * plugins.c: a plugin host. Every `.rt` file of a folder is a plugin.
 *
 * The host and its plugins agree on one entry function, which returns one
 * result or a list of them,
 *
 *     fn plugin_main(input: text) -> text
 *     fn plugin_main(input: text) -> [text]
 *
 * and an optional `fn plugin_describe() -> text`. The host
 *
 *   1. lists the folder's .rt files (opendir/readdir), sorted by name;
 *   2. loads each into a manager of its own (rt_exec_manager_compile_file),
 *      so plugins never see or replace each other's functions and globals,
 *      and checks the entry function (rt_exec_manager_has_function,
 *      rt_exec_manager_function_signature);
 *   3. calls plugin_main of every plugin that loaded with the same input
 *      (rt_exec_manager_execute_string; the result is the host's string,
 *      freed with rt_string_free; a list comes through rt_exec_manager_call
 *      as an RT_TYPE_ARRAY value, read element by element with
 *      rt_object_get_index and freed with rt_value_free);
 *   4. cleans up every manager.
 *
 * A plugin that fails to load (a compile error, a runtime error in its
 * top-level code), lacks the entry function, has the wrong signature, or
 * fails while running is reported, and the others carry on.
 *
 * Usage: plugins [DIR [INPUT]]
 *
 * DIR defaults to plugins/, looked for in ./plugins, ./examples-c/plugins
 * and ../plugins next to the executable; INPUT to "hello, world".
 *
 * Exit status: 0, also when some plugins fail (they are reported); 1 if
 * DIR cannot be read or an rtjit call fails unexpectedly; 2 for bad usage.
 */

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"
#include "example_files.h"
#include "value_format.h"

#define ENTRY "plugin_main"
#define ENTRY_SIGNATURE "fn(text) -> text"
#define LIST_ENTRY_SIGNATURE "fn(text) -> [text]"
#define DESCRIBE "plugin_describe"

typedef struct {
    char *file;      /* the file name, e.g. banner.rt */
    int64_t manager; /* 0 once cleaned up */
    int usable;      /* loaded, with the right entry function */
    int lists;       /* its entry function returns a list of texts */
} plugin;

static void *checked(void *p) {
    if (p == NULL) {
        fprintf(stderr, "plugins: out of memory\n");
        exit(1);
    }
    return p;
}

static int by_file_name(const void *a, const void *b) {
    return strcmp(((const plugin *)a)->file, ((const plugin *)b)->file);
}

static int is_plugin_file(const char *name) {
    size_t len = strlen(name);
    /* Skip hidden files (editor backups and the like). */
    return name[0] != '.' && len > 3 && strcmp(name + len - 3, ".rt") == 0;
}

/* The .rt files of `dir`, sorted by name; NULL if the folder cannot be read. */
static plugin *list_plugins(const char *dir, size_t *count) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return NULL;
    }
    size_t n = 0, cap = 8;
    plugin *list = checked(malloc(cap * sizeof *list));
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (!is_plugin_file(entry->d_name)) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            list = checked(realloc(list, cap * sizeof *list));
        }
        list[n].file = checked(strdup(entry->d_name));
        list[n].manager = 0;
        list[n].usable = 0;
        list[n].lists = 0;
        n++;
    }
    closedir(d);
    qsort(list, n, sizeof *list, by_file_name);
    *count = n;
    return list;
}

/* Prints the manager's function names as "a, b, c". */
static void print_function_names(int64_t manager) {
    char *names = rt_exec_manager_list_functions(manager);
    if (names == NULL) {
        printf("?");
        return;
    }
    if (names[0] == '\0') {
        printf("nothing");
    }
    for (const char *p = names; *p != '\0'; p++) {
        if (*p == '\n') {
            fputs(", ", stdout);
        } else {
            putchar(*p);
        }
    }
    rt_string_free(names);
}

/* Loads one plugin into a new manager and checks its entry function.
 * Prints one line: loaded, or why the plugin cannot be used. */
static void load_plugin(plugin *p, const char *dir) {
    size_t size = strlen(dir) + strlen(p->file) + 2;
    char *path = checked(malloc(size));
    snprintf(path, size, "%s/%s", dir, p->file);
    printf("  %s: ", p->file);

    p->manager = rt_exec_manager_create();
    if (p->manager == 0) {
        printf("cannot create a manager: %s\n", rt_exec_manager_get_last_error());
        return;
    }
    int32_t rc = rt_exec_manager_compile_file(p->manager, path);
    free(path);
    if (rc != RT_OK) {
        /* A compile error names the file, line and column. */
        printf("failed to load: %s\n", rt_exec_manager_get_last_error());
        return;
    }
    if (!rt_exec_manager_has_function(p->manager, ENTRY)) {
        printf("skipped: no function %s (it defines ", ENTRY);
        print_function_names(p->manager);
        printf(")\n");
        return;
    }
    char *signature = rt_exec_manager_function_signature(p->manager, ENTRY);
    if (signature == NULL) {
        printf("skipped: %s\n", rt_exec_manager_get_last_error());
        return;
    }
    p->lists = strcmp(signature, LIST_ENTRY_SIGNATURE) == 0;
    int right = p->lists || strcmp(signature, ENTRY_SIGNATURE) == 0;
    if (!right) {
        printf("skipped: %s is %s, not %s or %s\n", ENTRY, signature, ENTRY_SIGNATURE, LIST_ENTRY_SIGNATURE);
    }
    rt_string_free(signature);
    if (!right) {
        return;
    }
    p->usable = 1;

    printf("loaded");
    /* The optional description: a text function without parameters. */
    if (rt_exec_manager_has_function(p->manager, DESCRIBE)) {
        char *description = rt_exec_manager_execute_string(p->manager, DESCRIBE, NULL, 0);
        if (description != NULL) {
            printf(" (%s)", description);
            rt_string_free(description);
        } else {
            printf(" (%s failed: %s)", DESCRIBE, rt_exec_manager_get_last_error());
        }
    }
    printf("\n");
}

/* Calls an entry function that returns a list and prints the list as
 * ["a", "b"]; returns 1 if it succeeded. */
static int run_list_plugin(const plugin *p, const char *input) {
    rt_value arg = {.type = RT_TYPE_TEXT, .as.text = input}, list;
    printf("  %s: ", p->file);
    if (rt_exec_manager_call(p->manager, ENTRY, &arg, 1, &list) != RT_OK) {
        printf("error: %s\n", rt_exec_manager_get_last_error());
        return 0;
    }
    int64_t n = rt_object_len(list.as.object);
    printf("[");
    for (int64_t i = 0; i < n; i++) {
        rt_value item;
        if (rt_object_get_index(list.as.object, i, &item) == RT_OK) {
            printf(i > 0 ? ", " : "");
            fprint_text(stdout, item.as.text);
            rt_value_free(&item);
        }
    }
    printf("] (%lld results)\n", (long long)n);
    rt_value_free(&list);
    return 1;
}

/* Calls the entry function; returns 1 if it succeeded. */
static int run_plugin(const plugin *p, const char *input) {
    if (p->lists) {
        return run_list_plugin(p, input);
    }
    const char *args[] = {input};
    char *output = rt_exec_manager_execute_string(p->manager, ENTRY, args, 1);
    printf("  %s: ", p->file);
    if (output == NULL) {
        /* RT_ERR_RUNTIME, e.g. `invalid number "x" in plugin_main at line 3`. */
        printf("error: %s\n", rt_exec_manager_get_last_error());
        return 0;
    }
    fprint_text(stdout, output);
    printf("\n");
    rt_string_free(output);
    return 1;
}


int main(int argc, char **argv) {
    if (argc > 3) {
        fprintf(stderr, "usage: %s [DIR [INPUT]]\n", argv[0]);
        return 2;
    }
    char dir[4096];
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else if (!find_example_file(argv[0], "plugins", dir, sizeof dir)) {
        fprintf(stderr, "plugins: cannot find the plugins folder; pass it as the first argument\n");
        return 1;
    }
    const char *input = argc > 2 ? argv[2] : "hello, world";

    size_t count = 0;
    plugin *plugins = list_plugins(dir, &count);
    if (plugins == NULL) {
        fprintf(stderr, "plugins: cannot read %s: %s\n", dir, strerror(errno));
        return 1;
    }

    printf("rtjit %s plugins example\n\n", rt_version());
    if (count == 0) {
        printf("no plugins (.rt files) in %s\n", dir);
        free(plugins);
        return 0;
    }

    size_t dir_len = strlen(dir);
    printf("loading %zu plugin%s from %s%s, each into its own manager\n", count, count == 1 ? "" : "s", dir,
           dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/");
    for (size_t i = 0; i < count; i++) {
        load_plugin(&plugins[i], dir);
    }

    printf("\ncalling %s(", ENTRY);
    fprint_text(stdout, input);
    printf(")\n");
    size_t ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (plugins[i].usable) {
            ran += (size_t)run_plugin(&plugins[i], input);
        }
    }

    int status = 0;
    for (size_t i = 0; i < count; i++) {
        if (plugins[i].manager != 0 && rt_exec_manager_cleanup(plugins[i].manager) != RT_OK) {
            fprintf(stderr, "plugins: cleaning up %s failed: %s\n", plugins[i].file,
                    rt_exec_manager_get_last_error());
            status = 1;
        }
        free(plugins[i].file);
    }
    free(plugins);

    printf("\n%zu of %zu plugin%s ran, %zu failed\n", ran, count, count == 1 ? "" : "s", count - ran);
    return status;
}
