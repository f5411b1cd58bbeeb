/*
 * bytecode_vm.c: a stack-bytecode interpreter that tiers hot functions up
 * to native code through rtjit's MIR, and falls back to the interpreter
 * (deoptimises) when native code meets a case it does not handle.
 *
 * Usage: bytecode_vm [--quick] [--runs N] [--mir]
 *
 *   --quick   a small workload (for tests; the timings mean little)
 *   --runs N  time each tier N times (default 5) and report the median
 *   --mir     print the MIR text of every tier-up
 *
 * Exit status: 0 when every result of the two tiers is equal; 1 on any
 * mismatch or failed rtjit call; 2 for bad usage.
 *
 * ---------------------------------------------------------------- the VM
 *
 * Bytecode functions are written in a small assembly language (PROGRAM
 * below) and assembled into instructions of one opcode and one immediate.
 * Every value is an int64_t. A function has numbered locals (its
 * parameters first, the rest start at 0) and an operand stack. Opcodes:
 *
 *   push K       load L      store L     pop         dup
 *   add sub mul  (wrapping)  div mod     (0 divisor: a runtime error;
 *                                         INT64_MIN / -1 wraps, % gives 0)
 *   lt le gt ge eq ne        (push 1 or 0)
 *   jmp T        jz T        jnz T       (jz/jnz pop the condition)
 *   call F       (pops F's arguments, pushes its result)     ret
 *   aget         (arr idx -> value)      aset (arr idx value ->)
 *   alen         (arr -> length)
 *
 * An array value is the address of an `Array` (the VM trusts its
 * bytecode, as the rtjit MIR trusts its pointers). Bytecode reaches arrays
 * only through three host helpers, array_get/array_set/array_len: plain C
 * functions the interpreter calls directly and native code calls as MIR
 * externs. Indexes outside the array have meanings that only the
 * interpreter implements (its slow paths):
 *
 *   - reading past the end gives 0;
 *   - writing past the end grows the array (zero-filled);
 *   - a negative index is a runtime error.
 *
 * A verifier computes the operand stack depth before every instruction
 * (it must be the same on every path into it) and rejects underflow,
 * overflow, bad jumps, calls with the wrong arity and falling off the end.
 *
 * -------------------------------------------------------------- tiering
 *
 * vm_call() is the one way into a function, from C and from the
 * interpreter's `call`. It counts the interpreted calls of each function;
 * when a function has been interpreted TIER_UP_CALLS (10) times, its next
 * call translates it to MIR, compiles it with rt_exec_manager_compile_mir
 * and runs it natively (rt_exec_manager_execute), and so does every later
 * call, from C or from interpreted bytecode.
 *
 * Native code never calls back into the interpreter: a tier-up translates,
 * in the same MIR unit, every function the hot one can reach through
 * `call` that is not native yet. Calls between native functions are MIR
 * `call`s (to the same unit or to functions of earlier units, which the
 * manager links by name).
 *
 * The translator is the textbook abstract-stack one: the verifier gives
 * the stack depth d before each instruction, so stack entry i is the MIR
 * local s<i>, bytecode local k is l<k>, and `add` at depth d becomes
 * `s<d-2> = add s<d-2>, s<d-1>`. Each jump target (and each instruction
 * after a conditional jump) starts a block labelled L<pc>. A compare
 * directly followed by jz/jnz becomes one `br` on the compare. A native
 * function is `fn bc_NAME(ctx: ptr, l0: i64, ...) -> i64`: the bytecode
 * parameters plus `ctx`, the VM's deoptimisation state. `--mir` prints it
 * all; for example, fib's first line, `load n, push 2, lt, jz recurse`,
 * and its first call become
 *
 *   entry:
 *       s0 = copy l0
 *       s1 = copy 2
 *       c = lt s0, s1
 *       br c, L4, L6
 *   ...
 *       s0 = call bc_fib(ctx, s0)
 *       t = load ctx, 0                ; did the callee bail out?
 *       c = ne t, 0
 *       br c, B9, L10
 *   ...
 *   B9:                                ; yes: record this frame (fib, at
 *       fr = call vm_deopt(ctx, 0, 9, 0)  ; pc 9, nothing left on the
 *       store fr, 0, l0                ; stack) and return
 *       ret 0
 *
 * ----------------------------------------------- bail-out (deoptimising)
 *
 * Native code handles only the fast cases. Before `aget`/`aset` it checks
 * the index against array_len() with one unsigned compare (this also
 * catches negative indexes), and before `div`/`mod` it checks for a zero
 * divisor. When such a guard fails, the native function does not try to
 * handle it: it bails out. The interpreter then resumes the call exactly
 * where native code stopped, so nothing done before the guard is redone
 * (the bail-out demo's `bump` adds to array elements: re-running it from
 * the start would add twice).
 *
 * The state travels through `ctx`, a DeoptState the VM owns:
 *
 *   1. The failing guard jumps to the instruction's bail block, which calls
 *      the host helper vm_deopt(ctx, function, pc, stack depth). It appends
 *      a DeoptFrame to ctx and returns the address of the frame's slots;
 *      the block stores every bytecode local and the live stack entries
 *      there (plain MIR `store`s), and returns 0, a dummy value.
 *   2. After every MIR call to another bytecode function, native code
 *      loads ctx->nframes (offset 0): if it is not 0 the callee bailed
 *      out, so the caller records its own frame too (at the `call`, with
 *      the stack below the arguments) and returns. The frames pile up
 *      innermost first, so the whole native call chain unwinds.
 *   3. The VM sees ctx->nframes > 0 after rt_exec_manager_execute, takes
 *      the frames, and rebuilds interpreter frames from them: the
 *      innermost re-executes the instruction whose guard failed (now the
 *      interpreter's slow path runs: a read past the end gives 0, a write
 *      grows the array, a division by zero is reported); each outer frame
 *      pushes its callee's result and goes on after its `call`. What the
 *      outermost frame returns is the result of the call.
 *
 * The cost on the fast path is one load and one branch after each call
 * and a compare and branch per array access or division; the stores are
 * in the bail blocks, off the fast path. The native code stays installed:
 * the next call runs natively again, and bails out again only if it meets
 * the same case.
 *
 * The interpreter limits bytecode call depth (MAX_DEPTH); native code is
 * limited by rtjit's own stack check (an RT_ERR_RUNTIME "stack overflow").
 */

#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtjit.h"

#define TIER_UP_CALLS 10 /* interpreted calls before a function goes native */
#define MAX_FUNCS 32
#define MAX_PARAMS 8
#define MAX_LOCALS 16 /* parameters included */
#define MAX_STACK 16
#define MAX_CODE 1024
#define MAX_LABELS 64
#define NAME_LEN 32
#define MAX_DEPTH 5000 /* interpreted call depth */

/* ------------------------------------------------------------------ util */

