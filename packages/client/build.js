// After tsc has written the declarations (dist/types, beside those of the server's src/protocol, which the SDK
// imports): the CommonJS bundle (dist/cjs) with src/protocol inside, so the package needs nothing outside itself;
// an ES module entry that re-exports it, so `import` and `require` share one copy of each class (instanceof
// RequestError holds for both); and browser bundles (IIFE with global `ChatSdk`, and ESM) with `ws` left out:
// browsers have WebSocket.
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const dist = join(__dirname, 'dist');

const withoutWs = {
  name: 'without-ws',
  setup(build) {
    build.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'without-ws' }));
    build.onLoad({ filter: /.*/, namespace: 'without-ws' }, () => ({ contents: 'module.exports = undefined;', loader: 'js' }));
  },
};

function writeEsmEntry() {
  const names = Object.keys(require(join(dist, 'cjs', 'index.js'))).filter((name) => name !== 'default');
  mkdirSync(join(dist, 'esm'), { recursive: true });
  const lines = ["import sdk from '../cjs/index.js';", `export const { ${names.join(', ')} } = sdk;`, ''];
  writeFileSync(join(dist, 'esm', 'index.mjs'), lines.join('\n'));
}

const entry = join(__dirname, 'src', 'index.ts');

async function writeCjs() {
  rmSync(join(dist, 'cjs'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ['node20'],
    external: ['ws'],
    sourcemap: true,
    outfile: join(dist, 'cjs', 'index.js'),
  });
  writeFileSync(join(dist, 'cjs', 'index.d.ts'), "export * from '../types/packages/client/src/index';\n");
}

async function main() {
  await writeCjs();
  writeEsmEntry();
  const common = { entryPoints: [entry], bundle: true, platform: 'browser', target: ['es2020'], plugins: [withoutWs] };
  await Promise.all([
    esbuild.build({ ...common, format: 'iife', globalName: 'ChatSdk', outfile: join(dist, 'browser', 'chat-client.js') }),
    esbuild.build({ ...common, format: 'esm', outfile: join(dist, 'browser', 'chat-client.mjs') }),
  ]);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
