# One image for the order service, its health sidecar and its migrations.
#   service (default):  node services/order-service/dist/src/main.js
#   sidecar:            node sidecar/dist/main.js
#   migrations:         node services/order-service/dist/src/data/migrate-cli.js

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY services/health-snapshot/package.json services/health-snapshot/
COPY services/order-service/package.json services/order-service/
COPY sidecar/package.json sidecar/
RUN npm ci --no-audit --no-fund
COPY services/health-snapshot services/health-snapshot
COPY services/order-service services/order-service
COPY sidecar sidecar
COPY openapi openapi
RUN npm run build

FROM node:20.19.5-bookworm-slim AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="order-service" \
      org.opencontainers.image.description="The order service of the e-commerce platform and its health sidecar" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/ecommerce/order-service"
ENV NODE_ENV=production ENVIRONMENT=production SERVICE_PORT=8081 SIDECAR_PORT=9091
# the V8 old-space cap for a 256 MiB container (the chart sets it per container from heapMegabytes)
ENV NODE_OPTIONS=--max-old-space-size=128
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/health-snapshot/package.json services/health-snapshot/
COPY services/order-service/package.json services/order-service/
COPY sidecar/package.json sidecar/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# production code only: the development stack (dev/) and the test stand-ins stay in the build stage
COPY --from=build /app/services/health-snapshot/dist services/health-snapshot/dist
COPY --from=build /app/services/order-service/dist/src services/order-service/dist/src
COPY --from=build /app/sidecar/dist sidecar/dist
COPY openapi openapi
# non-root, and nothing written outside /tmp (the chart mounts an emptyDir there; the root is read-only)
USER 10001:10001
EXPOSE 8081 9091
CMD ["node", "services/order-service/dist/src/main.js"]
