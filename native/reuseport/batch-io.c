// hayate native addon, part 2: batched UDP I/O on a socket from open() (reuseport.c).
//
// Why: node:dgram costs one recvmsg and one sendmsg system call per datagram, plus, per datagram, a new
// Buffer, a remote-info object whose address is formatted to text, a JS callback with its async-hooks
// scope and a send request object. A tracker answers tiny datagrams, so that overhead is most of an
// announce's cost. Here a libuv poll handle on the thread's own event loop wakes once per readiness,
// recvmmsg() reads up to BATCH datagrams into fixed slots of one shared buffer, and JS gets one call per
// batch; replies are queued into a second shared buffer and leave in one sendmmsg() per flush.
//
// Memory shared with JS (allocated by JS, kept alive here by references until close):
//   recv:      BATCH slots of slot_bytes each; datagram i is at i * slot_bytes.
//   recv_meta: BATCH entries of META_BYTES: [0,4) u32 bytes in the slot (at most slot_bytes), [4,6)
//              u16 source port, [6] family 4|6, [7] 1 if the datagram was longer than the slot,
//              [8,24) address (IPv4 in the first 4 bytes; IPv4-mapped IPv6 is reported as IPv4).
//   send:      reply bytes, packed.
//   send_meta: entries of META_BYTES: [0,4) u32 offset in send, [4,8) u32 length, [8,10) u16 port,
//              [10] family 4|6, [16,32) address.  (META_BYTES is 32 for both.)
// All integers are little-endian (the host order on every Linux target hayate runs on).
//
// attach(fd, recv, slotBytes, recvMeta, send, sendMeta, onBatch) -> handle: starts reading. onBatch(n)
//   is called with the number of datagrams in the slots; the slots are reused as soon as it returns.
// send(handle, count) -> done: sends the first `count` queued replies, SEND_CHUNK per sendmmsg;
//   returns how many were dealt with (sent, or refused by the kernel for a reason of their own, e.g.
//   EPERM from a firewall: those are counted in lastErrors). Fewer than `count` when the send buffer is
//   full (EAGAIN, ENOBUFS), 0 once closed: the rest is the caller's to drop.
// lastErrors(handle) -> number of replies refused by the last send() for a reason other than EAGAIN.
// localPort(fd) -> the bound port.
// close(handle): stops reading and closes the fd (idempotent; send() after it sends nothing). Also
//   done when the thread's environment is torn down, so a thread that ends without closing leaks nothing.
//
// libuv is reached through the few functions Node exports to addons, declared here rather than from
// uv.h (images strip Node's headers; node-api-headers has no uv.h): uv_poll_* and uv_close are libuv
// 1.x ABI, stable since 2014. The handle is an over-sized, aligned block whose first field is libuv's
// `void *data`, as in every uv_handle_t.
#define _GNU_SOURCE
#define NAPI_VERSION 4
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch-io.h"

#define BATCH 64              // datagrams per recvmmsg (libuv's dgram reads at most 32 per wake-up)
#define MAX_BATCHES_PER_WAKE 4 // then back to the event loop: HTTP, rings and timers get their turn
#define META_BYTES 32
#define SEND_CHUNK 64         // replies per sendmmsg call
#define UV_HANDLE_BYTES 512   // >= sizeof(uv_poll_t) (about 160 on x86-64 and arm64)
#define UV_READABLE 1

typedef void (*uv_poll_cb)(void *handle, int status, int events);
typedef void (*uv_close_cb)(void *handle);
extern int uv_poll_init(void *loop, void *handle, int fd);
extern int uv_poll_start(void *handle, int events, uv_poll_cb cb);
extern int uv_poll_stop(void *handle);
extern void uv_close(void *handle, uv_close_cb cb);

