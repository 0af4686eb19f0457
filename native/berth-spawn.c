/*
 * berth-spawn: starts processes for berthd, and mounts and unmounts, so that berthd never forks itself.
 *
 * A fork copies the page tables of the process that forks: berthd (60-250 MB) paid 5-12 ms of its
 * event loop per spawn, five spawns per `docker run --rm`. This process is small, so its forks are
 * cheap, and berthd's event loop never waits for one. berthd starts it once (src/engine/runtime/
 * spawn-helper.ts) and talks to it over its stdin and stdout in frames:
 *
 *   frame:    u32 length of what follows (little endian), u32 sequence number, u8 type, payload
 *   requests: 'S' spawn    u32 flags, u32 argc, u32 envc, then NUL-ended strings: cwd ("" keeps ours),
 *                          argv[0..argc) (argv[0] is the file, searched on the env's PATH without a
 *                          slash), env[0..envc)
 *             'K' kill     i32 signal                  (to the process of that sequence number, if alive)
 *             'D' drop     u8 stream                   (stop reading stream 1, 2 or 3: its reader is gone)
 *             'M' mount    u32 flags, source, fstype, target, data (NUL-ended)  -> 'R'
 *             'U' umount   u32 flags, target (NUL-ended)                        -> 'R'
 *   answers:  'P' started  i32 pid                     (forked; 'X' follows, also when the exec fails)
 *             'O' output   u8 stream, bytes
 *             'E' end      u8 stream                   (the stream reached its end)
 *             'X' exit     i32 code (-1 if signalled), i32 signal, i32 errno of a failed exec or setup
 *             'R' result   i32 errno (0: done)
 * Spawn flags: 1 a session of its own (setsid, as Node's `detached`), 2 capture stdout, 4 capture
 * stderr, 8 a pipe as fd 3 (conmon's sync pipe). Streams not captured are /dev/null, and so is stdin.
 * The child gets default signal dispositions and an empty signal mask, as libuv gives its children.
 *
 * It exits when its stdin ends, and the kernel ends it when berthd dies (PR_SET_PDEATHSIG); the
 * processes it started live on, as they did when berthd forked them itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (16u << 20)
#define CHUNK 65536

enum { F_SETSID = 1, F_STDOUT = 2, F_STDERR = 4, F_SYNC = 8 };

struct job;
/* What an epoll event is about: stream 0 is the exec-error pipe, 1-3 the child's output. */
struct watch { struct job *job; int stream; };

struct job {
  uint32_t seq;
  pid_t pid;
  int fds[4];
  struct watch w[4];
  int exec_errno, exited, status, reported;
  struct job *next;
};

static int ep;
static struct job *jobs;
static char *inbuf;
static size_t inlen, incap;
static struct watch stdin_watch, signal_watch;
/* Jobs done with, freed after the batch of epoll events that may still name them. */
static struct job *done;

static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void write_all(const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(1, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) { struct pollfd pfd = { 1, POLLOUT, 0 }; poll(&pfd, 1, -1); continue; }
    if (n <= 0) _exit(0); /* berthd is gone */
    p += n;
    len -= (size_t)n;
  }
}

static void answer(uint32_t seq, char type, const void *payload, size_t len) {
  unsigned char head[9];
  put32(head, (uint32_t)(5 + len));
  put32(head + 4, seq);
  head[8] = (unsigned char)type;
  write_all(head, 9);
  if (len) write_all(payload, len);
}

static void answer_ints(uint32_t seq, char type, int n, const int32_t *v) {
  unsigned char p[12];
  for (int i = 0; i < n; i++) put32(p + 4 * i, (uint32_t)v[i]);
  answer(seq, type, p, 4 * (size_t)n);
}

static struct job *find_seq(uint32_t seq) {
  for (struct job *j = jobs; j; j = j->next) if (j->seq == seq) return j;
  return NULL;
}

static void close_stream(struct job *j, int s) {
  if (j->fds[s] < 0) return;
  epoll_ctl(ep, EPOLL_CTL_DEL, j->fds[s], NULL);
  close(j->fds[s]);
  j->fds[s] = -1;
}

