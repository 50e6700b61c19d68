// hayate bench: native BEP 15 UDP load generator (Linux, C11 + pthreads, libc only).
//
// The same job as bench/load/udp-loop.ts, for less CPU per packet: that Node loop costs about as much
// per request as the tracker under test, so on one core it could not load a tracker past ~100k req/s.
// Here every thread polls its connected, non-blocking sockets (epoll, every --poll-us; see run_worker
// for why it does not sleep on them); replies are drained with recvmmsg and the freed slots' next
// requests go out together with sendmmsg. Latencies: CLOCK_MONOTONIC send times (interpolated across a
// sendmmsg call) to the kernel's arrival timestamp of the reply (SO_TIMESTAMPNS).
// What remains per packet is mostly the kernel's: on loopback the sender's sendmmsg carries each
// datagram through the whole receive path (IP, netfilter/conntrack, the receiver's queue), about two
// thirds of this program's CPU in a perf profile; user space is a few percent. (UDP GSO was tried: no
// gain on lo.)
//
// Behaviour mirrors udp-loop.ts exactly (counts, handshakes, refreshes, error replies, timeouts), so
// the two generators' figures mean the same:
//  - each socket is a simulated client: it first gets a connection ID (BEP 15 connect), then keeps
//    `window` requests in flight; each slot owns its buffer; transaction id = seq << 8 | slot, so a
//    reply finds its slot in O(1) and a reply to an abandoned request is counted as late;
//  - a sweep every 20 ms frees slots older than the timeout (timeouts, or handshake failures for the
//    handshake connects of announce/scrape loads); connection IDs are refreshed after 60 s; an error
//    reply (action 3) is a failure, its text is kept (8 distinct at most) and the client shakes hands
//    again; a reply with an unexpected action is counted as bad;
//  - request bodies come from a templates file (count x reqBytes, written by bench/load/udp-templates.ts)
//    and are rotated through, or sent once each with --once; bytes 0..7 (connection ID) and 12..15
//    (transaction id) are stamped per send. For --action connect the connects are what is measured.
//  - bounded by --duration-sec, by --max-requests per thread (0 = none) and, with --once, by the list.
//
// Threads: --threads T runs T pthreads, each with --sockets sockets and its share of the positions
// (the first count % T threads get one more; a thread whose share is empty is not started), as the
// Node generator's worker threads do. CPU pinning is inherited from the parent (taskset).
//
// Output on stdout: "P <answered>" every 250 ms, then at the end
//   HAYATE_UDP_HIST <value>:<count> ...       latency histogram, microseconds (see hist_* below)
//   HAYATE_UDP_SUMMARY {json}
// Exit 0 after a run (whatever the counts), 2 for bad usage, 1 for a fatal system error (on stderr).
// SIGTERM / SIGINT end the run early and still print the summary.
//
// Build: cc -O2 -Wall -Wextra -std=gnu11 -pthread -o udp-load udp-load.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { ACTION_CONNECT = 0, ACTION_ANNOUNCE = 1, ACTION_SCRAPE = 2, ACTION_ERROR = 3 };

#define CONNECT_BYTES 16
#define MAX_WINDOW 256
#define MAX_THREADS 64
#define MAX_SOCKETS 4096
#define MAX_REQ_BYTES 2048
#define RECV_BATCH 64           // datagrams per recvmmsg
#define RECV_ROUNDS 4           // recvmmsg calls per socket per readiness: other sockets get their turn
#define RECV_BYTES 2048         // replies: announce 20 + 6 x numwant, scrape 8 + 12 x 74 at most
#define MAX_EVENTS 256
#define NS_PER_MS 1000000LL
#define SWEEP_NS (20 * NS_PER_MS)
#define BACKLOG_RETRY_MS 1      // after EAGAIN / ENOBUFS on send: try again this soon (--poll-us 0)
#define DEFAULT_POLL_US 100     // see run_worker
#define REFRESH_NS (60000 * NS_PER_MS)  // BEP 15: a connection ID is valid for about 2 minutes
#define PROGRESS_NS (250 * NS_PER_MS)
#define MAX_ERROR_TEXTS 8
#define ERROR_TEXT_BYTES 80     // udp-loop.ts keeps reply bytes 8..88
#define SOCKET_BUFFER_BYTES (4 << 20)

// ---- latency histogram ---------------------------------------------------------------------------
// hdr-histogram's layout for 1 us .. 120 s at 3 significant digits (bench/load/histogram.ts): values
// below 2048 exact, above that 1024 sub-buckets per power of two. Recording a bucket's lowest value
// into hdr-histogram-js lands in the same bucket, so the TS side rebuilds exactly what recording every
// latency there would have given.
#define HIST_MAX_US 120000000LL
#define HIST_TOP_EXP 26         // 2^26 <= 120e6 < 2^27
#define HIST_BUCKETS (2048 + (HIST_TOP_EXP - 10) * 1024)

