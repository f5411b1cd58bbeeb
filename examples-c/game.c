/*
 * game.c: a game loop whose per-frame update is a hot-reloadable script
 * working on the host's own C structs.
 *
 * The host keeps 10,000 entities in a C array of structs. The script
 * scripts/game.rt declares the same struct (`extern struct Entity`) and
 * the array (`extern val entities: [Entity]`), and its `update(dt)` moves
 * every entity, bounces it off the walls of a 1000 x 1000 world and calls
 * the host function `collide(i)` for each bounce. The script reads and
 * writes the array in place: nothing is copied in or out.
 *
 * At start-up the host asks the library for the struct's layout
 * (rt_exec_manager_struct_layout) and checks it against sizeof, _Alignof
 * and offsetof: a script whose fields differ from the C struct would
 * otherwise read and write the wrong bytes.
 *
 * The loop then runs the script's update on one copy of the entities and
 * update_c, the same update in C, on another copy of the same initial
 * state, timing both, and checks that the two copies end bit-identical.
 * Every few frames it stats the script's file and recompiles it when it
 * changed (as hot_reload.c does): a reload that fails leaves the old code
 * running.
 *
 * Usage: game [--demo] [--frames N] [--paced] [--script PATH | PATH]
 *
 *   --frames N   run N frames (default 600) of 1/60 s each
 *   --paced      sleep between frames to run 60 frames per second, so that
 *                the script can be edited while the loop runs (e.g.
 *                --frames 3600 --paced for a minute)
 *   --demo       work on a copy of the script in a new temporary directory;
 *                after the timed frames, edit the copy from the program (a
 *                gravity term, then a typo) and show that the first edit
 *                is picked up and the second refused. Removes the copy.
 *
 * PATH defaults to scripts/game.rt, looked for in ./scripts,
 * ./examples-c/scripts and ../scripts next to the executable.
 *
 * Exit status: 0; 1 if an rtjit call fails, the layouts differ, the script
 * and C disagree, or the demo's edit is not seen; 2 for bad usage.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rtjit.h"
#include "example_files.h"
#include "file_watch.h"

/* The script and update_c must round alike, so C may not fuse a * b + c
 * into one FMA (the JIT does not). GCC does not in ISO C mode (-std=c11);
 * clang does unless told not to. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* The host's entity. scripts/game.rt declares the same fields in the same
 * order; check_layout() makes sure the library lays them out this way. */
typedef struct {
    double x, y;
    double vx, vy;
    int32_t hits;
} Entity;

#define ENTITIES 10000
#define WIDTH 1000.0
#define HEIGHT 1000.0
#define MAX_SPEED 150.0
#define DT (1.0 / 60.0)
#define DEFAULT_FRAMES 600
#define POLL_EVERY 10    /* frames between two looks at the script's file */
#define DEMO_FRAMES 120  /* frames run after the demo's gravity edit */

static int64_t manager;
static char watched[4096];  /* the script file being watched */
static char temp_dir[4096]; /* --demo: the directory of the copy, "" otherwise */

/* ---- leaving ------------------------------------------------------------ */

/* Removes the demo's copy, releases the manager and exits with `status`. */
static void finish(int status) {
    if (temp_dir[0] != '\0') {
        if (unlink(watched) != 0 || rmdir(temp_dir) != 0) {
            fprintf(stderr, "game: cannot remove %s: %s\n", temp_dir, strerror(errno));
            status = 1;
        }
        temp_dir[0] = '\0';
    }
    if (manager != 0) {
        int32_t rc = rt_exec_manager_cleanup(manager);
        manager = 0;
        if (rc != RT_OK) {
            fprintf(stderr, "game: rt_exec_manager_cleanup failed: %s\n", rt_exec_manager_get_last_error());
            status = 1;
        }
    }
    exit(status);
}

/* An rtjit call that must not fail did: report the library's message. */
static void die(const char *what) {
    fprintf(stderr, "game: %s failed (status %d): %s\n", what, (int)rt_last_error_code(),
            rt_exec_manager_get_last_error());
    finish(1);
}

/* ---- the world ------------------------------------------------------------ */

/* A fixed-seed LCG: every run (and both copies) starts from the same state. */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static double random_unit(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) * 0x1.0p-53; /* the top 53 bits: [0, 1) */
}

