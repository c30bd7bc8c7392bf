// Bundles the chat page and the admin console (web/) with the client SDK (@chat-server/client, packages/client) into
// dist/web/public, which src/web serves. Type-checks web/ first: esbuild only strips types.
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { extname, join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const web = join(root, 'web');
const out = join(root, 'dist', 'web', 'public');
const STATIC = new Set(['.html', '.css', '.svg']);

/** The SDK loads `ws` only where there is no global WebSocket, which never happens in a browser. */
const withoutWs = {
  name: 'without-ws',
  setup(build) {
    build.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'without-ws' }));
    build.onLoad({ filter: /.*/, namespace: 'without-ws' }, () => ({ contents: 'module.exports = undefined;', loader: 'js' }));
  },
};

async function main() {
  const check = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(web, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (check.status !== 0) throw new Error('web/ does not type-check');

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: { chat: join(web, 'chat.ts'), admin: join(web, 'admin.ts') },
    outdir: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: true,
    tsconfig: join(web, 'tsconfig.json'),
    plugins: [withoutWs],
    logLevel: 'warning',
  });
  for (const name of readdirSync(web)) if (STATIC.has(extname(name))) copyFileSync(join(web, name), join(out, name));
  console.log(`web pages built into ${out}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
