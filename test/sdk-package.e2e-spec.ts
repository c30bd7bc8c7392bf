import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloseCode, MessageType, RESPONSE_TYPE, RefusalCode } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { uniqueName } from './helpers/ws-client';

const run = promisify(execFile);
const REPO = join(__dirname, '..');
const PACKAGE = join(REPO, 'packages', 'client');

/**
 * What two users do with the SDK as a project gets it from npm: both sign up, one sends, the other
 * receives; a second registration is refused with its code. `IMPORT` becomes require or import.
 */
const SCRIPT = `IMPORT

async function main([url, alice, bob]) {
  const sender = new ChatClient();
  const receiver = new ChatClient();
  await Promise.all([sender.connect(url), receiver.connect(url)]);
  await sender.register(alice, 'secret-pass');
  await receiver.register(bob, 'secret-pass');
  const refused = await receiver.register(bob, 'secret-pass').catch((error) => error);
  await sender.login(alice, 'secret-pass');
  await receiver.login(bob, 'secret-pass');
  const received = new Promise((resolve) => receiver.on('message', resolve));
  const ack = await sender.sendChat(bob, 'hello from ' + process.argv[1].split('.').pop());
  const message = await received;
  const refusal = refused instanceof RequestError ? refused.code : String(refused);
  console.log(JSON.stringify({ from: message.from, content: message.content, delivered: ack.delivered, refusal }));
  sender.close();
  receiver.close();
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** The packed SDK (its build from `npm run build -w packages/client`), installed into an empty folder, used from CommonJS and ESM. */
describe(`the SDK as an npm package (${MODE})`, () => {
  const fixture = useFixture();
  const folders: string[] = [];
  let server: Instance;
  let project: string;
  let packed: { files: { path: string }[] }[];

  const folder = (prefix: string): string => {
    const made = mkdtempSync(join(tmpdir(), prefix));
    folders.push(made);
    return made;
  };

  beforeAll(async () => {
    const starting = fixture.start();
    // packages/client/dist is built by `npm run build`, like dist/main.js: rebuilding it here would race the suites that run it.
    const tarballs = folder('sdk-pack-');
    packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: PACKAGE })).stdout);
    const [tarball] = readdirSync(tarballs).filter((name) => name.endsWith('.tgz'));
    project = folder('sdk-project-');
    const install = ['install', '--offline', '--no-audit', '--no-fund', join(tarballs, tarball), join(REPO, 'node_modules', 'ws')];
    await run('npm', install, { cwd: project });
    const required = "const { ChatClient, RequestError } = require('@chat-server/client');";
    writeFileSync(join(project, 'chat.cjs'), SCRIPT.replace('IMPORT', required));
    writeFileSync(join(project, 'chat.mjs'), SCRIPT.replace('IMPORT', "import { ChatClient, RequestError } from '@chat-server/client';"));
    server = await starting;
  }, 120000);

  afterAll(() => {
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  it('packs the builds and the README, not the sources', () => {
    const paths = packed[0].files.map((file) => file.path);
    const expected = ['package.json', 'README.md', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs'];
    expect(paths).toEqual(expect.arrayContaining(expected));
    expect(paths.filter((path) => path.startsWith('src/') || path.endsWith('.spec.js'))).toEqual([]);
  });

  it('carries the protocol of src/protocol, with nothing to import from outside the package', async () => {
    const names = ['MessageType', 'RefusalCode', 'CloseCode', 'RESPONSE_TYPE'];
    const script =
      `const sdk = require('@chat-server/client'); ` + `console.log(JSON.stringify(${JSON.stringify(names)}.map((name) => sdk[name])));`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([MessageType, RefusalCode, CloseCode, RESPONSE_TYPE]);
  });

  it.each(['cjs', 'mjs'])('chat.%s registers and logs in two users, and one receives what the other sent', async (kind) => {
    const [alice, bob] = [uniqueName('pa'), uniqueName('pb')];
    const { stdout } = await run(process.execPath, [`chat.${kind}`, server.wsUrl, alice, bob], { cwd: project, timeout: 30000 });
    expect(JSON.parse(stdout)).toEqual({ from: alice, content: `hello from ${kind}`, delivered: true, refusal: 'conflict' });
  });
});
