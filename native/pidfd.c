/*
 * pidfd: the end of a process berthd did not start as its child (a conmon double-forks, and a daemon
 * restarted later is nobody's parent), told by the kernel (src/engine/runtime/pidfd-watch.ts).
 *
 *   watch(pid, onExit) -> handle, or null when there is no process by that pid
 *   unwatch(handle)    -> stops a watch that has not fired (a fired one is already stopped)
 *
 * pidfd_open(2) (Linux 5.3) gives a descriptor that becomes readable once the process has ended (a
 * zombie has ended); libuv polls it on the event loop, so an idle watch costs nothing until it fires.
 * A watch fires once, then its descriptor is closed. The descriptor names the process it was opened
 * for, so a pid reused later cannot be mistaken for it: the caller checks, after watch(), that the
 * process by that pid is still the one it means.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  int stopped;   /* the poll is stopped and its handle is closing */
  int closed;    /* libuv has closed the handle */
  int finalized; /* the JS handle is garbage */
} watch_t;

static void release(watch_t *w) {
  if (w->closed && w->finalized) free(w);
}

static void on_close(uv_handle_t *h) {
  watch_t *w = h->data;
  close(w->fd);
  w->closed = 1;
  release(w);
}

/* Stops the poll, drops the callback and closes the handle; the struct lives until both ends let go. */
static void stop(watch_t *w) {
  if (w->stopped) return;
  w->stopped = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  if (w->context) napi_async_destroy(w->env, w->context);
  w->context = NULL;
  uv_close((uv_handle_t *)&w->poll, on_close);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  watch_t *w = p->data;
  if (w->stopped) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, recv;
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  napi_async_context context = w->context;
  w->context = NULL;
  stop(w);
  if (napi_make_callback(env, context, recv, callback, 0, NULL, NULL) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_async_destroy(env, context);
  napi_close_handle_scope(env, scope);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watch_t *w = data;
  w->finalized = 1;
  if (!w->stopped) stop(w);
  else release(w);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == ENOSYS ? "ENOSYS" : "EIO", message);
  return NULL;
}

static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t pid = 0;
  napi_valuetype type = napi_undefined;
  if (argc == 2) napi_typeof(env, argv[1], &type);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0 || type != napi_function) {
    napi_throw_type_error(env, NULL, "watch(pid, onExit): bad arguments");
    return NULL;
  }
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    napi_value none;
    if (errno == ESRCH) { napi_get_null(env, &none); return none; }
    return throw_errno(env, "pidfd_open", errno);
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  watch_t *w = calloc(1, sizeof *w);
  if (!w) { close(fd); return throw_errno(env, "watch", ENOMEM); }
  w->env = env;
  w->fd = fd;
  int err = uv_poll_init(loop, &w->poll, fd);
  if (err != 0) { close(fd); free(w); return throw_errno(env, "uv_poll_init", -err); }
  w->poll.data = w;
  napi_value resource, name, handle;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "berth:pidfd", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &w->context);
  napi_create_reference(env, argv[1], 1, &w->callback);
  err = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (err != 0) {
    w->finalized = 1;
    stop(w);
    return throw_errno(env, "uv_poll_start", -err);
  }
  napi_create_external(env, w, finalize, NULL, &handle);
  return handle;
}

static napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "unwatch(handle): bad arguments");
    return NULL;
  }
  stop(data);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "watch", NAPI_AUTO_LENGTH, watch, NULL, &fn);
  napi_set_named_property(env, exports, "watch", fn);
  napi_create_function(env, "unwatch", NAPI_AUTO_LENGTH, unwatch, NULL, &fn);
  napi_set_named_property(env, exports, "unwatch", fn);
  return exports;
}
