/*
 * repl.c: a line-based read-eval-print loop over rt_exec_manager_eval.
 *
 * One manager lives for the whole session, so globals and functions defined
 * by one entry are there for the next, even after an entry fails.
 *
 *   >>> x = 40
 *   40
 *   >>> fn sign(n):
 *   ...     if n < 0:
 *   ...         return -1
 *   ...     return 1
 *   ...
 *   >>> sign(-x)
 *   -1
 *
 * Entries: a line ending in ':' (a comment after it aside) opens a block;
 * the lines after it join the entry until an empty line, or a line without
 * indentation that does not start with elif or else (that line then starts
 * the next entry). Any other line is an entry on its own.
 *
 * Output: each entry's value (i64 as an integer, f64 in the shortest form
 * that reads back exactly, bool as true/false, text quoted, void as
 * nothing); a failure as `error: <message>`. Everything goes to stdout, in
 * order. Prompts (`>>> `, `... `) and the banner appear only when stdin is
 * a terminal, so piped sessions give clean output.
 *
 * Commands: :quit (or end of input), :functions, :help.
 *
 * Ctrl-C (SIGINT) stops the running entry, which prints
 * `error: interrupted in ...` (a unit stopped in its top-level code is
 * undone), and the prompt returns; at the prompt it drops the line (or the
 * block) being typed. The REPL never dies of SIGINT. This is how a host
 * wires a signal to rt_exec_manager_interrupt, which is not
 * async-signal-safe: the handler only writes a byte to a pipe (a
 * self-pipe), and a watcher thread reads it and interrupts the manager.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "rtjit.h"
#include "value_format.h"

/* ---- Ctrl-C --------------------------------------------------------------- */

/* The self-pipe: the SIGINT handler writes a byte, the watcher reads it. */
static int sigint_pipe[2] = {-1, -1};
/* Set by the handler; the prompt loop clears it when it drops the line. */
static volatile sig_atomic_t sigint_seen;
/* Nonzero while an entry runs: then Ctrl-C interrupts it. */
static atomic_int entry_running;
static int64_t repl_manager;

