//! Who is calling: passwords (argon2), sign-in with its rate limit, and API tokens.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use crate::crypto::{random_token, sha256};
use crate::error::{Error, Result};
use crate::model::{ApiTokenInfo, Role, User};

/// Failed sign-ins allowed per account, and per client address, within [`THROTTLE_WINDOW`].
pub const ACCOUNT_FAILURE_LIMIT: i64 = 5;
pub const IP_FAILURE_LIMIT: i64 = 20;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

const TOKEN_PREFIX: &str = "otr_";

/// A password that meets the policy. Never printed.
#[derive(Clone)]
pub struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub fn parse(text: &str) -> Result<Self> {
        let length = text.chars().count();
        if length < 10 {
            return Err(Error::invalid("password", "the password needs at least 10 characters"));
        }
        if length > 256 {
            return Err(Error::invalid("password", "the password is longer than 256 characters"));
        }
        Ok(Self(SecretString::from(text.to_string())))
    }
}

/// Hashes with argon2id on a blocking thread (it takes tens of milliseconds on purpose).
pub async fn hash_password(password: Password) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.0.expose_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(Error::internal)?
}

async fn verify_password(hash: String, candidate: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the account does not exist so that
/// response times do not reveal which addresses have accounts.
static DECOY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(random_token("").as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks email and password, enforcing the per-account and per-address limits first.
/// Every attempt is recorded; the error never says whether the account exists.
pub async fn sign_in(pool: &PgPool, email: &str, password: &str, client_ip: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    check_throttle(pool, &email, client_ip).await?;
    let row = sqlx::query!(
        r#"SELECT id, team_id, email, name, role AS "role: Role", time_zone, created_at, password_hash
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(pool)
    .await?;
    let hash = row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| DECOY_HASH.clone());
    let password_ok = verify_password(hash, password.to_string()).await;
    let user = row.filter(|_| password_ok).map(|r| User {
        id: r.id,
        team_id: r.team_id,
        email: r.email,
        name: r.name,
        role: r.role,
        time_zone: r.time_zone,
        created_at: r.created_at,
    });
    sqlx::query!(
        "INSERT INTO login_attempts (email, ip, succeeded) VALUES ($1, $2, $3)",
        email,
        client_ip,
        user.is_some()
    )
    .execute(pool)
    .await?;
    user.ok_or_else(|| Error::invalid("password", "wrong email or password"))
}

async fn check_throttle(pool: &PgPool, email: &str, client_ip: &str) -> Result<()> {
    let window = THROTTLE_WINDOW.as_secs_f64();
    let counts = sqlx::query!(
        r#"SELECT
             count(*) FILTER (WHERE email = $1) AS "by_account!",
             count(*) FILTER (WHERE ip = $2) AS "by_ip!",
             min(attempted_at) FILTER (WHERE email = $1) AS first_by_account,
             min(attempted_at) FILTER (WHERE ip = $2) AS first_by_ip
           FROM login_attempts
           WHERE NOT succeeded AND (email = $1 OR ip = $2)
             AND attempted_at > now() - make_interval(secs => $3)"#,
        email,
        client_ip,
        window
    )
    .fetch_one(pool)
    .await?;
    let wait_from = |first: Option<chrono::DateTime<chrono::Utc>>| {
        let until = first.unwrap_or_else(chrono::Utc::now)
            + chrono::Duration::from_std(THROTTLE_WINDOW).unwrap_or_default();
        (until - chrono::Utc::now()).to_std().unwrap_or(Duration::from_secs(1))
    };
    if counts.by_account >= ACCOUNT_FAILURE_LIMIT {
        let retry_after = wait_from(counts.first_by_account);
        return Err(Error::RateLimited {
            message: format!(
                "Too many failed sign-ins for this account. Try again in {}, or ask an admin to reset the password.",
                minutes(retry_after)
            ),
            retry_after,
        });
    }
    if counts.by_ip >= IP_FAILURE_LIMIT {
        let retry_after = wait_from(counts.first_by_ip);
        return Err(Error::RateLimited {
            message: format!(
                "Too many failed sign-ins from your network. Try again in {}.",
                minutes(retry_after)
            ),
            retry_after,
        });
    }
    Ok(())
}

fn minutes(duration: Duration) -> String {
    let minutes = duration.as_secs().div_ceil(60).max(1);
    if minutes == 1 { "1 minute".into() } else { format!("{minutes} minutes") }
}

/// Creates an API token for a user. Returns its listing and the token itself, which is
/// shown once and stored only as a hash.
pub async fn create_api_token(
    pool: &PgPool,
    team_id: Uuid,
    user_id: Uuid,
    name: &str,
) -> Result<(ApiTokenInfo, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "give the token a name of 1 to 200 characters"));
    }
    let token = random_token(TOKEN_PREFIX);
    let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let info = sqlx::query_as!(
        ApiTokenInfo,
        "INSERT INTO api_tokens (id, team_id, user_id, name, token_hash, token_prefix)
         SELECT $1, team_id, id, $3, $4, $5 FROM users WHERE team_id = $2 AND id = $6
         RETURNING id, name, token_prefix, created_at, last_used_at",
        Uuid::new_v4(),
        team_id,
        name,
        &sha256(token.as_bytes())[..],
        prefix,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("user"))?;
    Ok((info, token))
}

