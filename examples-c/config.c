/*
 * config.c: a configuration file in the rtjit language, read by a C host.
 *
 *   name = "web-1"
 *   port = 8080
 *   timeout = 30 * 60
 *   url = "http://" + host + ":" + str(port) + "/"
 *   servers = ["10.0.0.1:8080", "10.0.0.2:8080"]
 *   limits = {"requests_per_minute": 10 * 60, "max_connections": 200}
 *   limits["burst"] = limits["requests_per_minute"] / 12
 *
 * The host compiles the file with rt_exec_manager_compile_file, which runs
 * it: every `name = value` line becomes a typed global. The host then reads
 * the settings it knows with rt_exec_manager_get_global, switching on
 * rt_value.type (text values are strings the host frees with
 * rt_string_free), gives a default to each setting the file leaves out
 * (RT_ERR_NOT_FOUND), and rejects a value of the wrong type.
 *
 * Two settings are data (docs/language.md section 11), read through the
 * rt_object the value holds, which the host owns and frees with
 * rt_value_free:
 *  - `servers`, an array of text (RT_TYPE_ARRAY whose rt_object_type is
 *    "[text]"): each element (rt_object_get_index) is copied into the
 *    host's own list. Default: no servers.
 *  - `limits`, a map {text: i64} (RT_TYPE_MAP, "{text: i64}"): the host
 *    looks up the limits it knows by name (rt_object_get_field), each
 *    with its own default when the map has no such key
 *    (RT_ERR_NOT_FOUND), and reports entries it does not know, showing
 *    the map as JSON (rt_value_to_json). Default: every limit's default.
 * A value of another type (a text for `servers`, a {text: f64} for
 * `limits`, an array for `port`) is rejected like any other: the setting
 * keeps its default and the message shows the value's type and JSON.
 *
 * Finally it loads a config with a mistake into the same manager, as a
 * reload would, to show the error (file:line:col) and that the settings
 * loaded before are untouched.
 *
 * Usage: config [CONFIG_FILE [BROKEN_CONFIG_FILE]]
 *
 * CONFIG_FILE defaults to scripts/app.conf, looked for in ./scripts,
 * ./examples-c/scripts and ../scripts next to the executable.
 * BROKEN_CONFIG_FILE defaults to broken.conf in the directory of
 * CONFIG_FILE; when there is none, that part is skipped.
 *
 * Exit status: 0; 1 if CONFIG_FILE cannot be loaded (the error goes to
 * stderr) or an rtjit call fails unexpectedly; 2 for bad usage.
 */

#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"
#include "example_files.h"
#include "value_format.h"

/* ---- the host's settings ----------------------------------------------- */

/* The limits the service knows, read from the map `limits`. */
typedef struct {
    int64_t requests_per_minute;
    int64_t max_connections;
    int64_t burst;      /* requests allowed at once above the rate */
    int64_t queue_size; /* requests waiting for a connection */
} app_limits;

/* What the service reads from its config. The strings (the servers too)
 * are the host's own copies (malloc'd), independent of the library and of
 * the manager. */
typedef struct {
    char *name;
    char *host;
    int64_t port;
    char *log_level;
    int64_t timeout;  /* seconds */
    int64_t max_body; /* bytes */
    double sample_rate;
    int debug;
    char *url;
    int64_t workers;
    char *motd;
    char **servers; /* server_count "host:port" texts */
    size_t server_count;
    app_limits limits;
} app_config;

/* One setting: its name in the file, its type, where it goes in
 * app_config, and the default used when the file leaves it out. */
typedef struct {
    const char *name;
    int32_t type; /* RT_TYPE_TEXT, RT_TYPE_I64, RT_TYPE_F64 or RT_TYPE_BOOL */
    size_t offset;
    const char *default_text;
    int64_t default_i64;
    double default_f64;
    int default_bool;
} setting;

#define TEXT(field, def) {#field, RT_TYPE_TEXT, offsetof(app_config, field), def, 0, 0.0, 0}
#define I64(field, def) {#field, RT_TYPE_I64, offsetof(app_config, field), NULL, def, 0.0, 0}
#define F64(field, def) {#field, RT_TYPE_F64, offsetof(app_config, field), NULL, 0, def, 0}
#define BOOL(field, def) {#field, RT_TYPE_BOOL, offsetof(app_config, field), NULL, 0, 0.0, def}

