/*
 * berth-port-proxy: the userland proxy of every published port of one berthd.
 *
 * One process, one epoll loop, for all ports: TCP ports are relayed with splice() through a pipe per
 * direction (1 MiB when the system allows it), so bytes never enter this process's memory and each
 * write into the container's veth is as large as what has arrived; UDP ports are relayed with a flow
 * per client address (a connected socket towards the container), ended after 90 s without traffic,
 * as docker-proxy does.
 *
 * berthd drives it over stdin/stdout, one line per command, one line per answer, in order:
 *   add tcp|udp <host ip> <host port> <container ip> <container port>   -> ok | err <ERRNO> <text>
 *   del tcp|udp <host ip> <host port>                                    -> ok   (its relays end too)
 * It exits when its stdin ends (berthd gone) and berthd starts it under `setpriv --pdeathsig`, so
 * nothing of it outlives the daemon.
 *
 * What the relays keep from docker-proxy: a half-closed connection stays open in its other direction
 * (EOF from one side becomes shutdown(SHUT_WR) towards the other, with no timer); a connection the
 * container refuses is accepted, then closed; unpublishing a port ends its relays.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PIPE_SIZE (1 << 20)
#define UDP_TIMEOUT_S 90
#define UDP_BUF 65536

enum kind { K_CONTROL, K_LISTEN, K_CONN_SIDE, K_FLOW };

struct handle { enum kind kind; void *obj; };

struct conn;
struct flow;

struct port {
  struct handle h;
  int udp;
  char host_ip[64];
  int host_port;
  struct sockaddr_in target;
  int fd;
  struct conn *conns;
  struct flow *flows;
  int dead;
  struct port *next, *next_dead;
};

/* One direction of a relay: from `src` through the pipe to `dst`. */
struct dir {
  int pipe_r, pipe_w;
  size_t in_pipe;
  int eof, shut;
};

struct conn {
  struct handle client_h, upstream_h;
  struct port *port;
  int client, upstream;
  int connecting;
  size_t pipe_cap;
  struct dir up, down; /* up: client -> container; down: container -> client */
  int dead;
  struct conn *prev, *next, *next_dead;
};

struct flow {
  struct handle h;
  struct port *port;
  struct sockaddr_in client;
  int fd;
  time_t last;
  int dead;
  struct flow *prev, *next, *next_dead;
};

static int ep;
static struct port *ports;
static struct conn *dead_conns;
static struct flow *dead_flows;
static struct port *dead_ports;
static long n_flows;
static char udp_buf[UDP_BUF];

static void watch(int fd, struct handle *h, unsigned events) {
  struct epoll_event ev = { .events = events, .data.ptr = h };
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

/* ---- TCP relays ---- */

static void conn_close(struct conn *c) {
  if (c->dead) return;
  c->dead = 1;
  close(c->client);
  close(c->upstream);
  if (c->up.pipe_r >= 0) { close(c->up.pipe_r); close(c->up.pipe_w); }
  if (c->down.pipe_r >= 0) { close(c->down.pipe_r); close(c->down.pipe_w); }
  if (c->prev) c->prev->next = c->next; else c->port->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->next_dead = dead_conns;
  dead_conns = c;
}

static int make_pipe(struct dir *d, size_t *cap) {
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
  int got = fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
  if (got > 0) *cap = (size_t)got;
  else *cap = (size_t)fcntl(p[1], F_GETPIPE_SZ);
  d->pipe_r = p[0];
  d->pipe_w = p[1];
  return 0;
}

/* Moves what it can from src to dst; returns -1 when the connection failed. Edge-triggered: it stops
 * only on EAGAIN from both ends (or EOF), so the next readiness edge resumes it. */
static int pump(struct dir *d, int src, int dst, size_t cap) {
  for (;;) {
    int progressed = 0;
    if (!d->eof && d->in_pipe < cap) {
      ssize_t n = splice(src, NULL, d->pipe_w, NULL, cap - d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) { d->in_pipe += (size_t)n; progressed = 1; }
      else if (n == 0) { d->eof = 1; progressed = 1; }
      else if (errno != EAGAIN && errno != EINTR) return -1;
    }
    if (d->in_pipe > 0) {
      ssize_t m = splice(d->pipe_r, NULL, dst, NULL, d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m > 0) { d->in_pipe -= (size_t)m; progressed = 1; }
      else if (m < 0 && errno != EAGAIN && errno != EINTR) return -1;
    }
    if (!progressed) break;
  }
  if (d->eof && d->in_pipe == 0 && !d->shut) {
    d->shut = 1;
    if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN) return -1;
  }
  return 0;
}