static void init_entities(Entity *es, size_t n) {
    for (size_t i = 0; i < n; i++) {
        es[i].x = random_unit() * WIDTH;
        es[i].y = random_unit() * HEIGHT;
        es[i].vx = (2.0 * random_unit() - 1.0) * MAX_SPEED;
        es[i].vy = (2.0 * random_unit() - 1.0) * MAX_SPEED;
        es[i].hits = 0;
    }
}

static int64_t c_collisions;

/* The script's update in C. The comparison with the script is bit for bit,
 * so this must do the same floating-point operations in the same order as
 * scripts/game.rt (gravity included: the script adds gravity * dt, which is
 * 0.0 in the default script). */
static void update_c(Entity *es, size_t n, double dt) {
    const double g = 0.0 * dt;
    for (size_t i = 0; i < n; i++) {
        Entity *e = &es[i];
        e->vy += g;
        e->x += e->vx * dt;
        e->y += e->vy * dt;
        if (e->x < 0.0) {
            e->x = -e->x;
            e->vx = -e->vx;
            e->hits += 1;
            c_collisions++;
        } else if (e->x > WIDTH) {
            e->x = 2.0 * WIDTH - e->x;
            e->vx = -e->vx;
            e->hits += 1;
            c_collisions++;
        }
        if (e->y < 0.0) {
            e->y = -e->y;
            e->vy = -e->vy;
            e->hits += 1;
            c_collisions++;
        } else if (e->y > HEIGHT) {
            e->y = 2.0 * HEIGHT - e->y;
            e->vy = -e->vy;
            e->hits += 1;
            c_collisions++;
        }
    }
}

/* ---- the script's side ---------------------------------------------------- */

static int64_t script_collisions;
static size_t bound_count; /* what `entities` is bound to, for collide's check */

/* The host function `collide`, registered as "fn(i64) -> void". */
static void collide(int64_t i) {
    if (i < 0 || (uint64_t)i >= bound_count) {
        /* Stops the update; the host sees RT_ERR_RUNTIME with this message. */
        rt_raise_error("collide: entity index out of range");
        return;
    }
    script_collisions++;
}

static int64_t update_errors; /* failed update calls since the last (re)load */

/* One frame of the script: bind the array (a game's array may move or grow
 * from frame to frame) and call update(dt). A runtime error in the script
 * must not stop the game: it is printed once per loaded version. */
static int script_frame(Entity *es, size_t n, double dt) {
    if (rt_exec_manager_bind_struct(manager, "entities", es, n) != RT_OK) {
        die("rt_exec_manager_bind_struct(entities)");
    }
    bound_count = n;
    rt_value arg = {.type = RT_TYPE_F64, .as.f64 = dt};
    if (rt_exec_manager_call(manager, "update", &arg, 1, NULL) != RT_OK) {
        if (update_errors++ == 0) {
            printf("  update failed (shown once until the next reload): %s\n", rt_exec_manager_get_last_error());
        }
        rt_exec_manager_clear_error();
        return 0;
    }
    return 1;
}

/* The script's version(), or -1 when it has none or it fails. */
static int64_t script_version(void) {
    if (!rt_exec_manager_has_function(manager, "version")) {
        return -1;
    }
    int64_t v = -1;
    if (rt_exec_manager_execute(manager, "version", NULL, 0, &v) != RT_OK) {
        rt_exec_manager_clear_error();
        return -1;
    }
    return v;
}

/* ---- checking the layout -------------------------------------------------- */

/* The JSON from rt_exec_manager_struct_layout is small and flat:
 * {"size": 40, "align": 8, "fields": [{"name": "x", "type": "f64", "offset": 0}, ...]}
 * A few string searches read it; a real host could use its JSON parser. */

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    return p;
}

/* The value of `"key":` within [begin, end), or NULL. An occurrence that is
 * not followed by ':' is a string value (a field named "size"), not a key. */
static const char *json_value(const char *begin, const char *end, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    for (const char *p = strstr(begin, quoted); p != NULL && p < end; p = strstr(p + 1, quoted)) {
        const char *after = skip_space(p + strlen(quoted));
        if (*after == ':') {
            return skip_space(after + 1);
        }
    }
    return NULL;
}

static int json_long(const char *begin, const char *end, const char *key, long *out) {
    const char *v = json_value(begin, end, key);
    if (v == NULL) {
        return 0;
    }
    char *stop = NULL;
    *out = strtol(v, &stop, 10);
    return stop != v;
}