typedef struct batch_io {
  void *uv;               // libuv's poll handle: a block of its own (see close_now); its first field is `data`
  napi_env env;
  napi_ref refs[5];       // recv, recv_meta, send, send_meta, on_batch
  napi_async_context async;
  int fd;
  int open;               // 0 once closed
  int holders;            // the open socket and JS's external: freed when both let go
  int v6;                 // an AF_INET6 socket (dual-stack): every destination is written as IPv6
  unsigned char *recv;
  size_t slot_bytes;
  unsigned char *recv_meta;
  unsigned char *send;
  size_t send_bytes;
  unsigned char *send_meta;
  size_t send_entries;
  uint32_t last_errors;
  struct mmsghdr rmsgs[BATCH];
  struct iovec riov[BATCH];
  struct sockaddr_in6 raddr[BATCH];
  struct mmsghdr smsgs[SEND_CHUNK];
  struct iovec siov[SEND_CHUNK];
  struct sockaddr_in6 saddr[SEND_CHUNK];
} batch_io;

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
  return NULL;
}

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Fills meta entry i from what recvmmsg wrote for slot i.
static void describe(batch_io *b, int i) {
  unsigned char *m = b->recv_meta + (size_t)i * META_BYTES;
  uint32_t len = b->rmsgs[i].msg_len;
  memcpy(m, &len, 4);
  m[7] = (b->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
  const struct sockaddr *sa = (const struct sockaddr *)&b->raddr[i];
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    uint16_t port = ntohs(a->sin_port);
    memcpy(m + 4, &port, 2);
    m[6] = 4;
    memcpy(m + 8, &a->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    uint16_t port = ntohs(a->sin6_port);
    memcpy(m + 4, &port, 2);
    if (memcmp(&a->sin6_addr, V4_MAPPED, 12) == 0) {
      m[6] = 4;
      memcpy(m + 8, ((const unsigned char *)&a->sin6_addr) + 12, 4);
    } else {
      m[6] = 6;
      memcpy(m + 8, &a->sin6_addr, 16);
    }
  }
}

static void close_now(batch_io *b, int from_js);

// An exception out of onBatch is the thread's uncaught exception (its handler closes and restarts it).
static void rethrow_pending(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
}

// Takes a pending socket error (SO_ERROR), so that a level-triggered poll does not report it forever.
static void clear_socket_error(batch_io *b) {
  int err = 0;
  socklen_t len = sizeof err;
  (void)getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &len);
}

