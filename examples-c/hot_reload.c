/*
 * hot_reload.c: recompiles a script whenever its file changes, while the
 * host keeps calling into it.
 *
 * At the start the host compiles the watched script (scripts/reload.rt,
 * which defines `shade`) and then, as a separate unit compiled once,
 *
 *     fn frame(t): t * 10 + shade(t)
 *
 * Every 100 ms it calls frame (the host's "main loop") and checks the
 * script's file (stat: device, inode, size, mtime). When the file has
 * changed it compiles it again with rt_exec_manager_compile_file. The new
 * `shade` replaces the old one and `frame`, compiled earlier, calls the new
 * code from then on. A reload that fails (a compile error, a signature
 * change of `shade` that `frame` could not follow, a runtime error in the
 * script's top-level code) changes nothing: the old code keeps running and
 * the error is printed.
 *
 * Usage: hot_reload [--demo | --watch | --seconds N] [SCRIPT]
 *
 *   --watch      (the default) watch SCRIPT until Ctrl-C; edit it and save
 *   --seconds N  watch SCRIPT for N seconds, then exit
 *   --demo       copy SCRIPT into a new temporary directory, watch the copy
 *                and edit it from the program itself (each edit written to
 *                a temporary file and renamed over the copy, so the watcher
 *                never reads a half-written file): a good edit, a typo, a
 *                signature change, a failing top-level statement and a last
 *                good edit. Removes the copy and exits.
 *
 * SCRIPT defaults to scripts/reload.rt, looked for in ./scripts,
 * ./examples-c/scripts and ../scripts next to the executable. SCRIPT
 * itself is only read, except when you edit it in --watch mode.
 *
 * Exit status: 0; 1 if SCRIPT cannot be loaded at the start, the demo's
 * edits are not seen, or an rtjit call fails unexpectedly; 2 for bad usage.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rtjit.h"
#include "example_files.h"
#include "file_watch.h"

#define TICK_MS 100
#define FRAMES 5

/* The caller, compiled once: it is never recompiled during the session. */
static const char *const frame_source = "fn frame(t): t * 10 + shade(t)";

static int64_t manager;
static char watched[4096];     /* the file being watched */
static char temp_dir[4096];    /* --demo: the directory of the copy, "" otherwise */
static volatile sig_atomic_t interrupted;

/* ---- leaving ------------------------------------------------------------ */

/* Removes the demo's copy, releases the manager and exits with `status`. */
static void finish(int status) {
    if (temp_dir[0] != '\0') {
        if (unlink(watched) != 0 || rmdir(temp_dir) != 0) {
            fprintf(stderr, "hot_reload: cannot remove %s: %s\n", temp_dir, strerror(errno));
            status = 1;
        }
        temp_dir[0] = '\0';
    }
    if (manager != 0) {
        int32_t rc = rt_exec_manager_cleanup(manager);
        manager = 0;
        if (rc != RT_OK) {
            fprintf(stderr, "hot_reload: rt_exec_manager_cleanup failed: %s\n", rt_exec_manager_get_last_error());
            status = 1;
        }
    }
    exit(status);
}

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static void sleep_ms(long ms) {
    struct timespec delay = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    /* A signal (Ctrl-C) ends the sleep early; the loop then sees the flag. */
    nanosleep(&delay, NULL);
}

/* ---- watching the file --------------------------------------------------- */

/* file_state, file_state_of and same_state: file_watch.h. */

static file_state last_seen;
static int reloads, refused;

/* ---- calling into the script --------------------------------------------- */

/* Prints frame(1..FRAMES) and, when the script has one, shade_name(). */
static void show_frames(const char *indent) {
    printf("%sframe(1..%d) =", indent, FRAMES);
    for (int64_t t = 1; t <= FRAMES; t++) {
        int64_t value = 0;
        if (rt_exec_manager_execute(manager, "frame", &t, 1, &value) != RT_OK) {
            /* A runtime error in the script's code: the host carries on. */
            printf(" error: %s", rt_exec_manager_get_last_error());
            break;
        }
        printf(" %" PRId64, value);
    }
    if (rt_exec_manager_has_function(manager, "shade_name")) {
        /* A text result is the caller's string, freed with rt_string_free. */
        char *name = rt_exec_manager_execute_string(manager, "shade_name", NULL, 0);
        if (name != NULL) {
            printf("   (shade: %s)", name);
            rt_string_free(name);
        } else {
            printf("   (shade_name: %s)", rt_exec_manager_get_last_error());
        }
    }
    printf("\n");
}

