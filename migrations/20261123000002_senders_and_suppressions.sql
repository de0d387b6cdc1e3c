-- Sender accounts (connected Gmail addresses) and the team-wide suppression list: the two
-- tables campaigns, the outbox and tracking all refer to.

CREATE TABLE sender_accounts (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- Lower-cased Gmail address, as Google reports it at connection.
    email text NOT NULL CHECK (email = lower(email)),
    -- The From name of outgoing mail.
    display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    kind text NOT NULL CHECK (kind IN ('gmail', 'workspace', 'workspace_trial')),
    -- Messages per rolling 24 hours; NULL means 90% of the kind's Gmail limit.
    daily_cap integer CHECK (daily_cap > 0),
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused_until', 'needs_reauth', 'disconnected')),
    paused_until timestamptz,
    -- Why the account is not active, for people (e.g. Google's "Retry after" message).
    status_reason text,
    -- The scopes Google granted (the user may grant only some).
    granted_scopes text[] NOT NULL DEFAULT '{}',
    -- AES-256-GCM under OUTREACH_SECRET_KEY, bound to the row id.
    access_token_enc bytea,
    access_token_expires_at timestamptz,
    refresh_token_enc bytea,
    -- Gmail history id up to which replies and bounces were processed.
    history_id text,
    connected_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sender_accounts_team_email_key UNIQUE (team_id, email),
    CONSTRAINT sender_accounts_paused_has_time CHECK (status <> 'paused_until' OR paused_until IS NOT NULL)
);
CREATE INDEX sender_accounts_team_idx ON sender_accounts (team_id);

CREATE TABLE suppressions (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- Exactly one of email (lower-cased address) and domain (lower-cased) is set.
    email text CHECK (email = lower(email)),
    domain text CHECK (domain = lower(domain)),
    reason text NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'manual', 'imported')),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suppressions_one_target CHECK ((email IS NULL) <> (domain IS NULL)),
    CONSTRAINT suppressions_team_email_key UNIQUE (team_id, email),
    CONSTRAINT suppressions_team_domain_key UNIQUE (team_id, domain)
);
