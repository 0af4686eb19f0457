/*
 * peercred: the credentials the kernel recorded for the peer of a connected unix socket, for berthd's
 * roles (src/engine/api/peer-credentials.ts). Node has no API for SO_PEERCRED; this is the whole addon.
 *
 *   peercred(fd) -> { pid, uid, gid, groups: [gid...] }
 *
 * SO_PEERCRED gives the pid, uid and primary gid of the process that called connect(); SO_PEERGROUPS
 * (Linux 4.13) its supplementary groups, both as they were at connect() time, never from anything the
 * client sends. A failure throws an Error whose `code` is the errno name (EBADF, ENOTSOCK, ...).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

static napi_value fail(napi_env env, const char *what, int err) {
  const char *name = err == EBADF ? "EBADF" : err == ENOTSOCK ? "ENOTSOCK" : err == ENOPROTOOPT ? "ENOPROTOOPT" : "EIO";
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, name, message);
  return NULL;
}

static napi_value set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

static napi_value peercred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peercred(fd): fd must be a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return fail(env, "getsockopt SO_PEERCRED", errno);

  gid_t small[64];
  gid_t *groups = small;
  socklen_t glen = sizeof small;
  int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen);
  if (rc != 0 && errno == ERANGE) {
    groups = malloc(glen);
    if (!groups) return fail(env, "getsockopt SO_PEERGROUPS", ENOMEM);
    rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen);
  }
  if (rc != 0) {
    int err = errno;
    if (groups != small) free(groups);
    return fail(env, "getsockopt SO_PEERGROUPS", err);
  }

  napi_value out, list;
  napi_create_object(env, &out);
  set_number(env, out, "pid", cred.pid);
  set_number(env, out, "uid", cred.uid);
  set_number(env, out, "gid", cred.gid);
  size_t n = glen / sizeof(gid_t);
  napi_create_array_with_length(env, n, &list);
  for (size_t i = 0; i < n; i++) {
    napi_value g;
    napi_create_double(env, groups[i], &g);
    napi_set_element(env, list, (uint32_t)i, g);
  }
  napi_set_named_property(env, out, "groups", list);
  if (groups != small) free(groups);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  return exports;
}