/* Reports the exit once the process is reaped and its exec-error pipe has said how the exec went. */
static void settle(struct job *j) {
  if (j->exited && j->fds[0] < 0 && !j->reported) {
    int32_t v[3] = { -1, 0, j->exec_errno };
    if (WIFEXITED(j->status)) v[0] = WEXITSTATUS(j->status);
    else if (WIFSIGNALED(j->status)) v[1] = WTERMSIG(j->status);
    answer_ints(j->seq, 'X', 3, v);
    j->reported = 1;
  }
  if (!j->reported || j->fds[1] >= 0 || j->fds[2] >= 0 || j->fds[3] >= 0) return;
  for (struct job **p = &jobs; *p; p = &(*p)->next) {
    if (*p == j) { *p = j->next; j->next = done; done = j; return; }
  }
}

static void watch_fd(struct job *j, int s, int fd) {
  j->fds[s] = fd;
  j->w[s].job = j;
  j->w[s].stream = s;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &j->w[s] };
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* In the child: PATH search as execvp does, with the PATH of the child's own environment. */
static void exec_file(const char *file, char **argv, char **envp) {
  if (strchr(file, '/')) { execve(file, argv, envp); return; }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++) if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int saved = ENOENT;
  char buf[4096];
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen + strlen(file) + 2 <= sizeof buf) {
      memcpy(buf, p, dlen);
      if (dlen == 0) buf[dlen++] = '.';
      buf[dlen] = '/';
      strcpy(buf + dlen + 1, file);
      execve(buf, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    if (!*end) break;
    p = end;
  }
  errno = saved;
}

