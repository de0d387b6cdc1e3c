-- Connecting Gmail accounts: OAuth states (single use, hashed), which reps may use which
-- account, the ledger of sends (the rolling 24-hour count), and Gmail quota units per day.

-- One row per started "Connect Gmail": the state travels through Google and back to the
-- callback, which finds the row by the state's SHA-256 and consumes it exactly once.
CREATE TABLE oauth_states (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- The admin who started it; the callback acts for them.
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state_hash bytea NOT NULL,
    -- The PKCE verifier, AES-256-GCM under OUTREACH_SECRET_KEY, bound to the row id.
    pkce_verifier_enc bytea NOT NULL,
    -- Set when an existing account is reconnected: the callback insists on that address.
    sender_id uuid REFERENCES sender_accounts (id) ON DELETE CASCADE,
    -- Started from the web UI: the callback also requires that user's browser session.
    -- Started through the API: the consent URL may be opened by anyone the caller hands it to.
    bound_to_session boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CONSTRAINT oauth_states_hash_key UNIQUE (state_hash)
);
CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);

ALTER TABLE sender_accounts
    -- While set and in the future, one app instance is refreshing the access token; the
    -- others wait for its result instead of refreshing too.
    ADD COLUMN token_refresh_lease_until timestamptz;

-- Which reps may send from which account (admins may use every account of their team).
CREATE TABLE sender_access (
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    sender_id uuid NOT NULL REFERENCES sender_accounts (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender_id, user_id)
);
CREATE INDEX sender_access_user_idx ON sender_access (team_id, user_id);

-- One row per message Gmail accepted from an account: the rolling 24-hour count that daily
-- caps are checked against, shared by every app instance. The outbox writes it in the same
-- transaction that marks a message sent.
CREATE TABLE sends (
    id bigserial PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    sender_id uuid NOT NULL REFERENCES sender_accounts (id) ON DELETE CASCADE,
    sent_at timestamptz NOT NULL
);
CREATE INDEX sends_sender_time_idx ON sends (sender_id, sent_at);

-- Gmail API quota units spent per account, UTC day and method (PRODUCT.md: "Count the units
-- spent per account and show them").
CREATE TABLE sender_quota_usage (
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    sender_id uuid NOT NULL REFERENCES sender_accounts (id) ON DELETE CASCADE,
    day date NOT NULL,
    method text NOT NULL,
    units bigint NOT NULL CHECK (units >= 0),
    calls bigint NOT NULL CHECK (calls >= 0),
    PRIMARY KEY (sender_id, day, method)
);
