# hayate: BitTorrent tracker, drop-in replacement for Chihaya v1.
#
#   docker build -t hayate .
#   docker run -p 6880-6882:6880-6882 -p 6882:6882/udp \
#       -v $PWD/config.json:/config.json:ro hayate -v=5
#
# Ports (as set in the chihaya-style config): 6880 API (/check), 6881 HTTP announce/scrape,
# 6882 UDP tracker. Note `-p 6880-6882:6880-6882` publishes TCP only; add `-p 6882:6882/udp`
# for the UDP tracker.

# ---- build: compile TypeScript (src/ -> dist/) and the native addon -------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# A C compiler for the optional native addon (SO_REUSEPORT UDP sockets, one per I/O thread).
# Without one the build goes on, and hayate serves UDP from one I/O thread (Node-API headers come from
# the node-api-headers dev dependency when the base image has none).
RUN (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null) \
 || echo "no C compiler: the native addon will not be built"
# package.json overrides webrtc-polyfill (a dev-only transitive dependency) with
# file:./test/stubs/webrtc-polyfill, so the stub must be present for `npm ci`.
COPY package.json package-lock.json ./
COPY test/stubs/ ./test/stubs/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ ./src/
COPY native/ ./native/
COPY scripts/build-native.mjs ./scripts/
RUN npm run build && rm -f dist/.tsbuildinfo && mkdir -p build/native

# ---- deps: production node_modules only --------------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY test/stubs/ ./test/stubs/
# uWebSockets.js (npm:@trufflesuite/uws-js-unofficial) ships ~110 MB of native binaries for every
# platform/ABI; keep only the one this Node loads (uws_<platform>_<arch>_<abi>.node). The dist/*.node
# copies are never loaded (src/uws.js requires ../binaries/...), dist/*.js is kept as its fallback.
RUN npm ci --omit=dev --no-audit --no-fund \
 && keep="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" \
 && cd node_modules/uWebSockets.js \
 && test -f "binaries/$keep" \
 && find binaries -name '*.node' ! -name "$keep" -delete \
 && rm -f dist/*.node docs/report.pdf \
 && node -e 'require("/app/node_modules/uWebSockets.js/binaries/'"$keep"'")'

# ---- runtime -----------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json is needed at runtime: "type": "module" makes dist/*.js ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/native ./build/native
# files stay root-owned and read-only to the service user
USER node
EXPOSE 6880/tcp 6881/tcp 6882/tcp 6882/udp
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:6880/check',{signal:AbortSignal.timeout(3000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/main.js", "-config=/config.json"]
CMD []
