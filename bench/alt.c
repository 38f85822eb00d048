/*
 * alt: the timing driver of bench/run.sh.
 *
 * Figures on a shared 2-core VM drift by tens of percent within minutes, so a
 * comparison is only fair when the runtimes take turns: every round runs each
 * runtime once (A B C, then B C A, then C A B ...: alternating, and rotated
 * so that no runtime always follows the same neighbour, whose cgroup removal
 * or namespace teardown may still be in flight), and the ratios come from
 * those paired rounds. hyperfine runs one command's runs back to back, which
 * is why it is only a cross-check here.
 *
 *   alt seq  [-w WARMUP] ROUNDS SPECFILE     steps of each runtime, one round at a time
 *   alt par  [-w WARMUP] ROUNDS N SPECFILE   N copies of each runtime's command at once
 *   alt http [-w WARMUP] SOCKET PATH COUNT   latency of GET PATH over a unix socket
 *   alt reap CMD [ARGS...]                   run CMD as a child subreaper, reaping orphans
 *
 * SPECFILE: "@name" starts a runtime; each following line is a step
 * "LABEL ARG..." (split on blanks), or "LABEL !SHELL-COMMAND" for sh -c. A
 * label starting with '-' is run but not timed (waiting for a state). "{id}"
 * in a step becomes an id unique to the round, runtime and copy.
 *
 * Output lines (one per runtime and step, then the paired ratios):
 *   STEP runtime label n median p10 p90 min max failures   (milliseconds)
 *   TOTAL runtime n median p10 p90 failures                (sum of timed steps)
 *   RATE runtime n median_per_s min_per_s max_per_s failures (par)
 *   PAIR runtime baseline median_of_round_ratios           (runtime / baseline)
 *   HTTP n p50 p90 p99 max bytes failures                   (http)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RT 8
#define MAX_STEPS 8
#define MAX_ARGS 64

struct step {
    char label[64];
    int timed;
    int shell;
    char *argv[MAX_ARGS];   /* templates, with {id} */
    int argc;
};

struct runtime {
    char name[64];
    struct step steps[MAX_STEPS];
    int nsteps;
    double *samples[MAX_STEPS];  /* per round, ms; < 0 marks a failed round */
    double *total;
    int failures;
};

static struct runtime rts[MAX_RT];
static int nrt;
static int errfd = -1;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *msg)
{
    perror(msg);
    exit(2);
}

static char *subst(const char *tmpl, const char *id)
{
    const char *p = strstr(tmpl, "{id}");
    if (!p)
        return strdup(tmpl);
    size_t n = strlen(tmpl) - 4 + strlen(id) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(p - tmpl), tmpl, id, p + 4);
    char *again = subst(out, id);
    free(out);
    return again;
}

static void load_spec(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        if (*s == '@') {
            if (nrt == MAX_RT) { fprintf(stderr, "alt: too many runtimes\n"); exit(2); }
            snprintf(rts[nrt++].name, sizeof rts[0].name, "%s", s + 1);
            continue;
        }
        if (!nrt) { fprintf(stderr, "alt: step before any @runtime\n"); exit(2); }
        struct runtime *rt = &rts[nrt - 1];
        if (rt->nsteps == MAX_STEPS) { fprintf(stderr, "alt: too many steps\n"); exit(2); }
        struct step *st = &rt->steps[rt->nsteps++];
        char *label = strtok(s, " \t");
        snprintf(st->label, sizeof st->label, "%s", label[0] == '-' ? label + 1 : label);
        st->timed = label[0] != '-';
        char *rest = strtok(NULL, "");
        if (!rest) { fprintf(stderr, "alt: step %s has no command\n", label); exit(2); }
        rest += strspn(rest, " \t");
        if (rest[0] == '!') {
            st->shell = 1;
            st->argv[0] = strdup(rest + 1);
            st->argc = 1;
        } else {
            for (char *a = strtok(rest, " \t"); a && st->argc < MAX_ARGS - 1; a = strtok(NULL, " \t"))
                st->argv[st->argc++] = strdup(a);
        }
    }
    fclose(f);
    if (!nrt) { fprintf(stderr, "alt: %s names no runtime\n", path); exit(2); }
}