static int hist_index(int64_t us) {
  if (us < 1) us = 1;
  if (us > HIST_MAX_US) us = HIST_MAX_US;
  if (us < 2048) return (int)us;
  int exp = 63 - __builtin_clzll((unsigned long long)us);  // 11 .. 26
  int sub = (int)(us >> (exp - 10));                        // 1024 .. 2047
  return 2048 + (exp - 11) * 1024 + (sub - 1024);
}

static int64_t hist_value(int i) {
  if (i < 2048) return i;
  int exp = (i - 2048) / 1024 + 11;
  int64_t sub = (i - 2048) % 1024 + 1024;
  return sub << (exp - 10);
}

// ---- configuration -------------------------------------------------------------------------------
struct config {
  const char *host;
  const char *port;
  int threads;
  int sockets;                  // per thread
  int window;                   // in flight per socket, 1..256
  double duration_sec;
  int64_t timeout_ms;
  int action;
  const char *templates_path;   // NULL for connect
  uint64_t count;               // positions (all threads)
  uint32_t req_bytes;
  bool once;
  uint64_t max_requests;        // per thread, 0 = no count bound
  int64_t poll_us;              // 0: block in epoll_wait; else poll every poll_us (see run_worker)
};

struct target {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  int family;
};

// ---- per-thread state ----------------------------------------------------------------------------
enum slot_state { SLOT_IDLE = 0, SLOT_QUEUED = 1, SLOT_IN_FLIGHT = 2 };

struct slot {
  uint8_t *buf;
  uint32_t len;
  uint32_t tid;
  int64_t sent_ns;
  uint8_t state;
  bool is_connect;
};

struct client {
  int fd;
  uint8_t conn_id[8];
  int64_t conn_ns;
  bool ready;
  bool refreshing;
  uint32_t seq;
  struct slot *slots;
  uint16_t *queue;              // slots whose request is written but not yet sent
  int queued;
  struct mmsghdr *send_msgs;
  struct iovec *send_iov;
};

// One received datagram's kernel arrival time (SO_TIMESTAMPNS).
struct rx_cmsg {
  _Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(struct timespec))];
};

struct error_text {
  uint8_t text[ERROR_TEXT_BYTES];
  int len;
  uint64_t count;
};

struct counts {
  uint64_t requests, errors, timeouts, late, failures, bad, handshakes, handshake_failures, send_retries;
};

struct worker {
  const struct config *cfg;
  const struct target *target;
  const uint8_t *templates;
  uint64_t first, count;        // this thread's positions
  uint64_t cursor, issued;
  int busy;                     // slots queued or in flight
  bool backlog;                 // some client has requests the kernel refused for now
  int epfd;
  struct client *clients;
  struct counts n;
  struct error_text texts[MAX_ERROR_TEXTS];
  int ntexts;
  uint64_t *hist;
  struct mmsghdr recv_msgs[RECV_BATCH];
  struct iovec recv_iov[RECV_BATCH];
  struct rx_cmsg recv_cmsgs[RECV_BATCH];
  uint8_t *recv_bufs;
  int64_t start_ns, end_ns;
  _Atomic uint64_t progress;    // answers so far, read by the main thread
  _Atomic bool finished;
  char fatal[256];
  pthread_t thread;
};

static atomic_bool g_stop;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // cannot fail for CLOCK_MONOTONIC on Linux
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void worker_fail(struct worker *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->fatal, sizeof w->fatal, fmt, ap);
  va_end(ap);
  atomic_store(&g_stop, true);
}

static bool counts_connects(const struct worker *w) {
  return w->cfg->action == ACTION_CONNECT;
}

static bool exhausted(const struct worker *w) {
  return (w->cfg->max_requests > 0 && w->issued >= w->cfg->max_requests) || (w->cfg->once && w->cursor >= w->count);
}

static void record_error_text(struct worker *w, const uint8_t *text, int len) {
  if (len > ERROR_TEXT_BYTES) len = ERROR_TEXT_BYTES;
  for (int i = 0; i < w->ntexts; i++) {
    if (w->texts[i].len == len && memcmp(w->texts[i].text, text, (size_t)len) == 0) {
      w->texts[i].count++;
      return;
    }
  }
  if (w->ntexts == MAX_ERROR_TEXTS) return;
  struct error_text *e = &w->texts[w->ntexts++];
  memcpy(e->text, text, (size_t)len);
  e->len = len;
  e->count = 1;
}

