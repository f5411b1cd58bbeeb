/* Finding the files the examples ship with (scripts/, plugins/), whether a
 * program runs from examples-c/, from the repository root, or from anywhere
 * else (then next to the executable: examples-c/build/NAME -> examples-c/). */
#ifndef EXAMPLE_FILES_H
#define EXAMPLE_FILES_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Finds `name`, a path relative to examples-c/ ("scripts/fib.rt",
 * "plugins"); writes where it is to `path` and returns 1, or returns 0. */
static inline int find_example_file(const char *argv0, const char *name, char *path, size_t size) {
    snprintf(path, size, "%s", name);
    if (access(path, R_OK) == 0) {
        return 1;
    }
    snprintf(path, size, "examples-c/%s", name);
    if (access(path, R_OK) == 0) {
        return 1;
    }
    const char *slash = strrchr(argv0, '/');
    if (slash != NULL) {
        snprintf(path, size, "%.*s/../%s", (int)(slash - argv0), argv0, name);
        return access(path, R_OK) == 0;
    }
    return 0;
}

#endif
