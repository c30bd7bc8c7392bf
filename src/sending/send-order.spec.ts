import { SendOrder } from './send-order';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Whether a slot's turn has come yet, asked after a tick. */
function watchTurn(slot: { turn: Promise<unknown> }): () => boolean {
  let came = false;
  void slot.turn.then(() => (came = true));
  return () => came;
}

describe('SendOrder', () => {
  it("hands one sender's sends over in arrival order even when their checks finish in reverse", async () => {
    const order = new SendOrder();
    const handed: number[] = [];
    const checks = [30, 20, 10, 0];
    await Promise.all(
      checks.map(async (delay, index) => {
        const slot = order.enter('alice');
        await new Promise((resolve) => setTimeout(resolve, delay));
        await slot.turn;
        handed.push(index);
        slot.release();
      }),
    );
    expect(handed).toEqual([0, 1, 2, 3]);
  });

  it('does not make one sender wait for another', async () => {
    const order = new SendOrder();
    const slowAlice = order.enter('alice');
    const bob = order.enter('bob');
    const bobTurn = watchTurn(bob);
    await tick();
    expect(bobTurn()).toBe(true);
    slowAlice.release();
    bob.release();
  });

  it('lets a later send go once the earlier one is released without being stored', async () => {
    const order = new SendOrder();
    const first = order.enter('alice');
    const second = order.enter('alice');
    const secondTurn = watchTurn(second);
    await tick();
    expect(secondTurn()).toBe(false);
    first.release();
    await tick();
    expect(secondTurn()).toBe(true);
    second.release();
    await tick();
    await tick();
    expect(order.pendingSenders).toBe(0);
  });
});
