-- After a send, the worker labels the message in Gmail and reads back the Message-ID Gmail
-- delivered it with. `after_send_at` is when that work is due: set with the send, cleared
-- when a try starts, set again (later) when a try fails and tries are left. A process that
-- dies in between leaves it set, and the next pass over the account (by any instance) does it.
ALTER TABLE outbox_messages
    ADD COLUMN after_send_at timestamptz,
    ADD COLUMN after_send_tries smallint NOT NULL DEFAULT 0;
CREATE INDEX outbox_after_send_idx ON outbox_messages (sender_id, after_send_at)
    WHERE after_send_at IS NOT NULL;
