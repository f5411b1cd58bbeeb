/*
 * file_watch.h: whether a watched file changed, for the examples that
 * reload a script when it does (hot_reload.c, game.c).
 */
#ifndef RTJIT_EXAMPLES_FILE_WATCH_H
#define RTJIT_EXAMPLES_FILE_WATCH_H

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* What stat says about the file; any difference counts as a change. A file
 * replaced by rename has a new inode even within one mtime tick. */
typedef struct {
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_state;

static inline file_state file_state_of(const char *path) {
    file_state state = {0};
    struct stat st;
    if (stat(path, &st) == 0) {
        state.exists = 1;
        state.dev = st.st_dev;
        state.ino = st.st_ino;
        state.size = st.st_size;
#ifdef __APPLE__
        state.mtime = st.st_mtimespec;
#else
        state.mtime = st.st_mtim;
#endif
    }
    return state;
}

static inline int same_state(const file_state *a, const file_state *b) {
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

#endif
