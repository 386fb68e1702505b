# syntax=docker/dockerfile:1
# Coupon Lab's image: the CLI of bin/coupon-lab.ts, run by tsx (a production dependency: no compile step).
#   docker build -t coupon-lab .
#   docker run coupon-lab                 the API server (`start`), on PORT (8080)
#   docker run coupon-lab consumer        the stream consumer, /metrics on METRICS_PORT (9464)
# Configuration is the environment (README, "Configuration"); docker-compose.yml sets it for both.

ARG NODE_IMAGE=node:20-bookworm-slim

# Every dependency, dev ones included, exactly as the lockfile has them.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The same type check as `npm run typecheck`, over what tsconfig.json includes. The runtime stage copies
# its sources from here, so BuildKit cannot skip this stage: an image never exists without a passing check.
FROM deps AS build
COPY tsconfig.json vitest.config.ts ./
COPY bin ./bin
COPY src ./src
COPY bench ./bench
COPY demo ./demo
COPY load-test ./load-test
COPY lab-client ./lab-client
COPY test ./test
RUN npm run typecheck

# Production dependencies only (tsx among them), on the same base as the runtime stage.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# bench/, demo/, load-test/ and lab-client/ too: the CLI registers the bench, demo and load commands next to start
# and consumer, and they drive the lab through lab-client/.
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/bench ./bench
COPY --from=build /app/demo ./demo
COPY --from=build /app/load-test ./load-test
COPY --from=build /app/lab-client ./lab-client
USER node
EXPOSE 8080 9464
# Node itself is PID 1, not npm: `docker stop`'s SIGTERM reaches the lab, which finishes the requests in
# flight and the consumer's batch before exiting (npm start does the same through `tsx`).
ENTRYPOINT ["node", "--import", "tsx", "bin/coupon-lab.ts"]
CMD ["start"]