// ---- sending -------------------------------------------------------------------------------------
static void enqueue(struct worker *w, struct client *c, int i) {
  c->slots[i].state = SLOT_QUEUED;
  w->busy++;
  c->queue[c->queued++] = (uint16_t)i;
}

static uint32_t next_tid(struct client *c, int i) {
  return (c->seq++ & 0xffffffu) << 8 | (uint32_t)i;
}

static void queue_connect(struct worker *w, struct client *c, int i) {
  struct slot *s = &c->slots[i];
  s->tid = next_tid(c, i);
  wr32(s->buf, 0x417);          // protocol id 0x41727101980
  wr32(s->buf + 4, 0x27101980);
  wr32(s->buf + 8, ACTION_CONNECT);
  wr32(s->buf + 12, s->tid);
  s->len = CONNECT_BYTES;
  s->is_connect = true;
  if (counts_connects(w)) w->issued++;
  enqueue(w, c, i);
}

// udp-loop.ts sendNext: the slot is free; give it the client's next request (or a handshake), if any.
static void next_request(struct worker *w, struct client *c, int i, int64_t now) {
  if (atomic_load_explicit(&g_stop, memory_order_relaxed) || exhausted(w)) return;
  if (counts_connects(w)) {
    queue_connect(w, c, i);
    return;
  }
  if (!c->ready) {
    if (!c->refreshing) {
      c->refreshing = true;
      queue_connect(w, c, i);
    }
    return;
  }
  if (!c->refreshing && now - c->conn_ns > REFRESH_NS) {
    c->refreshing = true;
    queue_connect(w, c, i);
    return;
  }
  struct slot *s = &c->slots[i];
  uint64_t k = w->cursor++ % w->count;
  uint32_t bytes = w->cfg->req_bytes;
  memcpy(s->buf, w->templates + (w->first + k) * bytes, bytes);
  s->tid = next_tid(c, i);
  memcpy(s->buf, c->conn_id, 8);
  wr32(s->buf + 12, s->tid);
  s->len = bytes;
  s->is_connect = false;
  w->issued++;
  enqueue(w, c, i);
}

// Sends the client's queued requests with sendmmsg. EAGAIN / ENOBUFS (socket or device queue full): the
// rest stay queued and are retried within BACKLOG_RETRY_MS. Any other error is counted (as Node's
// socket 'error' event would be) and that one datagram treated as lost: it times out.
static void flush(struct worker *w, struct client *c) {
  if (c->queued == 0) return;
  for (int j = 0; j < c->queued; j++) {
    struct slot *s = &c->slots[c->queue[j]];
    c->send_iov[j].iov_base = s->buf;
    c->send_iov[j].iov_len = s->len;
    memset(&c->send_msgs[j].msg_hdr, 0, sizeof c->send_msgs[j].msg_hdr);
    c->send_msgs[j].msg_hdr.msg_iov = &c->send_iov[j];
    c->send_msgs[j].msg_hdr.msg_iovlen = 1;
  }
  int done = 0;
  while (done < c->queued) {
    int64_t before = now_ns();
    int n = sendmmsg(c->fd, c->send_msgs + done, (unsigned)(c->queued - done), MSG_DONTWAIT);
    int64_t after = now_ns();
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        w->n.send_retries++;
        break;
      }
      w->n.errors++;
      n = 1;
    }
    // The datagrams leave one after another during the call (on loopback each send carries its packet
    // into the receiver's queue): the j-th of n is taken to have left at its share of the call.
    for (int j = 0; j < n; j++) {
      struct slot *s = &c->slots[c->queue[done + j]];
      s->state = SLOT_IN_FLIGHT;
      s->sent_ns = before + (after - before) * (j + 1) / n;
    }
    done += n;
  }
  if (done > 0) {
    memmove(c->queue, c->queue + done, (size_t)(c->queued - done) * sizeof c->queue[0]);
    c->queued -= done;
  }
  if (c->queued > 0) w->backlog = true;
}

static void flush_all(struct worker *w) {
  w->backlog = false;
  for (int k = 0; k < w->cfg->sockets; k++) flush(w, &w->clients[k]);
}