static void on_readable(void *handle, int status, int events) {
  (void)events;
  batch_io *b = *(batch_io **)handle; // `data`
  if (!b->open) return;
  if (status < 0) {
    // libuv stopped the handle on a socket error (POLLERR): take the error and watch on, or this
    // thread's share of the clients would go unread for good.
    clear_socket_error(b);
    uv_poll_start(b->uv, UV_READABLE, on_readable);
    return;
  }
  napi_env env = b->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv_obj;
  if (napi_get_reference_value(env, b->refs[4], &cb) != napi_ok || napi_get_global(env, &recv_obj) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return;
  }
  for (int turn = 0; turn < MAX_BATCHES_PER_WAKE && b->open; turn++) {
    for (int i = 0; i < BATCH; i++) {
      b->rmsgs[i].msg_hdr.msg_namelen = sizeof b->raddr[i];
      b->rmsgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(b->fd, b->rmsgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) clear_socket_error(b);
    if (n <= 0) break; // drained (EAGAIN), or an error taken above: the next readiness reads on
    for (int i = 0; i < n; i++) describe(b, i);
    napi_value argv[1], result;
    napi_create_int32(env, n, &argv[0]);
    napi_status s = napi_make_callback(env, b->async, recv_obj, cb, 1, argv, &result);
    if (s != napi_ok) {
      rethrow_pending(env);
      break;
    }
    if (n < BATCH) break;
  }
  napi_close_handle_scope(env, scope);
}

static void release(batch_io *b) {
  if (--b->holders == 0) free(b);
}

static void on_external_gone(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release((batch_io *)data);
}

// Stops reading and closes the fd. From JS (close()) the references and the async context are let go
// too; from the environment's teardown (cleanup_hook) they must not be touched, since the environment
// is half gone: they go with it. libuv finishes closing the handle on a later loop turn, which for a
// thread that is ending comes after Node has unloaded this addon: so the close callback is libc's
// free() on the handle's own block, never a function of this file.
static void close_now(batch_io *b, int from_js) {
  if (!b->open) return;
  b->open = 0;
  uv_poll_stop(b->uv);
  close(b->fd);
  if (from_js) {
    for (int i = 0; i < 5; i++) napi_delete_reference(b->env, b->refs[i]);
    napi_async_destroy(b->env, b->async);
  }
  uv_close(b->uv, (uv_close_cb)free);
  b->uv = NULL;
  release(b);
}

static void cleanup_hook(void *arg) {
  close_now((batch_io *)arg, 0);
}

static batch_io *unwrap(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (batch_io *)p;
}

static int buffer_of(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return 0;
  *data = d;
  return 1;
}

// attach(fd, recv, slotBytes, recvMeta, send, sendMeta, onBatch)
static napi_value attach(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 7) return throw_type(env, "attach(fd, recv, slotBytes, recvMeta, send, sendMeta, onBatch) takes 7 arguments");
  int32_t fd, slot;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_type(env, "fd must be a descriptor");
  if (napi_get_value_int32(env, argv[2], &slot) != napi_ok || slot < 64) return throw_type(env, "slotBytes must be >= 64");
  unsigned char *recv, *recv_meta, *send, *send_meta;
  size_t recv_len, recv_meta_len, send_len, send_meta_len;
  if (!buffer_of(env, argv[1], &recv, &recv_len) || recv_len < (size_t)slot * BATCH) return throw_type(env, "recv must be a Buffer of slotBytes * 64 bytes");
  if (!buffer_of(env, argv[3], &recv_meta, &recv_meta_len) || recv_meta_len < BATCH * META_BYTES) return throw_type(env, "recvMeta must be a Buffer of 64 * 32 bytes");
  if (!buffer_of(env, argv[4], &send, &send_len)) return throw_type(env, "send must be a Buffer");
  if (!buffer_of(env, argv[5], &send_meta, &send_meta_len) || send_meta_len < META_BYTES) return throw_type(env, "sendMeta must be a Buffer");
  napi_valuetype t;
  napi_typeof(env, argv[6], &t);
  if (t != napi_function) return throw_type(env, "onBatch must be a function");

  batch_io *b = calloc(1, sizeof *b);
  void *uvh = aligned_alloc(16, UV_HANDLE_BYTES);
  if (b == NULL || uvh == NULL) {
    free(b);
    free(uvh);
    napi_throw_error(env, "ENOMEM", "out of memory for the UDP batch handle");
    return NULL;
  }
  memset(uvh, 0, UV_HANDLE_BYTES);
  b->uv = uvh;
  *(batch_io **)uvh = b; // libuv's `data`
  b->env = env;
  b->fd = fd;
  b->recv = recv;
  b->slot_bytes = (size_t)slot;
  b->recv_meta = recv_meta;
  b->send = send;
  b->send_bytes = send_len;
  b->send_meta = send_meta;
  b->send_entries = send_meta_len / META_BYTES;
  struct sockaddr_storage self;
  socklen_t self_len = sizeof self;
  if (getsockname(fd, (struct sockaddr *)&self, &self_len) != 0) {
    free(uvh);
    free(b);
    napi_throw_error(env, "EBADF", "the UDP socket has no address (not bound?)");
    return NULL;
  }
  b->v6 = self.ss_family == AF_INET6;
  for (int i = 0; i < BATCH; i++) {
    b->riov[i].iov_base = recv + (size_t)i * (size_t)slot;
    b->riov[i].iov_len = (size_t)slot;
    b->rmsgs[i].msg_hdr.msg_iov = &b->riov[i];
    b->rmsgs[i].msg_hdr.msg_iovlen = 1;
    b->rmsgs[i].msg_hdr.msg_name = &b->raddr[i];
  }
  for (int i = 0; i < SEND_CHUNK; i++) {
    b->smsgs[i].msg_hdr.msg_iov = &b->siov[i];
    b->smsgs[i].msg_hdr.msg_iovlen = 1;
    b->smsgs[i].msg_hdr.msg_name = &b->saddr[i];
  }
  const int ref_args[5] = {1, 3, 4, 5, 6};
  for (int i = 0; i < 5; i++) napi_create_reference(env, argv[ref_args[i]], 1, &b->refs[i]);
  napi_value name;
  napi_create_string_utf8(env, "hayate:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &b->async);

  // Every failure from here leaves the fd open, for the caller to close (BatchSocket does).
  struct uv_loop_s *loop;
  int initialized = napi_get_uv_event_loop(env, &loop) == napi_ok && uv_poll_init(loop, b->uv, fd) == 0;
  napi_value handle;
  if (!initialized || uv_poll_start(b->uv, UV_READABLE, on_readable) != 0 ||
      napi_create_external(env, b, on_external_gone, NULL, &handle) != napi_ok) {
    for (int i = 0; i < 5; i++) napi_delete_reference(env, b->refs[i]);
    napi_async_destroy(env, b->async);
    if (initialized) uv_close(uvh, (uv_close_cb)free); // on the loop's handle list: libuv frees it
    else free(uvh);
    free(b);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "EINVAL", "cannot watch the UDP socket on this thread's event loop");
    return NULL;
  }
  b->open = 1;
  b->holders = 2;
  napi_add_env_cleanup_hook(env, cleanup_hook, b);
  return handle;
}

