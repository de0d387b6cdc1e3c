-- Reply and bounce tracking: per-account sync state, the Gmail labels Outreach applies, the
-- inbound messages already looked at, and each lead's timeline of events.

ALTER TABLE sender_accounts
    -- When the last sync of replies and bounces finished, and why the last one failed.
    ADD COLUMN last_synced_at timestamptz,
    ADD COLUMN sync_error text,
    -- While in the future, one app instance is syncing the account; the others skip it.
    ADD COLUMN sync_lease_until timestamptz;

-- The Gmail ids of the `Outreach/…` labels in each account (created once, then reused).
CREATE TABLE sender_labels (
    team_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    name text NOT NULL CHECK (name IN
        ('Outreach/Sent', 'Outreach/Follow-up', 'Outreach/Replied', 'Outreach/Bounced')),
    gmail_label_id text NOT NULL,
    PRIMARY KEY (sender_id, name),
    FOREIGN KEY (team_id, sender_id) REFERENCES sender_accounts (team_id, id) ON DELETE CASCADE
);

-- Inbound messages a sync already fetched and classified, so a resync or a concurrent sync
-- never spends quota on them (or counts them) twice.
CREATE TABLE inbound_messages (
    team_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    gmail_message_id text NOT NULL,
    -- What it was (reply, auto_reply, opt_out, hard_bounce, …) or NULL if unreadable.
    kind text,
    lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender_id, gmail_message_id),
    FOREIGN KEY (team_id, sender_id) REFERENCES sender_accounts (team_id, id) ON DELETE CASCADE
);

-- What happened to a lead besides the messages it was sent (those come from the outbox):
-- replies, auto-replies, bounces, delays, opt-outs, changes by hand, with the evidence.
CREATE TABLE lead_events (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('replied', 'auto_replied', 'bounced', 'delayed',
        'unsubscribed', 'marked_replied', 'suppressed', 'not_delivered')),
    occurred_at timestamptz NOT NULL,
    -- One line for people ("Reply from jane@acme.com: Re: Quick question").
    summary text NOT NULL CHECK (length(summary) <= 2000),
    -- Raw headers (and the delivery-status fields of a bounce), as received.
    evidence text,
    gmail_message_id text,
    gmail_thread_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_events_lead_idx ON lead_events (lead_id, occurred_at);
CREATE INDEX lead_events_campaign_idx ON lead_events (campaign_id, kind);

-- Matching inbound mail to what was sent: by thread, by Message-ID, by the lead's address.
CREATE INDEX outbox_thread_idx ON outbox_messages (sender_id, gmail_thread_id)
    WHERE gmail_thread_id IS NOT NULL;
CREATE INDEX outbox_message_id_idx ON outbox_messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbox_gmail_id_idx ON outbox_messages (sender_id, gmail_message_id)
    WHERE gmail_message_id IS NOT NULL;
CREATE INDEX leads_sender_email_idx ON leads (sender_id, email) WHERE sender_id IS NOT NULL;