// ---- receiving -----------------------------------------------------------------------------------
static void on_reply(struct worker *w, struct client *c, const uint8_t *msg, uint32_t len, int64_t now) {
  if (len < 8) {
    w->n.bad++;
    return;
  }
  uint32_t action = rd32(msg);
  uint32_t tid = rd32(msg + 4);
  int i = (int)(tid & 0xff);
  if (i >= w->cfg->window) {
    w->n.late++;
    return;
  }
  struct slot *s = &c->slots[i];
  if (s->state != SLOT_IN_FLIGHT || s->tid != tid) {
    w->n.late++;
    return;
  }
  int64_t us = (now - s->sent_ns + 500) / 1000;
  if (action == ACTION_ERROR) record_error_text(w, msg + 8, (int)(len < 88 ? len : 88) - 8);
  s->state = SLOT_IDLE;
  w->busy--;
  if (s->is_connect) {
    bool was_ready = c->ready;
    if (action == ACTION_CONNECT && len >= 16) {
      memcpy(c->conn_id, msg + 8, 8);
      c->conn_ns = now;
      c->ready = true;
    } else if (!counts_connects(w)) {
      w->n.handshake_failures++;
    }
    c->refreshing = false;
    if (counts_connects(w)) {
      w->n.requests++;
      w->hist[hist_index(us)]++;
      if (action != ACTION_CONNECT) w->n.failures++;
    } else {
      w->n.handshakes++;
    }
    next_request(w, c, i, now);
    if (!was_ready && c->ready) {
      for (int j = 0; j < w->cfg->window; j++) if (j != i && c->slots[j].state == SLOT_IDLE) next_request(w, c, j, now);
    }
    return;
  }
  w->n.requests++;
  w->hist[hist_index(us)]++;
  if (action == ACTION_ERROR) {
    w->n.failures++;
    c->ready = false;           // perhaps an expired connection ID: shake hands again
  } else if (action != (uint32_t)w->cfg->action) {
    w->n.bad++;
  }
  next_request(w, c, i, now);
}

// A reply's arrival: the kernel's timestamp of when it entered the receive path (realtime, converted to
// the monotonic clock the send times use), so the latency does not include how long the reply waited
// for this thread to look; `now` when the kernel gave none.
static int64_t arrival_ns(struct msghdr *h, int64_t now, int64_t real_minus_mono) {
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS) continue;
    struct timespec ts;
    memcpy(&ts, CMSG_DATA(cm), sizeof ts);
    int64_t t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - real_minus_mono;
    return t < now ? t : now;
  }
  return now;
}

static void drain(struct worker *w, struct client *c) {
  for (int round = 0; round < RECV_ROUNDS; round++) {
    for (int j = 0; j < RECV_BATCH; j++) {
      w->recv_msgs[j].msg_hdr.msg_control = w->recv_cmsgs[j].buf;
      w->recv_msgs[j].msg_hdr.msg_controllen = sizeof w->recv_cmsgs[j].buf;
    }
    int n = recvmmsg(c->fd, w->recv_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Anything else (ECONNREFUSED from an ICMP port unreachable, ...) is a socket
      // error as Node reports it; the level-triggered epoll brings us back if data is waiting.
      if (errno != EAGAIN && errno != EWOULDBLOCK) w->n.errors++;
      return;
    }
    int64_t real = realtime_ns();
    int64_t now = now_ns();
    for (int j = 0; j < n; j++) {
      int64_t at = arrival_ns(&w->recv_msgs[j].msg_hdr, now, real - now);
      on_reply(w, c, w->recv_bufs + (size_t)j * RECV_BYTES, w->recv_msgs[j].msg_len, at);
    }
    if (n < RECV_BATCH) return;
  }
}

// udp-loop.ts sweep: frees slots whose request is older than the timeout.
static void sweep(struct worker *w, int64_t now) {
  int64_t timeout_ns = w->cfg->timeout_ms * NS_PER_MS;
  for (int k = 0; k < w->cfg->sockets; k++) {
    struct client *c = &w->clients[k];
    for (int i = 0; i < w->cfg->window; i++) {
      struct slot *s = &c->slots[i];
      if (s->state != SLOT_IN_FLIGHT || now - s->sent_ns < timeout_ns) continue;
      s->state = SLOT_IDLE;
      w->busy--;
      if (s->is_connect && !counts_connects(w)) {
        w->n.handshake_failures++;
        c->refreshing = false;
      } else {
        w->n.timeouts++;
      }
      next_request(w, c, i, now);
    }
  }
}