// Builds message j of a sendmmsg chunk from send_meta entry k (already checked to lie within `send`).
static void prepare(batch_io *b, int j, size_t k) {
  const unsigned char *m = b->send_meta + k * META_BYTES;
  uint32_t off, len;
  uint16_t port;
  memcpy(&off, m, 4);
  memcpy(&len, m + 4, 4);
  memcpy(&port, m + 8, 2);
  b->siov[j].iov_base = b->send + off;
  b->siov[j].iov_len = len;
  struct sockaddr_in6 *sa = &b->saddr[j];
  memset(sa, 0, sizeof *sa);
  if (m[10] == 4 && !b->v6) {
    struct sockaddr_in *a = (struct sockaddr_in *)sa;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, m + 16, 4);
    b->smsgs[j].msg_hdr.msg_namelen = sizeof *a;
  } else { // a dual-stack IPv6 socket reaches an IPv4 client at ::ffff:a.b.c.d
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    if (m[10] == 4) {
      memcpy(&sa->sin6_addr, V4_MAPPED, 12);
      memcpy(((unsigned char *)&sa->sin6_addr) + 12, m + 16, 4);
    } else {
      memcpy(&sa->sin6_addr, m + 16, 16);
    }
    b->smsgs[j].msg_hdr.msg_namelen = sizeof *sa;
  }
  b->smsgs[j].msg_hdr.msg_flags = 0;
}

// send(handle, count) -> how many of the first `count` queued replies were dealt with (sent, or refused
// by the kernel for a reason of their own); fewer than `count` only when the send buffer is full.
static napi_value send_queued(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  batch_io *b = argc == 2 ? unwrap(env, argv[0]) : NULL;
  if (b == NULL) return throw_type(env, "send(handle, count)");
  int32_t count;
  if (napi_get_value_int32(env, argv[1], &count) != napi_ok || count < 0 || (size_t)count > b->send_entries) {
    return throw_type(env, "count must be within sendMeta's entries");
  }
  if (!b->open) count = 0; // closed: its buffers may be gone, nothing is sent
  for (int32_t k = 0; k < count; k++) {
    const unsigned char *m = b->send_meta + (size_t)k * META_BYTES;
    uint32_t off, len;
    memcpy(&off, m, 4);
    memcpy(&len, m + 4, 4);
    if ((size_t)off + len > b->send_bytes || (m[10] != 4 && m[10] != 6)) return throw_type(env, "a queued reply lies outside the send buffer");
  }
  size_t done = 0;
  uint32_t errors = 0;
  while (b->open && done < (size_t)count) {
    int j = 0;
    for (; j < SEND_CHUNK && done + (size_t)j < (size_t)count; j++) prepare(b, j, done + (size_t)j);
    int r = sendmmsg(b->fd, b->smsgs, (unsigned)j, MSG_DONTWAIT);
    if (r > 0) {
      done += (size_t)r; // a short count: the next message failed or the buffer filled; the loop finds out
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
    errors++; // this reply was refused (EPERM from a firewall, ENETUNREACH, EMSGSIZE...): skip it
    done++;
  }
  b->last_errors = errors;
  napi_value result;
  napi_create_uint32(env, (uint32_t)done, &result);
  return result;
}

// The handle of a call that takes only that; NULL (with a TypeError thrown) otherwise.
static batch_io *handle_arg(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  batch_io *b = argc == 1 ? unwrap(env, argv[0]) : NULL;
  if (b == NULL) throw_type(env, usage);
  return b;
}

// lastErrors(handle) -> count
static napi_value last_errors(napi_env env, napi_callback_info info) {
  batch_io *b = handle_arg(env, info, "lastErrors(handle)");
  if (b == NULL) return NULL;
  napi_value result;
  napi_create_uint32(env, b->last_errors, &result);
  return result;
}

// close(handle)
static napi_value close_handle(napi_env env, napi_callback_info info) {
  batch_io *b = handle_arg(env, info, "close(handle)");
  if (b == NULL) return NULL;
  if (b->open) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, b);
    close_now(b, 1);
  }
  return NULL;
}

// localPort(fd) -> the port the socket is bound to (port 0 asks the kernel for one)
static napi_value local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_type(env, "localPort(fd)");
  struct sockaddr_storage self;
  socklen_t len = sizeof self;
  if (getsockname(fd, (struct sockaddr *)&self, &len) != 0) return throw_type(env, "not a bound socket");
  uint16_t port = self.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&self)->sin6_port : ((struct sockaddr_in *)&self)->sin_port;
  napi_value result;
  napi_create_uint32(env, ntohs(port), &result);
  return result;
}

int batch_io_init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"attach", attach}, {"send", send_queued}, {"lastErrors", last_errors}, {"close", close_handle}, {"localPort", local_port},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok) return 0;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return 0;
  }
  return 1;
}