/* One step of the main loop: call frame as a host would every frame. */
static void run_frame(int64_t tick) {
    int64_t value = 0;
    if (rt_exec_manager_execute(manager, "frame", &tick, 1, &value) != RT_OK) {
        /* Reported by show_frames; a frame error must not stop the loop. */
        rt_exec_manager_clear_error();
    }
}

/* Checks the file; recompiles it if it changed. Returns 1 on a change. */
static int poll_file(void) {
    file_state now = file_state_of(watched);
    if (same_state(&now, &last_seen)) {
        return 0;
    }
    last_seen = now;
    if (!now.exists) {
        /* Some editors delete and then write: wait for the file to return. */
        printf("%s is gone; waiting for it to come back\n", watched);
        return 1;
    }
    if (rt_exec_manager_compile_file(manager, watched) == RT_OK) {
        reloads++;
        printf("  reloaded %s\n", watched);
    } else {
        refused++;
        printf("  reload failed, the old code keeps running: %s\n", rt_exec_manager_get_last_error());
        rt_exec_manager_clear_error();
    }
    show_frames("  ");
    return 1;
}

/* ---- the demo's edits ------------------------------------------------------ */

static const struct {
    const char *what;
    const char *source;
} edits[] = {
    {"shade(t) = t * t",
     "# edit 1: a new shade\n"
     "fn shade(t): t * t\n"
     "fn shade_name() -> text: \"t * t\"\n"},
    {"a typo (a compile error)",
     "# edit 2: saved halfway through typing\n"
     "fn shade(t): t * t +\n"
     "fn shade_name() -> text: \"t * t + ...\"\n"},
    {"shade takes an f64 (a signature change frame cannot follow)",
     "# edit 3: shade becomes fn(f64) -> f64, but frame passes an i64\n"
     "fn shade(t: f64) -> f64: t / 2.0\n"
     "fn shade_name() -> text: \"t / 2.0\"\n"},
    {"top-level code that fails (a runtime error)",
     "# edit 4: the new code is fine, the top-level statement fails\n"
     "val levels = 0\n"
     "val step = 100 / levels\n"
     "fn shade(t): t * step\n"
     "fn shade_name() -> text: \"t * step\"\n"},
    {"shade(t) = 100 - t",
     "# edit 5: fixed\n"
     "fn shade(t): 100 - t\n"
     "fn shade_name() -> text: \"100 - t\"\n"},
};

/* Writes `text` to `path` through a temporary file renamed over it, so a
 * reader sees either the old file or the new one, never a partial one. */
static int write_atomically(const char *path, const char *text, size_t len) {
    char temp[4200];
    snprintf(temp, sizeof temp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(temp, "wb");
    if (f == NULL) {
        fprintf(stderr, "hot_reload: cannot write %s: %s\n", temp, strerror(errno));
        return 0;
    }
    int ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(temp, path) != 0) {
        fprintf(stderr, "hot_reload: cannot write %s: %s\n", path, strerror(errno));
        unlink(temp);
        return 0;
    }
    return 1;
}

/* Reads a whole file into a new NUL-terminated buffer; NULL on error. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    while (data != NULL) {
        n += fread(data + n, 1, cap - n - 1, f);
        if (n < cap - 1) {
            break;
        }
        cap *= 2;
        char *bigger = realloc(data, cap);
        if (bigger == NULL) {
            free(data);
        }
        data = bigger;
    }
    int failed = ferror(f);
    fclose(f);
    if (data == NULL || failed) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

/* Copies `script` into a new temporary directory; `watched` is the copy. */
static void make_demo_copy(const char *script) {
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(temp_dir, sizeof temp_dir, "%s/rtjit-hot-reload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof temp_dir || mkdtemp(temp_dir) == NULL) {
        fprintf(stderr, "hot_reload: cannot create %s: %s\n", temp_dir, strerror(errno));
        temp_dir[0] = '\0';
        finish(1);
    }
    const char *slash = strrchr(script, '/');
    n = snprintf(watched, sizeof watched, "%s/%s", temp_dir, slash ? slash + 1 : script);
    if (n < 0 || (size_t)n >= sizeof watched) {
        fprintf(stderr, "hot_reload: the path of the copy is too long\n");
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }

    size_t len = 0;
    char *text = read_file(script, &len);
    if (text == NULL) {
        fprintf(stderr, "hot_reload: cannot read %s: %s\n", script, strerror(errno));
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }
    int ok = write_atomically(watched, text, len);
    free(text);
    if (!ok) {
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }
}