static const setting settings[] = {
    TEXT(name, "unnamed"),
    TEXT(host, "localhost"),
    I64(port, 80),
    TEXT(log_level, "warn"),
    I64(timeout, 60),
    I64(max_body, 1024 * 1024),
    F64(sample_rate, 0.0),
    BOOL(debug, 0),
    TEXT(url, ""),
    I64(workers, 4),
    TEXT(motd, "welcome"),
};

#define SETTING_COUNT (sizeof settings / sizeof settings[0])

/* One entry of the map `limits`: its key, where it goes in app_limits, and
 * the default used when the map (or the whole setting) leaves it out. */
typedef struct {
    const char *key;
    size_t offset;
    int64_t default_value;
} limit;

#define LIMIT(field, def) {#field, offsetof(app_limits, field), def}

static const limit known_limits[] = {
    LIMIT(requests_per_minute, 60),
    LIMIT(max_connections, 100),
    LIMIT(burst, 10),
    LIMIT(queue_size, 128),
};

#define LIMIT_COUNT (sizeof known_limits / sizeof known_limits[0])

static int64_t *limit_of(app_config *config, const limit *l) {
    return (int64_t *)((char *)&config->limits + l->offset);
}

static void *field_of(app_config *config, const setting *s) {
    return (char *)config + s->offset;
}

static char *copy_text(const char *text) {
    char *copy = strdup(text);
    if (copy == NULL) {
        fprintf(stderr, "config: out of memory\n");
        exit(1);
    }
    return copy;
}

static void free_config(app_config *config) {
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        if (settings[i].type == RT_TYPE_TEXT) {
            char **text = field_of(config, &settings[i]);
            free(*text);
            *text = NULL;
        }
    }
    for (size_t i = 0; i < config->server_count; i++) {
        free(config->servers[i]);
    }
    free(config->servers);
    config->servers = NULL;
    config->server_count = 0;
}

/* Prints a setting's value as the language would write it. */
static void print_setting(app_config *config, const setting *s) {
    void *field = field_of(config, s);
    switch (s->type) {
    case RT_TYPE_TEXT: fprint_text(stdout, *(char **)field); break;
    case RT_TYPE_I64: printf("%" PRId64, *(int64_t *)field); break;
    case RT_TYPE_F64: fprint_f64(stdout, *(double *)field); break;
    case RT_TYPE_BOOL: fputs(*(int *)field ? "true" : "false", stdout); break;
    }
}

/* Writes the type and value of what the config set, for a message: a
 * scalar as the language writes it (text "5432"), an array, record or map
 * as its type and its JSON ([i64] [1,2]). */
static void print_typed_value(const rt_value *v) {
    if (v->type == RT_TYPE_ARRAY || v->type == RT_TYPE_RECORD || v->type == RT_TYPE_MAP) {
        char *type = rt_object_type(v->as.object);
        char *json = rt_value_to_json(v);
        printf("%s %s", type != NULL ? type : "object", json != NULL ? json : "(no JSON)");
        rt_string_free(json);
        rt_string_free(type);
    } else {
        printf("%s ", value_type_name(v->type));
        fprint_value(stdout, v);
    }
}

/* Whether `v` is an object with tag `tag` whose type the language writes
 * as `type` ("[text]", "{text: i64}"): the tag alone does not say what the
 * elements are. */
static int has_object_type(const rt_value *v, int32_t tag, const char *type) {
    if (v->type != tag) {
        return 0;
    }
    char *actual = rt_object_type(v->as.object);
    int same = actual != NULL && strcmp(actual, type) == 0;
    rt_string_free(actual);
    return same;
}

static void set_default(app_config *config, const setting *s) {
    void *field = field_of(config, s);
    switch (s->type) {
    case RT_TYPE_TEXT: *(char **)field = copy_text(s->default_text); break;
    case RT_TYPE_I64: *(int64_t *)field = s->default_i64; break;
    case RT_TYPE_F64: *(double *)field = s->default_f64; break;
    case RT_TYPE_BOOL: *(int *)field = s->default_bool; break;
    }
}

/* ---- reading the settings from a manager --------------------------------- */

