import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** More hashes waiting than this and new ones are refused at once, instead of queueing without end. */
const MAX_WAITING = 1000;
/** libuv's thread pool has 4 threads by default; more at once only queue there. */
const MAX_RUNNING = Number(process.env.UV_THREADPOOL_SIZE) || 4;

export class HasherBusyError extends Error {
  constructor() {
    super('Server busy, please try again');
  }
}

/** argon2id with OWASP's minimum parameters; hashing runs on libuv's thread pool, off the event loop. */
@Injectable()
export class PasswordHasher {
  private readonly options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, this.options));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.limited(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_RUNNING) {
      if (this.waiting.length >= MAX_WAITING) throw new HasherBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