static void *xrealloc(void *p, size_t size) {
    void *q = realloc(p, size);
    if (q == NULL && size != 0) {
        fprintf(stderr, "bytecode_vm: out of memory\n");
        exit(1);
    }
    return q;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A growing text buffer. */
typedef struct {
    char *data;
    size_t len, cap;
} Buf;

__attribute__((format(printf, 2, 3))) static void buf_printf(Buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            fprintf(stderr, "bytecode_vm: vsnprintf failed\n");
            exit(1);
        }
        if (b->data != NULL && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
}

/* ---------------------------------------------------------------- arrays */

typedef struct {
    int64_t *data;
    int64_t len, cap;
} Array;

static Array *array_new(int64_t len) {
    Array *a = xrealloc(NULL, sizeof *a);
    a->len = a->cap = len;
    a->data = xrealloc(NULL, (size_t)(len > 0 ? len : 1) * sizeof(int64_t));
    memset(a->data, 0, (size_t)len * sizeof(int64_t));
    return a;
}

static void array_free(Array *a) {
    if (a != NULL) {
        free(a->data);
        free(a);
    }
}

/* The host helpers, registered as MIR externs for native code and called
 * directly by the interpreter. Both check the index first (native code
 * with its guard), so the checks here never fail; they are a safety net. */

static int64_t array_get(Array *a, int64_t i) {
    if ((uint64_t)i >= (uint64_t)a->len) {
        rt_raise_error("array_get: index out of range");
        return 0;
    }
    return a->data[i];
}

static void array_set(Array *a, int64_t i, int64_t v) {
    if ((uint64_t)i >= (uint64_t)a->len) {
        rt_raise_error("array_set: index out of range");
        return;
    }
    a->data[i] = v;
}

static int64_t array_len(Array *a) {
    return a->len;
}

/* The interpreter's slow path for a write past the end (never called by
 * native code). */
static void array_grow(Array *a, int64_t len) {
    if (len > a->cap) {
        int64_t cap = a->cap * 2 > len ? a->cap * 2 : len;
        a->data = xrealloc(a->data, (size_t)cap * sizeof(int64_t));
        a->cap = cap;
    }
    memset(a->data + a->len, 0, (size_t)(len - a->len) * sizeof(int64_t));
    a->len = len;
}

static uint64_t array_checksum(const Array *a) {
    uint64_t h = 1469598103934665603u;
    for (int64_t i = 0; i < a->len; i++) {
        h = (h ^ (uint64_t)a->data[i]) * 1099511628211u;
    }
    return h ^ (uint64_t)a->len;
}

static int64_t array_value(Array *a) {
    return (int64_t)(intptr_t)a;
}

static Array *as_array(int64_t v) {
    return (Array *)(intptr_t)v;
}

/* -------------------------------------------------------------- bytecode */

typedef enum {
    OP_PUSH, OP_LOAD, OP_STORE, OP_POP, OP_DUP,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
    OP_AGET, OP_ASET, OP_ALEN,
    OP_COUNT
} Op;

typedef enum { ARG_NONE, ARG_INT, ARG_LOCAL, ARG_LABEL, ARG_FUNC } ArgKind;

static const struct {
    const char *name;
    ArgKind arg;
    int pops, pushes; /* pops of `call` depend on the callee */
    const char *mir;  /* the MIR operation of arithmetic and compares */
} OPS[OP_COUNT] = {
    [OP_PUSH] = {"push", ARG_INT, 0, 1, NULL},     [OP_LOAD] = {"load", ARG_LOCAL, 0, 1, NULL},
    [OP_STORE] = {"store", ARG_LOCAL, 1, 0, NULL}, [OP_POP] = {"pop", ARG_NONE, 1, 0, NULL},
    [OP_DUP] = {"dup", ARG_NONE, 1, 2, NULL},      [OP_ADD] = {"add", ARG_NONE, 2, 1, "add"},
    [OP_SUB] = {"sub", ARG_NONE, 2, 1, "sub"},     [OP_MUL] = {"mul", ARG_NONE, 2, 1, "mul"},
    [OP_DIV] = {"div", ARG_NONE, 2, 1, "div"},     [OP_MOD] = {"mod", ARG_NONE, 2, 1, "rem"},
    [OP_LT] = {"lt", ARG_NONE, 2, 1, "lt"},        [OP_LE] = {"le", ARG_NONE, 2, 1, "le"},
    [OP_GT] = {"gt", ARG_NONE, 2, 1, "gt"},        [OP_GE] = {"ge", ARG_NONE, 2, 1, "ge"},
    [OP_EQ] = {"eq", ARG_NONE, 2, 1, "eq"},        [OP_NE] = {"ne", ARG_NONE, 2, 1, "ne"},
    [OP_JMP] = {"jmp", ARG_LABEL, 0, 0, NULL},     [OP_JZ] = {"jz", ARG_LABEL, 1, 0, NULL},
    [OP_JNZ] = {"jnz", ARG_LABEL, 1, 0, NULL},     [OP_CALL] = {"call", ARG_FUNC, 0, 1, NULL},
    [OP_RET] = {"ret", ARG_NONE, 1, 0, NULL},      [OP_AGET] = {"aget", ARG_NONE, 2, 1, NULL},
    [OP_ASET] = {"aset", ARG_NONE, 3, 0, NULL},    [OP_ALEN] = {"alen", ARG_NONE, 1, 1, NULL},
};

typedef struct {
    int op;
    int64_t imm;
} Ins;

typedef struct {
    char name[NAME_LEN];
    int nparams, nlocals; /* locals include the parameters */
    char local_names[MAX_LOCALS][NAME_LEN];
    Ins *code;
    int ncode;
    int *depth;    /* stack depth before each instruction; -1: unreachable */
    int max_stack; /* the deepest the stack gets */
} Func;

typedef struct {
    Func funcs[MAX_FUNCS];
    int nfuncs;
    int ninstructions;
} Program;

/* The bytecode program, in the VM's assembly language:
 *
 *   func NAME PARAM...      starts a function
 *   local NAME...           more locals (0 at the start of a call)
 *   [label:] INS, INS, ...  instructions, one statement per line here
 *   end
 *
 * The comments give each line's statement in pseudo-code. */
static const char *PROGRAM =
    "; fib(n): the naive recursion\n"
    "func fib n\n"
    "        load n, push 2, lt, jz recurse             ; if n < 2:\n"
    "        load n, ret                                ;     return n\n"
    "recurse:\n"
    "        load n, push 1, sub, call fib              ; return fib(n - 1)\n"
    "        load n, push 2, sub, call fib, add, ret    ;        + fib(n - 2)\n"
    "end\n"
    "\n"
    "; sum_row(arr, start, n): arr[start] + ... + arr[start + n - 1]\n"
    "func sum_row arr start n\n"
    "local i acc\n"
    "loop:   load i, load n, lt, jz done                ; while i < n:\n"
    "        load acc, load arr, load start, load i     ;   acc += arr[start + i]\n"
    "        add, aget, add, store acc\n"
    "        load i, push 1, add, store i, jmp loop     ;   i += 1\n"
    "done:   load acc, ret                              ; return acc\n"
    "end\n"
    "\n"
    "; step(arr, n, round): one pass over the n x n matrix in arr, then the\n"
    "; sum over its rows i of sum_row(arr, i * n, n) * (i + 1)\n"
    "func step arr n round\n"
    "local i j at check\n"
    "rows:   load i, load n, lt, jz done                ; while i < n:\n"
    "        push 0, store j                            ;   j = 0\n"
    "cols:   load j, load n, lt, jz row_done            ;   while j < n:\n"
    "        load i, load n, mul, load j, add, store at ;     at = i * n + j\n"
    "        load arr, load at                          ;     arr[at] =\n"
    "        load arr, load at, aget, push 31, mul      ;       (arr[at] * 31\n"
    "        load i, load j, mul, add                   ;        + i * j\n"
    "        load round, add                            ;        + round)\n"
    "        push 1000003, mod, aset                    ;       % 1000003\n"
    "        load j, push 1, add, store j, jmp cols     ;     j += 1\n"
    "row_done:\n"
    "        load check, load arr                       ;   check += sum_row(arr, i * n, n)\n"
    "        load i, load n, mul, load n, call sum_row\n"
    "        load i, push 1, add, mul, add, store check ;            * (i + 1)\n"
    "        load i, push 1, add, store i, jmp rows     ;   i += 1\n"
    "done:   load check, ret                            ; return check\n"
    "end\n"
    "\n"
    "; run(arr, n, rounds, fib_n): the workload: the sum over the rounds r\n"
    "; of step(arr, n, r) + fib(fib_n + r % 3)\n"
    "func run arr n rounds fib_n\n"
    "local r total\n"
    "loop:   load r, load rounds, lt, jz done           ; while r < rounds:\n"
    "        load total                                 ;   total +=\n"
    "        load arr, load n, load r, call step, add   ;     step(arr, n, r)\n"
    "        load fib_n, load r, push 3, mod, add       ;     + fib(fib_n + r % 3)\n"
    "        call fib, add, store total\n"
    "        load r, push 1, add, store r, jmp loop     ;   r += 1\n"
    "done:   load total, ret                            ; return total\n"
    "end\n"
    "\n"
    "; sum_to(arr, n): arr[0] + ... + arr[n - 1] (past the end: 0s)\n"
    "func sum_to arr n\n"
    "local i acc\n"
    "loop:   load i, load n, lt, jz done                ; while i < n:\n"
    "        load acc, load arr, load i, aget, add      ;   acc += arr[i]\n"
    "        store acc\n"
    "        load i, push 1, add, store i, jmp loop     ;   i += 1\n"
    "done:   load acc, ret                              ; return acc\n"
    "end\n"
    "\n"
    "; bump(arr, n): arr[i] += i for i < n (past the end the array grows);\n"
    "; returns n\n"
    "func bump arr n\n"
    "local i\n"
    "loop:   load i, load n, lt, jz done                ; while i < n:\n"
    "        load arr, load i                           ;   arr[i] =\n"
    "        load arr, load i, aget, load i, add, aset  ;     arr[i] + i\n"
    "        load i, push 1, add, store i, jmp loop     ;   i += 1\n"
    "done:   load n, ret                                ; return n\n"
    "end\n"
    "\n"
    "; bump_and_sum(arr, n): bump(arr, n), then sum_to(arr, n) + the length\n"
    "func bump_and_sum arr n\n"
    "        load arr, load n, call bump, pop           ; bump(arr, n)\n"
    "        load arr, load n, call sum_to              ; return sum_to(arr, n)\n"
    "        load arr, alen, add, ret                   ;        + len(arr)\n"
    "end\n"
    "\n"
    "; avg(arr, n): sum_to(arr, n) / n\n"
    "func avg arr n\n"
    "        load arr, load n, call sum_to              ; return sum_to(arr, n)\n"
    "        load n, div, ret                           ;        / n\n"
    "end\n"
    "\n"
    "; opcodes(x, y): every arithmetic, compare and jump opcode, with compares\n"
    "; used as values and as conditions (to check that both tiers agree)\n"
    "func opcodes x y\n"
    "local acc\n"
    "        load x, load y, add, load x, load y, sub   ; acc = (x + y) * (x - y)\n"
    "        mul, store acc\n"
    "        load y, jz no_div                          ; if y != 0:\n"
    "        load acc, load x, load y, div, add         ;   acc += x / y\n"
    "        load x, load y, mod, sub, store acc        ;          - x % y\n"
    "no_div: load acc                                   ; acc += (x < y)\n"
    "        load x, load y, lt, add\n"
    "        load x, load y, le, push 2, mul, add       ;   + 2 * (x <= y)\n"
    "        load x, load y, gt, push 4, mul, add       ;   + 4 * (x > y)\n"
    "        load x, load y, ge, push 8, mul, add       ;   + 8 * (x >= y)\n"
    "        load x, load y, eq, push 16, mul, add      ;   + 16 * (x == y)\n"
    "        load x, load y, ne, push 32, mul, add      ;   + 32 * (x != y)\n"
    "        load x, dup, mul, add, store acc           ;   + x * x\n"
    "        load x, push 0, ge, jnz done               ; if x < 0:\n"
    "        load acc, push 1000, sub, store acc        ;   acc -= 1000\n"
    "done:   load acc, load y, jnz keep                 ; if y == 0:\n"
    "        push -1, mul                               ;   acc = -acc\n"
    "keep:   ret                                        ; return acc\n"
    "end\n";

/* ------------------------------------------------------------- assembler */

static int find_func(const Program *p, const char *name) {
    for (int i = 0; i < p->nfuncs; i++) {
        if (strcmp(p->funcs[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

static int find_local(const Func *f, const char *name) {
    for (int i = 0; i < f->nlocals; i++) {
        if (strcmp(f->local_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

#define MAX_WORDS 64

/* Splits a line into words (in place): runs of non-blank characters, with
 * each ',' a word of its own; drops a `; comment`. Returns the number of
 * words, or -1 for more than MAX_WORDS. */
static int split_words(char *line, char **words) {
    static char comma[] = ",";
    char *semi = strchr(line, ';');
    if (semi != NULL) {
        *semi = '\0';
    }
    int n = 0;
    char *s = line;
    while (*s != '\0') {
        if (*s == ' ' || *s == '\t' || *s == '\r') {
            s++;
            continue;
        }
        if (n == MAX_WORDS) {
            return -1;
        }
        if (*s == ',') {
            *s++ = '\0';
            words[n++] = comma;
            continue;
        }
        words[n++] = s;
        while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != ',') {
            s++;
        }
        if (*s == ',') {
            if (n == MAX_WORDS) {
                return -1;
            }
            *s++ = '\0';
            words[n++] = comma;
        } else if (*s != '\0') {
            *s++ = '\0';
        }
    }
    return n;
}

/* Names are identifiers (function names become MIR names). */
static int copy_name(char *dst, const char *src, int line, char *err, size_t errlen) {
    int ok = strlen(src) < NAME_LEN && (isalpha((unsigned char)src[0]) || src[0] == '_');
    for (const char *c = src; ok && *c != '\0'; c++) {
        ok = isalnum((unsigned char)*c) || *c == '_';
    }
    if (!ok) {
        snprintf(err, errlen, "line %d: `%.40s` is not a name (letters, digits, _; up to %d)", line, src,
                 NAME_LEN - 1);
        return -1;
    }
    strcpy(dst, src);
    return 0;
}

typedef struct {
    char name[NAME_LEN];
    int pc;
} Label;

/* Assembles one instruction, `w[0] [w[1]]`, at the end of `f`; a jump's
 * target is left in `fixups` until the function's `end`. */
static int assemble_ins(const Program *p, Func *f, char **w, int n, Label *fixups, int *nfixups, int line,
                        char *err, size_t errlen) {
    int op = 0;
    while (op < OP_COUNT && strcmp(OPS[op].name, w[0]) != 0) {
        op++;
    }
    if (op == OP_COUNT || n != (OPS[op].arg == ARG_NONE ? 1 : 2)) {
        snprintf(err, errlen, "line %d: bad instruction `%.40s`%s", line, w[0],
                 op == OP_COUNT ? "" : (n == 1 ? " (needs an operand)" : " (one operand at most)"));
        return -1;
    }
    if (f->ncode == MAX_CODE) {
        snprintf(err, errlen, "line %d: %s is too long", line, f->name);
        return -1;
    }
    Ins *in = &f->code[f->ncode++];
    in->op = op;
    in->imm = 0;
    const char *arg = n == 2 ? w[1] : "";
    char *end;
    switch (OPS[op].arg) {
    case ARG_NONE: return 0;
    case ARG_INT:
        errno = 0;
        in->imm = strtoll(arg, &end, 10);
        if (*end == '\0' && end != arg && errno == 0) {
            return 0;
        }
        break;
    case ARG_LOCAL:
        in->imm = find_local(f, arg);
        if (in->imm >= 0) {
            return 0;
        }
        break;
    case ARG_FUNC:
        in->imm = find_func(p, arg);
        if (in->imm >= 0) {
            return 0;
        }
        break;
    case ARG_LABEL:
        if (*nfixups == MAX_LABELS) {
            snprintf(err, errlen, "line %d: too many jumps", line);
            return -1;
        }
        fixups[*nfixups].pc = f->ncode - 1;
        return copy_name(fixups[(*nfixups)++].name, arg, line, err, errlen);
    }
    snprintf(err, errlen, "line %d: `%s` cannot take `%.40s`", line, OPS[op].name, arg);
    return -1;
}

/* Assembles `src` into `p`. Two passes: the first collects the function
 * names, so `call` may name a function defined further down. */
static int assemble(Program *p, const char *src, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    for (int pass = 0; pass < 2; pass++) {
        char *text = xrealloc(NULL, strlen(src) + 1);
        strcpy(text, src);
        Func *f = NULL;
        int nfunc = 0, lineno = 0, status = 0;
        Label labels[MAX_LABELS], fixups[MAX_LABELS];
        int nlabels = 0, nfixups = 0;
        char *next = text;
        while (status == 0 && next != NULL) {
            char *line = next;
            next = strchr(line, '\n');
            if (next != NULL) {
                *next++ = '\0';
            }
            lineno++;
            char *w[MAX_WORDS];
            int n = split_words(line, w);
            if (n < 0) {
                snprintf(err, errlen, "line %d: too long", lineno);
                status = -1;
                break;
            }
            if (n == 0) {
                continue;
            }
            if (strcmp(w[0], "func") == 0) {
                if (f != NULL || n < 2 || nfunc == MAX_FUNCS || n - 2 > MAX_PARAMS) {
                    snprintf(err, errlen, "line %d: bad `func` line", lineno);
                    status = -1;
                    break;
                }
                f = &p->funcs[nfunc++];
                if (pass == 0) {
                    status = copy_name(f->name, w[1], lineno, err, errlen);
                    continue;
                }
                f->nparams = f->nlocals = n - 2;
                for (int i = 2; i < n && status == 0; i++) {
                    status = copy_name(f->local_names[i - 2], w[i], lineno, err, errlen);
                }
                f->code = xrealloc(NULL, MAX_CODE * sizeof(Ins));
                nlabels = nfixups = 0;
                continue;
            }
            if (f == NULL) {
                snprintf(err, errlen, "line %d: expected `func`", lineno);
                status = -1;
                break;
            }
            if (strcmp(w[0], "end") == 0) {
                for (int i = 0; pass == 1 && i < nfixups && status == 0; i++) {
                    int j = 0;
                    while (j < nlabels && strcmp(labels[j].name, fixups[i].name) != 0) {
                        j++;
                    }
                    if (j == nlabels) {
                        snprintf(err, errlen, "%.31s: undefined label `%.31s`", f->name, fixups[i].name);
                        status = -1;
                    } else {
                        f->code[fixups[i].pc].imm = labels[j].pc;
                    }
                }
                p->ninstructions += f->ncode;
                f = NULL;
                continue;
            }
            if (pass == 0) {
                continue;
            }
            if (strcmp(w[0], "local") == 0) {
                for (int i = 1; i < n && status == 0; i++) {
                    if (f->nlocals == MAX_LOCALS) {
                        snprintf(err, errlen, "line %d: too many locals", lineno);
                        status = -1;
                    } else {
                        status = copy_name(f->local_names[f->nlocals++], w[i], lineno, err, errlen);
                    }
                }
                continue;
            }
            int at = 0;
            size_t wl = strlen(w[0]);
            if (wl > 1 && w[0][wl - 1] == ':') {
                if (nlabels == MAX_LABELS) {
                    snprintf(err, errlen, "line %d: too many labels", lineno);
                    status = -1;
                    break;
                }
                w[0][wl - 1] = '\0';
                status = copy_name(labels[nlabels].name, w[0], lineno, err, errlen);
                labels[nlabels++].pc = f->ncode;
                at = 1;
            }
            /* The instructions, separated by commas. */
            while (status == 0 && at < n) {
                int end = at;
                while (end < n && strcmp(w[end], ",") != 0) {
                    end++;
                }
                if (end == at) {
                    snprintf(err, errlen, "line %d: an empty instruction", lineno);
                    status = -1;
                    break;
                }
                status = assemble_ins(p, f, w + at, end - at, fixups, &nfixups, lineno, err, errlen);
                at = end + 1;
                if (end == n - 1) {
                    snprintf(err, errlen, "line %d: a ',' at the end", lineno);
                    status = -1;
                }
            }
        }
        free(text);
        if (status == 0 && f != NULL) {
            snprintf(err, errlen, "`%s` has no `end`", f->name);
            status = -1;
        }
        if (status != 0) {
            return -1;
        }
        p->nfuncs = nfunc;
    }
    return 0;
}

/* Computes the stack depth before every instruction; rejects bytecode the
 * interpreter and the translator cannot trust. */
static int verify(Program *p, int fi, char *err, size_t errlen) {
    Func *f = &p->funcs[fi];
    f->depth = xrealloc(NULL, (size_t)f->ncode * sizeof(int));
    for (int i = 0; i < f->ncode; i++) {
        f->depth[i] = -1;
    }
    int *work = xrealloc(NULL, (size_t)f->ncode * sizeof(int));
    int nwork = 0, status = 0;
    if (f->ncode == 0) {
        snprintf(err, errlen, "%s: no code", f->name);
        status = -1;
    } else {
        f->depth[0] = 0;
        work[nwork++] = 0;
    }
    f->max_stack = 0;
    while (status == 0 && nwork > 0) {
        int pc = work[--nwork];
        const Ins *in = &f->code[pc];
        int d = f->depth[pc];
        /* Operands in range: a local, a function, a pc. */
        int64_t limit = INT64_MAX;
        if (in->op >= 0 && in->op < OP_COUNT) {
            ArgKind k = OPS[in->op].arg;
            limit = k == ARG_LOCAL ? f->nlocals : k == ARG_FUNC ? p->nfuncs : k == ARG_LABEL ? f->ncode : INT64_MAX;
        }
        if (in->op < 0 || in->op >= OP_COUNT || in->imm >= limit || (limit != INT64_MAX && in->imm < 0)) {
            snprintf(err, errlen, "%s: bad instruction at pc %d", f->name, pc);
            status = -1;
            break;
        }
        int pops = in->op == OP_CALL ? p->funcs[in->imm].nparams : OPS[in->op].pops;
        if (d < pops) {
            snprintf(err, errlen, "%s: stack underflow at pc %d (%s)", f->name, pc, OPS[in->op].name);
            status = -1;
            break;
        }
        int nd = d - pops + OPS[in->op].pushes;
        if (nd > MAX_STACK) {
            snprintf(err, errlen, "%s: stack overflow at pc %d", f->name, pc);
            status = -1;
            break;
        }
        if (nd > f->max_stack) {
            f->max_stack = nd;
        }
        int succ[2], nsucc = 0;
        if (in->op == OP_JMP || in->op == OP_JZ || in->op == OP_JNZ) {
            succ[nsucc++] = (int)in->imm;
        }
        if (in->op != OP_JMP && in->op != OP_RET) {
            succ[nsucc++] = pc + 1;
        }
        for (int i = 0; i < nsucc; i++) {
            int s = succ[i];
            if (s < 0 || s >= f->ncode) {
                snprintf(err, errlen, "%s: pc %d jumps or falls off the end", f->name, pc);
                status = -1;
            } else if (f->depth[s] < 0) {
                f->depth[s] = nd;
                work[nwork++] = s;
            } else if (f->depth[s] != nd) {
                snprintf(err, errlen, "%s: stack depth %d or %d at pc %d", f->name, f->depth[s], nd, s);
                status = -1;
            }
        }
    }
    free(work);
    return status;
}

static void program_free(Program *p) {
    for (int i = 0; i < p->nfuncs; i++) {
        free(p->funcs[i].code);
        free(p->funcs[i].depth);
    }
}

/* -------------------------------------------------------------------- VM */

/* One interpreter frame rebuilt from native code: what a bail block
 * stores. Native code writes `slots` through the pointer vm_deopt returns:
 * local k at byte offset 8 * k, stack entry i at 8 * (MAX_LOCALS + i). */
typedef struct {
    int64_t func, pc, sp;
    int64_t slots[MAX_LOCALS + MAX_STACK];
} DeoptFrame;

/* The `ctx` every native function receives. */
typedef struct {
    int64_t nframes; /* offset 0, read by native code after each call */
    int64_t cap;
    DeoptFrame *frames; /* innermost first */
} DeoptState;

_Static_assert(offsetof(DeoptState, nframes) == 0, "native code reads nframes at offset 0");
_Static_assert(offsetof(DeoptFrame, slots) % 8 == 0, "slots are 8-byte aligned");

/* Called by a bail block: records a frame, returns where its slots go. */
static int64_t *vm_deopt(DeoptState *ctx, int64_t func, int64_t pc, int64_t sp) {
    static DeoptFrame scratch; /* only written to if the frame cannot be recorded */
    if (ctx->nframes == ctx->cap) {
        int64_t cap = ctx->cap ? ctx->cap * 2 : 16;
        DeoptFrame *frames = realloc(ctx->frames, (size_t)cap * sizeof(DeoptFrame));
        if (frames == NULL) {
            rt_raise_error("vm_deopt: out of memory");
            return scratch.slots;
        }
        ctx->frames = frames;
        ctx->cap = cap;
    }
    DeoptFrame *d = &ctx->frames[ctx->nframes++];
    d->func = func;
    d->pc = pc;
    d->sp = sp;
    return d->slots;
}

typedef struct {
    long calls;          /* interpreted calls: the tier-up counter */
    long native_entries; /* calls from C or the interpreter into its native code */
    int native;          /* its native code is installed */
} FuncState;

typedef struct {
    int func;  /* the hot function */
    long calls; /* its interpreted calls before */
    int group[MAX_FUNCS], ngroup; /* all the functions of the MIR unit */
    int mir_lines;
    double ms; /* translate + compile */
} TierUp;

typedef struct {
    int64_t loc[MAX_LOCALS];
    int64_t st[MAX_STACK];
    int sp, pc;
} Frame;

typedef struct {
    const Program *prog;
    int jit;   /* tier hot functions up (0: interpreter only) */
    int64_t h; /* the rtjit manager of the native code */
    DeoptState deopt;
    FuncState state[MAX_FUNCS];
    int depth;
    TierUp tierups[MAX_FUNCS];
    int ntierups;
    long bailouts, frames_rebuilt;
    int trace;    /* print bail-outs as they happen */
    int show_mir; /* print the MIR of each tier-up */
    double compile_ms;
    char error[512];
} VM;

__attribute__((format(printf, 2, 3))) static int vm_fail(VM *vm, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->error, sizeof vm->error, fmt, ap);
    va_end(ap);
    return -1;
}

static int vm_init(VM *vm, const Program *prog, int jit) {
    memset(vm, 0, sizeof *vm);
    vm->prog = prog;
    vm->jit = jit;
    if (!jit) {
        return 0;
    }
    vm->h = rt_exec_manager_create();
    if (vm->h == 0) {
        return vm_fail(vm, "rt_exec_manager_create: %s", rt_exec_manager_get_last_error());
    }
    static const struct {
        const char *name;
        void *fn;
        const char *sig;
    } helpers[] = {
        {"array_get", (void *)array_get, "fn(ptr, i64) -> i64"},
        {"array_set", (void *)array_set, "fn(ptr, i64, i64) -> void"},
        {"array_len", (void *)array_len, "fn(ptr) -> i64"},
        {"vm_deopt", (void *)vm_deopt, "fn(ptr, i64, i64, i64) -> ptr"},
    };
    for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++) {
        if (rt_exec_manager_register_function(vm->h, helpers[i].name, helpers[i].fn, helpers[i].sig) != RT_OK) {
            return vm_fail(vm, "registering %s: %s", helpers[i].name, rt_exec_manager_get_last_error());
        }
    }
    return 0;
}

static int vm_destroy(VM *vm) {
    int status = 0;
    if (vm->h != 0 && rt_exec_manager_cleanup(vm->h) != RT_OK) {
        fprintf(stderr, "bytecode_vm: rt_exec_manager_cleanup: %s\n", rt_exec_manager_get_last_error());
        status = -1;
    }
    vm->h = 0;
    free(vm->deopt.frames);
    vm->deopt.frames = NULL;
    return status;
}

static int vm_call(VM *vm, int fi, const int64_t *args, int64_t *out);

/* ------------------------------------------------------------ translator */

/* Appends the MIR of bytecode function `fi` to `b` (see the file comment).
 * Returns the number of lines. */
static int translate(const Program *p, int fi, Buf *b) {
    const Func *f = &p->funcs[fi];
    const size_t start = b->len;
    char *label = xrealloc(NULL, (size_t)f->ncode + 1);
    memset(label, 0, (size_t)f->ncode + 1);
    for (int pc = 0; pc < f->ncode; pc++) {
        const Ins *in = &f->code[pc];
        if (f->depth[pc] < 0) {
            continue;
        }
        if (in->op == OP_JMP || in->op == OP_JZ || in->op == OP_JNZ) {
            label[in->imm] = 1;
        }
        if (in->op == OP_JZ || in->op == OP_JNZ || in->op == OP_CALL) {
            label[pc + 1] = 1; /* the fall-through block of a `br` */
        }
    }
    /* Guards: (pc, stack entries to save), emitted as bail blocks at the end. */
    int *bail_pc = xrealloc(NULL, (size_t)f->ncode * sizeof(int));
    int *bail_sp = xrealloc(NULL, (size_t)f->ncode * sizeof(int));
    int nbail = 0;

    buf_printf(b, "\n; bytecode function `%s`: %d parameter(s), %d local(s), stack depth up to %d\n",
               f->name, f->nparams, f->nlocals, f->max_stack);
    buf_printf(b, "fn bc_%s(ctx: ptr", f->name);
    for (int k = 0; k < f->nparams; k++) {
        buf_printf(b, ", l%d: i64", k);
    }
    buf_printf(b, ") -> i64 {\n");
    for (int k = f->nparams; k < f->nlocals; k++) {
        buf_printf(b, "    local l%d: i64\n", k);
    }
    for (int i = 0; i < f->max_stack; i++) {
        buf_printf(b, "    local s%d: i64\n", i);
    }
    buf_printf(b, "    local t: i64\n    local c: bool\n    local a: ptr\n    local fr: ptr\n");
    buf_printf(b, "entry:\n");
    for (int k = f->nparams; k < f->nlocals; k++) {
        buf_printf(b, "    l%d = copy 0\n", k);
    }
    int open = 1; /* the current block has no terminator yet */
    for (int pc = 0; pc < f->ncode; pc++) {
        const Ins *in = &f->code[pc];
        const int d = f->depth[pc];
        if (d < 0) {
            continue; /* unreachable */
        }
        if (label[pc]) {
            if (open) {
                buf_printf(b, "    jmp L%d\n", pc);
            }
            buf_printf(b, "L%d:\n", pc);
            open = 1;
        }
        const int top = d - 1, second = d - 2;
        switch (in->op) {
        case OP_PUSH: buf_printf(b, "    s%d = copy %" PRId64 "\n", d, in->imm); break;
        case OP_LOAD: buf_printf(b, "    s%d = copy l%" PRId64 "\n", d, in->imm); break;
        case OP_STORE: buf_printf(b, "    l%" PRId64 " = copy s%d\n", in->imm, top); break;
        case OP_POP: break;
        case OP_DUP: buf_printf(b, "    s%d = copy s%d\n", d, top); break;
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
            buf_printf(b, "    s%d = %s s%d, s%d\n", second, OPS[in->op].mir, second, top);
            break;
        case OP_DIV:
        case OP_MOD:
            /* Guard: a zero divisor bails out (the interpreter reports it). */
            buf_printf(b, "    c = eq s%d, 0\n    br c, B%d, K%d\nK%d:\n", top, pc, pc, pc);
            buf_printf(b, "    s%d = %s s%d, s%d\n", second, OPS[in->op].mir, second, top);
            bail_pc[nbail] = pc;
            bail_sp[nbail++] = d;
            break;
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
        case OP_EQ:
        case OP_NE: {
            const Ins *next = pc + 1 < f->ncode ? &f->code[pc + 1] : NULL;
            buf_printf(b, "    c = %s s%d, s%d\n", OPS[in->op].mir, second, top);
            if (next != NULL && !label[pc + 1] && (next->op == OP_JZ || next->op == OP_JNZ)) {
                /* Fused with the jump: branch on the compare itself. */
                if (next->op == OP_JNZ) {
                    buf_printf(b, "    br c, L%" PRId64 ", L%d\n", next->imm, pc + 2);
                } else {
                    buf_printf(b, "    br c, L%d, L%" PRId64 "\n", pc + 2, next->imm);
                }
                open = 0;
                pc++;
            } else {
                buf_printf(b, "    s%d = zext c\n", second);
            }
            break;
        }
        case OP_JMP:
            buf_printf(b, "    jmp L%" PRId64 "\n", in->imm);
            open = 0;
            break;
        case OP_JZ:
        case OP_JNZ:
            buf_printf(b, "    c = %s s%d, 0\n", in->op == OP_JZ ? "eq" : "ne", top);
            buf_printf(b, "    br c, L%" PRId64 ", L%d\n", in->imm, pc + 1);
            open = 0;
            break;
        case OP_CALL: {
            const Func *g = &p->funcs[in->imm];
            const int base = d - g->nparams;
            buf_printf(b, "    s%d = call bc_%s(ctx", base, g->name);
            for (int i = base; i < d; i++) {
                buf_printf(b, ", s%d", i);
            }
            buf_printf(b, ")\n");
            /* Did the callee bail out? Then so does this frame. */
            buf_printf(b, "    t = load ctx, 0\n    c = ne t, 0\n    br c, B%d, L%d\n", pc, pc + 1);
            open = 0;
            bail_pc[nbail] = pc;
            bail_sp[nbail++] = base;
            break;
        }
        case OP_RET:
            buf_printf(b, "    ret s%d\n", top);
            open = 0;
            break;
        case OP_AGET:
        case OP_ASET: {
            /* Guard: 0 <= index < length, one unsigned compare. */
            const int arr = in->op == OP_AGET ? second : d - 3, idx = arr + 1;
            buf_printf(b, "    a = bitcast s%d\n    t = call array_len(a)\n", arr);
            buf_printf(b, "    c = ult s%d, t\n    br c, K%d, B%d\nK%d:\n", idx, pc, pc, pc);
            if (in->op == OP_AGET) {
                buf_printf(b, "    s%d = call array_get(a, s%d)\n", arr, idx);
            } else {
                buf_printf(b, "    call array_set(a, s%d, s%d)\n", idx, idx + 1);
            }
            bail_pc[nbail] = pc;
            bail_sp[nbail++] = d;
            break;
        }
        case OP_ALEN:
            buf_printf(b, "    a = bitcast s%d\n    s%d = call array_len(a)\n", top, top);
            break;
        }
    }
    /* The bail blocks: record this frame for the interpreter, return. */
    for (int i = 0; i < nbail; i++) {
        buf_printf(b, "B%d:\n    fr = call vm_deopt(ctx, %d, %d, %d)\n", bail_pc[i], fi, bail_pc[i], bail_sp[i]);
        for (int k = 0; k < f->nlocals; k++) {
            buf_printf(b, "    store fr, %d, l%d\n", 8 * k, k);
        }
        for (int s = 0; s < bail_sp[i]; s++) {
            buf_printf(b, "    store fr, %d, s%d\n", 8 * (MAX_LOCALS + s), s);
        }
        buf_printf(b, "    ret 0\n");
    }
    buf_printf(b, "}\n");
    free(label);
    free(bail_pc);
    free(bail_sp);
    int lines = 0;
    for (size_t i = start; i < b->len; i++) {
        lines += b->data[i] == '\n';
    }
    return lines;
}

/* Adds `fi` and every function it can reach that is not native yet. */
static void collect_group(const VM *vm, int fi, int *group, int *n, char *seen) {
    if (seen[fi] || vm->state[fi].native) {
        return;
    }
    seen[fi] = 1;
    group[(*n)++] = fi;
    const Func *f = &vm->prog->funcs[fi];
    for (int pc = 0; pc < f->ncode; pc++) {
        if (f->code[pc].op == OP_CALL) {
            collect_group(vm, (int)f->code[pc].imm, group, n, seen);
        }
    }
}

/* Translates `fi` (and its callees that are not native yet) to MIR and
 * compiles it into the VM's manager. */
static int tier_up(VM *vm, int fi) {
    TierUp *t = &vm->tierups[vm->ntierups];
    const double t0 = now_ms();
    char seen[MAX_FUNCS] = {0};
    memset(t, 0, sizeof *t);
    t->func = fi;
    t->calls = vm->state[fi].calls;
    collect_group(vm, fi, t->group, &t->ngroup, seen);

    Buf mir = {0};
    buf_printf(&mir, "mir 1\n");
    buf_printf(&mir, "extern fn array_get(ptr, i64) -> i64\n");
    buf_printf(&mir, "extern fn array_set(ptr, i64, i64) -> void\n");
    buf_printf(&mir, "extern fn array_len(ptr) -> i64\n");
    buf_printf(&mir, "extern fn vm_deopt(ptr, i64, i64, i64) -> ptr\n");
    t->mir_lines = 5;
    for (int i = 0; i < t->ngroup; i++) {
        t->mir_lines += translate(vm->prog, t->group[i], &mir);
    }
    int32_t rc = rt_exec_manager_compile_mir(vm->h, (const uint8_t *)mir.data, mir.len);
    t->ms = now_ms() - t0;
    vm->compile_ms += t->ms;
    if (vm->show_mir) {
        printf("---- MIR of the tier-up of `%s` ----\n%s----\n", vm->prog->funcs[fi].name, mir.data);
    }
    if (rc != RT_OK) {
        vm_fail(vm, "compiling the MIR of `%s` failed (%d): %s\n%s", vm->prog->funcs[fi].name, (int)rc,
                rt_exec_manager_get_last_error(), mir.data);
        free(mir.data);
        return -1;
    }
    free(mir.data);
    for (int i = 0; i < t->ngroup; i++) {
        vm->state[t->group[i]].native = 1;
    }
    vm->ntierups++;
    return 0;
}

/* ----------------------------------------------------------- interpreter */

static int64_t wrap_add(int64_t a, int64_t b) {
    return (int64_t)((uint64_t)a + (uint64_t)b);
}
static int64_t wrap_sub(int64_t a, int64_t b) {
    return (int64_t)((uint64_t)a - (uint64_t)b);
}
static int64_t wrap_mul(int64_t a, int64_t b) {
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

/* Runs function `fi` from the state in `fr` (a fresh call: pc 0, an empty
 * stack; a rebuilt frame: wherever native code stopped) until `ret`. */
static int interp(VM *vm, int fi, Frame *fr, int64_t *out) {
    const Program *p = vm->prog;
    const Func *f = &p->funcs[fi];
    const Ins *code = f->code;
    int64_t *loc = fr->loc, *st = fr->st;
    int sp = fr->sp, pc = fr->pc;
    for (;;) {
        const Ins *in = &code[pc++];
        switch (in->op) {
        case OP_PUSH: st[sp++] = in->imm; break;
        case OP_LOAD: st[sp++] = loc[in->imm]; break;
        case OP_STORE: loc[in->imm] = st[--sp]; break;
        case OP_POP: sp--; break;
        case OP_DUP: st[sp] = st[sp - 1]; sp++; break;
        case OP_ADD: sp--; st[sp - 1] = wrap_add(st[sp - 1], st[sp]); break;
        case OP_SUB: sp--; st[sp - 1] = wrap_sub(st[sp - 1], st[sp]); break;
        case OP_MUL: sp--; st[sp - 1] = wrap_mul(st[sp - 1], st[sp]); break;
        case OP_DIV:
        case OP_MOD: {
            int64_t b = st[--sp], a = st[sp - 1];
            if (b == 0) {
                return vm_fail(vm, "division by zero in %s at pc %d", f->name, pc - 1);
            }
            if (b == -1) { /* INT64_MIN / -1 wraps; INT64_MIN % -1 is 0 */
                st[sp - 1] = in->op == OP_DIV ? wrap_sub(0, a) : 0;
            } else {
                st[sp - 1] = in->op == OP_DIV ? a / b : a % b;
            }
            break;
        }
        case OP_LT: sp--; st[sp - 1] = st[sp - 1] < st[sp]; break;
        case OP_LE: sp--; st[sp - 1] = st[sp - 1] <= st[sp]; break;
        case OP_GT: sp--; st[sp - 1] = st[sp - 1] > st[sp]; break;
        case OP_GE: sp--; st[sp - 1] = st[sp - 1] >= st[sp]; break;
        case OP_EQ: sp--; st[sp - 1] = st[sp - 1] == st[sp]; break;
        case OP_NE: sp--; st[sp - 1] = st[sp - 1] != st[sp]; break;
        case OP_JMP: pc = (int)in->imm; break;
        case OP_JZ:
            if (st[--sp] == 0) {
                pc = (int)in->imm;
            }
            break;
        case OP_JNZ:
            if (st[--sp] != 0) {
                pc = (int)in->imm;
            }
            break;
        case OP_CALL: {
            sp -= p->funcs[in->imm].nparams;
            int64_t r;
            if (vm_call(vm, (int)in->imm, &st[sp], &r) != 0) {
                return -1;
            }
            st[sp++] = r;
            break;
        }
        case OP_RET: *out = st[sp - 1]; return 0;
        case OP_AGET: {
            Array *a = as_array(st[sp - 2]);
            int64_t i = st[sp - 1];
            sp--;
            if (i >= 0 && i < array_len(a)) {
                st[sp - 1] = array_get(a, i);
            } else if (i < 0) {
                return vm_fail(vm, "negative array index %" PRId64 " in %s at pc %d", i, f->name, pc - 1);
            } else {
                st[sp - 1] = 0; /* slow path: past the end reads 0 */
            }
            break;
        }
        case OP_ASET: {
            Array *a = as_array(st[sp - 3]);
            int64_t i = st[sp - 2], v = st[sp - 1];
            sp -= 3;
            if (i < 0) {
                return vm_fail(vm, "negative array index %" PRId64 " in %s at pc %d", i, f->name, pc - 1);
            }
            if (i >= array_len(a)) {
                array_grow(a, i + 1); /* slow path: the array grows */
            }
            array_set(a, i, v);
            break;
        }
        case OP_ALEN: st[sp - 1] = array_len(as_array(st[sp - 1])); break;
        default: return vm_fail(vm, "bad opcode %d in %s at pc %d", in->op, f->name, pc - 1);
        }
    }
}

static void describe_bailout(VM *vm, const DeoptFrame *frames, int64_t n) {
    const Program *p = vm->prog;
    const DeoptFrame *in = &frames[0];
    const Func *f = &p->funcs[in->func];
    int op = f->code[in->pc].op;
    const int64_t *st = in->slots + MAX_LOCALS;
    if (op == OP_AGET || op == OP_ASET) {
        int arr = op == OP_AGET ? (int)in->sp - 2 : (int)in->sp - 3;
        printf("  bail-out: native `%s` failed its bounds guard at pc %" PRId64 " (%s: index %" PRId64
               ", array length %" PRId64 ")\n",
               f->name, in->pc, OPS[op].name, st[arr + 1], array_len(as_array(st[arr])));
    } else {
        printf("  bail-out: native `%s` failed its zero-divisor guard at pc %" PRId64 " (%s)\n", f->name, in->pc,
               OPS[op].name);
    }
    printf("  resumed in the interpreter (%" PRId64 " frame%s rebuilt): %s at pc %" PRId64 " (%s)", n,
           n == 1 ? "" : "s", f->name, in->pc, OPS[op].name);
    for (int64_t k = 1; k < n; k++) {
        const Func *g = &p->funcs[frames[k].func];
        printf(", %s after its call of %s at pc %" PRId64, g->name, p->funcs[frames[k - 1].func].name,
               frames[k].pc);
    }
    printf("\n");
}

/* Finishes frame k of a bail-out in the interpreter; frames[k - 1] is the
 * callee it was waiting for. */
static int resume(VM *vm, const DeoptFrame *frames, int64_t k, int64_t *out) {
    const DeoptFrame *d = &frames[k];
    const Func *f = &vm->prog->funcs[d->func];
    Frame fr;
    memcpy(fr.loc, d->slots, (size_t)f->nlocals * sizeof(int64_t));
    memcpy(fr.st, d->slots + MAX_LOCALS, (size_t)d->sp * sizeof(int64_t));
    fr.sp = (int)d->sp;
    fr.pc = (int)d->pc;
    if (++vm->depth > MAX_DEPTH) {
        vm->depth--;
        return vm_fail(vm, "call depth over %d while resuming %s", MAX_DEPTH, f->name);
    }
    int rc = 0;
    if (k > 0) { /* at its `call`: finish the callee, push its result */
        int64_t r;
        rc = resume(vm, frames, k - 1, &r);
        fr.st[fr.sp++] = r;
        fr.pc++;
    }
    if (rc == 0) {
        rc = interp(vm, (int)d->func, &fr, out);
    }
    vm->depth--;
    return rc;
}

static int native_call(VM *vm, int fi, const int64_t *args, int64_t *out) {
    const Func *f = &vm->prog->funcs[fi];
    int64_t argv[1 + MAX_PARAMS];
    char name[NAME_LEN + 4];
    snprintf(name, sizeof name, "bc_%s", f->name);
    argv[0] = (int64_t)(intptr_t)&vm->deopt;
    memcpy(argv + 1, args, (size_t)f->nparams * sizeof(int64_t));
    vm->state[fi].native_entries++;
    int64_t r = 0;
    int32_t rc = rt_exec_manager_execute(vm->h, name, argv, (size_t)f->nparams + 1, &r);
    if (rc != RT_OK) {
        vm->deopt.nframes = 0;
        return vm_fail(vm, "native %s failed (%d): %s", f->name, (int)rc, rt_exec_manager_get_last_error());
    }
    if (vm->deopt.nframes == 0) {
        *out = r;
        return 0;
    }
    /* A bail-out: take the frames (resuming may run native code that bails
     * out again), then finish the call in the interpreter. */
    int64_t n = vm->deopt.nframes;
    DeoptFrame *frames = xrealloc(NULL, (size_t)n * sizeof(DeoptFrame));
    memcpy(frames, vm->deopt.frames, (size_t)n * sizeof(DeoptFrame));
    vm->deopt.nframes = 0;
    vm->bailouts++;
    vm->frames_rebuilt += n;
    if (vm->trace) {
        describe_bailout(vm, frames, n);
    }
    int status = resume(vm, frames, n - 1, out);
    free(frames);
    return status;
}

/* Calls bytecode function `fi`: natively once it is hot. */
static int vm_call(VM *vm, int fi, const int64_t *args, int64_t *out) {
    FuncState *s = &vm->state[fi];
    if (vm->jit && !s->native && s->calls >= TIER_UP_CALLS && tier_up(vm, fi) != 0) {
        return -1;
    }
    if (s->native) {
        return native_call(vm, fi, args, out);
    }
    s->calls++;
    const Func *f = &vm->prog->funcs[fi];
    Frame fr;
    for (int k = 0; k < f->nlocals; k++) {
        fr.loc[k] = k < f->nparams ? args[k] : 0;
    }
    fr.sp = fr.pc = 0;
    if (++vm->depth > MAX_DEPTH) {
        vm->depth--;
        return vm_fail(vm, "call depth over %d in %s", MAX_DEPTH, f->name);
    }
    int rc = interp(vm, fi, &fr, out);
    vm->depth--;
    return rc;
}

/* ------------------------------------------------------------------ main */

static Program prog;
static int failures;
static int option_mir; /* --mir */

static int func_id(const char *name) {
    int fi = find_func(&prog, name);
    if (fi < 0) {
        fprintf(stderr, "bytecode_vm: no bytecode function %s\n", name);
        exit(1);
    }
    return fi;
}

/* Calls `name` in `vm`; on an error, exits unless `allow_error` (then returns -1, the message in vm->error). */
static int call(VM *vm, const char *name, const int64_t *args, int64_t *out, int allow_error) {
    int rc = vm_call(vm, func_id(name), args, out);
    if (rc != 0 && !allow_error) {
        fprintf(stderr, "bytecode_vm: %s (%s): %s\n", name, vm->jit ? "tier-up" : "interpreter only", vm->error);
        exit(1);
    }
    return rc;
}

static void must(int ok, const char *what) {
    if (!ok) {
        printf("MISMATCH: %s\n", what);
        failures++;
    }
}

static void print_tierup(const VM *vm, const TierUp *t) {
    const Program *p = vm->prog;
    printf("  tier-up: %s after %ld calls -> native", p->funcs[t->func].name, t->calls);
    if (t->ngroup > 1) {
        printf(" with its callee%s", t->ngroup > 2 ? "s" : "");
        for (int i = 1; i < t->ngroup; i++) {
            printf("%s %s", i > 1 ? "," : "", p->funcs[t->group[i]].name);
        }
    }
    printf(" (%d function%s, %d lines of MIR, translated and compiled in %.2f ms)\n", t->ngroup,
           t->ngroup == 1 ? "" : "s", t->mir_lines, t->ms);
}

static Array *matrix(int64_t n) {
    Array *a = array_new(n * n);
    for (int64_t i = 0; i < n * n; i++) {
        a->data[i] = (i * 7919) % 1000;
    }
    return a;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int64_t result;
    uint64_t checksum;
    double ms;
    double warm_ms; /* tier-up only: a second run in the same VM */
} RunResult;

/* Runs the workload once in a fresh VM (with tier-up: and then once more
 * in the same VM); copies the VM after the first run to `keep` (for its
 * statistics) when given. */
static RunResult run_workload(int jit, const int64_t params[3], int show_mir, VM *keep) {
    VM vm;
    if (vm_init(&vm, &prog, jit) != 0) {
        fprintf(stderr, "bytecode_vm: %s\n", vm.error);
        exit(1);
    }
    vm.show_mir = show_mir;
    Array *arr = matrix(params[0]);
    int64_t args[4] = {array_value(arr), params[0], params[1], params[2]};
    RunResult res;
    const double t0 = now_ms();
    call(&vm, "run", args, &res.result, 0);
    res.ms = now_ms() - t0;
    res.checksum = array_checksum(arr);
    array_free(arr);
    res.warm_ms = 0;
    if (keep != NULL) {
        *keep = vm; /* the statistics of the first run */
        keep->h = 0;
        keep->deopt.frames = NULL;
    }
    if (jit) {
        /* Again in the same VM, on a fresh matrix: the hot code is native. */
        arr = matrix(params[0]);
        args[0] = array_value(arr);
        int64_t again;
        const double t1 = now_ms();
        call(&vm, "run", args, &again, 0);
        res.warm_ms = now_ms() - t1;
        must(again == res.result && array_checksum(arr) == res.checksum, "the second tiered run differs");
        array_free(arr);
    }
    if (vm_destroy(&vm) != 0) {
        exit(1);
    }
    return res;
}

static void workload(int runs, int quick) {
    /* n x n matrix, rounds, fib_n */
    const int64_t params[3] = {quick ? 12 : 64, quick ? 14 : 300, quick ? 10 : 22};
    printf("== workload: run(arr = %" PRId64 " x %" PRId64 " matrix, rounds = %" PRId64 ", fib_n = %" PRId64
           ") ==\n",
           params[0], params[0], params[1], params[2]);
    double *ms_int = xrealloc(NULL, (size_t)runs * sizeof(double));
    double *ms_jit = xrealloc(NULL, (size_t)runs * sizeof(double));
    double *ms_warm = xrealloc(NULL, (size_t)runs * sizeof(double));
    double *ms_compile = xrealloc(NULL, (size_t)runs * sizeof(double));
    RunResult ri = {0}, rj = {0};
    VM stats;
    /* Alternate the tiers, so drift in machine speed hits both alike. */
    for (int i = 0; i < runs; i++) {
        RunResult a = run_workload(0, params, 0, NULL);
        RunResult b = run_workload(1, params, option_mir && i == 0, &stats);
        if (i > 0 && (a.result != ri.result || b.result != rj.result || a.checksum != ri.checksum)) {
            must(0, "a run gave another result than the first");
        }
        ri = a;
        rj = b;
        ms_int[i] = a.ms;
        ms_jit[i] = b.ms;
        ms_warm[i] = b.warm_ms;
        ms_compile[i] = stats.compile_ms;
    }
    qsort(ms_int, (size_t)runs, sizeof(double), cmp_double);
    qsort(ms_jit, (size_t)runs, sizeof(double), cmp_double);
    qsort(ms_warm, (size_t)runs, sizeof(double), cmp_double);
    qsort(ms_compile, (size_t)runs, sizeof(double), cmp_double);
    double med_int = ms_int[runs / 2], med_jit = ms_jit[runs / 2], med_warm = ms_warm[runs / 2];
    const char *plural = runs == 1 ? "" : "s";
    printf("interpreter only: result %" PRId64 " in %.1f ms (median of %d run%s; min %.1f ms)\n", ri.result, med_int,
           runs, plural, ms_int[0]);
    printf("with tier-up:     result %" PRId64 " in %.1f ms (median of %d run%s; min %.1f ms; of it translating and "
           "compiling: %.1f ms, median)\n",
           rj.result, med_jit, runs, plural, ms_jit[0], ms_compile[runs / 2]);
    int equal = ri.result == rj.result && ri.checksum == rj.checksum;
    printf("results equal: %s (result %s, matrix after the run %s)\n", equal ? "yes" : "NO",
           ri.result == rj.result ? "equal" : "DIFFERENT", ri.checksum == rj.checksum ? "equal" : "DIFFERENT");
    must(equal, "the workload's results differ between the tiers");
    printf("again in the same VM: %.1f ms (median; min %.1f ms): everything hot is native from the start\n",
           med_warm, ms_warm[0]);
    printf("speedup with tier-up: %.1fx (median), %.1fx (min); warm: %.1fx (median), %.1fx (min)%s\n",
           med_int / med_jit, ms_int[0] / ms_jit[0], med_int / med_warm, ms_int[0] / ms_warm[0],
           quick ? " (--quick: too small a workload for timings)" : "");
    printf("tier-ups in the tiered run:\n");
    for (int i = 0; i < stats.ntierups; i++) {
        print_tierup(&stats, &stats.tierups[i]);
    }
    printf("calls from C and the interpreter:");
    for (int fi = 0; fi < prog.nfuncs; fi++) {
        const FuncState *s = &stats.state[fi];
        if (s->calls + s->native_entries > 0) {
            printf(" %s %ld interpreted + %ld native;", prog.funcs[fi].name, s->calls, s->native_entries);
        }
    }
    printf(" bail-outs: %ld\n", stats.bailouts);
    must(stats.bailouts == 0, "the workload bailed out");
    free(ms_int);
    free(ms_jit);
    free(ms_warm);
    free(ms_compile);
}

typedef struct {
    int64_t jit, interp; /* the results with tier-up and interpreter only */
    int equal;           /* the results and the arrays are equal */
} Both;

/* Calls `name(arr, n)` in both VMs on their own arrays; compares. */
static Both both(VM *jit, Array *aj, VM *interp, Array *ai, const char *name, int64_t n) {
    Both b = {0, 0, 0};
    int64_t argj[2] = {array_value(aj), n}, argi[2] = {array_value(ai), n};
    call(jit, name, argj, &b.jit, 0);
    call(interp, name, argi, &b.interp, 0);
    must(b.jit == b.interp, "a result differs between the tiers");
    must(array_checksum(aj) == array_checksum(ai), "the arrays differ between the tiers");
    b.equal = b.jit == b.interp && array_checksum(aj) == array_checksum(ai);
    return b;
}

static const char *verdict(const Both *b) {
    return b->equal ? "equal in both tiers (results and arrays)" : "DIFFERENT between the tiers";
}

/* Calls opcodes(x, y) for every pair of some edge values in both tiers. */
static void opcode_check(void) {
    printf("== every opcode in both tiers ==\n");
    VM jit, interp;
    if (vm_init(&jit, &prog, 1) != 0) {
        fprintf(stderr, "bytecode_vm: %s\n", jit.error);
        exit(1);
    }
    vm_init(&interp, &prog, 0);
    jit.show_mir = option_mir;
    static const int64_t values[] = {0, 1, -1, 2, 7, -7, 1000003, INT64_MAX, INT64_MIN};
    const int nv = (int)(sizeof values / sizeof values[0]);
    int equal = 0;
    for (int i = 0; i < TIER_UP_CALLS; i++) { /* warm up: all the pairs below run natively */
        int64_t args[2] = {i, 3}, rj = 0, ri = 1;
        call(&jit, "opcodes", args, &rj, 0);
        call(&interp, "opcodes", args, &ri, 0);
        must(rj == ri, "opcodes differs between the tiers");
    }
    for (int i = 0; i < nv; i++) {
        for (int j = 0; j < nv; j++) {
            int64_t args[2] = {values[i], values[j]}, rj = 0, ri = 1;
            call(&jit, "opcodes", args, &rj, 0);
            call(&interp, "opcodes", args, &ri, 0);
            if (rj == ri) {
                equal++;
            } else {
                printf("  opcodes(%" PRId64 ", %" PRId64 "): %" PRId64 " with tier-up, %" PRId64
                       " interpreted\n",
                       args[0], args[1], rj, ri);
            }
        }
    }
    const FuncState *s = &jit.state[func_id("opcodes")];
    printf("opcodes(x, y), %d times with x = 0..%d, y = 3: interpreted\n", TIER_UP_CALLS, TIER_UP_CALLS - 1);
    print_tierup(&jit, &jit.tierups[0]);
    printf("opcodes(x, y) natively for the %d pairs of 0, 1, -1, 2, 7, -7, 1000003, INT64_MAX, INT64_MIN: "
           "%d of %d equal to the interpreter's\n",
           nv * nv, equal, nv * nv);
    must(equal == nv * nv && s->native_entries == nv * nv, "opcodes differs between the tiers");
    if (vm_destroy(&jit) != 0 || vm_destroy(&interp) != 0) {
        exit(1);
    }
}

static void bailout_demo(void) {
    printf("== bail-out (deoptimisation) ==\n");
    VM jit, interp;
    if (vm_init(&jit, &prog, 1) != 0) {
        fprintf(stderr, "bytecode_vm: %s\n", jit.error);
        exit(1);
    }
    vm_init(&interp, &prog, 0); /* no manager: cannot fail */
    jit.trace = 1;
    jit.show_mir = option_mir;
    Array *aj = array_new(100), *ai = array_new(100);
    for (int i = 0; i < 100; i++) {
        aj->data[i] = ai->data[i] = i % 7;
    }

    /* 1. Warm up: in range; bump_and_sum goes native at its 11th call. */
    Both r = {0, 0, 1};
    int all_equal = 1;
    for (int i = 0; i < 12; i++) {
        r = both(&jit, aj, &interp, ai, "bump_and_sum", 60);
        all_equal &= r.equal;
    }
    printf("bump_and_sum(arr, 60) 12 times on a 100-element array: last result %" PRId64 ", %s\n", r.jit,
           all_equal ? "every call equal in both tiers" : "DIFFERENT between the tiers");
    for (int i = 0; i < jit.ntierups; i++) {
        print_tierup(&jit, &jit.tierups[i]);
    }
    must(jit.bailouts == 0, "a bail-out while in range");

    /* 2. Past the end: native bump fails its guard inside native
     *    bump_and_sum; both frames finish in the interpreter, which grows
     *    the array. Elements 0..99 were already bumped natively: resuming
     *    (not re-running) keeps them bumped once. */
    printf("bump_and_sum(arr, 130): bump writes past the end of the array, which native code does not handle\n");
    r = both(&jit, aj, &interp, ai, "bump_and_sum", 130);
    printf("  result %" PRId64 ", interpreter only: %" PRId64 "; %s; array length %" PRId64 " and %" PRId64 "\n",
           r.jit, r.interp, verdict(&r), aj->len, ai->len);
    must(jit.bailouts == 1 && jit.frames_rebuilt == 2, "expected one bail-out rebuilding 2 frames");
    must(aj->len == 130 && ai->len == 130, "the arrays did not grow to 130");

    /* 3. The native code stays: in range again, no bail-out. */
    r = both(&jit, aj, &interp, ai, "bump_and_sum", 130);
    printf("bump_and_sum(arr, 130) again: %s (the array has grown): result %" PRId64 ", %s\n",
           jit.bailouts == 1 ? "native, no bail-out" : "ANOTHER BAIL-OUT", r.jit, verdict(&r));
    must(jit.bailouts == 1, "a bail-out on the grown array");

    /* 4. A guard that ends in an error: the interpreter reports it. */
    all_equal = 1;
    for (int i = 0; i < 11; i++) {
        r = both(&jit, aj, &interp, ai, "avg", 50);
        all_equal &= r.equal;
    }
    printf("avg(arr, 50) 11 times: %" PRId64 ", %s\n", r.jit,
           all_equal ? "every call equal in both tiers" : "DIFFERENT between the tiers");
    print_tierup(&jit, &jit.tierups[jit.ntierups - 1]);
    printf("avg(arr, 0): a division by zero in native avg\n");
    int64_t zero[2] = {array_value(aj), 0}, zeroi[2] = {array_value(ai), 0}, out;
    int ej = call(&jit, "avg", zero, &out, 1), ei = call(&interp, "avg", zeroi, &out, 1);
    printf("  error with tier-up: %s\n  error, interpreter only: %s\n", ej ? jit.error : "(none)",
           ei ? interp.error : "(none)");
    must(ej != 0 && ei != 0 && strcmp(jit.error, interp.error) == 0, "the division errors differ");
    must(jit.bailouts == 2, "expected a second bail-out");

    printf("bail-outs handled: %ld (%ld interpreter frames rebuilt); every result equal to the interpreter's: "
           "%s\n",
           jit.bailouts, jit.frames_rebuilt, failures == 0 ? "yes" : "NO");
    array_free(aj);
    array_free(ai);
    if (vm_destroy(&jit) != 0 || vm_destroy(&interp) != 0) {
        exit(1);
    }
}

int main(int argc, char **argv) {
    int quick = 0, runs = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--mir") == 0) {
            option_mir = 1;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bytecode_vm [--quick] [--runs N] [--mir]\n");
            return 2;
        }
    }
    char err[256];
    if (assemble(&prog, PROGRAM, err, sizeof err) != 0) {
        fprintf(stderr, "bytecode_vm: assembling the program: %s\n", err);
        program_free(&prog);
        return 1;
    }
    for (int fi = 0; fi < prog.nfuncs; fi++) {
        if (verify(&prog, fi, err, sizeof err) != 0) {
            fprintf(stderr, "bytecode_vm: verifying the program: %s\n", err);
            program_free(&prog);
            return 1;
        }
    }
    printf("bytecode_vm (rtjit %s): %d bytecode functions, %d instructions; a function goes native after %d "
           "interpreted calls\n",
           rt_version(), prog.nfuncs, prog.ninstructions, TIER_UP_CALLS);

    workload(runs, quick);
    printf("\n");
    opcode_check();
    printf("\n");
    bailout_demo();

    program_free(&prog);
    if (failures != 0) {
        printf("%d MISMATCH%s\n", failures, failures == 1 ? "" : "ES");
        return 1;
    }
    printf("all results equal\n");
    return 0;
}
