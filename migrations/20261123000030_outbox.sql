-- The outbox: one row per planned email (lead × step), with the state machine of PRODUCT.md,
-- and the per-account leases that let any number of app instances share the sending work.

-- A lead keeps the account that sent its first step for all later steps.
ALTER TABLE leads ADD COLUMN sender_id uuid;
ALTER TABLE leads ADD CONSTRAINT leads_sender_fkey
    FOREIGN KEY (team_id, sender_id) REFERENCES sender_accounts (team_id, id) ON DELETE SET NULL (sender_id);

CREATE TABLE outbox_messages (
    -- Also the X-Outreach-Id header of the email.
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    step_number integer NOT NULL CHECK (step_number BETWEEN 1 AND 20),
    -- Set when an account first claims it (step 1) or at planning (follow-ups).
    sender_id uuid,
    status text NOT NULL DEFAULT 'scheduled' CHECK (status IN
        ('scheduled', 'pending', 'sending', 'ambiguous', 'sent', 'failed', 'cancelled')),
    -- Scheduled/pending: not before this time. Ambiguous: when to look for it in the mailbox.
    send_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    -- Our Message-ID, assigned in the transaction that first marks the message sending.
    message_id text,
    -- The exact bytes of the first attempt; every retry sends these again.
    raw bytea,
    subject text,
    attempt_started_at timestamptz,
    gmail_message_id text,
    gmail_thread_id text,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT outbox_lead_step_key UNIQUE (lead_id, step_number),
    CONSTRAINT outbox_sent_has_ids CHECK (status <> 'sent' OR (gmail_message_id IS NOT NULL AND sent_at IS NOT NULL)),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE,
    FOREIGN KEY (team_id, sender_id) REFERENCES sender_accounts (team_id, id) ON DELETE SET NULL (sender_id)
);
-- Work an account can claim: messages already its own (follow-ups, retries), then first steps
-- of its campaigns no account has taken yet, in import order.
CREATE INDEX outbox_assigned_due_idx ON outbox_messages (sender_id, send_at)
    WHERE status IN ('scheduled', 'pending') AND sender_id IS NOT NULL;
CREATE INDEX outbox_unassigned_due_idx ON outbox_messages (send_at, lead_id)
    WHERE status IN ('scheduled', 'pending') AND sender_id IS NULL;
CREATE INDEX outbox_sender_open_idx ON outbox_messages (sender_id, status)
    WHERE status IN ('scheduled', 'pending', 'sending', 'ambiguous');
CREATE INDEX outbox_campaign_idx ON outbox_messages (campaign_id, status, id);
CREATE INDEX outbox_team_idx ON outbox_messages (team_id, id);
CREATE INDEX outbox_sent_idx ON outbox_messages (sender_id, sent_at) WHERE status = 'sent';

-- The send a message's attempt reserved in the cap ledger, so a definite failure frees it.
ALTER TABLE sends ADD COLUMN outbox_message_id uuid;
CREATE INDEX sends_outbox_idx ON sends (outbox_message_id) WHERE outbox_message_id IS NOT NULL;

-- Which instance drives an account, until when, and when the account may send next (pacing is
-- shared, so a lease moving to another instance keeps the rhythm).
CREATE TABLE sender_leases (
    sender_id uuid PRIMARY KEY REFERENCES sender_accounts (id) ON DELETE CASCADE,
    owner uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    next_send_at timestamptz
);
