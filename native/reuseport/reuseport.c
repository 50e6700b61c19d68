// hayate native addon: UDP sockets that share a port through SO_REUSEPORT (Linux), read and written in
// batches (batch-io.c).
//
// Why: Node 20's dgram has no reusePort option (it is ignored: a second bind fails with EADDRINUSE), and
// reuseAddr on Linux hands every datagram to the socket bound last. With one SO_REUSEPORT socket per I/O
// thread the kernel spreads datagrams over the threads by a hash of the source address and port, and each
// thread is woken only for its own datagrams. The socket is then handed to batch-io.c's attach().
//
// open(host, port, ipv6[, reusePort = true]) -> fd. The socket is created non-blocking and
// close-on-exec, gets 4 MiB receive and send buffers (past the sysctl limits when privileged), SO_REUSEPORT (unless
// reusePort is false: the one socket of a single I/O thread, which must fail on a port another process
// holds rather than share it), and is bound to host:port; for ipv6 it is dual-stack (IPV6_V6ONLY off, so
// `::` also takes IPv4 datagrams as ::ffff:a.b.c.d). `host` must be a numeric address of that family (no
// name lookup here: the caller resolves names first). Errors throw an Error whose message names the step
// and the errno text, with `code` (e.g. "EADDRINUSE"), `errno` and `syscall` set, as Node's own errors
// have. On any error the socket is closed before throwing: no fd leaks.
//
// Ownership: the returned fd belongs to the caller until attach() (or dgram's bind({ fd })) takes it;
// from then on that owner closes it (batch-io's close(), or libuv's with the dgram socket).
//
// Plain C against Node-API only (node_api.h from Node's own include directory, or the node-api-headers
// package): no node-gyp, and the built .node file works with every Node version that has Node-API 4 or
// later. Build (scripts/build-native.mjs):
//   cc -O2 -Wall -Wextra -std=gnu11 -fPIC -shared -I<node>/include/node -o reuseport.node reuseport.c batch-io.c
#define _GNU_SOURCE
#define NAPI_VERSION 4
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch-io.h"

#define SOCKET_BUFFER_BYTES (4 << 20)
#define HOST_MAX 64  // longest numeric IPv6 text with a zone is 45 + IF_NAMESIZE; longer is not an address

// Symbolic errno names for the codes a UDP bind can meet; others get "E<number>".
static const char *errno_code(int e, char *buf, size_t len) {
  switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: snprintf(buf, len, "E%d", e); return buf;
  }
}

// Throws Error("<what>: <CODE> <strerror>") with code, errno (negative, as libuv's) and syscall.
static napi_value throw_errno(napi_env env, const char *syscall, const char *what, int e) {
  char codebuf[16], msg[256];
  const char *code = errno_code(e, codebuf, sizeof codebuf);
  snprintf(msg, sizeof msg, "%s: %s %s", what, code, strerror(e));
  napi_value js_code, js_msg, err, js_errno, js_syscall;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg) != napi_ok) return NULL;
  if (napi_create_error(env, js_code, js_msg, &err) != napi_ok) return NULL;
  if (napi_create_int32(env, -e, &js_errno) == napi_ok) napi_set_named_property(env, err, "errno", js_errno);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall) == napi_ok) napi_set_named_property(env, err, "syscall", js_syscall);
  napi_throw(env, err);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
  return NULL;
}

// open(host: string, port: number, ipv6: boolean, reusePort?: boolean): number
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 3 && argc != 4) return throw_type(env, "open(host, port, ipv6[, reusePort]) takes 3 or 4 arguments");

  char host[HOST_MAX + 1];
  size_t host_len = 0;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_string) return throw_type(env, "host must be a string");
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok) return NULL;
  if (host_len >= HOST_MAX) return throw_type(env, "host is too long for a numeric address");

  double port_num;
  napi_typeof(env, argv[1], &t);
  if (t != napi_number) return throw_type(env, "port must be a number");
  napi_get_value_double(env, argv[1], &port_num);
  if (!(port_num >= 0 && port_num <= 65535) || port_num != (double)(int)port_num) return throw_type(env, "port must be an integer in 0..65535");

  bool ipv6;
  napi_typeof(env, argv[2], &t);
  if (t != napi_boolean) return throw_type(env, "ipv6 must be a boolean");
  napi_get_value_bool(env, argv[2], &ipv6);

  bool reuse_port = true;
  if (argc == 4) {
    napi_typeof(env, argv[3], &t);
    if (t != napi_boolean) return throw_type(env, "reusePort must be a boolean");
    napi_get_value_bool(env, argv[3], &reuse_port);
  }

  struct sockaddr_storage ss;
  socklen_t ss_len;
  memset(&ss, 0, sizeof ss);
  if (ipv6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port_num);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_type(env, "host is not a numeric IPv6 address");
    ss_len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port_num);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_type(env, "host is not a numeric IPv4 address");
    ss_len = sizeof *a;
  }

  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", "socket(SOCK_DGRAM)", errno);
  int one = 1, zero = 0;
  // Room for bursts: a reply that finds the send buffer full is dropped. The *FORCE options pass
  // net.core.rmem_max / wmem_max (Debian's default is 208 KiB) when the process may (CAP_NET_ADMIN,
  // root in a container); otherwise the kernel caps the plain ones at those limits. Best effort.
  int buffer_bytes = SOCKET_BUFFER_BYTES;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt", "setsockopt(SO_REUSEPORT)", e);
  }
  if (ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt", "setsockopt(IPV6_V6ONLY, 0)", e);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int e = errno;
    close(fd);
    char what[HOST_MAX + 32];
    snprintf(what, sizeof what, ipv6 ? "bind([%s]:%d)" : "bind(%s:%d)", host, (int)port_num);
    return throw_errno(env, "bind", what, e);
  }
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}

// Context-aware (NAPI_MODULE_INIT): the addon loads in every worker thread, each with its own exports.
NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_socket, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "open", fn) != napi_ok) return NULL;
  if (!batch_io_init(env, exports)) return NULL;
  return exports;
}