static void conn_event(struct conn *c, struct handle *h, unsigned events) {
  if (c->dead) return;
  if (c->connecting) {
    if (h != &c->upstream_h) return; /* the client waits until the container answers */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) { conn_close(c); return; }
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    c->connecting = 0;
    size_t cap_up = 0, cap_down = 0;
    if (make_pipe(&c->up, &cap_up) < 0 || make_pipe(&c->down, &cap_down) < 0) { conn_close(c); return; }
    c->pipe_cap = cap_up < cap_down ? cap_up : cap_down;
    watch(c->client, &c->client_h, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  }
  if (pump(&c->up, c->client, c->upstream, c->pipe_cap) < 0 || pump(&c->down, c->upstream, c->client, c->pipe_cap) < 0) {
    conn_close(c);
    return;
  }
  if (c->up.shut && c->down.shut) conn_close(c);
}

static void tcp_accept(struct port *p) {
  for (;;) {
    int fd = accept4(p->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or out of descriptors: the backlog waits */
    int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (up < 0) { close(fd); return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = calloc(1, sizeof *c);
    if (!c) { close(fd); close(up); return; }
    c->client_h = (struct handle){ K_CONN_SIDE, c };
    c->upstream_h = (struct handle){ K_CONN_SIDE, c };
    c->port = p;
    c->client = fd;
    c->upstream = up;
    c->up.pipe_r = c->up.pipe_w = c->down.pipe_r = c->down.pipe_w = -1;
    c->connecting = 1;
    c->next = p->conns;
    if (p->conns) p->conns->prev = c;
    p->conns = c;
    if (connect(up, (struct sockaddr *)&p->target, sizeof p->target) < 0 && errno != EINPROGRESS) {
      conn_close(c);
      continue;
    }
    watch(up, &c->upstream_h, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  }
}

/* ---- UDP flows ---- */

static void flow_close(struct flow *f) {
  if (f->dead) return;
  f->dead = 1;
  close(f->fd);
  if (f->prev) f->prev->next = f->next; else f->port->flows = f->next;
  if (f->next) f->next->prev = f->prev;
  f->next_dead = dead_flows;
  dead_flows = f;
  n_flows--;
}

static struct flow *flow_for(struct port *p, const struct sockaddr_in *from) {
  for (struct flow *f = p->flows; f; f = f->next) {
    if (f->client.sin_port == from->sin_port && f->client.sin_addr.s_addr == from->sin_addr.s_addr) return f;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  if (connect(fd, (struct sockaddr *)&p->target, sizeof p->target) < 0) { close(fd); return NULL; }
  struct flow *f = calloc(1, sizeof *f);
  if (!f) { close(fd); return NULL; }
  f->h = (struct handle){ K_FLOW, f };
  f->port = p;
  f->client = *from;
  f->fd = fd;
  f->next = p->flows;
  if (p->flows) p->flows->prev = f;
  p->flows = f;
  n_flows++;
  watch(fd, &f->h, EPOLLIN);
  return f;
}

static void udp_from_client(struct port *p) {
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(p->fd, udp_buf, sizeof udp_buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) return;
    struct flow *f = flow_for(p, &from);
    if (!f) continue;
    f->last = time(NULL);
    send(f->fd, udp_buf, (size_t)n, 0); /* a datagram the container's side cannot take is lost, as on the wire */
  }
}

static void udp_from_container(struct flow *f) {
  if (f->dead) return;
  for (;;) {
    ssize_t n = recv(f->fd, udp_buf, sizeof udp_buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      continue; /* ECONNREFUSED: nothing listens in the container (yet); the flow stays */
    }
    f->last = time(NULL);
    sendto(f->port->fd, udp_buf, (size_t)n, 0, (struct sockaddr *)&f->client, sizeof f->client);
  }
}

static void expire_flows(void) {
  time_t now = time(NULL);
  for (struct port *p = ports; p; p = p->next) {
    for (struct flow *f = p->flows, *next; f; f = next) {
      next = f->next;
      if (now - f->last >= UDP_TIMEOUT_S) flow_close(f);
    }
  }
}

/* ---- ports ---- */

static struct port *find_port(int udp, const char *ip, int port) {
  for (struct port *p = ports; p; p = p->next) {
    if (p->udp == udp && p->host_port == port && strcmp(p->host_ip, ip) == 0) return p;
  }
  return NULL;
}

static void remove_port(struct port *p) {
  while (p->conns) conn_close(p->conns);
  while (p->flows) flow_close(p->flows);
  close(p->fd);
  struct port **at = &ports;
  while (*at != p) at = &(*at)->next;
  *at = p->next;
  /* Freed after the current batch of events, which may still name it. */
  p->dead = 1;
  p->next_dead = dead_ports;
  dead_ports = p;
}

static void cmd_add(int udp, const char *ip, int port, const char *cip, int cport) {
  struct sockaddr_in bind_addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  struct sockaddr_in target = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cport) };
  if (inet_pton(AF_INET, ip, &bind_addr.sin_addr) != 1 || inet_pton(AF_INET, cip, &target.sin_addr) != 1 || port < 1 || port > 65535 || cport < 1 || cport > 65535) {
    reply("err EINVAL invalid address\n");
    return;
  }
  struct port *existing = find_port(udp, ip, port);
  if (existing) {
    existing->target = target; /* the same port again (a restart's replay): new target, same socket */
    reply("ok\n");
    return;
  }
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { reply("err %s %s\n", strerrorname_np(errno), strerror(errno)); return; }
  int one = 1;
  if (!udp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&bind_addr, sizeof bind_addr) < 0 || (!udp && listen(fd, 511) < 0)) {
    int e = errno;
    close(fd);
    reply("err %s %s\n", strerrorname_np(e), strerror(e));
    return;
  }
  struct port *p = calloc(1, sizeof *p);
  if (!p) { close(fd); reply("err ENOMEM out of memory\n"); return; }
  p->h = (struct handle){ K_LISTEN, p };
  p->udp = udp;
  snprintf(p->host_ip, sizeof p->host_ip, "%s", ip);
  p->host_port = port;
  p->target = target;
  p->fd = fd;
  p->next = ports;
  ports = p;
  watch(fd, &p->h, EPOLLIN);
  reply("ok\n");
}

