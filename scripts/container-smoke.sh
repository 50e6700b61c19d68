#!/usr/bin/env bash
# Container smoke test for hayate: builds the image with podman (or any docker-compatible CLI named by
# $PODMAN), runs it the way the Chihaya v1 deployment does
#   docker run -p 6880-6882:6880-6882 -v $PWD/config.json:/config.json:ro IMAGE -v=5
# (plus -p 6882:6882/udp), then checks /check, one HTTP announce, one UDP connect + announce on the
# batched socket, and the image HEALTHCHECK, prints the logs and removes the container. Every wait is bounded; exits non-zero on any failure.
#
# Env: PODMAN (the container CLI, default `podman`), BUILD_TIMEOUT (s, default 1200), START_TIMEOUT
# (s, default 60), SKIP_BUILD=1 (reuse image)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
podman_sh=${PODMAN:-podman}
image=localhost/hayate
name=hayate-smoke
config="$root/deploy/config.example.json"
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1200}
START_TIMEOUT=${START_TIMEOUT:-60}

pm() { timeout 120 "$podman_sh" "$@"; }
log() { printf '== %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local rc=$?
  if pm container exists "$name" 2>/dev/null; then
    if [ "$rc" -ne 0 ]; then
      log "container logs (on failure)"
      pm logs "$name" 2>&1 | tail -n 100 || true
    fi
    pm rm -f -t 5 "$name" >/dev/null 2>&1 || pm rm -f "$name" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$config" ] || fail "missing $config"

# 1. build (--format docker: the OCI image format has no HEALTHCHECK, podman would drop it)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building $image"
  start=$(date +%s)
  timeout "$BUILD_TIMEOUT" "$podman_sh" build --pull=never --network=host --format docker -t "$image" . \
    || fail "image build failed or exceeded ${BUILD_TIMEOUT}s"
  log "build took $(( $(date +%s) - start ))s"
fi
log "image size"
pm images "$image"
pm image inspect "$image" --format 'size={{.Size}} bytes  entrypoint={{json .Config.Entrypoint}} cmd={{json .Config.Cmd}} user={{.Config.User}}'
healthcheck_cfg=$(pm image inspect "$image" --format '{{json .HealthCheck}}' 2>/dev/null || true)
log "image HEALTHCHECK: ${healthcheck_cfg:-<none>}"
case "$healthcheck_cfg" in ''|null|'<no value>') fail "image has no HEALTHCHECK";; esac

pm rm -f "$name" >/dev/null 2>&1 || true