/* The manager holding the loaded config; released by finish(). */
static int64_t manager;
static app_config config;

static void finish(int status) {
    free_config(&config);
    if (manager != 0) {
        int32_t rc = rt_exec_manager_cleanup(manager);
        manager = 0;
        if (rc != RT_OK) {
            fprintf(stderr, "config: rt_exec_manager_cleanup failed: %s\n", rt_exec_manager_get_last_error());
            status = 1;
        }
    }
    exit(status);
}

/*
 * Reads one setting into `config`. A setting the file leaves out gets its
 * default; so does one of the wrong type, with a warning (an i64 is
 * accepted for an f64 setting, as the language itself promotes it).
 */
static void read_setting(const setting *s) {
    rt_value value = {.type = RT_TYPE_VOID};
    int32_t rc = rt_exec_manager_get_global(manager, s->name, &value);
    if (rc == RT_ERR_NOT_FOUND) {
        set_default(&config, s);
        printf("  %s = ", s->name);
        print_setting(&config, s);
        printf(" (%s, default: not in the config)\n", value_type_name(s->type));
        return;
    }
    if (rc != RT_OK) {
        fprintf(stderr, "config: reading %s failed: %s\n", s->name, rt_exec_manager_get_last_error());
        finish(1);
    }

    void *field = field_of(&config, s);
    int accepted = 1;
    switch (value.type) {
    case RT_TYPE_TEXT:
        if (s->type == RT_TYPE_TEXT) {
            *(char **)field = copy_text(value.as.text);
        } else {
            accepted = 0;
        }
        break;
    case RT_TYPE_I64:
        if (s->type == RT_TYPE_I64) {
            *(int64_t *)field = value.as.i64;
        } else if (s->type == RT_TYPE_F64) {
            *(double *)field = (double)value.as.i64;
        } else {
            accepted = 0;
        }
        break;
    case RT_TYPE_F64:
        if (s->type == RT_TYPE_F64) {
            *(double *)field = value.as.f64;
        } else {
            accepted = 0;
        }
        break;
    case RT_TYPE_BOOL:
        if (s->type == RT_TYPE_BOOL) {
            *(int *)field = value.as.boolean != 0;
        } else {
            accepted = 0;
        }
        break;
    default:
        accepted = 0;
        break;
    }

    if (accepted) {
        printf("  %s = ", s->name);
        print_setting(&config, s);
        printf(" (%s)\n", value_type_name(s->type));
    } else {
        set_default(&config, s);
        printf("  %s = ", s->name);
        print_setting(&config, s);
        printf(" (%s, default: the config sets it to the ", value_type_name(s->type));
        print_typed_value(&value);
        printf(")\n");
    }
    /* The library's text or object belongs to us: free it (a no-op for
     * other types). */
    rt_value_free(&value);
}

/* Writes the host's list of servers as the language writes an array. */
static void print_servers(void) {
    fputc('[', stdout);
    for (size_t i = 0; i < config.server_count; i++) {
        fputs(i > 0 ? ", " : "", stdout);
        fprint_text(stdout, config.servers[i]);
    }
    fputc(']', stdout);
}

/*
 * Reads `servers`, an array of text, into config.servers: every element
 * is copied, so the host's list outlives the rt_object, which is freed
 * here. Left out or of another type: no servers.
 */
static void read_servers(void) {
    rt_value value = {.type = RT_TYPE_VOID};
    int32_t rc = rt_exec_manager_get_global(manager, "servers", &value);
    if (rc == RT_ERR_NOT_FOUND) {
        printf("  servers = ");
        print_servers();
        printf(" ([text], default: not in the config)\n");
        return;
    }
    if (rc != RT_OK) {
        fprintf(stderr, "config: reading servers failed: %s\n", rt_exec_manager_get_last_error());
        finish(1);
    }
    if (!has_object_type(&value, RT_TYPE_ARRAY, "[text]")) {
        printf("  servers = ");
        print_servers();
        printf(" ([text], default: the config sets it to the ");
        print_typed_value(&value);
        printf(")\n");
        rt_value_free(&value);
        return;
    }

    const rt_object *array = value.as.object;
    int64_t count = rt_object_len(array);
    config.servers = calloc(count > 0 ? (size_t)count : 1, sizeof *config.servers);
    if (count < 0 || config.servers == NULL) {
        fprintf(stderr, "config: reading servers failed: %s\n",
                count < 0 ? rt_exec_manager_get_last_error() : "out of memory");
        rt_value_free(&value);
        finish(1);
    }
    for (int64_t i = 0; i < count; i++) {
        rt_value element = {.type = RT_TYPE_VOID};
        rc = rt_object_get_index(array, i, &element);
        if (rc != RT_OK || element.type != RT_TYPE_TEXT) {
            fprintf(stderr, "config: reading servers[%" PRId64 "] failed: %s\n", i,
                    rc != RT_OK ? rt_exec_manager_get_last_error() : "not a text");
            rt_value_free(&element);
            rt_value_free(&value);
            finish(1);
        }
        config.servers[config.server_count++] = copy_text(element.as.text);
        rt_value_free(&element);
    }
    rt_value_free(&value);

    printf("  servers = ");
    print_servers();
    printf(" ([text])\n");
}