static void command(char *line) {
  char verb[8], proto[8], ip[64], cip[64];
  int port = 0, cport = 0;
  int n = sscanf(line, "%7s %7s %63s %d %63s %d", verb, proto, ip, &port, cip, &cport);
  int udp = n >= 2 && strcmp(proto, "udp") == 0;
  if (n == 6 && strcmp(verb, "add") == 0 && (udp || strcmp(proto, "tcp") == 0)) {
    cmd_add(udp, ip, port, cip, cport);
  } else if (n >= 4 && strcmp(verb, "del") == 0 && (udp || strcmp(proto, "tcp") == 0)) {
    struct port *p = find_port(udp, ip, port);
    if (p) remove_port(p);
    reply("ok\n");
  } else {
    reply("err EINVAL unknown command\n");
  }
}

static char ctl_buf[1 << 16];
static size_t ctl_len;

/* Returns 0 when stdin has ended. */
static int control_input(void) {
  for (;;) {
    ssize_t n = read(0, ctl_buf + ctl_len, sizeof ctl_buf - 1 - ctl_len);
    if (n == 0) return 0;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    ctl_len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < ctl_len; i++) {
      if (ctl_buf[i] != '\n') continue;
      ctl_buf[i] = 0;
      command(ctl_buf + start);
      start = i + 1;
    }
    memmove(ctl_buf, ctl_buf + start, ctl_len - start);
    ctl_len -= start;
    if (ctl_len == sizeof ctl_buf - 1) ctl_len = 0; /* a line longer than any command: dropped */
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  /* Every port is a descriptor, every relay six: take all the daemon may give. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  ep = epoll_create1(EPOLL_CLOEXEC);
  static struct handle control = { K_CONTROL, NULL };
  watch(0, &control, EPOLLIN);
  reply("ready\n");
  struct epoll_event events[256];
  time_t last_sweep = time(NULL);
  for (;;) {
    int n = epoll_wait(ep, events, 256, n_flows ? 1000 : -1);
    for (int i = 0; i < n; i++) {
      struct handle *h = events[i].data.ptr;
      switch (h->kind) {
        case K_CONTROL:
          if (!control_input()) return 0;
          break;
        case K_LISTEN: {
          struct port *p = h->obj;
          if (p->dead) break;
          if (p->udp) udp_from_client(p); else tcp_accept(p);
          break;
        }
        case K_CONN_SIDE: conn_event(h->obj, h, events[i].events); break;
        case K_FLOW: udp_from_container(h->obj); break;
      }
    }
    while (dead_conns) { struct conn *c = dead_conns; dead_conns = c->next_dead; free(c); }
    while (dead_flows) { struct flow *f = dead_flows; dead_flows = f->next_dead; free(f); }
    while (dead_ports) { struct port *p = dead_ports; dead_ports = p->next_dead; free(p); }
    if (n_flows && time(NULL) - last_sweep >= 1) { expire_flows(); last_sweep = time(NULL); }
  }
}
