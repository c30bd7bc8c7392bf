import { AppConfig } from '../config/app-config';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = (hashConcurrency: number) => new PasswordHasher({ auth: { hashConcurrency } } as AppConfig);

  it('runs as many hashes at once as the configuration says, and queues the rest', async () => {
    for (const [concurrency, waiting] of [
      [1, 2],
      [2, 1],
      [3, 0],
    ]) {
      const subject = hasher(concurrency);
      const hashes = [1, 2, 3].map(() => subject.hash('a password'));
      expect(subject.waitingCount).toBe(waiting);
      await Promise.all(hashes);
      expect(subject.waitingCount).toBe(0);
    }
  });
});
