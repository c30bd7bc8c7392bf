import { TypedEmitter } from './typed-emitter';

interface Events {
  count: number;
  name: string;
}

class Emitter extends TypedEmitter<Events> {
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('calls listeners of the emitted event only, in order of subscription', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    emitter.on('count', (n) => calls.push(`a${n}`));
    emitter.on('count', (n) => calls.push(`b${n}`));
    emitter.on('name', (name) => calls.push(name));

    emitter.fire('count', 1);

    expect(calls).toEqual(['a1', 'b1']);
  });

  it('stops calling a listener after off, and a once listener after its first call', () => {
    const emitter = new Emitter();
    const calls: number[] = [];
    const listener = (n: number) => calls.push(n);
    emitter.on('count', listener);
    emitter.once('count', (n) => calls.push(n * 10));

    emitter.fire('count', 1);
    emitter.off('count', listener);
    emitter.fire('count', 2);

    expect(calls).toEqual([1, 10]);
  });

  it('still calls every listener when one unsubscribes while running', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    emitter.once('name', () => calls.push('first'));
    emitter.on('name', () => calls.push('second'));

    emitter.fire('name', 'x');

    expect(calls).toEqual(['first', 'second']);
  });
});