// ---- setup ---------------------------------------------------------------------------------------
static bool open_client(struct worker *w, struct client *c, uint8_t *slot_mem, size_t slot_bytes) {
  const struct config *cfg = w->cfg;
  c->fd = socket(w->target->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    worker_fail(w, "socket: %s", strerror(errno));
    return false;
  }
  // The kernel caps these at rmem_max / wmem_max rather than failing; a failure is worth a word only.
  int size = SOCKET_BUFFER_BYTES;
  if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0) fprintf(stderr, "udp-load: SO_RCVBUF: %s\n", strerror(errno));
  if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0) fprintf(stderr, "udp-load: SO_SNDBUF: %s\n", strerror(errno));
  int on = 1;
  if (setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) {
    fprintf(stderr, "udp-load: SO_TIMESTAMPNS: %s (latencies then include the wait for this thread)\n", strerror(errno));
  }
  if (connect(c->fd, (const struct sockaddr *)&w->target->addr, w->target->addr_len) < 0) {
    worker_fail(w, "connect: %s", strerror(errno));
    return false;
  }
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
  if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
    worker_fail(w, "epoll_ctl: %s", strerror(errno));
    return false;
  }
  c->seq = 1;
  c->slots = calloc((size_t)cfg->window, sizeof *c->slots);
  c->queue = calloc((size_t)cfg->window, sizeof *c->queue);
  c->send_msgs = calloc((size_t)cfg->window, sizeof *c->send_msgs);
  c->send_iov = calloc((size_t)cfg->window, sizeof *c->send_iov);
  if (c->slots == NULL || c->queue == NULL || c->send_msgs == NULL || c->send_iov == NULL) {
    worker_fail(w, "out of memory");
    return false;
  }
  for (int i = 0; i < cfg->window; i++) c->slots[i].buf = slot_mem + (size_t)i * slot_bytes;
  return true;
}

static bool setup_worker(struct worker *w) {
  const struct config *cfg = w->cfg;
  w->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (w->epfd < 0) {
    worker_fail(w, "epoll_create1: %s", strerror(errno));
    return false;
  }
  w->hist = calloc(HIST_BUCKETS, sizeof *w->hist);
  w->recv_bufs = malloc((size_t)RECV_BATCH * RECV_BYTES);
  w->clients = calloc((size_t)cfg->sockets, sizeof *w->clients);
  size_t slot_bytes = cfg->req_bytes > CONNECT_BYTES ? cfg->req_bytes : CONNECT_BYTES;
  uint8_t *slot_mem = calloc((size_t)cfg->sockets * (size_t)cfg->window, slot_bytes);
  if (w->hist == NULL || w->recv_bufs == NULL || w->clients == NULL || slot_mem == NULL) {
    worker_fail(w, "out of memory");
    return false;
  }
  for (int j = 0; j < RECV_BATCH; j++) {
    w->recv_iov[j].iov_base = w->recv_bufs + (size_t)j * RECV_BYTES;
    w->recv_iov[j].iov_len = RECV_BYTES;
    w->recv_msgs[j].msg_hdr.msg_iov = &w->recv_iov[j];
    w->recv_msgs[j].msg_hdr.msg_iovlen = 1;
  }
  for (int k = 0; k < cfg->sockets; k++) w->clients[k].fd = -1;
  for (int k = 0; k < cfg->sockets; k++) {
    if (!open_client(w, &w->clients[k], slot_mem + (size_t)k * (size_t)cfg->window * slot_bytes, slot_bytes)) return false;
  }
  return true;
}

