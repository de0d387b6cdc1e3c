-- A running campaign completes by itself once nothing is left to send (see
-- `campaigns::completion`): no message is still to go out or on its way, and no lead waits
-- for its first step. `completed_at` says when; the dashboard keeps showing a campaign for a
-- while after it.
ALTER TABLE campaigns ADD COLUMN completed_at timestamptz;

-- Whether the campaign still has something to send. One definition for the sweep that finds
-- finished campaigns and for its re-check under the campaign's lock; both probes are index
-- lookups (`outbox_campaign_idx`, `leads_campaign_status_idx`), whatever the campaign's size.
CREATE FUNCTION campaign_has_work(campaign uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM outbox_messages
                   WHERE campaign_id = campaign
                     AND status IN ('scheduled', 'pending', 'sending', 'ambiguous'))
        OR EXISTS (SELECT 1 FROM leads WHERE campaign_id = campaign AND status = 'pending')
$$;
