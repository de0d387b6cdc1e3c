-- Campaigns: their steps (templates), sender accounts, schedule and settings, and their
-- leads. Every table carries team_id, and every reference between them includes it, so a row
-- can never point into another team.

ALTER TABLE teams
    -- What an import does with an address that is already in another running or paused
    -- campaign of the team: 'skip' it (the default) or 'allow' it (and warn).
    ADD COLUMN leads_in_other_campaigns text NOT NULL DEFAULT 'skip'
        CHECK (leads_in_other_campaigns IN ('skip', 'allow'));

ALTER TABLE sender_accounts ADD CONSTRAINT sender_accounts_team_id_key UNIQUE (team_id, id);

CREATE TABLE campaigns (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'running', 'paused', 'completed', 'cancelled')),
    -- Why the campaign paused or stopped by itself, for people.
    status_reason text,
    -- The sending window: [start_hour, end_hour) on send_days in time_zone (IANA name).
    time_zone text NOT NULL DEFAULT 'UTC',
    send_days text[] NOT NULL DEFAULT '{mon,tue,wed,thu,fri}'
        CHECK (send_days <@ '{mon,tue,wed,thu,fri,sat,sun}' AND cardinality(send_days) > 0),
    start_hour integer NOT NULL DEFAULT 9 CHECK (start_hour BETWEEN 0 AND 23),
    end_hour integer NOT NULL DEFAULT 17 CHECK (end_hour BETWEEN 1 AND 24),
    min_gap_seconds integer NOT NULL DEFAULT 60 CHECK (min_gap_seconds >= 0),
    max_gap_seconds integer NOT NULL DEFAULT 300,
    stop_on_auto_reply boolean NOT NULL DEFAULT false,
    -- Hard-bounce rate (0–1) above which the campaign pauses itself (after 20 sends).
    bounce_pause_threshold double precision NOT NULL DEFAULT 0.05
        CHECK (bounce_pause_threshold > 0 AND bounce_pause_threshold <= 1),
    -- Custom merge fields the imported leads carry (besides email, first_name, company).
    lead_fields text[] NOT NULL DEFAULT '{}',
    -- Kept up to date by imports and removals, so lists need not count a million leads.
    lead_count integer NOT NULL DEFAULT 0 CHECK (lead_count >= 0),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    CONSTRAINT campaigns_team_id_key UNIQUE (team_id, id),
    CONSTRAINT campaigns_window_check CHECK (end_hour > start_hour),
    CONSTRAINT campaigns_gap_check CHECK (max_gap_seconds >= min_gap_seconds)
);
CREATE INDEX campaigns_team_idx ON campaigns (team_id, created_at DESC);

CREATE TABLE campaign_steps (
    campaign_id uuid NOT NULL,
    team_id uuid NOT NULL,
    -- 1 is the first email; later steps are follow-ups in the same thread.
    step_number integer NOT NULL CHECK (step_number BETWEEN 1 AND 20),
    subject text NOT NULL CHECK (length(subject) <= 1000),
    body text NOT NULL CHECK (length(body) <= 100000),
    html_body text CHECK (length(html_body) <= 200000),
    -- Sending days after the previous step was sent (0: as soon as pacing allows).
    delay_days integer NOT NULL DEFAULT 0 CHECK (delay_days BETWEEN 0 AND 365),
    PRIMARY KEY (campaign_id, step_number),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE
);

CREATE TABLE campaign_senders (
    campaign_id uuid NOT NULL,
    team_id uuid NOT NULL,
    sender_account_id uuid NOT NULL,
    -- The order accounts take turns in.
    position integer NOT NULL,
    PRIMARY KEY (campaign_id, sender_account_id),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE,
    FOREIGN KEY (team_id, sender_account_id) REFERENCES sender_accounts (team_id, id) ON DELETE CASCADE
);
CREATE INDEX campaign_senders_sender_idx ON campaign_senders (sender_account_id);

CREATE TABLE leads (
    -- UUIDv7: time-ordered, so the list keeps import order and the index stays compact.
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    -- Normalized (lower-cased); "C" collation for fast byte-wise equality and prefix search.
    email text COLLATE "C" NOT NULL CHECK (email = lower(email)),
    first_name text NOT NULL DEFAULT '',
    company text NOT NULL DEFAULT '',
    -- Custom merge fields: {"title": "CTO", …}.
    fields jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_sequence', 'replied',
        'auto_replied', 'bounced', 'unsubscribed', 'suppressed', 'completed', 'failed')),
    -- The CSV line the lead came from (reports and support).
    source_line integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT leads_campaign_email_key UNIQUE (campaign_id, email),
    FOREIGN KEY (team_id, campaign_id) REFERENCES campaigns (team_id, id) ON DELETE CASCADE
);
CREATE INDEX leads_campaign_status_idx ON leads (campaign_id, status, id);
CREATE INDEX leads_campaign_id_idx ON leads (campaign_id, id);
CREATE INDEX leads_team_email_idx ON leads (team_id, email);
