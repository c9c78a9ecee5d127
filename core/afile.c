/*
 * afile: temp file + fsync + rename, as engineering.md describes. Open temp
 * files are tracked so a SIGINT/SIGTERM handler can unlink them: an
 * interrupted corpus run leaves only complete files.
 */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TRACKED 64
static char *volatile tracked[MAX_TRACKED];

static void track(char *tmp)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (!tracked[i]) {
            tracked[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == tmp)
            tracked[i] = NULL;
}

void afile_cleanup_all(void)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i])
            unlink(tracked[i]); /* async-signal-safe */
}

static void on_signal(int sig)
{
    afile_cleanup_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A reader that closed our output early (smsslab run | head -c 10) is an
 * output error, status 2 as documented, not death by SIGPIPE (141). Nothing
 * is printed: the reader left on purpose, and stderr may be the same pipe. */
static void on_sigpipe(int sig)
{
    (void)sig;
    afile_cleanup_all();
    _exit(EXIT_USAGE);
}

void afile_install_signal_cleanup(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, on_sigpipe);
}

/* The mode of a new output: what open(2) would give (0666 less the umask),
 * or the mode of the file it replaces, as editors and cp keep it: a 0600
 * file stays private. Set-id bits are never carried over. */
static mode_t output_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return st.st_mode & 0777;
    mode_t mask = umask(0); /* the only way to read it; set back at once */
    umask(mask);
    return 0666 & ~mask;
}

int afile_open(struct afile *af, const char *path, struct err *e)
{
    memset(af, 0, sizeof(*af));
    if (strcmp(path, "-") == 0) {
        af->fp = stdout;
        af->is_stdout = 1;
        af->path = xstrdup("-");
        return 0;
    }
    if (!*path) {
        err_set(e, "the output path is empty");
        return -1;
    }
    /* A symbolic link to a file: write the file it names (a temp file beside
     * it, renamed over it), so the link stays a link. */
    struct stat st;
    char *resolved = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
        S_ISREG(st.st_mode) && (resolved = realpath(path, NULL)) != NULL) {
        int rc = afile_open(af, resolved, e);
        free(resolved);
        return rc;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            err_set(e, "%s: is a directory", path);
            return -1;
        }
        af->fp = fopen(path, "wb");
        if (!af->fp) {
            err_set(e, "%s: cannot open for writing: %s", path, strerror(errno));
            return -1;
        }
        af->direct = 1;
        af->path = xstrdup(path);
        return 0;
    }
    size_t n = strlen(path);
    af->path = xstrdup(path);
    af->tmp = xmalloc(n + 32);
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(af->tmp, n + 32, "%.*s.%s.tmpXXXXXX", (int)dirlen, path, path + dirlen);
    /* No signal between creating the temp file and tracking it, or the
     * cleanup handler would not know the file it must remove. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    int fd = mkstemp(af->tmp);
    if (fd >= 0)
        track(af->tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        err_set(e, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(af->tmp);
        free(af->path);
        memset(af, 0, sizeof(*af));
        return -1;
    }
    /* mkstemp creates 0600 whatever the umask. */
    if (fchmod(fd, output_mode(path)) != 0)
        err_set(e, "%s: cannot set the mode of the temporary file: %s", path, strerror(errno));
    else if (!(af->fp = fdopen(fd, "wb")))
        err_set(e, "%s: %s", path, strerror(errno));
    else
        return 0;
    close(fd);
    unlink(af->tmp);
    untrack(af->tmp);
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof(*af));
    return -1;
}

static void fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int afile_commit(struct afile *af, struct err *e)
{
    if (!af->fp)
        return -1;
    int rc = 0;
    if (af->direct) {
        if (fflush(af->fp) != 0 || ferror(af->fp)) {
            err_set(e, "%s: write failed: %s", af->path, strerror(errno));
            rc = -1;
        }
        if (fclose(af->fp) != 0 && !rc) {
            err_set(e, "%s: close failed: %s", af->path, strerror(errno));
            rc = -1;
        }
        af->fp = NULL;
        free(af->path);
        af->path = NULL;
        return rc;
    }
    if (af->is_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout)) {
            err_set(e, "error writing to standard output: %s", strerror(errno));
            rc = -1;
        }
        af->fp = NULL;
        free(af->path);
        af->path = NULL;
        return rc;
    }
    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        err_set(e, "%s: write failed: %s", af->path, strerror(errno));
        rc = -1;
    }
    if (fclose(af->fp) != 0 && !rc) {
        err_set(e, "%s: close failed: %s", af->path, strerror(errno));
        rc = -1;
    }
    af->fp = NULL;
    if (!rc && rename(af->tmp, af->path) != 0) {
        err_set(e, "%s: cannot rename into place: %s", af->path, strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(af->tmp);
    else
        fsync_dir(af->path);
    untrack(af->tmp);
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
    return rc;
}

void afile_abort(struct afile *af)
{
    if (af->fp && !af->is_stdout)
        fclose(af->fp); /* a direct (device) target keeps what was written: nothing to undo */
    if (af->tmp) {
        unlink(af->tmp);
        untrack(af->tmp);
    }
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof(*af));
}

int afile_write_all(const char *path, const void *data, size_t n, struct err *e)
{
    struct afile af;
    if (afile_open(&af, path, e) < 0)
        return -1;
    if (n && fwrite(data, 1, n, af.fp) != n) {
        err_set(e, "%s: write failed: %s", path, strerror(errno));
        afile_abort(&af);
        return -1;
    }
    return afile_commit(&af, e);
}
