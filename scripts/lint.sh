#!/usr/bin/env bash
# `npm run lint`: ESLint and Prettier over the tree, then every TypeScript project type-checked
# (the client SDK is built first: the server and web/ import its declarations).
set -euo pipefail
eslint .
prettier --check . --log-level warn
npm run build --silent -w packages/client
for project in tsconfig.json tsconfig.spec.json web/tsconfig.json packages/client/tsconfig.json; do
  tsc --noEmit -p "$project"
done