// ---- the loop ------------------------------------------------------------------------------------
// With --poll-us P (default 100), every round takes what is ready (epoll_wait without waiting), answers
// it, then sleeps on a timer until P after the round began. Sleeping on the sockets instead (--poll-us 0:
// epoll_wait blocks) is cheaper for this thread at low rates, but then nearly every reply has to wake
// it, and on loopback that wake-up (an IPI; on a VM an exit) is charged to the sender of the reply: the
// saturated trivial responder answered ~17% fewer requests here (5 interleaved pairs), and a tracker
// would too. A thread asleep on a timer is no sleeper on the sockets, so the server's sends stay cheap;
// replies wait for the next round, which the kernel's arrival timestamps take out of the latencies.
// (Spinning, --poll-us 1, gained nothing over 100 us and burns the core.) The cost: with very few
// requests in flight the cadence bounds the rate (1 x 1 in flight: ~7.6k req/s for a 47 us round trip).
static void run_worker(struct worker *w) {
  const struct config *cfg = w->cfg;
  // Timer sleeps of tens of microseconds: the default 50 us slack would double them.
  if (prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL) < 0) fprintf(stderr, "udp-load: PR_SET_TIMERSLACK: %s\n", strerror(errno));
  int64_t poll_ns = cfg->poll_us * 1000;
  w->start_ns = now_ns();
  int64_t deadline = w->start_ns + (int64_t)(cfg->duration_sec * 1e9);
  int64_t next_sweep = w->start_ns + SWEEP_NS;
  for (int k = 0; k < cfg->sockets; k++) {
    struct client *c = &w->clients[k];
    if (counts_connects(w)) for (int i = 0; i < cfg->window; i++) next_request(w, c, i, w->start_ns);
    else next_request(w, c, 0, w->start_ns);
  }
  flush_all(w);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    atomic_store_explicit(&w->progress, w->n.requests, memory_order_relaxed);
    if (atomic_load_explicit(&g_stop, memory_order_relaxed)) break;
    int64_t now = now_ns();
    if (now >= deadline) break;
    if (w->busy == 0 && exhausted(w)) break;
    if (now >= next_sweep) {
      sweep(w, now);
      next_sweep = now + SWEEP_NS;
      flush_all(w);
    } else if (w->backlog) {
      flush_all(w);
    }
    int64_t wake = next_sweep < deadline ? next_sweep : deadline;
    int timeout_ms = (int)((wake - now + NS_PER_MS - 1) / NS_PER_MS);
    if (w->backlog && timeout_ms > BACKLOG_RETRY_MS) timeout_ms = BACKLOG_RETRY_MS;
    if (poll_ns > 0) timeout_ms = 0;
    int n = epoll_wait(w->epfd, events, MAX_EVENTS, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      worker_fail(w, "epoll_wait: %s", strerror(errno));
      break;
    }
    for (int e = 0; e < n; e++) {
      struct client *c = events[e].data.ptr;
      drain(w, c);
      flush(w, c);
    }
    if (poll_ns > 0) {
      // Until P after this round began; a round that took longer is followed at once (the generator is
      // then the busy side, and its batches grow by themselves).
      int64_t until = now + poll_ns < wake ? now + poll_ns : wake;
      if (now_ns() < until) {
        struct timespec ts = { .tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL };
        int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        if (rc != 0 && rc != EINTR) {
          worker_fail(w, "clock_nanosleep: %s", strerror(rc));
          break;
        }
      }
    }
  }
  w->end_ns = now_ns();
  atomic_store_explicit(&w->progress, w->n.requests, memory_order_relaxed);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  if (setup_worker(w)) run_worker(w);
  for (int k = 0; w->clients != NULL && k < w->cfg->sockets; k++) {
    if (w->clients[k].fd >= 0 && close(w->clients[k].fd) < 0) fprintf(stderr, "udp-load: close: %s\n", strerror(errno));
  }
  atomic_store(&w->finished, true);
  return NULL;
}

// ---- command line --------------------------------------------------------------------------------
static void usage(const char *msg) {
  fprintf(stderr, "udp-load: %s\n"
    "usage: udp-load --host H --port P --action connect|announce|scrape --count N [--templates FILE --req-bytes B]\n"
    "                [--threads N] [--sockets N] [--window N] [--duration-sec S] [--timeout-ms MS] [--once]\n"
    "                [--max-requests N (per thread)] [--poll-us US (0: block in epoll_wait; default %d)]\n", msg, DEFAULT_POLL_US);
  exit(2);
}

static uint64_t parse_uint(const char *flag, const char *v, uint64_t min, uint64_t max) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < min || n > max) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: expected an integer in %" PRIu64 "..%" PRIu64 ", got \"%s\"", flag, min, max, v);
    usage(msg);
  }
  return n;
}

