# syntax=docker/dockerfile:1
# The Stratus frontend image (IMAP/POP3 listeners + health endpoint), built by `cdk deploy` for Fargate (arm64).
# Stage 1 compiles the TypeScript CLI into one ES module with esbuild (dependencies stay external), and beside it the
# entry of the function worker threads (STRATUS_FUNCTION_THREADS, src/server/thread-invoker.ts looks for
# dist/function-thread.mjs next to dist/stratus.mjs; without it the functions run on the event loop);
# stage 2 installs production dependencies only; stage 3 is the runtime: Node.js 22, non-root, no dev tooling.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx esbuild src/cli.ts --bundle --platform=node --target=node22 --format=esm --packages=external \
      --outfile=dist/stratus.mjs
RUN npx esbuild src/server/function-thread.ts --bundle --platform=node --target=node22 --format=esm --packages=external \
      --outfile=dist/function-thread.mjs

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    STRATUS_HOST=0.0.0.0 \
    STRATUS_IMAP_PORT=1143 \
    STRATUS_HEALTH_PORT=8081 \
    STRATUS_ADMIN_PORT=off \
    STRATUS_LMTP_PORT=off
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The image's `node` user (uid 1000) owns nothing it runs; ports above 1024 need no capability.
USER node
# 1143 IMAP, 1993 IMAP behind NLB TLS, 1110 POP3, 1995 POP3 behind NLB TLS, 8081 health (GET /health).
EXPOSE 1143 1993 1110 1995 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8081/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec form: node is PID 1's only child-free process and receives SIGTERM itself (drain, BYE, exit).
STOPSIGNAL SIGTERM
CMD ["node", "dist/stratus.mjs", "serve"]
