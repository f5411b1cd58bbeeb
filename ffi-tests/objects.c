/*
 * objects.c: arrays, records and maps across the C ABI (c-api.md,
 * functions 36-47).
 *
 *  - building arrays (rt_array_new + rt_array_push, rt_array_from_f64/i64)
 *    and reading them (len, get_index, type, read_f64/i64, JSON)
 *  - arrays as call arguments and results, and as globals
 *    (get_global, set_global), with value semantics: the host's object
 *    never changes, a script never sees the host's later pushes
 *  - rt_value_free / rt_object_free on every kind of value, NULL no-ops
 *  - argument errors: NULL, wrong tags, wrong element types, out of range
 *  - records: fields by name and number, JSON, as arguments and globals
 *  - ownership: 100,000 rounds of calls that return arrays and records keep
 *    a flat resident size
 *    (and valgrind, with FFI_SLOW=1, finds no leak on the same paths)
 *
 * Each RUN_GROUP prints one line; the first failed check prints
 * file:line, what was expected and what happened, and exits 1
 * (FFI_KEEP_GOING=1 runs every check instead).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtjit.h"

#define CHECK_PROGRAM "objects"
#define CHECK_LAST_CODE() rt_last_error_code()
#define CHECK_LAST_MSG() rt_exec_manager_get_last_error()
#include "check.h"

static int64_t new_manager(void) {
    int64_t h = rt_exec_manager_create();
    CHECK_MSG(h > 0, "rt_exec_manager_create() returned %lld", (long long)h);
    return h;
}

static void source_ok(int64_t h, const char *text) {
    int32_t s = rt_exec_manager_compile_source(h, text);
    CHECK_MSG(s == RT_OK, "compile_source of\n----\n%s\n----\nreturned %d %s: %s", text, s, status_name(s),
              rt_exec_manager_get_last_error());
}

static rt_value vi64(int64_t x) {
    rt_value v = {.type = RT_TYPE_I64, .as.i64 = x};
    return v;
}

static rt_value vf64(double x) {
    rt_value v = {.type = RT_TYPE_F64, .as.f64 = x};
    return v;
}

static rt_value vtext(const char *s) {
    rt_value v = {.type = RT_TYPE_TEXT, .as.text = s};
    return v;
}

static rt_value varray(rt_object *o) {
    rt_value v = {.type = RT_TYPE_ARRAY, .as.object = o};
    return v;
}

/* The JSON of `v`, compared and freed. */
#define CHECK_JSON(v, expected)                                                                                        \
    do {                                                                                                               \
        rt_value v_ = (v);                                                                                             \
        char *j_ = rt_value_to_json(&v_);                                                                              \
        CHECK_STREQ(j_, expected);                                                                                     \
        rt_string_free(j_);                                                                                            \
    } while (0)

#define CHECK_OBJ_TYPE(o, expected)                                                                                        \
    do {                                                                                                               \
        char *t_ = rt_object_type(o);                                                                                  \
        CHECK_STREQ(t_, expected);                                                                                     \
        rt_string_free(t_);                                                                                            \
    } while (0)

/* ------------------------------------------------------------------ building and reading */

