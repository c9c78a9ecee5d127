/*
 * gv: runs the Graphviz `dot` program on DOT text. Started directly with
 * fork and execve (never a shell, so no path or format can be interpreted),
 * DOT fed on stdin while stdout and stderr are drained in the same poll loop
 * -- a dot that complains a lot while we still write cannot deadlock us --
 * and its stdout copied to the caller's file descriptor (a temp file the CLI
 * renames into place only on success). Bounded: a dot that runs too long or
 * writes too much is killed, and so is one whose smsslab dies.
 */
#include "dot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
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

/* The child: dot on the pipes, killed if smsslab dies (SIGTERM, SIGKILL),
 * so no dot outlives the render that started it. Only async-signal-safe
 * calls between fork and exec. */
static void child_exec(const char *prog, char *const argv[], int in, int out, int err, pid_t parent)
{
    /* Its own process group: a wrapper script's children are stopped too. */
    if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    execve(prog, argv, environ);
    _exit(127);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dot_run(const char *prog, const char *format, const char *text, size_t len, int out_fd,
            struct err *e)
{
    struct dot_limits lim = {DOT_TIMEOUT_DEFAULT_S, DOT_MAX_OUTPUT_DEFAULT};
    return dot_run_limited(prog, format, text, len, out_fd, &lim, e);
}

int dot_run_limited(const char *prog, const char *format, const char *text, size_t len, int out_fd,
                    const struct dot_limits *lim, struct err *e)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(er) != 0) {
        err_set(e, "cannot create a pipe: %s", strerror(errno));
        int *fds[] = {in, out, er};
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
            for (int k = 0; k < 2; k++)
                if (fds[i][k] >= 0)
                    close(fds[i][k]);
        return -1;
    }
    cloexec(in[0]), cloexec(in[1]), cloexec(out[0]), cloexec(out[1]), cloexec(er[0]),
        cloexec(er[1]);
    char targ[48];
    snprintf(targ, sizeof(targ), "-T%s", format);
    char *argv[] = {(char *)prog, targ, NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(prog, argv, in[0], out[1], er[1], parent);
    close(in[0]);
    close(out[1]);
    close(er[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        close(er[0]);
        err_set(e, "cannot run '%s': %s", prog, strerror(errno));
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
    uint64_t written = 0;
    int wfd = in[1], ofd = out[0], rfd = er[0];
    int timed_out = 0, too_big = 0, write_err = 0;
    int64_t deadline = lim->timeout_s ? now_ms() + (int64_t)lim->timeout_s * 1000 : 0;
    if (len == 0) {
        close(wfd);
        wfd = -1;
    }
    while (ofd >= 0 || rfd >= 0) {
        struct pollfd pf[3] = {{wfd, POLLOUT, 0}, {ofd, POLLIN, 0}, {rfd, POLLIN, 0}};
        int wait = -1;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                timed_out = 1;
                break;
            }
            wait = left > 1000000 ? 1000000 : (int)left;
        }
        if (poll(pf, 3, wait) < 0) {
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
        if (ofd >= 0 && pf[1].revents) {
            char buf[1 << 16];
            ssize_t r = read(ofd, buf, sizeof(buf));
            if (r > 0) {
                if (lim->max_output && written + (uint64_t)r > lim->max_output) {
                    too_big = 1;
                    break;
                }
                written += (uint64_t)r;
                for (ssize_t k = 0; k < r && !write_err;) {
                    ssize_t w = write(out_fd, buf + k, (size_t)(r - k));
                    if (w > 0)
                        k += w;
                    else if (w < 0 && errno != EINTR)
                        write_err = errno;
                }
                if (write_err)
                    break;
            }
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                close(ofd);
                ofd = -1;
            }
        }
        if (rfd >= 0 && pf[2].revents) {
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
    int stopped = timed_out || too_big || write_err;
    if (stopped)
        kill(-pid, SIGKILL);
    if (wfd >= 0)
        close(wfd);
    if (ofd >= 0)
        close(ofd);
    if (rfd >= 0)
        close(rfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGPIPE, &old, NULL);
    int ok = !stopped && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (timed_out) {
        err_set(e,
                "'%s' did not finish within %llu s and was stopped (a large tree; allow more "
                "time with --dot-timeout SECONDS, 0 for none)",
                prog, (unsigned long long)lim->timeout_s);
    } else if (too_big) {
        err_set(e,
                "'%s' wrote more than %llu bytes and was stopped (raise the limit with "
                "--dot-max-output BYTES, 0 for none)",
                prog, (unsigned long long)lim->max_output);
    } else if (write_err) {
        err_set(e, "cannot write the picture: %s", strerror(write_err));
    } else if (ok && off < len) {
        put_stderr(e, prog, "stopped reading its input", &ebuf);
        ok = 0;
    } else if (!ok) {
        char what[64];
        if (WIFSIGNALED(status))
            snprintf(what, sizeof(what), "was killed by signal %d", WTERMSIG(status));
        else if (WEXITSTATUS(status) == 127 && !ebuf.len)
            snprintf(what, sizeof(what), "could not be started");
        else
            snprintf(what, sizeof(what), "failed with exit status %d", WEXITSTATUS(status));
        put_stderr(e, prog, what, &ebuf);
    }
    sb_release(&ebuf);
    return ok ? 0 : -1;
}
