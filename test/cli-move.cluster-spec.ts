import { MessageType } from '../src/protocol';
import { CliProcess } from './helpers/cli-process';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { until } from './helpers/wait';
import { uniqueName } from './helpers/ws-client';

describe(`console client told to move (type ${MessageType.ReBalance})`, () => {
  const fixture = useFixture({ mode: 'cluster' });
  let first: Instance;
  let second: Instance;

  beforeAll(async () => {
    const settings = { REBALANCE_GRACE_MS: '5000', REBALANCE_DELAY_MS: '600000', REBALANCE_INTERVAL_MS: '600000' };
    [first, second] = await fixture.startMany(2, settings);
  });

  it('follows the move to the other instance, says so, and sends and receives through it', async () => {
    // Bob has logged in before and is away: what is sent now waits for him.
    const { name: bob, client: bobBefore } = await fixture.user(first, 'bob');
    bobBefore.close();
    await bobBefore.closed;
    const client = new CliProcess(first.wsUrl);
    fixture.track({ close: () => client.kill() });
    await client.waitFor('Type help for commands.');
    client.type(`login ${bob} secret-pass`);
    await client.waitFor(`Logged in as ${bob}.`);

    const order = await first.http<boolean>('POST', `/reBalance/handler?host=${encodeURIComponent(second.host)}&reBalanceNumber=1`, {
      auth: 'cluster',
    });
    expect(order.body).toMatchObject({ code: 0, data: true });
    await client.waitFor(`The server moves this session to ${second.wsUrl}...`);
    await client.waitFor(`Moved to ${second.wsUrl}, logged in as ${bob}.`);
    const connections = async () => {
      const listed = (await first.http<{ port: number; connections: number }[]>('GET', '/cluster/instances', { auth: 'admin' })).body.data;
      return [first, second].map((instance) => listed.find((i) => i.port === instance.port)?.connections);
    };
    await until(connections, ([onFirst, onSecond]) => onFirst === 0 && onSecond === 1, 10000, 'the session on the second instance');

    // Alice is on the second instance only: what reaches bob now comes through it.
    const { name: aliceName, client: alice } = await fixture.user(second, 'alice');
    const welcome = { messageType: MessageType.ChatRequest, to: bob, content: 'hello on the second', clientMessageId: uniqueName('c') };
    expect(await alice.request(welcome)).toMatchObject({ success: true, delivered: true });
    await client.waitFor(`${aliceName}: hello on the second`);
    client.type(`send ${aliceName} answered from the second`);
    await client.waitFor('Sent (#');
    const answer = async () =>
      alice.received.find((frame) => frame.messageType === MessageType.ChatResponse && frame.content === 'answered from the second');
    expect(await until(answer, (frame) => frame !== undefined, 10000, 'the answer')).toMatchObject({ from: bob, offline: false });
    // The grace period is long: the first instance did not close the session, the client left it.
    expect(client.output).not.toContain('reconnecting');
    expect(await client.quit()).toBe(0);
    alice.close();
  });
});
