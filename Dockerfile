# syntax=docker/dockerfile:1
# Coupon Lab's image: the compiled CLI (dist/bin/coupon-lab.js), run by node; no TypeScript at run time.
#   docker build -t coupon-lab .
#   docker run coupon-lab                 the API server (`start`), on PORT (8080)
#   docker run coupon-lab consumer        the stream consumer, /metrics on METRICS_PORT (9464)
# Configuration is the environment (docs/operations.md, "Configuration"); docker-compose.yml sets it for both.

ARG NODE_IMAGE=node:20-bookworm-slim

# Every dependency, dev ones included, exactly as the lockfile has them. No scripts: `prepare` would build,
# and the sources are not here yet.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# `npm run build`: tsc type-checks and compiles bin/, src/, harness/, bench/, demo/, load-test/, lab-client/ and console/ into dist/, and fails
# on a type error; Vite bundles the console's page into dist/console-ui/.
# The runtime stage copies dist/ from here, so BuildKit cannot skip this stage: no image without a passing check.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
COPY harness ./harness
COPY bench ./bench
COPY demo ./demo
COPY load-test ./load-test
COPY lab-client ./lab-client
COPY console ./console
RUN npm run build

# Production dependencies only, on the same base as the runtime stage.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# The compiled bench, demo, load test, lab client and console too: the CLI registers their commands next to
# start and consumer.
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080 9464
# Node itself is PID 1, not npm: `docker stop`'s SIGTERM reaches the lab, which finishes the requests in
# flight and the consumer's batch before exiting.
ENTRYPOINT ["node", "dist/bin/coupon-lab.js"]
CMD ["start"]