/// The user a bearer token belongs to, or `None` for an unknown token.
pub async fn user_for_api_token(pool: &PgPool, token: &str) -> Result<Option<User>> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = sha256(token.trim().as_bytes());
    // last_used_at is refreshed at most once a minute so busy scripts do not write on every call.
    Ok(sqlx::query_as!(
        User,
        r#"WITH used AS (
             UPDATE api_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
           )
           SELECT u.id, u.team_id, u.email, u.name, u.role AS "role: Role", u.time_zone, u.created_at
           FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.team_id = t.team_id
           WHERE t.token_hash = $1"#,
        &hash[..]
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn list_api_tokens(
    pool: &PgPool,
    team_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<ApiTokenInfo>> {
    Ok(sqlx::query_as!(
        ApiTokenInfo,
        "SELECT id, name, token_prefix, created_at, last_used_at FROM api_tokens
         WHERE team_id = $1 AND user_id = $2 ORDER BY created_at DESC",
        team_id,
        user_id
    )
    .fetch_all(pool)
    .await?)
}

pub async fn revoke_api_token(
    pool: &PgPool,
    team_id: Uuid,
    user_id: Uuid,
    token_id: Uuid,
) -> Result<()> {
    let deleted = sqlx::query!(
        "DELETE FROM api_tokens WHERE team_id = $1 AND user_id = $2 AND id = $3",
        team_id,
        user_id,
        token_id
    )
    .execute(pool)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound("API token"));
    }
    Ok(())
}

/// Looks a user up by sign-in address (for the CLI's `token create --email`).
pub async fn user_by_email(pool: &PgPool, email: &str) -> Result<User> {
    sqlx::query_as!(
        User,
        r#"SELECT id, team_id, email, name, role AS "role: Role", time_zone, created_at FROM users WHERE email = $1"#,
        email.trim().to_lowercase()
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_names_the_problem() {
        assert!(Password::parse("short").unwrap_err().to_string().contains("at least 10"));
        assert!(Password::parse(&"x".repeat(300)).is_err());
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery").unwrap()),
            "Password(…)"
        );
    }

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hash = hash_password(Password::parse("correct horse battery").unwrap()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(hash.clone(), "correct horse battery".into()).await);
        assert!(!verify_password(hash, "correct horse batterx".into()).await);
        assert!(!verify_password("not a hash".into(), "x".into()).await);
    }

    #[test]
    fn wait_times_read_naturally() {
        assert_eq!(minutes(Duration::from_secs(1)), "1 minute");
        assert_eq!(minutes(Duration::from_secs(61)), "2 minutes");
    }
}