static void group_build_and_read(void) {
    rt_object *a = rt_array_new(RT_TYPE_I64);
    CHECK(a != NULL);
    CHECK_EQ(rt_object_len(a), 0);
    CHECK_OBJ_TYPE(a, "[i64]");
    CHECK_JSON(varray(a), "[]");
    for (int64_t i = 0; i < 5; i++) {
        rt_value v = vi64(i * i);
        CHECK_OK(rt_array_push(a, &v));
    }
    CHECK_EQ(rt_object_len(a), 5);
    rt_value out;
    CHECK_OK(rt_object_get_index(a, 3, &out));
    CHECK_EQ(out.type, RT_TYPE_I64);
    CHECK_EQ(out.as.i64, 9);
    rt_value_free(&out);
    CHECK_EQ(out.type, RT_TYPE_VOID);
    int64_t got[8] = {0};
    CHECK_OK(rt_array_read_i64(a, got, 8)); /* only the 5 it has */
    CHECK_EQ(got[4], 16);
    CHECK_EQ(got[5], 0);
    CHECK_OK(rt_array_read_i64(a, got, 2));
    CHECK_OK(rt_array_read_i64(a, NULL, 0));
    CHECK_JSON(varray(a), "[0,1,4,9,16]");
    rt_object_free(a);

    double xs[4] = {1.5, -2.0, 1e300, 0.1};
    rt_object *f = rt_array_from_f64(xs, 4);
    CHECK(f != NULL);
    CHECK_OBJ_TYPE(f, "[f64]");
    CHECK_EQ(rt_object_len(f), 4);
    double back[4] = {0};
    CHECK_OK(rt_array_read_f64(f, back, 4));
    CHECK(memcmp(back, xs, sizeof xs) == 0);
    CHECK_JSON(varray(f), "[1.5,-2.0,1e300,0.1]");
    /* an i64 converts for an f64 array, as call arguments do */
    rt_value one = vi64(1);
    CHECK_OK(rt_array_push(f, &one));
    CHECK_OK(rt_object_get_index(f, 4, &out));
    CHECK_EQ(out.type, RT_TYPE_F64);
    CHECK_F64(out.as.f64, 1.0);
    rt_object_free(f);

    int64_t ns[3] = {INT64_MIN, 0, INT64_MAX};
    rt_object *n = rt_array_from_i64(ns, 3);
    CHECK_JSON(varray(n), "[-9223372036854775808,0,9223372036854775807]");
    rt_object_free(n);

    rt_object *empty = rt_array_from_f64(NULL, 0);
    CHECK(empty != NULL);
    CHECK_EQ(rt_object_len(empty), 0);
    rt_object_free(empty);

    rt_object *t = rt_array_new(RT_TYPE_TEXT);
    rt_value s1 = vtext("ann"), s2 = vtext("quote \" and \\ and \n");
    CHECK_OK(rt_array_push(t, &s1));
    CHECK_OK(rt_array_push(t, &s2));
    CHECK_OK(rt_object_get_index(t, 1, &out));
    CHECK_EQ(out.type, RT_TYPE_TEXT);
    CHECK_STREQ(out.as.text, "quote \" and \\ and \n");
    rt_value_free(&out);
    CHECK_JSON(varray(t), "[\"ann\",\"quote \\\" and \\\\ and \\n\"]");
    rt_object_free(t);

    rt_object *b = rt_array_new(RT_TYPE_BOOL);
    rt_value yes = {.type = RT_TYPE_BOOL, .as.boolean = 1};
    CHECK_OK(rt_array_push(b, &yes));
    CHECK_JSON(varray(b), "[true]");
    CHECK_OBJ_TYPE(b, "[bool]");
    rt_object_free(b);

    /* JSON of scalars */
    CHECK_JSON(vi64(-7), "-7");
    CHECK_JSON(vf64(2.0), "2.0");
    CHECK_JSON(vf64(NAN), "null");
    CHECK_JSON(vtext("a\tb"), "\"a\\tb\"");
    rt_value nothing = {.type = RT_TYPE_VOID};
    CHECK_JSON(nothing, "null");
}

/* ------------------------------------------------------------------ errors */

