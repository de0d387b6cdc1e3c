-- Gmail may replace the Message-ID of a message sent through the API. The id the recipient
-- got is read back after the send and kept here when it differs from ours: follow-ups answer
-- it (In-Reply-To, References), and replies and bounces that cite it are matched by it.
ALTER TABLE outbox_messages ADD COLUMN delivered_message_id text;
CREATE INDEX outbox_delivered_message_id_idx ON outbox_messages (delivered_message_id)
    WHERE delivered_message_id IS NOT NULL;