static pid_t spawn(const struct step *st, const char *id)
{
    char *argv[MAX_ARGS + 3];
    int n = 0;
    if (st->shell) {
        argv[n++] = "/bin/sh";
        argv[n++] = "-c";
        argv[n++] = subst(st->argv[0], id);
    } else {
        for (int i = 0; i < st->argc; i++)
            argv[n++] = subst(st->argv[i], id);
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        if (errfd >= 0)
            dup2(errfd, 2);
        execvp(argv[0], argv);
        fprintf(stderr, "alt: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    for (int i = st->shell ? 2 : 0; i < n; i++)
        free(argv[i]);
    return pid;
}

/* Orphans of a step (a monitor, a detached init) are reparented to us as
 * the subreaper; reap them so they never pile up as zombies. */
static void reap_orphans(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static int wait_ok(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile of the non-negative values (failed rounds are negative). */
static double quantile(const double *v, int n, double q, int *count)
{
    double *s = malloc(sizeof(double) * (n ? n : 1));
    int m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] >= 0)
            s[m++] = v[i];
    if (count)
        *count = m;
    if (!m) { free(s); return -1; }
    qsort(s, m, sizeof(double), cmp_double);
    double pos = q * (m - 1);
    int lo = (int)pos;
    double r = lo + 1 < m ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
    free(s);
    return r;
}

static void errlog_open(void)
{
    const char *path = getenv("ALT_ERRLOG");
    if (path) {
        errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (errfd < 0)
            die(path);
    }
}

static void errlog_note(const char *rt, const char *label, const char *id)
{
    dprintf(errfd >= 0 ? errfd : 2, "alt: %s %s failed (id %s)\n", rt, label, id);
}

static int parse_warmup(int *argc, char ***argv)
{
    int w = 0;
    if (*argc > 1 && strcmp((*argv)[1], "-w") == 0 && *argc > 2) {
        w = atoi((*argv)[2]);
        *argc -= 2;
        *argv += 2;
    }
    return w;
}

static void print_pairs(int rounds)
{
    /* Ratio of each runtime to the first one, round by round. */
    double *r = malloc(sizeof(double) * rounds);
    for (int k = 1; k < nrt; k++) {
        for (int i = 0; i < rounds; i++) {
            double a = rts[k].total[i], b = rts[0].total[i];
            r[i] = (a >= 0 && b > 0) ? a / b : -1;
        }
        int n;
        double med = quantile(r, rounds, 0.5, &n);
        printf("PAIR %s %s %.3f %d\n", rts[k].name, rts[0].name, med, n);
    }
    free(r);
}

static int cmd_seq(int argc, char **argv)
{
    int warm = parse_warmup(&argc, &argv);
    if (argc != 3) { fprintf(stderr, "usage: alt seq [-w W] ROUNDS SPECFILE\n"); return 2; }
    int rounds = atoi(argv[1]);
    load_spec(argv[2]);
    for (int k = 0; k < nrt; k++) {
        for (int s = 0; s < rts[k].nsteps; s++)
            rts[k].samples[s] = calloc(rounds, sizeof(double));
        rts[k].total = calloc(rounds, sizeof(double));
    }
    char id[128];
    for (int r = -warm; r < rounds; r++) {
        for (int j = 0; j < nrt; j++) {
            int k = ((r < 0 ? -r : r) + j) % nrt;
            struct runtime *rt = &rts[k];
            snprintf(id, sizeof id, "%s%s-%d", getenv("ALT_PREFIX") ? getenv("ALT_PREFIX") : "alt", rt->name, r + warm);
            double sum = 0;
            int failed = 0;
            for (int s = 0; s < rt->nsteps; s++) {
                struct step *st = &rt->steps[s];
                double t0 = now_ms();
                int ok = wait_ok(spawn(st, id));
                double dt = now_ms() - t0;
                reap_orphans();
                if (!ok) {
                    failed = 1;
                    errlog_note(rt->name, st->label, id);
                }
                if (r >= 0 && st->timed) {
                    rt->samples[s][r] = ok ? dt : -1;
                    sum += dt;
                }
            }
            if (r >= 0) {
                rt->total[r] = failed ? -1 : sum;
                rt->failures += failed;
            }
        }
    }
    for (int k = 0; k < nrt; k++) {
        struct runtime *rt = &rts[k];
        for (int s = 0; s < rt->nsteps; s++) {
            if (!rt->steps[s].timed)
                continue;
            double *v = rt->samples[s];
            int n;
            double med = quantile(v, rounds, 0.5, &n);
            printf("STEP %s %s %d %.3f %.3f %.3f %.3f %.3f %d\n", rt->name, rt->steps[s].label, n, med,
                   quantile(v, rounds, 0.1, NULL), quantile(v, rounds, 0.9, NULL),
                   quantile(v, rounds, 0, NULL), quantile(v, rounds, 1, NULL), rounds - n);
        }
        int n;
        double med = quantile(rt->total, rounds, 0.5, &n);
        printf("TOTAL %s %d %.3f %.3f %.3f %d\n", rt->name, n, med, quantile(rt->total, rounds, 0.1, NULL),
               quantile(rt->total, rounds, 0.9, NULL), rt->failures);
    }
    print_pairs(rounds);
    return 0;
}

static int cmd_par(int argc, char **argv)
{
    int warm = parse_warmup(&argc, &argv);
    if (argc != 4) { fprintf(stderr, "usage: alt par [-w W] ROUNDS N SPECFILE\n"); return 2; }
    int rounds = atoi(argv[1]), copies = atoi(argv[2]);
    load_spec(argv[3]);
    for (int k = 0; k < nrt; k++) {
        if (rts[k].nsteps != 1) { fprintf(stderr, "alt par: %s needs exactly one step\n", rts[k].name); return 2; }
        rts[k].total = calloc(rounds, sizeof(double));
    }
    pid_t *pids = calloc(copies, sizeof(pid_t));
    char id[128];
    const char *pfx = getenv("ALT_PREFIX") ? getenv("ALT_PREFIX") : "alt";
    for (int r = -warm; r < rounds; r++) {
        for (int j = 0; j < nrt; j++) {
            int k = ((r < 0 ? -r : r) + j) % nrt;
            struct runtime *rt = &rts[k];
            double t0 = now_ms();
            for (int c = 0; c < copies; c++) {
                snprintf(id, sizeof id, "%s%s-p%d-%d", pfx, rt->name, r + warm, c);
                pids[c] = spawn(&rt->steps[0], id);
            }
            int failed = 0;
            for (int c = 0; c < copies; c++)
                if (!wait_ok(pids[c])) {
                    failed++;
                    snprintf(id, sizeof id, "%s%s-p%d-%d", pfx, rt->name, r + warm, c);
                    errlog_note(rt->name, rt->steps[0].label, id);
                }
            double dt = now_ms() - t0;
            reap_orphans();
            if (r >= 0) {
                /* containers per second; a burst with a failure does not count */
                rt->total[r] = failed ? -1 : copies / (dt / 1e3);
                rt->failures += failed;
            }
        }
    }
    for (int k = 0; k < nrt; k++) {
        int n;
        double med = quantile(rts[k].total, rounds, 0.5, &n);
        printf("RATE %s %d %.1f %.1f %.1f %d\n", rts[k].name, n, med, quantile(rts[k].total, rounds, 0, NULL),
               quantile(rts[k].total, rounds, 1, NULL), rts[k].failures);
    }
    print_pairs(rounds);
    return 0;
}

/* One GET with Connection: close, read to EOF; returns bytes read or -1. */
static long http_get(const char *sock, const char *path, int *code)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { close(fd); return -1; }
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: nestd\r\nConnection: close\r\n\r\n", path);
    if (write(fd, req, n) != n) { close(fd); return -1; }
    static char buf[1 << 16];
    long total = 0;
    ssize_t got;
    *code = 0;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        if (total == 0 && got > 12)
            *code = atoi(buf + 9);
        total += got;
    }
    close(fd);
    return got < 0 ? -1 : total;
}

