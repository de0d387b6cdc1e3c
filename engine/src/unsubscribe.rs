//! Unsubscribe tokens: the last part of the one-click URL every message carries. A token names
//! one lead and is signed together with that lead's address under the app's secret key, so it
//! cannot be guessed, forged, or reused to unsubscribe another address.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use url::Url;
use uuid::Uuid;

use crate::crypto::{Purpose, SecretKey};
use crate::error::Result;
use crate::model::LeadEventKind;
use crate::tracking::effects;
use crate::tracking::timeline::NewEvent;

/// Whom a genuine link is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub team_id: Uuid,
    pub lead_id: Uuid,
    pub email: String,
    /// The address is already on the team's suppression list.
    pub suppressed: bool,
}

/// The recipient a token names, if it is genuine and the lead still exists. The token is the
/// authority here (the request comes from a mail client, without a session): it names the
/// lead, whose team then scopes everything else.
pub async fn recipient(pool: &PgPool, key: &SecretKey, token: &str) -> Result<Option<Recipient>> {
    let Some(lead_id) = lead_id(token) else { return Ok(None) };
    let lead = sqlx::query!(
        r#"SELECT l.team_id, l.email,
                  EXISTS (SELECT 1 FROM suppressions s WHERE s.team_id = l.team_id
                          AND (s.email = l.email OR s.domain = split_part(l.email, '@', 2))) AS "suppressed!"
           FROM leads l WHERE l.id = $1"#,
        lead_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(lead.filter(|lead| verify(key, token, lead_id, &lead.email)).map(|lead| Recipient {
        team_id: lead.team_id,
        lead_id,
        email: lead.email,
        suppressed: lead.suppressed,
    }))
}

/// One-click unsubscribe (RFC 8058): the address is suppressed team-wide and every lead of
/// the team with it stops, its unsent messages cancelled. Idempotent; `None` for a token that
/// is not genuine.
pub async fn confirm(
    pool: &PgPool,
    key: &SecretKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Recipient>> {
    let Some(recipient) = recipient(pool, key, token).await? else { return Ok(None) };
    let mut tx = pool.begin().await?;
    let event = NewEvent::new(
        LeadEventKind::Unsubscribed,
        now,
        "Unsubscribed with the link in the email".into(),
    );
    effects::opt_out(&mut tx, recipient.team_id, &recipient.email, &event).await?;
    tx.commit().await?;
    Ok(Some(Recipient { suppressed: true, ..recipient }))
}

/// `<lead id in hex>.<HMAC-SHA256 of id and address, base64url>`.
pub fn token(key: &SecretKey, lead_id: Uuid, email: &str) -> String {
    format!(
        "{}.{}",
        lead_id.simple(),
        key.sign(Purpose::Unsubscribe, &signed_bytes(lead_id, email))
    )
}

/// The lead a token claims to be for; check it with [`verify`] against that lead's address.
pub fn lead_id(token: &str) -> Option<Uuid> {
    let (id, _) = token.split_once('.')?;
    Uuid::try_parse(id).ok()
}

/// Whether `token` was made by [`token`] for this lead and address.
pub fn verify(key: &SecretKey, token: &str, lead_id: Uuid, email: &str) -> bool {
    let Some((id, signature)) = token.split_once('.') else { return false };
    Uuid::try_parse(id).ok() == Some(lead_id)
        && key.verify(Purpose::Unsubscribe, &signed_bytes(lead_id, email), signature)
}

/// The one-click URL (`<base>/u/<token>`): GET shows a confirmation page, POST unsubscribes.
pub fn url(base_url: &Url, token: &str) -> String {
    let base = base_url.as_str().trim_end_matches('/');
    format!("{base}/u/{token}")
}

/// The mailto fallback of `List-Unsubscribe`: a message to the sender.
pub fn mailto(sender: &str) -> String {
    format!("mailto:{sender}?subject=unsubscribe")
}

fn signed_bytes(lead_id: Uuid, email: &str) -> Vec<u8> {
    let mut bytes = lead_id.as_bytes().to_vec();
    bytes.extend_from_slice(email.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_lead_and_address() {
        let key = SecretKey::generate();
        let lead = Uuid::new_v4();
        let token = token(&key, lead, "jane@acme.com");
        assert_eq!(lead_id(&token), Some(lead));
        assert!(verify(&key, &token, lead, "jane@acme.com"));
        assert!(!verify(&key, &token, lead, "john@acme.com"));
        assert!(!verify(&key, &token, Uuid::new_v4(), "jane@acme.com"));
        assert!(!verify(&SecretKey::generate(), &token, lead, "jane@acme.com"));
        let other_lead = Uuid::new_v4();
        let (_, signature) = token.split_once('.').unwrap();
        let forged = format!("{}.{signature}", other_lead.simple());
        assert!(!verify(&key, &forged, other_lead, "jane@acme.com"));
        assert!(!verify(&key, "garbage", lead, "jane@acme.com"));
    }

    #[test]
    fn urls_join_the_base_without_double_slashes() {
        let base = Url::parse("https://out.example/").unwrap();
        assert_eq!(url(&base, "abc.def"), "https://out.example/u/abc.def");
        assert_eq!(mailto("me@seller.example"), "mailto:me@seller.example?subject=unsubscribe");
    }
}