static void on_sigint(int sig) {
    (void)sig;
    int saved = errno;
    sigint_seen = 1;
    char byte = 1;
    /* write(2) is async-signal-safe; a full pipe just drops the byte. */
    ssize_t ignored = write(sigint_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

static void *watch_sigint(void *arg) {
    (void)arg;
    char byte;
    for (;;) {
        ssize_t n = read(sigint_pipe[0], &byte, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return NULL;
        }
        if (atomic_load(&entry_running)) {
            rt_exec_manager_interrupt(repl_manager);
        }
    }
}

/* Installs the handler (without SA_RESTART, so a read at the prompt
 * returns EINTR) and starts the watcher, which never takes SIGINT itself. */
static void catch_sigint(int64_t manager) {
    repl_manager = manager;
    if (pipe(sigint_pipe) != 0) {
        perror("repl: pipe");
        return;
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, watch_sigint, NULL) == 0) {
        pthread_detach(watcher);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ---- evaluating entries ------------------------------------------------- */

static void eval_entry(int64_t manager, const char *source) {
    rt_value value = {.type = RT_TYPE_VOID};
    atomic_store(&entry_running, 1);
    int32_t status = rt_exec_manager_eval(manager, source, &value);
    atomic_store(&entry_running, 0);
    sigint_seen = 0;
    if (status != RT_OK) {
        printf("error: %s\n", rt_exec_manager_get_last_error());
    } else if (value.type != RT_TYPE_VOID) {
        if (fprint_value(stdout, &value)) {
            putchar('\n');
        } else {
            printf("error: a value of unknown type %d\n", (int)value.type);
        }
        value_release(&value);
    }
    fflush(stdout);
}

static void list_functions(int64_t manager) {
    char *names = rt_exec_manager_list_functions(manager);
    if (names == NULL) {
        printf("error: %s\n", rt_exec_manager_get_last_error());
        return;
    }
    const char *name = names;
    while (*name != '\0') {
        size_t len = strcspn(name, "\n");
        char *one = strndup(name, len);
        char *signature = one ? rt_exec_manager_function_signature(manager, one) : NULL;
        printf("%s: %s\n", one ? one : "?", signature ? signature : "?");
        rt_string_free(signature);
        free(one);
        name += len + (name[len] == '\n' ? 1 : 0);
    }
    rt_string_free(names);
}

static void print_help(void) {
    printf("Enter statements, expressions and fn definitions; their values are printed.\n"
           "A line ending in ':' opens a block: indent its lines, end it with an empty line.\n"
           "Globals and functions persist for the session.\n"
           "  :functions  list the functions defined so far\n"
           "  :help       show this help\n"
           "  :quit       leave (or end of input, Ctrl-D)\n");
}

/* ---- classifying lines -------------------------------------------------- */

static int is_blank(const char *line) {
    return line[strspn(line, " \t")] == '\0';
}

static int is_indented(const char *line) {
    return line[0] == ' ' || line[0] == '\t';
}

static int is_comment(const char *line) {
    return line[strspn(line, " \t")] == '#';
}

/* Does the line start with the keyword `word` (not just a longer name)? */
static int starts_with_keyword(const char *line, const char *word) {
    size_t len = strlen(word);
    if (strncmp(line, word, len) != 0) {
        return 0;
    }
    char next = line[len];
    return !(next == '_' || (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
             (next >= '0' && next <= '9'));
}

/* Does the line end in ':' (ignoring a trailing comment and spaces)? */
static int opens_block(const char *line) {
    const char *end = line + strlen(line);
    int in_string = 0;
    for (const char *p = line; *p != '\0'; p++) {
        if (in_string) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            } else if (*p == '"') {
                in_string = 0;
            }
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '#') {
            end = p;
            break;
        }
    }
    while (end > line && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    return end > line && end[-1] == ':';
}

/* ---- the entry being built ---------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} text_buffer;

static void buffer_append_line(text_buffer *b, const char *line) {
    size_t n = strlen(line);
    if (b->len + n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 2 > cap) {
            cap *= 2;
        }
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            fprintf(stderr, "repl: out of memory\n");
            exit(1);
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, line, n);
    b->len += n;
    b->data[b->len++] = '\n';
    b->data[b->len] = '\0';
}

/* ---- the loop -------------------------------------------------------------- */

int main(void) {
    int interactive = isatty(STDIN_FILENO);

    int64_t manager = rt_exec_manager_create();
    if (manager == 0) {
        fprintf(stderr, "repl: cannot create a manager: %s\n", rt_exec_manager_get_last_error());
        return 1;
    }
    if (interactive) {
        printf("rtjit %s REPL. :help for help, :quit or Ctrl-D to leave, Ctrl-C to stop an entry.\n",
               rt_version());
    }
    catch_sigint(manager);

    text_buffer block = {0};
    int in_block = 0;
    char *line = NULL;
    size_t line_cap = 0;

    for (;;) {
        if (interactive) {
            fputs(in_block ? "... " : ">>> ", stdout);
        }
        fflush(stdout);

        ssize_t n = getline(&line, &line_cap, stdin);
        if (sigint_seen) {
            /* Ctrl-C at the prompt: drop what was being typed (the read
             * was interrupted, with or without part of a line). */
            clearerr(stdin);
            sigint_seen = 0;
            block.len = 0;
            in_block = 0;
            if (interactive) {
                putchar('\n');
            }
            continue;
        }
        if (n < 0) {
            if (interactive) {
                putchar('\n');
            }
            if (in_block) {
                eval_entry(manager, block.data);
            }
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }

        if (in_block) {
            if (!is_blank(line) &&
                (is_indented(line) || is_comment(line) || starts_with_keyword(line, "elif") ||
                 starts_with_keyword(line, "else"))) {
                buffer_append_line(&block, line);
                continue;
            }
            /* The block is complete: run it, then handle this line afresh. */
            eval_entry(manager, block.data);
            block.len = 0;
            in_block = 0;
            if (is_blank(line)) {
                continue;
            }
        }

        if (is_blank(line)) {
            continue;
        }
        if (line[0] == ':') {
            line[strcspn(line, " \t")] = '\0';
            if (strcmp(line, ":quit") == 0) {
                break;
            } else if (strcmp(line, ":functions") == 0) {
                list_functions(manager);
            } else if (strcmp(line, ":help") == 0) {
                print_help();
            } else {
                printf("error: unknown command %s (try :help)\n", line);
            }
            continue;
        }
        if (opens_block(line)) {
            buffer_append_line(&block, line);
            in_block = 1;
            continue;
        }
        eval_entry(manager, line);
    }

    free(line);
    free(block.data);
    int32_t rc = rt_exec_manager_cleanup(manager);
    if (rc != RT_OK) {
        fprintf(stderr, "repl: rt_exec_manager_cleanup failed: %s\n", rt_exec_manager_get_last_error());
        return 1;
    }
    return 0;
}