/*
 * Reads `limits`, a map {text: i64}: each limit the host knows is looked
 * up by its key, and gets its default when the map has no such entry.
 * Entries the host does not know are reported, with the map as JSON (the
 * C API looks entries up by key; it does not list the keys). Left out or
 * of another type: every limit has its default.
 */
static void read_limits(void) {
    for (size_t i = 0; i < LIMIT_COUNT; i++) {
        *limit_of(&config, &known_limits[i]) = known_limits[i].default_value;
    }

    rt_value value = {.type = RT_TYPE_VOID};
    int32_t rc = rt_exec_manager_get_global(manager, "limits", &value);
    if (rc != RT_OK && rc != RT_ERR_NOT_FOUND) {
        fprintf(stderr, "config: reading limits failed: %s\n", rt_exec_manager_get_last_error());
        finish(1);
    }
    if (rc == RT_ERR_NOT_FOUND || !has_object_type(&value, RT_TYPE_MAP, "{text: i64}")) {
        if (rc == RT_ERR_NOT_FOUND) {
            printf("  limits = {} ({text: i64}, default: not in the config)\n");
        } else {
            printf("  limits = {} ({text: i64}, default: the config sets it to the ");
            print_typed_value(&value);
            printf(")\n");
            rt_value_free(&value);
        }
        for (size_t i = 0; i < LIMIT_COUNT; i++) {
            printf("  limits[\"%s\"] = %" PRId64 " (i64, default)\n", known_limits[i].key,
                   known_limits[i].default_value);
        }
        return;
    }

    const rt_object *map = value.as.object;
    int64_t found = 0;
    for (size_t i = 0; i < LIMIT_COUNT; i++) {
        const limit *l = &known_limits[i];
        rt_value entry = {.type = RT_TYPE_VOID};
        rc = rt_object_get_field(map, l->key, &entry);
        if (rc == RT_ERR_NOT_FOUND) {
            printf("  limits[\"%s\"] = %" PRId64 " (i64, default: not in the map)\n", l->key, l->default_value);
            continue;
        }
        if (rc != RT_OK || entry.type != RT_TYPE_I64) {
            fprintf(stderr, "config: reading limits[\"%s\"] failed: %s\n", l->key,
                    rc != RT_OK ? rt_exec_manager_get_last_error() : "not an i64");
            rt_value_free(&entry);
            rt_value_free(&value);
            finish(1);
        }
        *limit_of(&config, l) = entry.as.i64;
        found++;
        printf("  limits[\"%s\"] = %" PRId64 " (i64)\n", l->key, entry.as.i64);
        rt_value_free(&entry);
    }

    int64_t unknown = rt_object_len(map) - found;
    if (unknown > 0) {
        char *json = rt_value_to_json(&value);
        printf("  limits: %" PRId64 " %s the host does not know, ignored: %s\n", unknown,
               unknown == 1 ? "entry" : "entries", json != NULL ? json : "(no JSON)");
        rt_string_free(json);
    }
    rt_value_free(&value);
}

/* ---- finding the files ----------------------------------------------------- */

static int is_readable(const char *path) {
    return access(path, R_OK) == 0;
}


