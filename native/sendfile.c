/*
 * sendfile: berth-registry's blob GET on the filesystem driver (src/registry/storage/sendfile.ts).
 * Node has no sendfile(2): a blob otherwise goes file -> user buffer -> socket on the one JS thread.
 * Here the kernel copies the page cache straight into the socket, on a thread of libuv's pool, so
 * several downloads use several cores and the event loop does no per-chunk work.
 *
 *   sendfile(socketFd, fileFd, offset, count, waitMs) -> Promise<number of bytes sent>
 *
 * The socket is non-blocking (libuv's): when its buffer is full the thread waits for room with
 * poll(), at most waitMs at a time; a client that takes longer than that gets the rest through the
 * event loop (the promise resolves with what was sent so far). Fewer bytes than `count` also means
 * the file ended. The socket fd is duplicated for the time of the call, so the connection closed by
 * Node meanwhile never makes the thread write into a reused descriptor. A failure rejects with an
 * Error whose `code` is the errno name (EPIPE, ECONNRESET, ...).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <sys/sendfile.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int out;
  int in;
  int64_t offset;
  int64_t count;
  int wait_ms;
  int64_t sent;
  int err;
} job_t;

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  off_t off = (off_t)j->offset;
  while (j->sent < j->count) {
    int64_t left = j->count - j->sent;
    size_t want = left > (1 << 30) ? (size_t)1 << 30 : (size_t)left;
    ssize_t n = sendfile(j->out, j->in, &off, want);
    if (n > 0) { j->sent += n; continue; }
    if (n == 0) break; /* the file ended */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) { j->err = errno; break; }
    struct pollfd p = { .fd = j->out, .events = POLLOUT, .revents = 0 };
    int r = poll(&p, 1, j->wait_ms);
    if (r == 0) break; /* a slow client: the event loop sends the rest */
    if (r < 0) { if (errno == EINTR) continue; j->err = errno; break; }
    if (!(p.revents & POLLOUT)) { j->err = (p.revents & POLLHUP) ? EPIPE : ECONNRESET; break; }
  }
  close(j->out);
}

static const char *errno_name(int err) {
  switch (err) {
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  if (status == napi_ok && j->err == 0) {
    napi_value v;
    napi_create_double(env, (double)j->sent, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    int err = j->err ? j->err : EIO;
    napi_value code, msg, error;
    napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, j->deferred, error);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t out = -1, in = -1, wait_ms = 0;
  double offset = -1, count = -1;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &out) != napi_ok || napi_get_value_int32(env, argv[1], &in) != napi_ok ||
      napi_get_value_double(env, argv[2], &offset) != napi_ok || napi_get_value_double(env, argv[3], &count) != napi_ok ||
      napi_get_value_int32(env, argv[4], &wait_ms) != napi_ok || out < 0 || in < 0 || offset < 0 || count < 0 || wait_ms < 0) {
    napi_throw_type_error(env, NULL, "sendfile(socketFd, fileFd, offset, count, waitMs): bad arguments");
    return NULL;
  }
  int dup = fcntl(out, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    napi_throw_error(env, errno_name(errno), strerror(errno));
    return NULL;
  }
  job_t *j = calloc(1, sizeof *j);
  if (!j) { close(dup); napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  j->out = dup;
  j->in = in;
  j->offset = (int64_t)offset;
  j->count = (int64_t)count;
  j->wait_ms = wait_ms;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "berth:sendfile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "sendfile", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "sendfile", fn);
  return exports;
}