static int json_string(const char *begin, const char *end, const char *key, char *out, size_t size) {
    const char *v = json_value(begin, end, key);
    if (v == NULL || *v != '"') {
        return 0;
    }
    const char *close = strchr(v + 1, '"');
    if (close == NULL || close > end || (size_t)(close - v - 1) >= size) {
        return 0;
    }
    memcpy(out, v + 1, (size_t)(close - v - 1));
    out[close - v - 1] = '\0';
    return 1;
}

static const struct {
    const char *name;
    const char *type;
    size_t offset;
} entity_fields[] = {
    {"x", "f64", offsetof(Entity, x)},   {"y", "f64", offsetof(Entity, y)},
    {"vx", "f64", offsetof(Entity, vx)}, {"vy", "f64", offsetof(Entity, vy)},
    {"hits", "i32", offsetof(Entity, hits)},
};
#define ENTITY_FIELDS (sizeof entity_fields / sizeof entity_fields[0])

/* Returns NULL when `json` describes Entity exactly, or what differs. */
static const char *layout_mismatch(const char *json, char *why, size_t size) {
    const char *end = json + strlen(json);
    const char *fields = json_value(json, end, "fields");
    long struct_size = 0, align = 0;
    if (fields == NULL || *fields != '[' || !json_long(json, fields, "size", &struct_size) ||
        !json_long(json, fields, "align", &align)) {
        snprintf(why, size, "cannot read the layout");
        return why;
    }
    if ((size_t)struct_size != sizeof(Entity) || (size_t)align != _Alignof(Entity)) {
        snprintf(why, size, "the script's Entity has size %ld and align %ld, the C struct %zu and %zu",
                 struct_size, align, sizeof(Entity), _Alignof(Entity));
        return why;
    }
    const char *p = skip_space(fields + 1);
    size_t count = 0;
    while (*p == '{') {
        const char *close = strchr(p, '}'); /* fields hold no nested objects */
        char name[64], type[16];
        long offset = 0;
        if (close == NULL || !json_string(p, close, "name", name, sizeof name) ||
            !json_string(p, close, "type", type, sizeof type) || !json_long(p, close, "offset", &offset)) {
            snprintf(why, size, "cannot read field %zu of the layout", count + 1);
            return why;
        }
        if (count >= ENTITY_FIELDS) {
            snprintf(why, size, "the script's Entity has a field %s that the C struct lacks", name);
            return why;
        }
        if (strcmp(name, entity_fields[count].name) != 0 || strcmp(type, entity_fields[count].type) != 0 ||
            (size_t)offset != entity_fields[count].offset) {
            snprintf(why, size, "field %zu is %s: %s at offset %ld in the script, %s: %s at offset %zu in C",
                     count + 1, name, type, offset, entity_fields[count].name, entity_fields[count].type,
                     entity_fields[count].offset);
            return why;
        }
        count++;
        p = skip_space(close + 1);
        if (*p == ',') {
            p = skip_space(p + 1);
        }
    }
    if (*p != ']') {
        snprintf(why, size, "cannot read the layout's fields");
        return why;
    }
    if (count != ENTITY_FIELDS) {
        snprintf(why, size, "the script's Entity has %zu fields, the C struct %zu", count, ENTITY_FIELDS);
        return why;
    }
    return NULL;
}

static void check_layout(void) {
    char *json = rt_exec_manager_struct_layout(manager, "Entity");
    if (json == NULL) {
        die("rt_exec_manager_struct_layout(Entity)");
    }
    char why[256];
    const char *mismatch = layout_mismatch(json, why, sizeof why);
    if (mismatch != NULL) {
        fprintf(stderr, "game: %s does not declare the C struct Entity: %s\n  layout: %s\n", watched, mismatch,
                json);
        rt_string_free(json);
        finish(1);
    }
    printf("layout of Entity (%zu bytes, align %zu) matches the C struct: %s\n", sizeof(Entity),
           _Alignof(Entity), json);
    rt_string_free(json);
}

/* ---- watching the file ---------------------------------------------------- */

/* file_state, file_state_of and same_state: file_watch.h. */

static file_state last_seen;
static int reloads, refused;