/* broken.conf in the directory of `config_path`. */
static void sibling_path(const char *config_path, const char *name, char *path, size_t size) {
    const char *slash = strrchr(config_path, '/');
    if (slash == NULL) {
        snprintf(path, size, "%s", name);
    } else {
        snprintf(path, size, "%.*s/%s", (int)(slash - config_path), config_path, name);
    }
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc > 3) {
        fprintf(stderr, "usage: %s [CONFIG_FILE [BROKEN_CONFIG_FILE]]\n", argv[0]);
        return 2;
    }

    char config_path[4096];
    if (argc > 1) {
        snprintf(config_path, sizeof config_path, "%s", argv[1]);
    } else if (!find_example_file(argv[0], "scripts/app.conf", config_path, sizeof config_path)) {
        fprintf(stderr, "config: cannot find scripts/app.conf; pass the config file as the first argument\n");
        return 1;
    }

    printf("rtjit %s config example\n\n", rt_version());

    manager = rt_exec_manager_create();
    if (manager == 0) {
        fprintf(stderr, "config: rt_exec_manager_create failed: %s\n", rt_exec_manager_get_last_error());
        return 1;
    }

    /* Loading runs the file: its top-level lines set the globals. */
    printf("== %s ==\n", config_path);
    int32_t rc = rt_exec_manager_compile_file(manager, config_path);
    if (rc != RT_OK) {
        /* RT_ERR_IO (unreadable), RT_ERR_COMPILE (file:line:col: ...) or
         * RT_ERR_RUNTIME (e.g. a division by zero in a computed value). */
        fprintf(stderr, "config: cannot load %s: %s\n", config_path, rt_exec_manager_get_last_error());
        finish(1);
    }
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        read_setting(&settings[i]);
    }
    read_servers();
    read_limits();

    /* The host uses its own typed copy from here on. */
    printf("\n== the service, configured ==\n");
    printf("  %s listens on %s:%" PRId64 " (%s) with %" PRId64 " workers\n", config.name, config.host, config.port,
           config.url, config.workers);
    printf("  requests time out after %" PRId64 " min, bodies up to %" PRId64 " MiB, %.0f%% traced\n",
           config.timeout / 60, config.max_body / (1024 * 1024), config.sample_rate * 100.0);
    printf("  log level %s, debug %s; message of the day: %s\n", config.log_level, config.debug ? "on" : "off",
           config.motd);
    if (config.server_count == 0) {
        printf("  it forwards to no servers\n");
    } else {
        printf("  it forwards to %zu server%s:", config.server_count, config.server_count == 1 ? "" : "s");
        for (size_t i = 0; i < config.server_count; i++) {
            printf("%s %s", i > 0 ? "," : "", config.servers[i]);
        }
        printf("\n");
    }
    printf("  at most %" PRId64 " requests per minute (bursts of %" PRId64 "), %" PRId64
           " connections, %" PRId64 " queued\n",
           config.limits.requests_per_minute, config.limits.burst, config.limits.max_connections,
           config.limits.queue_size);

    /* A config with a mistake, loaded into the same manager as a reload
     * would be: the error names file:line:col, and nothing changes. */
    char broken_path[4096];
    if (argc > 2) {
        snprintf(broken_path, sizeof broken_path, "%s", argv[2]);
    } else {
        sibling_path(config_path, "broken.conf", broken_path, sizeof broken_path);
    }
    printf("\n== a config with a mistake: %s ==\n", broken_path);
    if (argc <= 2 && !is_readable(broken_path)) {
        printf("  (no broken.conf next to the config: nothing to show)\n");
        finish(0);
    }
    rc = rt_exec_manager_compile_file(manager, broken_path);
    if (rc == RT_OK) {
        printf("  loaded without an error: nothing to show\n");
        finish(0);
    }
    printf("  error: %s\n", rt_exec_manager_get_last_error());
    rt_exec_manager_clear_error();

    /* A failed unit leaves every global as it was: the reload is refused. */
    rt_value name = {.type = RT_TYPE_VOID};
    if (rt_exec_manager_get_global(manager, "name", &name) != RT_OK) {
        fprintf(stderr, "config: reading name failed: %s\n", rt_exec_manager_get_last_error());
        finish(1);
    }
    printf("  the loaded config is unchanged: name = ");
    fprint_value(stdout, &name);
    printf("\n");
    value_release(&name);

    finish(0);
}
