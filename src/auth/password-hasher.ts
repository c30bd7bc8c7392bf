import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AppConfig } from '../config/app-config';

/** More hashes waiting than this and new ones are refused at once, instead of queueing without end. */
const MAX_WAITING = 1000;

export class HasherBusyError extends Error {
  constructor() {
    super('Server busy, please try again');
  }
}

/** What the hasher reports while it queues; it knows nothing of where the numbers go. */
export interface HasherObserver {
  /** A hash refused at once: MAX_WAITING were waiting. */
  busy(): void;
  /** How long a hash waited for a slot (0 when one was free). */
  waited(seconds: number): void;
}

const UNOBSERVED: HasherObserver = { busy: () => undefined, waited: () => undefined };

/** argon2id with OWASP's minimum parameters; hashing runs on libuv's thread pool, off the event loop. */
@Injectable()
export class PasswordHasher {
  private readonly options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private observer = UNOBSERVED;

  constructor(private readonly config: AppConfig) {}

  observe(observer: HasherObserver): void {
    this.observer = observer;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

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
    const queuedAt = performance.now();
    if (this.running >= this.config.auth.hashConcurrency) {
      if (this.waiting.length >= MAX_WAITING) {
        this.observer.busy();
        throw new HasherBusyError();
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.observer.waited((performance.now() - queuedAt) / 1000);
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
