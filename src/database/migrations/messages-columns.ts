/**
 * The columns of `messages` but its id, and the check that a message has exactly one target, as
 * CreateMessages1764180100000 created them and MessagesPartitioned1764200200000 created them again
 * on the partitioned table. Both migrations are history and run on every new database, so this
 * text is frozen with them: a new column is a new migration, never an edit here.
 */
export const MESSAGE_COLUMNS_SINCE_1764180100000 = `
        sender varchar(30) NOT NULL,
        recipient varchar(30),
        group_id integer,
        seq bigint,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        client_message_id varchar(64),
        sender_sequence_id bigint NOT NULL DEFAULT 0,
        acked boolean NOT NULL DEFAULT false,
        CONSTRAINT messages_one_target CHECK ((recipient IS NULL) <> (group_id IS NULL))`;
