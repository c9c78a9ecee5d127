/*
 * gv: runs the Graphviz `dot` program on DOT text. Started directly with
 * posix_spawn (never a shell, so no path or format can be interpreted), DOT
 * fed on stdin while stderr is drained in the same poll loop -- a dot that
 * complains a lot while we still write cannot deadlock us -- and its stdout
 * goes straight to the caller's file descriptor (a temp file the CLI renames
 * into place only on success).
 */
#include "dot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STDERR_KEEP 2000

static int is_exec_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *dot_find_program(const char *name_or_path)
{
    if (!name_or_path || !*name_or_path)
        return NULL;
    if (strchr(name_or_path, '/'))
        return is_exec_file(name_or_path) ? xstrdup(name_or_path) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        sb_reset(&sb);
        /* An empty PATH entry means the current folder, as in execvp. */
        if (n == 0)
            sb_adds(&sb, ".");
        else
            sb_add(&sb, p, n);
        sb_addc(&sb, '/');
        sb_adds(&sb, name_or_path);
        if (is_exec_file(sb.buf))
            return sb_detach(&sb, NULL);
        if (!end)
            break;
        p = end + 1;
    }
    sb_release(&sb);
    return NULL;
}

static void cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* Trim trailing blank lines from dot's stderr for the error message. */
static void put_stderr(struct err *e, const char *prog, const char *what, struct strbuf *er)
{
    while (er->len && (er->buf[er->len - 1] == '\n' || er->buf[er->len - 1] == '\r'))
        er->buf[--er->len] = '\0';
    if (er->len)
        err_set(e, "'%s' %s: %.*s", prog, what, (int)(er->len < 900 ? er->len : 900), er->buf);
    else
        err_set(e, "'%s' %s", prog, what);
}

int dot_run(const char *prog, const char *format, const char *text, size_t len, int out_fd,
            struct err *e)
{
    int in[2], er[2];
    if (pipe(in) != 0) {
        err_set(e, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe(er) != 0) {
        err_set(e, "cannot create a pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    cloexec(in[0]), cloexec(in[1]), cloexec(er[0]), cloexec(er[1]);
    char targ[48];
    snprintf(targ, sizeof(targ), "-T%s", format);
    char *argv[] = {(char *)prog, targ, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, er[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(er[1]);
    if (rc != 0) {
        close(in[1]);
        close(er[0]);
        err_set(e, "cannot run '%s': %s", prog, strerror(rc));
        return -1;
    }
    /* A dot that dies early must give us EPIPE, not kill us with SIGPIPE. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

    struct strbuf ebuf = STRBUF_INIT;
    size_t off = 0;
    int wfd = in[1], rfd = er[0];
    if (len == 0) {
        close(wfd);
        wfd = -1;
    }
    while (wfd >= 0 || rfd >= 0) {
        struct pollfd pf[2] = {{wfd, POLLOUT, 0}, {rfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (wfd >= 0 && pf[0].revents) {
            ssize_t w = write(wfd, text + off, len - off);
            if (w > 0)
                off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
                close(wfd); /* done, or dot stopped reading: its stderr says why */
                wfd = -1;
            }
        }
        if (rfd >= 0 && pf[1].revents) {
            char buf[4096];
            ssize_t r = read(rfd, buf, sizeof(buf));
            if (r > 0 && ebuf.len < STDERR_KEEP)
                sb_add(&ebuf, buf,
                       (size_t)r < STDERR_KEEP - ebuf.len ? (size_t)r : STDERR_KEEP - ebuf.len);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                close(rfd);
                rfd = -1;
            }
        }
    }
    if (wfd >= 0)
        close(wfd);
    if (rfd >= 0)
        close(rfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGPIPE, &old, NULL);
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok && off < len) {
        put_stderr(e, prog, "stopped reading its input", &ebuf);
        ok = 0;
    } else if (!ok) {
        char what[64];
        if (WIFSIGNALED(status))
            snprintf(what, sizeof(what), "was killed by signal %d", WTERMSIG(status));
        else
            snprintf(what, sizeof(what), "failed with exit status %d", WEXITSTATUS(status));
        put_stderr(e, prog, what, &ebuf);
    }
    sb_release(&ebuf);
    return ok ? 0 : -1;
}
