# Crosslink production image: one image, three entry points (web, collab-server, workers)
# plus the one-shot migration. See docker-compose.yml for how they are wired.
#   docker build -t crosslink .
#   docker run ... crosslink                                          -> web (default)
#   docker run ... crosslink node --import tsx collab-server/index.ts -> collab-server
#   docker run ... crosslink node --import tsx workers/index.ts       -> workers
#   docker run ... crosslink node --import tsx db/migrate.ts          -> migrations

# ---- build: full dependencies, SvelteKit build (build/handler.js)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx vite build

# ---- runtime dependencies only
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    COLLAB_HOST=0.0.0.0 \
    COLLAB_PORT=1234
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/build ./build
# Server-side TypeScript runs through tsx (a runtime dependency), as in development; the
# processes import each other's modules (common/, db/, web/realtime), so ship the whole tree.
COPY . .
# The shared uploads volume (docker-compose) takes this folder's owner when first mounted.
RUN mkdir -p /uploads && chown node:node /uploads
USER node
EXPOSE 3000 1234
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "web/server.ts"]