static void parse_args(int argc, char **argv, struct config *cfg) {
  *cfg = (struct config){ .threads = 1, .sockets = 4, .window = 64, .duration_sec = 8, .timeout_ms = 1000, .action = -1,
    .poll_us = DEFAULT_POLL_US };
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--once") == 0) {
      cfg->once = true;
      continue;
    }
    if (i + 1 >= argc) usage("every option but --once takes a value");
    const char *v = argv[++i];
    if (strcmp(a, "--host") == 0) cfg->host = v;
    else if (strcmp(a, "--port") == 0) cfg->port = v;
    else if (strcmp(a, "--threads") == 0) cfg->threads = (int)parse_uint(a, v, 1, MAX_THREADS);
    else if (strcmp(a, "--sockets") == 0) cfg->sockets = (int)parse_uint(a, v, 1, MAX_SOCKETS);
    else if (strcmp(a, "--window") == 0) cfg->window = (int)parse_uint(a, v, 1, MAX_WINDOW);
    else if (strcmp(a, "--timeout-ms") == 0) cfg->timeout_ms = (int64_t)parse_uint(a, v, 1, 3600000);
    else if (strcmp(a, "--count") == 0) cfg->count = parse_uint(a, v, 1, UINT64_MAX / MAX_REQ_BYTES);
    else if (strcmp(a, "--req-bytes") == 0) cfg->req_bytes = (uint32_t)parse_uint(a, v, 16, MAX_REQ_BYTES);
    else if (strcmp(a, "--max-requests") == 0) cfg->max_requests = parse_uint(a, v, 0, UINT64_MAX);
    else if (strcmp(a, "--poll-us") == 0) cfg->poll_us = (int64_t)parse_uint(a, v, 0, 100000);
    else if (strcmp(a, "--templates") == 0) cfg->templates_path = v;
    else if (strcmp(a, "--duration-sec") == 0) {
      char *end;
      cfg->duration_sec = strtod(v, &end);
      if (end == v || *end != '\0' || !(cfg->duration_sec > 0 && cfg->duration_sec <= 86400)) usage("--duration-sec: expected seconds in (0, 86400]");
    } else if (strcmp(a, "--action") == 0) {
      if (strcmp(v, "connect") == 0) cfg->action = ACTION_CONNECT;
      else if (strcmp(v, "announce") == 0) cfg->action = ACTION_ANNOUNCE;
      else if (strcmp(v, "scrape") == 0) cfg->action = ACTION_SCRAPE;
      else usage("--action: connect, announce or scrape");
    } else {
      char msg[160];
      snprintf(msg, sizeof msg, "unknown option %s", a);
      usage(msg);
    }
  }
  if (cfg->host == NULL || cfg->port == NULL) usage("--host and --port are required");
  if (cfg->action < 0) usage("--action is required");
  if (cfg->count == 0) usage("--count is required");
  if (cfg->action == ACTION_CONNECT) {
    cfg->req_bytes = CONNECT_BYTES;
  } else if (cfg->templates_path == NULL || cfg->req_bytes == 0) {
    usage("announce and scrape need --templates and --req-bytes");
  }
}

static void resolve_target(const struct config *cfg, struct target *t) {
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
  struct addrinfo *res;
  int rc = getaddrinfo(cfg->host, cfg->port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "udp-load: %s:%s: %s\n", cfg->host, cfg->port, gai_strerror(rc));
    exit(1);
  }
  memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
  t->addr_len = res->ai_addrlen;
  t->family = res->ai_family;
  freeaddrinfo(res);
}

static const uint8_t *map_templates(const struct config *cfg) {
  if (cfg->action == ACTION_CONNECT) return NULL;
  int fd = open(cfg->templates_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "udp-load: %s: %s\n", cfg->templates_path, strerror(errno));
    exit(1);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fprintf(stderr, "udp-load: fstat %s: %s\n", cfg->templates_path, strerror(errno));
    exit(1);
  }
  uint64_t want = cfg->count * cfg->req_bytes;
  if ((uint64_t)st.st_size != want) {
    fprintf(stderr, "udp-load: %s holds %lld bytes, expected count x req-bytes = %" PRIu64 "\n", cfg->templates_path, (long long)st.st_size, want);
    exit(2);
  }
  void *p = mmap(NULL, (size_t)want, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "udp-load: mmap %s: %s\n", cfg->templates_path, strerror(errno));
    exit(1);
  }
  if (close(fd) < 0) fprintf(stderr, "udp-load: close: %s\n", strerror(errno));
  return p;
}

// ---- results -------------------------------------------------------------------------------------
static void merge_error_text(struct error_text *into, int *n, const struct error_text *e) {
  for (int i = 0; i < *n; i++) {
    if (into[i].len == e->len && memcmp(into[i].text, e->text, (size_t)e->len) == 0) {
      into[i].count += e->count;
      return;
    }
  }
  if (*n < MAX_ERROR_TEXTS) into[(*n)++] = *e;
}

// Reply bytes as udp-loop.ts reads them (latin1): every byte is the code point of the same value.
static void print_json_latin1(const uint8_t *s, int len) {
  putchar('"');
  for (int i = 0; i < len; i++) {
    uint8_t b = s[i];
    if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') printf("\\u%04x", b);
    else putchar(b);
  }
  putchar('"');
}