static int cmd_http(int argc, char **argv)
{
    int warm = parse_warmup(&argc, &argv);
    if (argc != 4) { fprintf(stderr, "usage: alt http [-w W] SOCKET PATH COUNT\n"); return 2; }
    int count = atoi(argv[3]);
    double *v = calloc(count, sizeof(double));
    long bytes = 0;
    int failures = 0, code;
    for (int i = -warm; i < count; i++) {
        double t0 = now_ms();
        long got = http_get(argv[1], argv[2], &code);
        double dt = now_ms() - t0;
        int ok = got > 0 && code == 200;
        if (i < 0)
            continue;
        v[i] = ok ? dt : -1;
        failures += !ok;
        if (ok)
            bytes = got;
    }
    int n;
    double p50 = quantile(v, count, 0.5, &n);
    printf("HTTP %d %.3f %.3f %.3f %.3f %ld %d\n", n, p50, quantile(v, count, 0.9, NULL),
           quantile(v, count, 0.99, NULL), quantile(v, count, 1, NULL), bytes, failures);
    return 0;
}

static pid_t child;

static void forward(int sig)
{
    if (child > 0)
        kill(child, sig);
}

static int cmd_reap(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: alt reap CMD [ARGS...]\n"); return 2; }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        die("prctl");
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "alt: exec %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    struct sigaction sa = { .sa_handler = forward };
    /* SIGINT from a terminal reaches the whole process group already */
    signal(SIGINT, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int status = 0;
    for (;;) {
        int st;
        pid_t p = wait(&st);
        if (p < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p == child) {
            status = st;
            break;
        }
    }
    reap_orphans();
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: alt seq|par|http|reap ...\n");
        return 2;
    }
    errlog_open();
    if (strcmp(argv[1], "seq") == 0)
        return cmd_seq(argc - 1, argv + 1);
    if (strcmp(argv[1], "par") == 0)
        return cmd_par(argc - 1, argv + 1);
    if (strcmp(argv[1], "http") == 0)
        return cmd_http(argc - 1, argv + 1);
    if (strcmp(argv[1], "reap") == 0)
        return cmd_reap(argc - 1, argv + 1);
    fprintf(stderr, "alt: unknown mode %s\n", argv[1]);
    return 2;
}