static void group_errors(void) {
    rt_value out;
    rt_object *a = rt_array_new(RT_TYPE_F64);
    rt_value text = vtext("x");
    CHECK_ERR(rt_array_push(a, &text), RT_ERR_SIGNATURE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "[f64]");
    CHECK_ERR(rt_array_push(a, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_array_push(NULL, &text), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_object_get_index(a, 0, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "index out of range: 0 (length 0)");
    CHECK_EQ(out.type, RT_TYPE_VOID);
    CHECK_ERR(rt_object_get_index(a, -1, &out), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_object_get_index(a, 0, NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_object_get_field(a, "x", &out), RT_ERR_SIGNATURE);
    CHECK_ERR(rt_object_get_field(NULL, "x", &out), RT_ERR_INVALID_ARGUMENT);
    int64_t ints[1];
    CHECK_ERR(rt_array_read_i64(a, ints, 1), RT_ERR_SIGNATURE);
    double dbl[1];
    CHECK_ERR(rt_array_read_f64(a, NULL, 1), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_array_read_f64(NULL, dbl, 1), RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK_EQ(rt_object_len(NULL), -1);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_object_type(NULL) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_array_new(RT_TYPE_ARRAY) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_array_new(99) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    CHECK(rt_array_from_f64(NULL, 3) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_exec_manager_clear_error();
    /* more elements than memory can hold: an error, never an abort */
    double one = 1.0;
    CHECK(rt_array_from_f64(&one, SIZE_MAX / 4) == NULL);
    CHECK_LAST(RT_ERR_RUNTIME);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "out of memory");
    rt_exec_manager_clear_error();
    CHECK(rt_value_to_json(NULL) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    rt_value null_object = {.type = RT_TYPE_ARRAY, .as.object = NULL};
    rt_exec_manager_clear_error();
    CHECK(rt_value_to_json(&null_object) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    /* a tag that does not match the object */
    rt_value mislabelled = {.type = RT_TYPE_MAP, .as.object = a};
    rt_exec_manager_clear_error();
    CHECK(rt_value_to_json(&mislabelled) == NULL);
    CHECK_LAST(RT_ERR_INVALID_ARGUMENT);
    /* frees of nothing */
    rt_value_free(NULL);
    rt_object_free(NULL);
    rt_value scalar = vi64(3);
    rt_value_free(&scalar);
    CHECK_EQ(scalar.type, RT_TYPE_VOID);
    rt_object_free(a);
}

/* ------------------------------------------------------------------ calls */

static const char *const UNIT = "fn total(xs: [f64]) -> f64:\n"
                                "    var s = 0.0\n"
                                "    for x in xs:\n"
                                "        s += x\n"
                                "    return s\n"
                                "fn squares(n) -> [i64]:\n"
                                "    var out: [i64] = []\n"
                                "    for i in 0..n:\n"
                                "        out.push(i * i)\n"
                                "    return out\n"
                                "fn bumped(xs: [f64]) -> [f64]:\n"
                                "    var ys = xs\n"
                                "    ys[0] += 100.0\n"
                                "    ys.push(-1.0)\n"
                                "    return ys\n"
                                "fn words(s: text) -> [text]:\n"
                                "    return [s, s + \"!\"]\n"
                                "fn grid(n) -> [[i64]]:\n"
                                "    return [[n] * 2] * 2\n";

static void group_calls(void) {
    int64_t h = new_manager();
    source_ok(h, UNIT);
    char *sig = rt_exec_manager_function_signature(h, "bumped");
    CHECK_STREQ(sig, "fn([f64]) -> [f64]");
    rt_string_free(sig);

    double xs[3] = {1.5, 2.5, 3.0};
    rt_value arg = varray(rt_array_from_f64(xs, 3)), out;
    CHECK_OK(rt_exec_manager_call(h, "total", &arg, 1, &out));
    CHECK_EQ(out.type, RT_TYPE_F64);
    CHECK_F64(out.as.f64, 7.0);

    /* the script works on its copy: the host's array is unchanged */
    CHECK_OK(rt_exec_manager_call(h, "bumped", &arg, 1, &out));
    CHECK_EQ(out.type, RT_TYPE_ARRAY);
    CHECK_JSON(out, "[101.5,2.5,3.0,-1.0]");
    CHECK_JSON(arg, "[1.5,2.5,3.0]");
    rt_value_free(&out);
    CHECK_EQ(out.type, RT_TYPE_VOID);

    /* the wrong array type is a signature error */
    rt_value ints = varray(rt_array_new(RT_TYPE_I64));
    CHECK_ERR(rt_exec_manager_call(h, "total", &ints, 1, &out), RT_ERR_SIGNATURE);
    CHECK_EQ(out.type, RT_TYPE_VOID);
    rt_value_free(&ints);

    rt_value n = vi64(4);
    CHECK_OK(rt_exec_manager_call(h, "squares", &n, 1, &out));
    CHECK_OBJ_TYPE(out.as.object, "[i64]");
    int64_t sq[4];
    CHECK_OK(rt_array_read_i64(out.as.object, sq, 4));
    CHECK_EQ(sq[3], 9);
    rt_value_free(&out);
    n = vi64(0);
    CHECK_OK(rt_exec_manager_call(h, "squares", &n, 1, &out));
    CHECK_EQ(out.type, RT_TYPE_ARRAY);
    CHECK(out.as.object != NULL); /* the empty array is an object too */
    CHECK_EQ(rt_object_len(out.as.object), 0);
    rt_value_free(&out);

    rt_value s = vtext("hi");
    CHECK_OK(rt_exec_manager_call(h, "words", &s, 1, &out));
    CHECK_JSON(out, "[\"hi\",\"hi!\"]");
    rt_value_free(&out);

    n = vi64(7);
    CHECK_OK(rt_exec_manager_call(h, "grid", &n, 1, &out));
    CHECK_OBJ_TYPE(out.as.object, "[[i64]]");
    rt_value row;
    CHECK_OK(rt_object_get_index(out.as.object, 1, &row));
    CHECK_EQ(row.type, RT_TYPE_ARRAY);
    CHECK_JSON(row, "[7,7]");
    rt_value_free(&out); /* the row is a value of its own */
    CHECK_EQ(rt_object_len(row.as.object), 2);
    rt_value_free(&row);

    /* eval gives arrays too */
    CHECK_OK(rt_exec_manager_eval(h, "[1, 2] + [3]", &out));
    CHECK_JSON(out, "[1,2,3]");
    rt_value_free(&out);

    rt_value_free(&arg);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------------ globals */

static void group_globals(void) {
    int64_t h = new_manager();
    rt_value out;
    /* created by the host before any script names it */
    double limits[2] = {0.5, 2.0};
    rt_object *l = rt_array_from_f64(limits, 2);
    rt_value lv = varray(l);
    CHECK_OK(rt_exec_manager_set_global(h, "limits", &lv));
    rt_value port = vi64(8080), name = vtext("api");
    CHECK_OK(rt_exec_manager_set_global(h, "port", &port));
    CHECK_OK(rt_exec_manager_set_global(h, "name", &name));
    /* the host's later push is not seen by the manager's copy */
    rt_value extra = vf64(9.0);
    CHECK_OK(rt_array_push(l, &extra));
    source_ok(h, "fn first_limit() -> f64: limits[0]\n"
                 "fn limit_count(): len(limits)\n"
                 "fn describe() -> text: name + \":\" + str(port)\n"
                 "fn add_limit(x: f64):\n"
                 "    limits.push(x)\n");
    rt_value r;
    CHECK_OK(rt_exec_manager_call(h, "limit_count", NULL, 0, &r));
    CHECK_EQ(r.as.i64, 2);
    CHECK_OK(rt_exec_manager_call(h, "describe", NULL, 0, &r));
    CHECK_STREQ(r.as.text, "api:8080");
    rt_value_free(&r);

    /* assigned by the host: compiled code sees the new value */
    rt_value p2 = vi64(9090);
    CHECK_OK(rt_exec_manager_set_global(h, "port", &p2));
    CHECK_OK(rt_exec_manager_call(h, "describe", NULL, 0, &r));
    CHECK_STREQ(r.as.text, "api:9090");
    rt_value_free(&r);

    /* a script's changes are seen by get_global, whose result is a copy */
    rt_value x = vf64(4.0);
    CHECK_OK(rt_exec_manager_call(h, "add_limit", &x, 1, NULL));
    CHECK_OK(rt_exec_manager_get_global(h, "limits", &out));
    CHECK_EQ(out.type, RT_TYPE_ARRAY);
    CHECK_JSON(out, "[0.5,2.0,4.0]");
    CHECK_OK(rt_exec_manager_call(h, "add_limit", &x, 1, NULL));
    CHECK_EQ(rt_object_len(out.as.object), 3);
    rt_value_free(&out);

    /* type rules */
    CHECK_ERR(rt_exec_manager_set_global(h, "port", &name), RT_ERR_SIGNATURE);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "global `port` is a i64, not a text");
    rt_value ints = varray(rt_array_new(RT_TYPE_I64));
    CHECK_ERR(rt_exec_manager_set_global(h, "limits", &ints), RT_ERR_SIGNATURE);
    source_ok(h, "val fixed = 1\n");
    CHECK_ERR(rt_exec_manager_set_global(h, "fixed", &port), RT_ERR_SIGNATURE);
    rt_value nothing = {.type = RT_TYPE_VOID};
    CHECK_ERR(rt_exec_manager_set_global(h, "v", &nothing), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_set_global(h, "not a name", &port), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_set_global(h, NULL, &port), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_set_global(h, "port", NULL), RT_ERR_INVALID_ARGUMENT);
    CHECK_ERR(rt_exec_manager_set_global(0, "port", &port), RT_ERR_INVALID_HANDLE);
    /* an i64 for an f64 global is converted, as in calls */
    source_ok(h, "ratio = 0.5\n");
    CHECK_OK(rt_exec_manager_set_global(h, "ratio", &port));
    CHECK_OK(rt_exec_manager_get_global(h, "ratio", &out));
    CHECK_EQ(out.type, RT_TYPE_F64);
    CHECK_F64(out.as.f64, 8080.0);
    rt_value_free(&ints);
    rt_value_free(&lv);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------------ records */

static const char *const RECORDS = "struct Stats:\n"
                                   "    count: i64\n"
                                   "    mean: f64\n"
                                   "    label: text\n"
                                   "    tags: [text]\n"
                                   "fn summary(xs: [f64]) -> Stats:\n"
                                   "    var s = 0.0\n"
                                   "    for x in xs:\n"
                                   "        s += x\n"
                                   "    return Stats(count: len(xs), mean: s / len(xs), label: \"xs\", tags: [\"a\"])\n"
                                   "fn relabel(st: Stats, l: text) -> Stats:\n"
                                   "    var t = st\n"
                                   "    t.label = l\n"
                                   "    t.tags.push(l)\n"
                                   "    return t\n";

static void group_records(void) {
    int64_t h = new_manager();
    source_ok(h, RECORDS);
    char *sig = rt_exec_manager_function_signature(h, "relabel");
    CHECK_STREQ(sig, "fn(Stats, text) -> Stats");
    rt_string_free(sig);
    double xs[4] = {1.0, 2.0, 3.0, 6.0};
    rt_value arg = varray(rt_array_from_f64(xs, 4)), st;
    CHECK_OK(rt_exec_manager_call(h, "summary", &arg, 1, &st));
    CHECK_EQ(st.type, RT_TYPE_RECORD);
    CHECK_OBJ_TYPE(st.as.object, "Stats");
    CHECK_EQ(rt_object_len(st.as.object), 4);
    rt_value f;
    CHECK_OK(rt_object_get_field(st.as.object, "mean", &f));
    CHECK_EQ(f.type, RT_TYPE_F64);
    CHECK_F64(f.as.f64, 3.0);
    CHECK_OK(rt_object_get_index(st.as.object, 0, &f));
    CHECK_EQ(f.as.i64, 4);
    CHECK_OK(rt_object_get_field(st.as.object, "label", &f));
    CHECK_STREQ(f.as.text, "xs");
    rt_value_free(&f);
    CHECK_OK(rt_object_get_field(st.as.object, "tags", &f));
    CHECK_EQ(f.type, RT_TYPE_ARRAY);
    rt_value_free(&f);
    CHECK_ERR(rt_object_get_field(st.as.object, "median", &f), RT_ERR_NOT_FOUND);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "its fields: count, mean, label, tags");
    CHECK_ERR(rt_object_get_index(st.as.object, 4, &f), RT_ERR_INVALID_ARGUMENT);
    CHECK_JSON(st, "{\"count\":4,\"mean\":3.0,\"label\":\"xs\",\"tags\":[\"a\"]}");
    /* a record passed back in is borrowed: the host's stays as it was */
    rt_value args[2] = {st, vtext("new")}, out;
    CHECK_OK(rt_exec_manager_call(h, "relabel", args, 2, &out));
    CHECK_JSON(out, "{\"count\":4,\"mean\":3.0,\"label\":\"new\",\"tags\":[\"a\",\"new\"]}");
    CHECK_JSON(st, "{\"count\":4,\"mean\":3.0,\"label\":\"xs\",\"tags\":[\"a\"]}");
    rt_value_free(&out);
    /* the wrong tag for the object is refused */
    rt_value mislabelled = {.type = RT_TYPE_ARRAY, .as.object = st.as.object};
    rt_value bad[2] = {mislabelled, vtext("x")};
    CHECK_ERR(rt_exec_manager_call(h, "relabel", bad, 2, &out), RT_ERR_INVALID_ARGUMENT);
    /* records are globals too */
    CHECK_OK(rt_exec_manager_set_global(h, "last", &st));
    source_ok(h, "fn last_count(): last.count\n");
    rt_value n;
    CHECK_OK(rt_exec_manager_call(h, "last_count", NULL, 0, &n));
    CHECK_EQ(n.as.i64, 4);
    CHECK_OK(rt_exec_manager_get_global(h, "last", &f));
    CHECK_EQ(f.type, RT_TYPE_RECORD);
    rt_value_free(&f);
    CHECK_ERR(rt_array_push(st.as.object, &n), RT_ERR_INVALID_ARGUMENT);
    rt_value_free(&out);
    rt_value_free(&st);
    rt_value_free(&arg);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------------ maps */

static const char *const MAPS = "fn count(words: [text]) -> {text: i64}:\n"
                                "    var m: {text: i64} = {}\n"
                                "    for w in words:\n"
                                "        if w in m:\n"
                                "            m[w] += 1\n"
                                "        else:\n"
                                "            m[w] = 1\n"
                                "    return m\n"
                                "fn by_id() -> {i64: [f64]}: {7: [1.5], -1: []}\n"
                                "fn total(m: {text: i64}) -> i64:\n"
                                "    var t = 0\n"
                                "    for k in m:\n"
                                "        t += m[k]\n"
                                "    return t\n";

static void group_maps(void) {
    int64_t h = new_manager();
    source_ok(h, MAPS);
    rt_object *words = rt_array_new(RT_TYPE_TEXT);
    const char *ws[] = {"b", "a", "b", "c", "b"};
    for (int i = 0; i < 5; i++) {
        rt_value w = vtext(ws[i]);
        CHECK_OK(rt_array_push(words, &w));
    }
    rt_value arg = varray(words), m, v;
    CHECK_OK(rt_exec_manager_call(h, "count", &arg, 1, &m));
    CHECK_EQ(m.type, RT_TYPE_MAP);
    CHECK_OBJ_TYPE(m.as.object, "{text: i64}");
    CHECK_EQ(rt_object_len(m.as.object), 3);
    CHECK_JSON(m, "{\"b\":3,\"a\":1,\"c\":1}");
    CHECK_OK(rt_object_get_field(m.as.object, "b", &v));
    CHECK_EQ(v.as.i64, 3);
    CHECK_ERR(rt_object_get_field(m.as.object, "zed", &v), RT_ERR_NOT_FOUND);
    CHECK_CONTAINS(rt_exec_manager_get_last_error(), "key not found: \"zed\"");
    CHECK_ERR(rt_object_get_index(m.as.object, 0, &v), RT_ERR_SIGNATURE);
    /* a map passed back in */
    CHECK_OK(rt_exec_manager_call(h, "total", &m, 1, &v));
    CHECK_EQ(v.as.i64, 5);
    /* a map as a global */
    CHECK_OK(rt_exec_manager_set_global(h, "seen", &m));
    rt_value g;
    CHECK_OK(rt_exec_manager_get_global(h, "seen", &g));
    CHECK_EQ(g.type, RT_TYPE_MAP);
    rt_value_free(&g);
    rt_value ids;
    CHECK_OK(rt_exec_manager_call(h, "by_id", NULL, 0, &ids));
    CHECK_OBJ_TYPE(ids.as.object, "{i64: [f64]}");
    CHECK_JSON(ids, "{\"7\":[1.5],\"-1\":[]}");
    CHECK_OK(rt_object_get_index(ids.as.object, 7, &v));
    CHECK_EQ(v.type, RT_TYPE_ARRAY);
    rt_value_free(&v);
    CHECK_ERR(rt_object_get_index(ids.as.object, 8, &v), RT_ERR_NOT_FOUND);
    CHECK_ERR(rt_object_get_field(ids.as.object, "7", &v), RT_ERR_SIGNATURE);
    rt_value_free(&ids);
    rt_value_free(&m);
    rt_value_free(&arg);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------------ the spec's examples */

/* language.md, "Data: arrays, records, maps": each example, evaluated in
 * order in one manager (as a REPL would), gives the value the section
 * states; `expect` is the JSON of the value (or, for str and print, the
 * text), `error` the start of the runtime error's message. */
static char printed[256];
static void capture(void *user, const char *text, size_t len) {
    (void)user;
    snprintf(printed, sizeof printed, "%.*s", (int)len, text);
}

static void spec_eval(int64_t h, const char *source, const char *expect) {
    rt_value v;
    int32_t s = rt_exec_manager_eval(h, source, &v);
    CHECK_MSG(s == RT_OK, "eval of `%s` returned %d %s: %s", source, s, status_name(s),
              rt_exec_manager_get_last_error());
    char *json = rt_value_to_json(&v);
    const char *got = v.type == RT_TYPE_TEXT ? v.as.text : json;
    CHECK_MSG(got != NULL && strcmp(got, expect) == 0, "`%s` gave %s, the spec says %s", source, got ? got : "(NULL)",
              expect);
    rt_string_free(json);
    rt_value_free(&v);
}

static void spec_error(int64_t h, const char *source, const char *message) {
    rt_value v;
    CHECK_ERR(rt_exec_manager_eval(h, source, &v), RT_ERR_RUNTIME);
    const char *got = rt_exec_manager_get_last_error();
    CHECK_MSG(strncmp(got, message, strlen(message)) == 0, "`%s` failed with \"%s\", the spec says \"%s\"", source, got,
              message);
}

static void group_spec_examples(void) {
    int64_t h = new_manager();
    CHECK_OK(rt_exec_manager_set_print(h, capture, NULL));
    spec_eval(h, "val xs = [1, 2, 3]", "[1,2,3]");
    spec_eval(h, "var ys: [f64] = []", "[]");
    spec_eval(h, "xs[0]", "1");
    spec_error(h, "xs[3]", "index out of range: 3 (length 3)");
    spec_eval(h, "ys.push(2.5)\nys", "[2.5]");
    spec_eval(h, "ys.pop()", "2.5");
    spec_error(h, "ys.pop()", "pop from empty array");
    spec_eval(h, "len(xs)", "3");
    spec_eval(h, "xs + [4]", "[1,2,3,4]");
    spec_eval(h, "xs[1..3]", "[2,3]");
    spec_eval(h, "xs[1..=2]", "[2,3]");
    spec_eval(h, "[0.0] * 4", "[0.0,0.0,0.0,0.0]");
    spec_eval(h, "var seen = 0\nfor x in xs:\n    seen += x\nseen", "6");
    spec_eval(h, "xs == [1, 2, 3]", "true");
    spec_eval(h, "struct Point:\n    x: f64\n    y: f64\nval p = Point(x: 1.0, y: 2.0)", "{\"x\":1.0,\"y\":2.0}");
    spec_eval(h, "p.x", "1.0");
    spec_eval(h, "var q = p\nq.x = 3.0\np.x", "1.0");
    spec_eval(h, "q.x", "3.0");
    spec_eval(h, "var ages = {\"ann\": 31}", "{\"ann\":31}");
    spec_eval(h, "ages[\"bob\"] = 27\nages", "{\"ann\":31,\"bob\":27}");
    spec_eval(h, "ages[\"ann\"]", "31");
    spec_error(h, "ages[\"zed\"]", "key not found: \"zed\"");
    spec_eval(h, "\"bob\" in ages", "true");
    spec_eval(h, "ages.remove(\"bob\")\nages", "{\"ann\":31}");
    spec_eval(h, "ages[\"cy\"] = 5\nvar ks = \"\"\nfor k in ages:\n    ks += k\nks", "anncy");
    spec_eval(h, "ages.keys()", "[\"ann\",\"cy\"]");
    spec_eval(h, "ages.values()", "[31,5]");
    spec_eval(h, "print(\"total\", xs[0], p)\n0", "0");
    CHECK_STREQ(printed, "total 1 Point(x: 1.0, y: 2.0)");
    spec_eval(h, "str([1, 2])", "[1, 2]");
    spec_eval(h, "str(p)", "Point(x: 1.0, y: 2.0)");
    spec_eval(h, "str({\"ann\": 31})", "{\"ann\": 31}");
    spec_eval(h, "str([\"a\", \"b\"])", "[\"a\", \"b\"]");
    spec_eval(h, "struct Person:\n    name: text\nstr(Person(name: \"ann\"))", "Person(name: \"ann\")");
    spec_eval(h, "str({1: \"a\"})", "{1: \"a\"}");
    spec_eval(h, "str(\"a\")", "a");
    spec_eval(h, "print(\"a\")\n0", "0");
    CHECK_STREQ(printed, "a");
    spec_eval(h, "struct Node:\n    children: [Node]\nNode(children: [Node(children: [])])",
              "{\"children\":[{\"children\":[]}]}");
    spec_eval(h, "var grid: {text: [Point]} = {}\ngrid[\"a\"] = [p]\ngrid[\"a\"][0].y", "2.0");
    CHECK_OK(rt_exec_manager_set_memory_limit(h, 1 << 20));
    spec_error(h, "var big = [0] * 1000000", "out of memory");
    CHECK_OK(rt_exec_manager_cleanup(h));
}

/* ------------------------------------------------------------------ memory */

static long resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    long size = 0, resident = -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* One round of every path that hands the host an object or a text. */
static void one_round(int64_t h, rt_object *arg) {
    rt_value a = varray(arg), out, n = vi64(16);
    CHECK_OK(rt_exec_manager_call(h, "bumped", &a, 1, &out));
    rt_value_free(&out);
    CHECK_OK(rt_exec_manager_call(h, "squares", &n, 1, &out));
    rt_value e;
    CHECK_OK(rt_object_get_index(out.as.object, 3, &e));
    rt_value_free(&e);
    char *j = rt_value_to_json(&out);
    rt_string_free(j);
    rt_value_free(&out);
    rt_value s = vtext("w");
    CHECK_OK(rt_exec_manager_call(h, "words", &s, 1, &out));
    CHECK_OK(rt_object_get_index(out.as.object, 0, &e));
    rt_value_free(&e);
    rt_value_free(&out);
    CHECK_OK(rt_exec_manager_get_global(h, "held", &out));
    rt_value_free(&out);
    CHECK_OK(rt_exec_manager_call(h, "summary", &a, 1, &out));
    CHECK_OK(rt_object_get_field(out.as.object, "label", &e));
    rt_value_free(&e);
    rt_value_free(&out);
    CHECK_OK(rt_exec_manager_call(h, "by_id", NULL, 0, &out));
    CHECK_OK(rt_object_get_index(out.as.object, 7, &e));
    rt_value_free(&e);
    rt_value_free(&out);
}

static void group_memory(void) {
    int64_t h = new_manager();
    source_ok(h, UNIT);
    source_ok(h, RECORDS);
    source_ok(h, MAPS);
    double xs[64];
    for (int i = 0; i < 64; i++) xs[i] = i;
    rt_object *arg = rt_array_from_f64(xs, 64);
    rt_value held = varray(arg);
    CHECK_OK(rt_exec_manager_set_global(h, "held", &held));
    const int warmup = SLOW_OR(10, 2000), calls = SLOW_OR(200, 100000);
    for (int i = 0; i < warmup; i++) one_round(h, arg);
    long before = resident_bytes();
    for (int i = 0; i < calls; i++) one_round(h, arg);
    long after = resident_bytes();
    printf("objects:    memory: resident %ld KiB after %d warm-up rounds, %ld KiB after %d more (%+ld KiB)\n",
           before / 1024, warmup, after / 1024, calls, (after - before) / 1024);
    if (!check_slow()) {
        CHECK_MSG(after - before <= 2L * 1024 * 1024, "resident size grew by %ld KiB over %d rounds",
                  (after - before) / 1024, calls);
    }
    rt_object_free(arg);
    CHECK_OK(rt_exec_manager_cleanup(h));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN_GROUP(group_build_and_read, "arrays built and read by the host (38-40, 41, 43-47)");
    RUN_GROUP(group_errors, "argument errors, frees of nothing (36-47)");
    RUN_GROUP(group_calls, "arrays as arguments and results of call and eval");
    RUN_GROUP(group_globals, "set_global and get_global with arrays, texts, numbers (37)");
    RUN_GROUP(group_records, "records: results, fields, JSON, arguments, globals (40-44)");
    RUN_GROUP(group_spec_examples, "every example of language.md's data section, through eval");
    RUN_GROUP(group_maps, "maps: results, entries by text and i64 key, JSON, arguments, globals");
    RUN_GROUP(group_memory, "100,000 rounds of calls returning arrays, records and maps: flat resident size");
    return check_finish();
}
