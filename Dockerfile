FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
COPY packages ./packages
COPY scripts ./scripts
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc returns freed blocks over 128 KiB to the system at once (README, "Memory").
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules/@chat-server/client links here (the console client uses it).
COPY --from=build /app/packages/client ./packages/client
COPY package.json ./
RUN mkdir -p /app/data && chown node /app/data
EXPOSE 9092
USER node
# A young generation of at most 2 x 8 MiB (README, "Memory").
CMD ["node", "--max-semi-space-size=8", "dist/main.js"]