/* Checks the file; recompiles it if it changed. Returns 1 on a change. */
static int poll_file(int64_t frame) {
    file_state now = file_state_of(watched);
    if (same_state(&now, &last_seen)) {
        return 0;
    }
    last_seen = now;
    if (!now.exists) {
        /* Some editors delete and then write: wait for the file to return. */
        printf("  [frame %" PRId64 "] %s is gone; waiting for it to come back\n", frame, watched);
        return 1;
    }
    if (rt_exec_manager_compile_file(manager, watched) == RT_OK) {
        reloads++;
        update_errors = 0;
        printf("  [frame %" PRId64 "] reloaded %s: version() = %" PRId64 "\n", frame, watched, script_version());
    } else {
        /* A compile error (or a changed Entity) changes nothing. */
        refused++;
        printf("  [frame %" PRId64 "] reload failed, the old code keeps running: %s\n", frame,
               rt_exec_manager_get_last_error());
        rt_exec_manager_clear_error();
    }
    return 1;
}

/* ---- the loop ------------------------------------------------------------- */

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_until_us(double deadline) {
    double left = deadline - now_us();
    if (left > 0) {
        long long ns = (long long)(left * 1e3);
        struct timespec delay = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
        nanosleep(&delay, NULL);
    }
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts `us` (so us[0] is then the best) and returns its median. */
static double median(double *us, size_t n) {
    qsort(us, n, sizeof us[0], compare_double);
    return n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2.0;
}

static Entity *script_es, *c_es; /* the two copies of the world */
static int64_t frame_no;

/* Runs `frames` frames of both updates, looking at the file every
 * POLL_EVERY frames (outside the timed regions: it costs both the same).
 * With `script_us`/`c_us` it records each frame's time. Stops early when a
 * poll sees a change and `stop_on_change` is set; returns the frames run. */
static int64_t run_frames(int64_t frames, int paced, int stop_on_change, double *script_us, double *c_us) {
    double next = now_us();
    for (int64_t f = 0; f < frames; f++, frame_no++) {
        if (frame_no % POLL_EVERY == 0 && poll_file(frame_no) && stop_on_change) {
            return f;
        }
        double t0 = now_us();
        script_frame(script_es, ENTITIES, DT);
        double t1 = now_us();
        update_c(c_es, ENTITIES, DT);
        double t2 = now_us();
        if (script_us != NULL) {
            script_us[f] = t1 - t0;
            c_us[f] = t2 - t1;
        }
        if (paced) {
            next += 1e6 * DT;
            sleep_until_us(next);
        }
    }
    return frames;
}

/* Returns 1 if both copies are bit-identical, else prints the first
 * difference. memcmp would also compare the struct's padding. */
static int worlds_agree(void) {
    for (size_t i = 0; i < ENTITIES; i++) {
        const Entity *s = &script_es[i], *c = &c_es[i];
        if (memcmp(&s->x, &c->x, sizeof s->x) != 0 || memcmp(&s->y, &c->y, sizeof s->y) != 0 ||
            memcmp(&s->vx, &c->vx, sizeof s->vx) != 0 || memcmp(&s->vy, &c->vy, sizeof s->vy) != 0 ||
            s->hits != c->hits) {
            printf("entity %zu differs: script (%.17g, %.17g) v (%.17g, %.17g) hits %d, "
                   "C (%.17g, %.17g) v (%.17g, %.17g) hits %d\n",
                   i, s->x, s->y, s->vx, s->vy, (int)s->hits, c->x, c->y, c->vx, c->vy, (int)c->hits);
            return 0;
        }
    }
    if (script_collisions != c_collisions) {
        printf("collisions differ: %" PRId64 " from the script's collide calls, %" PRId64 " in C\n",
               script_collisions, c_collisions);
        return 0;
    }
    return 1;
}

static double mean_y(const Entity *es) {
    double sum = 0.0;
    for (size_t i = 0; i < ENTITIES; i++) {
        sum += es[i].y;
    }
    return sum / ENTITIES;
}

/* ---- the demo's edits ----------------------------------------------------- */

/* Reads a whole file into a new NUL-terminated buffer; NULL on error. */
static char *read_file(const char *path) {
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
    return data;
}

/* Writes `text` to `path` through a temporary file renamed over it, so the
 * watcher sees the old file or the new one, never a half-written one. */
static int write_atomically(const char *path, const char *text) {
    char temp[4200];
    snprintf(temp, sizeof temp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(temp, "wb");
    if (f == NULL) {
        fprintf(stderr, "game: cannot write %s: %s\n", temp, strerror(errno));
        return 0;
    }
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(temp, path) != 0) {
        fprintf(stderr, "game: cannot write %s: %s\n", path, strerror(errno));
        unlink(temp);
        return 0;
    }
    return 1;
}

/* Copies `script` into a new temporary directory; `watched` is the copy. */
static void make_demo_copy(const char *script) {
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(temp_dir, sizeof temp_dir, "%s/rtjit-game-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof temp_dir || mkdtemp(temp_dir) == NULL) {
        fprintf(stderr, "game: cannot create %s: %s\n", temp_dir, strerror(errno));
        temp_dir[0] = '\0';
        finish(1);
    }
    n = snprintf(watched, sizeof watched, "%s/game.rt", temp_dir);
    if (n < 0 || (size_t)n >= sizeof watched) {
        fprintf(stderr, "game: the path of the copy is too long\n");
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }
    char *text = read_file(script);
    if (text == NULL) {
        fprintf(stderr, "game: cannot read %s: %s\n", script, strerror(errno));
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }
    int ok = write_atomically(watched, text);
    free(text);
    if (!ok) {
        rmdir(temp_dir);
        temp_dir[0] = '\0';
        finish(1);
    }
}

/* Returns `text` with its first `from` replaced by `to` (a new string), or
 * exits when the script has no `from`: the demo needs the default script. */
static char *replace(const char *text, const char *from, const char *to) {
    const char *at = strstr(text, from);
    if (at == NULL) {
        fprintf(stderr, "game: the demo edits `%s`, which %s lacks\n", from, watched);
        finish(1);
    }
    size_t head = (size_t)(at - text), len = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(len + 1);
    if (out == NULL) {
        fprintf(stderr, "game: out of memory\n");
        finish(1);
    }
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

/* Saves `text` over the copy and runs frames until the watcher sees it. */
static void demo_edit(const char *what, const char *text) {
    printf("\nedit: %s\n", what);
    if (!write_atomically(watched, text)) {
        finish(1);
    }
    /* The poll runs every POLL_EVERY frames: it must see the edit within
     * a few of them. */
    if (run_frames(5 * POLL_EVERY, 0, 1, NULL, NULL) == 5 * POLL_EVERY) {
        fprintf(stderr, "game: the watcher did not notice the edit\n");
        finish(1);
    }
}

/* After the agreement check: a good edit that the entities show, then a
 * typo that is refused while the edited code keeps running. */
static void run_demo(void) {
    char *original = read_file(watched);
    if (original == NULL) {
        fprintf(stderr, "game: cannot read %s: %s\n", watched, strerror(errno));
        finish(1);
    }
    char *gravity = replace(original, "val gravity = 0.0", "val gravity = 400.0");
    char *edited = replace(gravity, "fn version() -> i64: 1", "fn version() -> i64: 2");
    char *typo = replace(edited, "fn version() -> i64: 2", "fn version() -> i64 2");
    free(original);
    free(gravity);

    demo_edit("gravity = 400.0 and version() = 2", edited);
    run_frames(DEMO_FRAMES, 0, 0, NULL, NULL);
    printf("  after %d more frames, the script's gravity (toward y = %.0f) has moved its entities; C's have not:\n",
           DEMO_FRAMES, HEIGHT);
    printf("    entity 0: script at (%.2f, %.2f) v (%.2f, %.2f), C at (%.2f, %.2f) v (%.2f, %.2f)\n",
           script_es[0].x, script_es[0].y, script_es[0].vx, script_es[0].vy, c_es[0].x, c_es[0].y, c_es[0].vx,
           c_es[0].vy);
    printf("    mean y: script %.1f, C %.1f\n", mean_y(script_es), mean_y(c_es));

    demo_edit("a typo in version() (a compile error)", typo);
    int64_t errors = update_errors;
    run_frames(DEMO_FRAMES, 0, 0, NULL, NULL);
    printf("  %d more frames ran on the gravity code (version() = %" PRId64 ", %s)\n", DEMO_FRAMES,
           script_version(), update_errors == errors ? "no update errors" : "update errors");
    free(edited);
    free(typo);
    if (script_version() != 2) {
        fprintf(stderr, "game: the demo's edits did not have the expected effect\n");
        finish(1);
    }
}

/* ---- main ------------------------------------------------------------------ */

static void usage(const char *argv0) {
    fprintf(stderr, "usage: %s [--demo] [--frames N] [--paced] [--script PATH | PATH]\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    int demo = 0, paced = 0;
    long frames = DEFAULT_FRAMES;
    const char *script_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0) {
            demo = 1;
        } else if (strcmp(argv[i], "--paced") == 0) {
            paced = 1;
        } else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            char *end = NULL;
            frames = strtol(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || frames <= 0 || frames > 100000000) {
                usage(argv[0]);
            }
        } else if (strcmp(argv[i], "--script") == 0 && i + 1 < argc && script_arg == NULL) {
            script_arg = argv[++i];
        } else if (argv[i][0] == '-' || script_arg != NULL) {
            usage(argv[0]);
        } else {
            script_arg = argv[i];
        }
    }

    char script[4096];
    if (script_arg != NULL) {
        snprintf(script, sizeof script, "%s", script_arg);
    } else if (!find_example_file(argv[0], "scripts/game.rt", script, sizeof script)) {
        fprintf(stderr, "game: cannot find scripts/game.rt; pass the script as an argument\n");
        return 1;
    }

    /* Lines reach a pipe as they are printed (a watcher's log). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("rtjit %s game loop example: %d entities, %ld frames of 1/60 s\n\n", rt_version(), ENTITIES, frames);

    if (demo) {
        make_demo_copy(script);
        printf("script: %s, a copy of %s that the demo edits\n", watched, script);
    } else {
        snprintf(watched, sizeof watched, "%s", script);
        printf("script: %s (edit it while the loop runs to reload it%s)\n", watched,
               paced ? "" : "; --paced gives you time");
    }

    manager = rt_exec_manager_create();
    if (manager == 0) {
        die("rt_exec_manager_create");
    }
    /* Host functions are registered before the units that declare them. */
    if (rt_exec_manager_register_function(manager, "collide", (void *)collide, "fn(i64) -> void") != RT_OK) {
        die("rt_exec_manager_register_function(collide)");
    }
    /* The first load must succeed: there is no old code to fall back on. */
    last_seen = file_state_of(watched);
    if (rt_exec_manager_compile_file(manager, watched) != RT_OK) {
        fprintf(stderr, "game: cannot load %s: %s\n", watched, rt_exec_manager_get_last_error());
        finish(1);
    }
    printf("loaded: version() = %" PRId64 "\n", script_version());
    check_layout();

    script_es = malloc(ENTITIES * sizeof *script_es);
    c_es = malloc(ENTITIES * sizeof *c_es);
    double *script_us = malloc((size_t)frames * sizeof *script_us);
    double *c_us = malloc((size_t)frames * sizeof *c_us);
    if (script_es == NULL || c_es == NULL || script_us == NULL || c_us == NULL) {
        fprintf(stderr, "game: out of memory\n");
        finish(1);
    }
    init_entities(script_es, ENTITIES);
    memcpy(c_es, script_es, ENTITIES * sizeof *c_es);

    printf("\nrunning %ld frames of the script's update and of update_c, each on its own copy\n", frames);
    run_frames(frames, paced, 0, script_us, c_us);

    int status = 0;
    if (reloads > 0 || refused > 0) {
        printf("the script changed during the run, so its entities are not compared with C's\n");
    } else if (update_errors > 0) {
        printf("script and C disagree: the script's update failed\n");
        status = 1;
    } else if (worlds_agree()) {
        printf("script and C agree: %d entities bit-identical after %ld frames, %" PRId64 " collisions each\n",
               ENTITIES, frames, c_collisions);
    } else {
        printf("script and C disagree\n");
        status = 1;
    }

    double med_script = median(script_us, (size_t)frames), med_c = median(c_us, (size_t)frames);
    double best_script = script_us[0], best_c = c_us[0];
    printf("\ntime per frame, median and best of %ld frames (the script's includes binding the array and the call):\n",
           frames);
    printf("  script  %8.1f µs (best %8.1f)   %7.0f frames/s\n", med_script, best_script, 1e6 / med_script);
    printf("  C       %8.1f µs (best %8.1f)   %7.0f frames/s\n", med_c, best_c, 1e6 / med_c);
    printf("  script / C: %.2f (medians)\n", med_script / med_c);
    free(script_us);
    free(c_us);

    if (demo && status == 0) {
        run_demo();
    }
    printf("\n%d reload%s, %d refused\n", reloads, reloads == 1 ? "" : "s", refused);
    free(script_es);
    free(c_es);
    finish(status);
}
