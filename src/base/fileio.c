/* fileio.c: whole-file reads with a size cap, and atomic writes (temp, fsync, rename, dir fsync). */
#define _GNU_SOURCE
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mosa_status file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mosa_fail(MOSA_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return mosa_fail(MOSA_ERR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mosa_fail(MOSA_ERR_IO, "'%s' is not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)max_bytes) {
        close(fd);
        return mosa_fail(MOSA_ERR_FORMAT, "'%s' is %lld bytes, more than the %zu-byte limit for this kind of file",
                         path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = mosa_malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return mosa_fail_context(MOSA_ERR_NOMEM, "reading '%s'", path);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            close(fd);
            mosa_free(buf);
            return mosa_fail(MOSA_ERR_IO, "cannot read '%s': %s", path, r == 0 ? "file shrank while reading" : strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *out_len = n;
    return MOSA_OK;
}

mosa_status atomic_file_open(atomic_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    size_t n = strlen(path) + 32;
    f->path = mosa_strdup(path);
    f->tmp_path = mosa_malloc(n);
    if (!f->path || !f->tmp_path) {
        mosa_free(f->path);
        mosa_free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return f->status = MOSA_ERR_NOMEM;
    }
    snprintf(f->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        f->status = mosa_fail(MOSA_ERR_IO, "cannot create '%s': %s", f->tmp_path, strerror(errno));
        mosa_free(f->path);
        mosa_free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return f->status;
    }
    return MOSA_OK;
}

mosa_status atomic_file_write(atomic_file *f, const void *data, size_t n) {
    if (f->status != MOSA_OK) return f->status;
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            return f->status = mosa_fail(MOSA_ERR_IO, "cannot write '%s': %s", f->tmp_path,
                                         w == 0 ? "no progress" : strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return MOSA_OK;
}

static void atomic_file_release(atomic_file *f) {
    mosa_free(f->path);
    mosa_free(f->tmp_path);
    f->path = f->tmp_path = NULL;
    f->fd = -1;
}

void atomic_file_abort(atomic_file *f) {
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp_path);
    }
    atomic_file_release(f);
}

static mosa_status fsync_dir_of(const char *path) {
    char *copy = mosa_strdup(path);
    if (!copy) return MOSA_ERR_NOMEM;
    const char *dir = dirname(copy);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    mosa_status s = MOSA_OK;
    if (dfd < 0) {
        s = mosa_fail(MOSA_ERR_IO, "cannot open directory '%s' to sync it: %s", dir, strerror(errno));
    } else {
        if (fsync(dfd) != 0 && errno != EINVAL)
            s = mosa_fail(MOSA_ERR_IO, "cannot sync directory '%s': %s", dir, strerror(errno));
        close(dfd);
    }
    mosa_free(copy);
    return s;
}

mosa_status atomic_file_commit(atomic_file *f) {
    mosa_status s = f->status;
    if (s == MOSA_OK && fsync(f->fd) != 0)
        s = mosa_fail(MOSA_ERR_IO, "cannot sync '%s': %s", f->tmp_path, strerror(errno));
    if (s != MOSA_OK) {
        atomic_file_abort(f);
        return s;
    }
    if (close(f->fd) != 0) {
        f->fd = -1;
        s = mosa_fail(MOSA_ERR_IO, "cannot close '%s': %s", f->tmp_path, strerror(errno));
        unlink(f->tmp_path);
        atomic_file_release(f);
        return s;
    }
    f->fd = -1;
    if (rename(f->tmp_path, f->path) != 0) {
        s = mosa_fail(MOSA_ERR_IO, "cannot rename '%s' to '%s': %s", f->tmp_path, f->path, strerror(errno));
        unlink(f->tmp_path);
        atomic_file_release(f);
        return s;
    }
    s = fsync_dir_of(f->path);
    atomic_file_release(f);
    return s;
}

mosa_status file_write_atomic(const char *path, const void *data, size_t n) {
    atomic_file f;
    MOSA_TRY(atomic_file_open(&f, path));
    atomic_file_write(&f, data, n);
    return atomic_file_commit(&f);
}

static int path_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

mosa_status model_path_resolve(char *buf, size_t cap, const char *relative) {
    if (!buf || cap == 0 || !relative || !*relative) return mosa_fail(MOSA_ERR_ARG, "model_path_resolve: empty model name");
    buf[0] = 0;
    char cand[4096];
    const char *env = getenv("MOSA_MODELS");
    if (env && *env) {
        snprintf(cand, sizeof cand, "%s/%s", env, relative);
        if (path_exists(cand)) goto found;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(cand, sizeof cand, "%s/../models/%s", exe, relative);
            if (path_exists(cand)) goto found;
            snprintf(cand, sizeof cand, "%s/models/%s", exe, relative);
            if (path_exists(cand)) goto found;
        }
    }
    snprintf(cand, sizeof cand, "models/%s", relative);
    if (path_exists(cand)) goto found;
    if (strlen(cand) < cap) memcpy(buf, cand, strlen(cand) + 1);
    return mosa_fail(MOSA_ERR_IO,
                     "model file '%s' not found (looked in $MOSA_MODELS, next to the mosa executable's ../models "
                     "and in ./models); run ./setup.sh from the repository to fetch or build the shipped models, "
                     "or give the path of a model file",
                     relative);
found:
    if (strlen(cand) >= cap) return mosa_fail(MOSA_ERR_ARG, "model_path_resolve: path of '%s' too long", relative);
    memcpy(buf, cand, strlen(cand) + 1);
    return MOSA_OK;
}