# waits up to START_TIMEOUT seconds for /check; prints the body on success
wait_check() {
  local deadline=$(( $(date +%s) + START_TIMEOUT )) body
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! pm container exists "$name" || [ "$(pm inspect "$name" --format '{{.State.Running}}')" != true ]; then
      log "container is not running (exit code $(pm inspect "$name" --format '{{.State.ExitCode}}' 2>/dev/null || echo '?'))"
      return 1
    fi
    if body=$(curl -sS --noproxy '*' --max-time 2 http://127.0.0.1:6880/check 2>/dev/null) \
        && [ "$body" = STILL-ALIVE ]; then
      printf '%s' "$body"
      return 0
    fi
    sleep 1
  done
  log "no STILL-ALIVE from /check within ${START_TIMEOUT}s (last body: ${body:-<none>})"
  return 1
}

# 2. run the seed's way; fall back to host networking if port mapping does not work here
# (plus 6882/udp: the seed's -p publishes TCP only, and the UDP tracker is checked below)
mode="-p 6880-6882:6880-6882 -p 6882:6882/udp"
log "running: podman run -d --name $name $mode -v $config:/config.json:ro $image -v=5"
if pm run -d --name "$name" -p 6880-6882:6880-6882 -p 6882:6882/udp -v "$config:/config.json:ro" "$image" -v=5 >/dev/null \
    && check_body=$(wait_check); then
  :
else
  log "NOTE: -p port mapping did not work; falling back to --network=host"
  pm logs "$name" 2>&1 | tail -n 50 || true
  pm rm -f "$name" >/dev/null 2>&1 || true
  mode="--network=host"
  pm run -d --name "$name" --network=host -v "$config:/config.json:ro" "$image" -v=5 >/dev/null \
    || fail "podman run --network=host failed"
  check_body=$(wait_check) || fail "/check did not answer STILL-ALIVE"
fi
log "network mode: $mode"
log "/check answered: $check_body"

# 3. one HTTP announce (Quay-style: a torrent nobody has announced yet, numwant=0)
url='http://127.0.0.1:6881/announce?info_hash=%a9J%8f%e5%cc%b1%9b%a6%1cL%08s%d3%91%e9%87%98%2f%bb%d3&peer_id=-QUAY00-6wfG2wk6wWLc&port=80&uploaded=0&downloaded=0&left=0&numwant=0'
body_file=$(mktemp)
http_code=$(curl -sS --noproxy '*' --globoff --max-time 5 -o "$body_file" -w '%{http_code}' "$url") \
  || { rm -f "$body_file"; fail "announce request failed"; }
log "announce HTTP $http_code, body ($(wc -c <"$body_file") bytes):"
xxd "$body_file" >&2
printf '%s\n' "$(tr -c '[:print:]' '.' <"$body_file")" >&2
if [ "$(head -c 11 "$body_file")" != d8:complete ]; then
  rm -f "$body_file"; fail "announce body does not start with d8:complete"
fi
rm -f "$body_file"

# 3b. one UDP connect + announce (BEP 15), through the image's batched socket (recvmmsg/sendmmsg addon)
udp_out=$(node -e '
const s = require("node:dgram").createSocket("udp4");
const t = setTimeout(() => { console.log("no UDP answer within 5 s"); process.exit(1); }, 5000);
const c = Buffer.alloc(16); c.writeUInt32BE(0x417, 0); c.writeUInt32BE(0x27101980, 4); c.writeUInt32BE(0, 8); c.writeUInt32BE(7, 12);
s.on("message", (m) => {
  if (m.readUInt32BE(0) === 0) {
    const a = Buffer.alloc(98); m.copy(a, 0, 8, 16); a.writeUInt32BE(1, 8); a.writeUInt32BE(9, 12);
    a.fill(0xa9, 16, 36); a.write("-QUAY00-udpsmoketest", 36, "latin1"); a.writeInt32BE(-1, 92); a.writeUInt16BE(80, 96);
    s.send(a, 6882, "127.0.0.1");
  } else {
    clearTimeout(t); console.log(`action ${m.readUInt32BE(0)} tx ${m.readUInt32BE(4)} interval ${m.readUInt32BE(8)} (${m.length} bytes)`);
    process.exit(m.readUInt32BE(0) === 1 && m.readUInt32BE(4) === 9 ? 0 : 1);
  }
});
s.send(c, 6882, "127.0.0.1");') || fail "UDP announce: ${udp_out}"
log "UDP announce answered: $udp_out"

# 4. HEALTHCHECK: podman only schedules it through systemd timers, so run it once explicitly too
log "health status before explicit run: $(pm inspect "$name" --format '{{.State.Health.Status}}' 2>/dev/null || echo '?')"
if pm healthcheck run "$name"; then hc_rc=0; else hc_rc=$?; fi
health=$(pm inspect "$name" --format '{{.State.Health.Status}}' 2>/dev/null || echo '?')
log "podman healthcheck run exit=$hc_rc, State.Health.Status=$health"
pm inspect "$name" --format '{{json .State.Health}}' >&2 || true
[ "$hc_rc" -eq 0 ] && [ "$health" = healthy ] || fail "HEALTHCHECK not healthy"

# 5. logs (the tracker must be on uWebSockets' native binary, not its slower JS fallback)
log "container logs"
logs=$(pm logs "$name" 2>&1 || true)
printf '%s\n' "$logs"
if ! grep -q 'udp: .*batched' <<<"$logs"; then
  fail "UDP is not on the batched socket (native addon missing in the image?)"
fi
if grep -q 'not compatible with your Node.js build' <<<"$logs"; then
  fail "uWebSockets.js fell back to its JS implementation (native binary missing)"
fi

log "OK (network: $mode)"