static void spawn_job(uint32_t seq, const unsigned char *p, size_t len) {
  int32_t fail[3] = { -1, 0, EINVAL };
  if (len < 12) { answer_ints(seq, 'X', 3, fail); return; }
  uint32_t flags = get32(p), argc = get32(p + 4), envc = get32(p + 8);
  if (argc < 1 || argc > len || envc > len) { answer_ints(seq, 'X', 3, fail); return; }
  char **strs = calloc((size_t)argc + envc + 3, sizeof(char *));
  if (!strs) { fail[2] = ENOMEM; answer_ints(seq, 'X', 3, fail); return; }
  /* strs: cwd, argv..., NULL, env..., NULL */
  const char *s = (const char *)p + 12, *end = (const char *)p + len;
  uint32_t want = 1 + argc + envc;
  for (uint32_t i = 0, k = 0; i < want; i++, k++) {
    const char *nul = memchr(s, 0, (size_t)(end - s));
    if (!nul) { free(strs); answer_ints(seq, 'X', 3, fail); return; }
    if (i == 1 + argc) k++; /* leave the NULL that ends argv */
    strs[k] = (char *)s;
    s = nul + 1;
  }
  char *cwd = strs[0], **argv = strs + 1, **envp = strs + 2 + argc;

  int pipes[4][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
  int ok = pipe2(pipes[0], O_CLOEXEC) == 0;
  for (int i = 1; i < 4 && ok; i++) {
    if (flags & (i == 1 ? F_STDOUT : i == 2 ? F_STDERR : F_SYNC)) ok = pipe2(pipes[i], O_CLOEXEC) == 0;
  }
  struct job *j = ok ? calloc(1, sizeof *j) : NULL;
  pid_t pid = j ? fork() : -1;
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (flags & F_SETSID) setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int to[4] = { null, pipes[1][1] >= 0 ? pipes[1][1] : null, pipes[2][1] >= 0 ? pipes[2][1] : null, pipes[3][1] };
    for (int fd = 0; fd < 4; fd++) {
      if (to[fd] >= 0 && dup2(to[fd], fd) < 0) goto failed;
    }
    if (*cwd && chdir(cwd) < 0) goto failed;
    exec_file(argv[0], argv, envp);
  failed:;
    int e = errno;
    if (write(pipes[0][1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  int e = errno;
  for (int i = 0; i < 4; i++) if (pipes[i][1] >= 0) close(pipes[i][1]);
  free(strs);
  if (pid < 0) {
    for (int i = 0; i < 4; i++) if (pipes[i][0] >= 0) close(pipes[i][0]);
    free(j);
    fail[2] = e ? e : ENOMEM;
    answer_ints(seq, 'X', 3, fail);
    return;
  }
  int32_t started = pid;
  answer_ints(seq, 'P', 1, &started);
  j->seq = seq;
  j->pid = pid;
  for (int i = 0; i < 4; i++) {
    j->fds[i] = -1;
    if (pipes[i][0] >= 0) watch_fd(j, i, pipes[i][0]);
  }
  j->next = jobs;
  jobs = j;
}

static void stream_readable(struct job *j, int s) {
  char buf[CHUNK + 1];
  for (;;) {
    ssize_t n = read(j->fds[s], buf + 1, CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_stream(j, s);
      if (s > 0) {
        unsigned char which = (unsigned char)s;
        answer(j->seq, 'E', &which, 1);
      }
      settle(j);
      return;
    }
    if (s == 0) {
      if (n >= 4) memcpy(&j->exec_errno, buf + 1, sizeof j->exec_errno);
      continue;
    }
    buf[0] = (char)s;
    answer(j->seq, 'O', buf, (size_t)n + 1);
  }
}

static void reap(int sfd) {
  struct signalfd_siginfo info;
  while (read(sfd, &info, sizeof info) == sizeof info) { /* drain */ }
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct job *j = jobs; j; j = j->next) {
      if (j->pid == pid && !j->exited) {
        j->exited = 1;
        j->status = status;
        settle(j);
        break;
      }
    }
  }
}

/* The strings of a mount or umount request, in place; NULL when the payload is malformed. */
static const char *next_string(const char **s, const char *end) {
  const char *nul = *s < end ? memchr(*s, 0, (size_t)(end - *s)) : NULL;
  if (!nul) return NULL;
  const char *out = *s;
  *s = nul + 1;
  return out;
}

static void request(uint32_t seq, char type, const unsigned char *p, size_t len) {
  const char *s = (const char *)p + 4, *end = (const char *)p + len;
  if (type == 'S') { spawn_job(seq, p, len); return; }
  if (type == 'K' || type == 'D') {
    struct job *j = find_seq(seq);
    if (!j || len < (type == 'K' ? 4u : 1u)) return;
    if (type == 'K' && !j->exited) kill(j->pid, (int)get32(p));
    if (type == 'D' && p[0] >= 1 && p[0] <= 3) { close_stream(j, p[0]); settle(j); }
    return;
  }
  int32_t err = EINVAL;
  if (type == 'M' && len >= 4) {
    const char *source = next_string(&s, end), *fstype = next_string(&s, end);
    const char *target = next_string(&s, end), *data = next_string(&s, end);
    if (data) err = mount(source, target, fstype, get32(p), data) == 0 ? 0 : errno;
  } else if (type == 'U' && len >= 4) {
    const char *target = next_string(&s, end);
    if (target) err = umount2(target, (int)get32(p)) == 0 ? 0 : errno;
  }
  answer_ints(seq, 'R', 1, &err);
}

static void input_readable(void) {
  for (;;) {
    if (incap - inlen < CHUNK) {
      incap = incap ? incap * 2 : 2 * CHUNK;
      inbuf = realloc(inbuf, incap);
      if (!inbuf) _exit(1);
    }
    ssize_t n = read(0, inbuf + inlen, incap - inlen);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) _exit(0); /* berthd closed our stdin: it is gone or done with us */
    inlen += (size_t)n;
  }
  size_t off = 0;
  while (inlen - off >= 4) {
    uint32_t len = get32((unsigned char *)inbuf + off);
    if (len < 5 || len > MAX_FRAME) _exit(2);
    if (inlen - off - 4 < len) break;
    const unsigned char *f = (unsigned char *)inbuf + off + 4;
    request(get32(f), (char)f[4], f + 5, len - 5);
    off += 4 + (size_t)len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
}

int main(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0; /* berthd died before the line above */
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  ep = epoll_create1(EPOLL_CLOEXEC);
  int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (ep < 0 || sfd < 0) return 1;
  fcntl(0, F_SETFL, O_NONBLOCK);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &stdin_watch };
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  ev.data.ptr = &signal_watch;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  for (;;) {
    struct epoll_event events[64];
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    for (int i = 0; i < n; i++) {
      struct watch *w = events[i].data.ptr;
      if (w == &stdin_watch) input_readable();
      else if (w == &signal_watch) reap(sfd);
      else if (w->job->fds[w->stream] >= 0) stream_readable(w->job, w->stream);
    }
    while (done) {
      struct job *j = done;
      done = j->next;
      free(j);
    }
  }
}