/* Plays the editor: each edit is saved, then the watcher must notice it
 * within a few seconds while the main loop runs. */
static void run_demo(void) {
    int64_t tick = 0;
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        /* Let the old code run for a few frames first. */
        for (int n = 0; n < 3; n++) {
            run_frame(tick++);
            sleep_ms(TICK_MS);
        }
        printf("\nedit %zu: %s\n", i + 1, edits[i].what);
        if (!write_atomically(watched, edits[i].source, strlen(edits[i].source))) {
            finish(1);
        }
        int seen = 0;
        for (int n = 0; n < 50 && !seen && !interrupted; n++) {
            sleep_ms(TICK_MS);
            run_frame(tick++);
            seen = poll_file();
        }
        if (interrupted) {
            return;
        }
        if (!seen) {
            fprintf(stderr, "hot_reload: the watcher did not notice edit %zu within 5 s\n", i + 1);
            finish(1);
        }
    }
}

/* Watches until Ctrl-C, or for `seconds` when it is > 0. */
static void run_watch(long seconds) {
    printf("\nwatching; edit and save %s to reload it (%s)\n", watched,
           seconds > 0 ? "for a limited time" : "Ctrl-C to stop");
    int64_t ticks_per_second = 1000 / TICK_MS;
    for (int64_t tick = 1; !interrupted; tick++) {
        if (seconds > 0 && tick > seconds * ticks_per_second) {
            break;
        }
        sleep_ms(TICK_MS);
        run_frame(tick);
        poll_file();
        if (tick % ticks_per_second == 0) {
            printf("[%" PRId64 " s] ", tick / ticks_per_second);
            show_frames("");
        }
    }
}

/* ---- main ------------------------------------------------------------------ */


static void usage(const char *argv0) {
    fprintf(stderr, "usage: %s [--demo | --watch | --seconds N] [SCRIPT]\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    int demo = 0;
    long seconds = 0;
    const char *script_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0) {
            demo = 1;
        } else if (strcmp(argv[i], "--watch") == 0) {
            demo = 0;
            seconds = 0;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            char *end = NULL;
            seconds = strtol(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || seconds <= 0) {
                usage(argv[0]);
            }
        } else if (argv[i][0] == '-' || script_arg != NULL) {
            usage(argv[0]);
        } else {
            script_arg = argv[i];
        }
    }

    char script[4096];
    if (script_arg != NULL) {
        snprintf(script, sizeof script, "%s", script_arg);
    } else if (!find_example_file(argv[0], "scripts/reload.rt", script, sizeof script)) {
        fprintf(stderr, "hot_reload: cannot find scripts/reload.rt; pass the script as an argument\n");
        return 1;
    }

    /* Lines reach a pipe as they are printed (a watcher's log). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);

    printf("rtjit %s hot reload example\n\n", rt_version());

    if (demo) {
        make_demo_copy(script);
        printf("watching %s, a copy of %s that the demo edits\n", watched, script);
    } else {
        snprintf(watched, sizeof watched, "%s", script);
        printf("watching %s\n", watched);
    }

    manager = rt_exec_manager_create();
    if (manager == 0) {
        fprintf(stderr, "hot_reload: rt_exec_manager_create failed: %s\n", rt_exec_manager_get_last_error());
        finish(1);
    }

    /* The first load must succeed: frame needs a shade to call. */
    last_seen = file_state_of(watched);
    if (rt_exec_manager_compile_file(manager, watched) != RT_OK) {
        fprintf(stderr, "hot_reload: cannot load %s: %s\n", watched, rt_exec_manager_get_last_error());
        finish(1);
    }
    char *signature = rt_exec_manager_function_signature(manager, "shade");
    if (signature == NULL) {
        fprintf(stderr, "hot_reload: %s must define shade: %s\n", watched, rt_exec_manager_get_last_error());
        finish(1);
    }
    printf("loaded: shade is %s\n", signature);
    rt_string_free(signature);

    if (rt_exec_manager_compile_source(manager, frame_source) != RT_OK) {
        fprintf(stderr, "hot_reload: cannot compile frame: %s\n", rt_exec_manager_get_last_error());
        finish(1);
    }
    printf("compiled once: %s\n", frame_source);
    show_frames("  ");

    if (demo) {
        run_demo();
    } else {
        run_watch(seconds);
    }

    if (interrupted) {
        printf("\ninterrupted\n");
    }
    printf("\n%d reload%s, %d refused\n", reloads, reloads == 1 ? "" : "s", refused);
    finish(0);
}