static void print_results(struct worker *ws, int nw) {
  struct counts t = { 0 };
  struct error_text texts[MAX_ERROR_TEXTS];
  int ntexts = 0;
  int64_t elapsed_ns = 0;
  for (int k = 0; k < nw; k++) {
    struct worker *w = &ws[k];
    t.requests += w->n.requests;
    t.errors += w->n.errors;
    t.timeouts += w->n.timeouts;
    t.late += w->n.late;
    t.failures += w->n.failures;
    t.bad += w->n.bad;
    t.handshakes += w->n.handshakes;
    t.handshake_failures += w->n.handshake_failures;
    t.send_retries += w->n.send_retries;
    for (int i = 0; i < w->ntexts; i++) merge_error_text(texts, &ntexts, &w->texts[i]);
    if (w->end_ns - w->start_ns > elapsed_ns) elapsed_ns = w->end_ns - w->start_ns;
  }
  fputs("HAYATE_UDP_HIST", stdout);
  for (int i = 0; i < HIST_BUCKETS; i++) {
    uint64_t c = 0;
    for (int k = 0; k < nw; k++) c += ws[k].hist == NULL ? 0 : ws[k].hist[i];
    if (c > 0) printf(" %" PRId64 ":%" PRIu64, hist_value(i), c);
  }
  putchar('\n');
  printf("HAYATE_UDP_SUMMARY {\"requests\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"late\":%" PRIu64
    ",\"failures\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"handshakes\":%" PRIu64 ",\"handshakeFailures\":%" PRIu64
    ",\"sendRetries\":%" PRIu64 ",\"threads\":%d,\"elapsedSec\":%.6f,\"errorTexts\":[",
    t.requests, t.errors, t.timeouts, t.late, t.failures, t.bad, t.handshakes, t.handshake_failures, t.send_retries,
    nw, (double)elapsed_ns / 1e9);
  for (int i = 0; i < ntexts; i++) {
    printf("%s{\"text\":", i > 0 ? "," : "");
    print_json_latin1(texts[i].text, texts[i].len);
    printf(",\"count\":%" PRIu64 "}", texts[i].count);
  }
  printf("]}\n");
  fflush(stdout);
}

static void on_signal(int sig) {
  (void)sig;
  atomic_store(&g_stop, true);
}

int main(int argc, char **argv) {
  struct config cfg;
  parse_args(argc, argv, &cfg);
  struct target target;
  resolve_target(&cfg, &target);
  const uint8_t *templates = map_templates(&cfg);

  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
    fprintf(stderr, "udp-load: sigaction: %s\n", strerror(errno));
    return 1;
  }
  // Signals go to the main thread only: workers notice g_stop within one sweep interval.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  int rc = pthread_sigmask(SIG_BLOCK, &block, &old);
  if (rc != 0) {
    fprintf(stderr, "udp-load: pthread_sigmask: %s\n", strerror(rc));
    return 1;
  }

  struct worker *ws = calloc((size_t)cfg.threads, sizeof *ws);
  if (ws == NULL) {
    fprintf(stderr, "udp-load: out of memory\n");
    return 1;
  }
  int nw = 0;
  uint64_t first = 0;
  for (int k = 0; k < cfg.threads; k++) {
    uint64_t share = cfg.count / (uint64_t)cfg.threads + ((uint64_t)k < cfg.count % (uint64_t)cfg.threads ? 1 : 0);
    if (share == 0) continue;   // as runUdpLoad: no thread without positions
    struct worker *w = &ws[nw];
    w->cfg = &cfg;
    w->target = &target;
    w->templates = templates;
    w->first = first;
    w->count = share;
    first += share;
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
      fprintf(stderr, "udp-load: pthread_create: %s\n", strerror(rc));
      atomic_store(&g_stop, true);
      break;
    }
    nw++;
  }
  rc = pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) fprintf(stderr, "udp-load: pthread_sigmask: %s\n", strerror(rc));

  int64_t next_progress = now_ns() + PROGRESS_NS;
  for (;;) {
    bool all = true;
    for (int k = 0; k < nw; k++) all = all && atomic_load(&ws[k].finished);
    if (all) break;
    int64_t now = now_ns();
    if (now >= next_progress) {
      uint64_t answered = 0;
      for (int k = 0; k < nw; k++) answered += atomic_load_explicit(&ws[k].progress, memory_order_relaxed);
      printf("P %" PRIu64 "\n", answered);
      fflush(stdout);
      next_progress += PROGRESS_NS;
      if (next_progress <= now) next_progress = now + PROGRESS_NS;
    }
    struct timespec nap = { 0, 5 * NS_PER_MS };  // finishing threads are noticed within 5 ms
    nanosleep(&nap, NULL);                       // EINTR (a signal): just look again
  }
  int failed = 0;
  for (int k = 0; k < nw; k++) {
    rc = pthread_join(ws[k].thread, NULL);
    if (rc != 0) fprintf(stderr, "udp-load: pthread_join: %s\n", strerror(rc));
    if (ws[k].fatal[0] != '\0') {
      fprintf(stderr, "udp-load: thread %d: %s\n", k, ws[k].fatal);
      failed = 1;
    }
  }
  if (failed || nw == 0) return 1;
  print_results(ws, nw);
  return 0;
}
