-- Running counts per campaign — leads by status, outbox messages by step and status — so the
-- dashboard and the campaign page read a few rows instead of counting 100k leads and a
-- million messages on every view.
--
-- Statement-level triggers keep them: every statement that adds, moves or removes leads or
-- messages (imports, plans, claims, sends, classifications, cancels, removals) appends one
-- row per changed (campaign, step, status) with the difference, so no code path can forget
-- them and a 100k-row import costs one aggregate, not 100k trigger calls. Rows are only ever
-- appended, never updated, so concurrent senders never wait on each other's counts; the app
-- folds the appended rows into one per key from time to time (`campaigns::counts::fold`).

CREATE TABLE campaign_counts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id uuid NOT NULL,
    -- 'lead' (step 0) or 'message' (its step number).
    kind text NOT NULL CHECK (kind IN ('lead', 'message')),
    step integer NOT NULL,
    status text NOT NULL,
    n bigint NOT NULL
);
CREATE INDEX campaign_counts_campaign_idx ON campaign_counts (campaign_id);

CREATE FUNCTION count_lead_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'lead', 0, status, count(*) FROM new_rows GROUP BY campaign_id, status;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'lead', 0, status, sum(n) FROM (
            SELECT campaign_id, status, -1 AS n FROM old_rows
            UNION ALL
            SELECT campaign_id, status, 1 FROM new_rows
        ) AS moved
        GROUP BY campaign_id, status HAVING sum(n) <> 0;
    ELSE
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'lead', 0, status, -count(*) FROM old_rows GROUP BY campaign_id, status;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION count_message_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'message', step_number, status, count(*) FROM new_rows
        GROUP BY campaign_id, step_number, status;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'message', step_number, status, sum(n) FROM (
            SELECT campaign_id, step_number, status, -1 AS n FROM old_rows
            UNION ALL
            SELECT campaign_id, step_number, status, 1 FROM new_rows
        ) AS moved
        GROUP BY campaign_id, step_number, status HAVING sum(n) <> 0;
    ELSE
        INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
        SELECT campaign_id, 'message', step_number, status, -count(*) FROM old_rows
        GROUP BY campaign_id, step_number, status;
    END IF;
    RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger. The triggers exist before the counts are
-- taken below, and hold their table's lock until this migration commits, so no change made
-- meanwhile is missed or counted twice.
CREATE TRIGGER leads_counted_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_lead_changes();
CREATE TRIGGER leads_counted_update AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_lead_changes();
CREATE TRIGGER leads_counted_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_lead_changes();
-- The lead import skips foreign-key checks by running its insert as a replica
-- (session_replication_role); counting must happen all the same.
ALTER TABLE leads ENABLE ALWAYS TRIGGER leads_counted_insert;
CREATE TRIGGER outbox_counted_insert AFTER INSERT ON outbox_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_message_changes();
CREATE TRIGGER outbox_counted_update AFTER UPDATE ON outbox_messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_message_changes();
CREATE TRIGGER outbox_counted_delete AFTER DELETE ON outbox_messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_message_changes();

INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
SELECT campaign_id, 'lead', 0, status, count(*) FROM leads GROUP BY campaign_id, status;
INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
SELECT campaign_id, 'message', step_number, status, count(*) FROM outbox_messages
GROUP BY campaign_id, step_number, status;

-- The next due message of a campaign (the dashboard's "next send") without walking its
-- open messages.
CREATE INDEX outbox_campaign_due_idx ON outbox_messages (campaign_id, send_at)
    WHERE status IN ('scheduled', 'pending');
-- Messages a campaign sent in the last 24 hours ("312 of 450 today"), counted from the index
-- alone: a range bounded by one day's sends, not the campaign's history.
CREATE INDEX outbox_campaign_sent_idx ON outbox_messages (campaign_id, sent_at)
    WHERE status = 'sent';
