import { Migration } from '../migrator';

/**
 * The offline-push queue, shared by the instances: one row per recipient of a message that found
 * them offline, deleted once the webhook answered 2xx (or the entry was dropped). `due_at` is when
 * the row may next be claimed: an attempt's claim moves it past the attempt's lease, a failure to
 * the next retry; `attempts` fences a late answer against a newer claim. Small by design
 * (PUSH_QUEUE_MAX rows), read by `due_at`, and by `message_id` when a message is edited or recalled.
 */
export const PushQueue1764300300000: Migration = {
  name: 'PushQueue1764300300000',

  async up(tx) {
    await tx.query(`CREATE TABLE push_queue (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      recipient varchar NOT NULL,
      sender varchar NOT NULL,
      group_name varchar,
      message_id bigint NOT NULL,
      preview text NOT NULL,
      enqueued_at timestamptz NOT NULL DEFAULT now(),
      due_at timestamptz NOT NULL DEFAULT now(),
      attempts int NOT NULL DEFAULT 0
    )`);
    await tx.query('CREATE INDEX push_queue_due ON push_queue (due_at)');
    await tx.query('CREATE INDEX push_queue_message ON push_queue (message_id)');
  },
};
