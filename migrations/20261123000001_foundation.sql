-- Teams (the tenant), their users, API tokens, sign-in bookkeeping and web sessions.
-- Every table that holds team data carries team_id; every query filters by it.

CREATE TABLE teams (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- Printed in every email footer (CAN-SPAM asks for a physical postal address).
    postal_address text NOT NULL DEFAULT '' CHECK (length(postal_address) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- Stored lower-cased; one sign-in identity across the whole installation.
    email text NOT NULL CHECK (email = lower(email)),
    name text NOT NULL CHECK (length(name) <= 200),
    role text NOT NULL CHECK (role IN ('admin', 'rep')),
    password_hash text NOT NULL,
    -- Bumped when the password changes: sessions carry the epoch they were created in,
    -- so a reset signs the user out everywhere.
    session_epoch integer NOT NULL DEFAULT 0,
    time_zone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_team_idx ON users (team_id);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash bytea NOT NULL,
    -- The first characters of the token, so a person can tell tokens apart.
    token_prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (team_id, user_id);

-- Failed and successful sign-ins, for the per-account and per-IP rate limit.
CREATE TABLE login_attempts (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    ip text NOT NULL,
    succeeded boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at);

-- Web sessions (tower-sessions records). The cookie carries the session id; only its
-- SHA-256 is stored, so a copy of this table cannot be used to take over sessions.
CREATE TABLE web_sessions (
    id_hash bytea PRIMARY KEY,
    data jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry_idx ON web_sessions (expires_at);
