-- Charts and pipeline: messages sent per campaign, account and quarter hour (kept by triggers,
-- so a chart never counts a million outbox rows), the indexes the lead table sorts by, and
-- what an undo of a change by hand needs to put back.

-- Sent messages per campaign, sender account and 15-minute slot (UTC). Quarter hours, so a
-- chart can cut days in any time zone (every zone's offset is a multiple of 15 minutes).
CREATE TABLE campaign_send_counts (
    team_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    -- The nil UUID for a message without an account (not possible for a real send).
    sender_id uuid NOT NULL,
    slot timestamptz NOT NULL,
    sent integer NOT NULL DEFAULT 0,
    -- Of which step 1, i.e. leads contacted for the first time.
    first_sent integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, slot, sender_id),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE
);

CREATE FUNCTION outreach_send_slot(at timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_bin('15 minutes', at, TIMESTAMPTZ '2000-01-01 00:00:00+00');

-- A message becoming sent adds one to its slot; one leaving `sent` (Gmail's sending-limit
-- bounce puts it back to pending) or deleted takes it away again. Decrements only update,
-- never insert, so a campaign being deleted (cascading) never re-creates its rows.
CREATE FUNCTION outreach_count_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'sent' AND OLD.sent_at IS NOT NULL THEN
        UPDATE campaign_send_counts
           SET sent = sent - 1, first_sent = first_sent - (OLD.step_number = 1)::integer
         WHERE campaign_id = OLD.campaign_id AND slot = outreach_send_slot(OLD.sent_at)
           AND sender_id = coalesce(OLD.sender_id, '00000000-0000-0000-0000-000000000000');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'sent' AND NEW.sent_at IS NOT NULL THEN
        INSERT INTO campaign_send_counts (team_id, campaign_id, sender_id, slot, sent, first_sent)
        VALUES (NEW.team_id, NEW.campaign_id,
                coalesce(NEW.sender_id, '00000000-0000-0000-0000-000000000000'),
                outreach_send_slot(NEW.sent_at), 1, (NEW.step_number = 1)::integer)
        ON CONFLICT (campaign_id, slot, sender_id) DO UPDATE
           SET sent = campaign_send_counts.sent + 1,
               first_sent = campaign_send_counts.first_sent + EXCLUDED.first_sent;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_sent_inserted AFTER INSERT ON outbox_messages
    FOR EACH ROW WHEN (NEW.status = 'sent') EXECUTE FUNCTION outreach_count_sent();
CREATE TRIGGER outbox_sent_changed AFTER UPDATE OF status, sent_at, sender_id ON outbox_messages
    FOR EACH ROW
    WHEN ((OLD.status = 'sent' OR NEW.status = 'sent')
          AND (OLD.status, OLD.sent_at, OLD.sender_id) IS DISTINCT FROM (NEW.status, NEW.sent_at, NEW.sender_id))
    EXECUTE FUNCTION outreach_count_sent();
CREATE TRIGGER outbox_sent_deleted AFTER DELETE ON outbox_messages
    FOR EACH ROW WHEN (OLD.status = 'sent') EXECUTE FUNCTION outreach_count_sent();

INSERT INTO campaign_send_counts (team_id, campaign_id, sender_id, slot, sent, first_sent)
SELECT team_id, campaign_id, coalesce(sender_id, '00000000-0000-0000-0000-000000000000'),
       outreach_send_slot(sent_at), count(*), count(*) FILTER (WHERE step_number = 1)
FROM outbox_messages WHERE status = 'sent' AND sent_at IS NOT NULL
GROUP BY 1, 2, 3, 4;

-- Replies, auto-replies and bounces per day are counted from the events themselves (a few
-- per hundred sends). Each event keeps the account its lead had when it happened, so the
-- per-account charts need no join, and this index alone answers them.
ALTER TABLE lead_events ADD COLUMN sender_id uuid;
UPDATE lead_events e SET sender_id = l.sender_id
  FROM leads l WHERE l.id = e.lead_id AND l.sender_id IS NOT NULL;
CREATE INDEX lead_events_campaign_time_idx ON lead_events (campaign_id, occurred_at)
    INCLUDE (team_id, kind, lead_id, sender_id);

-- The lead table sorts by name, company and last activity (the other sorts have indexes).
CREATE INDEX leads_campaign_first_name_idx ON leads (campaign_id, first_name, id);
CREATE INDEX leads_campaign_company_idx ON leads (campaign_id, company, id);
CREATE INDEX leads_campaign_updated_idx ON leads (campaign_id, updated_at, id);

-- What "Undo" after "Mark as replied" or "Suppress" puts back: the lead's status before, the
-- messages the change cancelled (with the status and error each had), and the suppression
-- entry it created (NULL when the address was already suppressed: then there is no undo).
CREATE TABLE lead_change_undos (
    event_id uuid PRIMARY KEY REFERENCES lead_events (id) ON DELETE CASCADE,
    team_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    previous_status text NOT NULL,
    cancelled_ids uuid[] NOT NULL DEFAULT '{}',
    cancelled_statuses text[] NOT NULL DEFAULT '{}',
    cancelled_errors text[] NOT NULL DEFAULT '{}',
    suppression_id uuid REFERENCES suppressions (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_change_undos_lead_idx ON lead_change_undos (lead_id);
