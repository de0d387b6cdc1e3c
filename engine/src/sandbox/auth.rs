//! The simulator's OAuth bookkeeping: authorization codes (single use, 10 minutes, bound to
//! client, redirect URI and PKCE challenge), refresh tokens and access tokens, with Google's
//! revocation rules. HTTP lives in `oauth_routes`; this is the pure state machine.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PkceMethod {
    S256,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PkceChallenge {
    pub value: String,
    pub method: PkceMethod,
}

impl PkceChallenge {
    fn verifies(&self, verifier: &str) -> bool {
        match self.method {
            PkceMethod::Plain => verifier == self.value,
            PkceMethod::S256 => {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == self.value
            }
        }
    }
}

/// What the consent page approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub client_id: String,
    pub redirect_uri: String,
    pub mailbox: String,
    pub scopes: Vec<String>,
    pub challenge: Option<PkceChallenge>,
    pub offline: bool,
    pub force_consent: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    mailbox: String,
    scopes: Vec<String>,
    challenge: Option<PkceChallenge>,
    offline: bool,
    force_consent: bool,
    expires_at: DateTime<Utc>,
    used: bool,
    /// Tokens issued from this code, revoked if the code is replayed.
    issued: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessGrant {
    pub mailbox: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    refresh_token: Option<String>,
}

/// Who a refresh token speaks for, for which client, with which scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub mailbox: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// The parameters of an `authorization_code` token request.
#[derive(Debug, Clone, Copy)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub verifier: Option<&'a str>,
}

/// The token endpoint's success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Token endpoint failures, rendered as Google's `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Bad, reused or expired code, or PKCE mismatch.
    BadCode,
    MissingVerifier,
    /// Expired or revoked refresh token.
    DeadRefreshToken,
    RedirectMismatch,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuthStore {
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, Grant>,
}

impl AuthStore {
    pub fn issue_code(&mut self, consent: Consent, now: DateTime<Utc>, rng: &mut StdRng) -> String {
        let code = format!("4/sandbox-{}", random_hex(rng, 24));
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: consent.client_id,
                redirect_uri: consent.redirect_uri,
                mailbox: consent.mailbox,
                scopes: consent.scopes,
                challenge: consent.challenge,
                offline: consent.offline,
                force_consent: consent.force_consent,
                expires_at: now + CODE_LIFETIME,
                used: false,
                issued: Vec::new(),
            },
        );
        code
    }

    /// The `authorization_code` grant. A replayed code also revokes what it issued.
    pub fn redeem_code(
        &mut self,
        exchange: &CodeExchange<'_>,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
        rng: &mut StdRng,
    ) -> Result<TokenResponse, TokenError> {
        let CodeExchange { code, client_id, redirect_uri, verifier } = *exchange;
        let entry = self.codes.get_mut(code).ok_or(TokenError::BadCode)?;
        if entry.used {
            let issued = std::mem::take(&mut entry.issued);
            for token in issued {
                self.revoke(&token);
            }
            return Err(TokenError::BadCode);
        }
        if entry.client_id != client_id || entry.expires_at <= now {
            return Err(TokenError::BadCode);
        }
        if redirect_uri != Some(entry.redirect_uri.as_str()) {
            return Err(TokenError::RedirectMismatch);
        }
        if let Some(challenge) = &entry.challenge {
            let verifier = verifier.ok_or(TokenError::MissingVerifier)?;
            if !challenge.verifies(verifier) {
                return Err(TokenError::BadCode);
            }
        }
        entry.used = true;
        let code_grant = entry.clone();
        let grant = Grant {
            mailbox: code_grant.mailbox,
            client_id: code_grant.client_id,
            scopes: code_grant.scopes,
        };

        // Google hands out a refresh token on the first offline consent, and again only when
        // consent is forced.
        let has_live_grant = self
            .refresh
            .values()
            .any(|r| r.mailbox == grant.mailbox && r.client_id == grant.client_id);
        let refresh_token = (code_grant.offline && (code_grant.force_consent || !has_live_grant))
            .then(|| {
                let token = format!("1//sandbox-{}", random_hex(rng, 32));
                self.refresh.insert(token.clone(), grant.clone());
                token
            });
        let response = self.issue_access(&grant, refresh_token.clone(), now, lifetime, rng);
        if let Some(entry) = self.codes.get_mut(code) {
            entry.issued.push(response.access_token.clone());
            entry.issued.extend(refresh_token.clone());
        }
        Ok(TokenResponse { refresh_token, ..response })
    }

    /// The `refresh_token` grant.
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
        rng: &mut StdRng,
    ) -> Result<TokenResponse, TokenError> {
        let grant = self
            .refresh
            .get(refresh_token)
            .filter(|g| g.client_id == client_id)
            .cloned()
            .ok_or(TokenError::DeadRefreshToken)?;
        Ok(self.issue_access(&grant, Some(refresh_token.to_owned()), now, lifetime, rng))
    }

    /// Tokens without going through consent (the control API's shortcut for tests).
    pub fn grant_directly(
        &mut self,
        grant: Grant,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
        rng: &mut StdRng,
    ) -> TokenResponse {
        let token = format!("1//sandbox-{}", random_hex(rng, 32));
        self.refresh.insert(token.clone(), grant.clone());
        let response = self.issue_access(&grant, Some(token.clone()), now, lifetime, rng);
        TokenResponse { refresh_token: Some(token), ..response }
    }

    fn issue_access(
        &mut self,
        grant: &Grant,
        refresh_token: Option<String>,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
        rng: &mut StdRng,
    ) -> TokenResponse {
        let token = format!("ya29.sandbox-{}", random_hex(rng, 32));
        self.access.insert(
            token.clone(),
            AccessGrant {
                mailbox: grant.mailbox.clone(),
                client_id: grant.client_id.clone(),
                scopes: grant.scopes.clone(),
                expires_at: now + lifetime,
                refresh_token,
            },
        );
        TokenResponse {
            access_token: token,
            expires_in: lifetime.num_seconds(),
            token_type: "Bearer".to_owned(),
            scope: grant.scopes.join(" "),
            refresh_token: None,
        }
    }

    /// A live access token's grant.
    pub fn authenticate(&self, access_token: &str, now: DateTime<Utc>) -> Option<&AccessGrant> {
        self.access.get(access_token).filter(|g| g.expires_at > now)
    }

    /// Revokes a refresh token with its access tokens, or an access token with the refresh
    /// token it came from (Google revokes the whole grant either way). False if unknown.
    pub fn revoke(&mut self, token: &str) -> bool {
        let refresh_token = if self.refresh.contains_key(token) {
            Some(token.to_owned())
        } else if let Some(access) = self.access.remove(token) {
            access.refresh_token
        } else {
            return false;
        };
        if let Some(refresh_token) = refresh_token {
            self.refresh.remove(&refresh_token);
            self.access.retain(|_, a| a.refresh_token.as_deref() != Some(refresh_token.as_str()));
        }
        true
    }

    /// Revokes every token of a mailbox (the user removed the app's access); returns how many
    /// refresh tokens died.
    pub fn revoke_mailbox(&mut self, mailbox: &str) -> usize {
        let before = self.refresh.len();
        self.refresh.retain(|_, r| r.mailbox != mailbox);
        self.access.retain(|_, a| a.mailbox != mailbox);
        before - self.refresh.len()
    }

    /// The access and refresh tokens in the store.
    pub fn tokens(&self) -> Vec<String> {
        self.access.keys().chain(self.refresh.keys()).cloned().collect()
    }

    /// Drops expired codes and access tokens so the store does not grow forever.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        // Keep used codes until they expire so a replay can still be detected.
        self.codes.retain(|_, c| c.expires_at > now);
        self.access.retain(|_, a| a.expires_at > now);
    }
}

fn random_hex(rng: &mut StdRng, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.r#gen::<u8>())).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-01-05T09:00:00Z".parse().unwrap()
    }

    fn consent(challenge: Option<PkceChallenge>) -> Consent {
        Consent {
            client_id: "c".into(),
            redirect_uri: "http://app/cb".into(),
            mailbox: "ada@x.test".into(),
            scopes: vec!["email".into()],
            challenge,
            offline: true,
            force_consent: true,
        }
    }

    fn grant(mailbox: &str, scopes: Vec<String>) -> Grant {
        Grant { mailbox: mailbox.into(), client_id: "c".into(), scopes }
    }

    fn redeem(
        store: &mut AuthStore,
        code: &str,
        verifier: Option<&str>,
        rng: &mut StdRng,
    ) -> Result<TokenResponse, TokenError> {
        let exchange =
            CodeExchange { code, client_id: "c", redirect_uri: Some("http://app/cb"), verifier };
        store.redeem_code(&exchange, now(), TimeDelta::hours(1), rng)
    }

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        let challenge = PkceChallenge {
            value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            method: PkceMethod::S256,
        };
        assert!(challenge.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.verifies("something-else"));
    }

    #[test]
    fn a_code_works_once_and_a_replay_revokes_its_tokens() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut store = AuthStore::default();
        let code = store.issue_code(consent(None), now(), &mut rng);
        let tokens = redeem(&mut store, &code, None, &mut rng).unwrap();
        assert!(tokens.refresh_token.is_some());
        assert!(store.authenticate(&tokens.access_token, now()).is_some());

        assert_eq!(redeem(&mut store, &code, None, &mut rng), Err(TokenError::BadCode));
        assert!(store.authenticate(&tokens.access_token, now()).is_none());
        let refresh = tokens.refresh_token.unwrap();
        assert_eq!(
            store.refresh(&refresh, "c", now(), TimeDelta::hours(1), &mut rng),
            Err(TokenError::DeadRefreshToken)
        );
    }

    #[test]
    fn codes_are_bound_to_client_redirect_time_and_verifier() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut store = AuthStore::default();
        let challenge = PkceChallenge { value: "plain-verifier".into(), method: PkceMethod::Plain };

        let code = store.issue_code(consent(Some(challenge.clone())), now(), &mut rng);
        assert_eq!(redeem(&mut store, &code, None, &mut rng), Err(TokenError::MissingVerifier));
        assert_eq!(redeem(&mut store, &code, Some("wrong"), &mut rng), Err(TokenError::BadCode));
        let lifetime = TimeDelta::hours(1);
        assert_eq!(
            store.redeem_code(
                &CodeExchange {
                    code: &code,
                    client_id: "other",
                    redirect_uri: Some("http://app/cb"),
                    verifier: Some("plain-verifier"),
                },
                now(),
                lifetime,
                &mut rng
            ),
            Err(TokenError::BadCode)
        );
        assert_eq!(
            store.redeem_code(
                &CodeExchange {
                    code: &code,
                    client_id: "c",
                    redirect_uri: Some("http://evil/cb"),
                    verifier: Some("plain-verifier"),
                },
                now(),
                lifetime,
                &mut rng
            ),
            Err(TokenError::RedirectMismatch)
        );
        assert!(redeem(&mut store, &code, Some("plain-verifier"), &mut rng).is_ok());

        let late = store.issue_code(consent(None), now() - TimeDelta::minutes(11), &mut rng);
        assert_eq!(redeem(&mut store, &late, None, &mut rng), Err(TokenError::BadCode));
    }

    #[test]
    fn revoking_an_access_token_kills_the_whole_grant() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut store = AuthStore::default();
        let scopes = vec!["email".to_owned()];
        let first =
            store.grant_directly(grant("ada@x.test", scopes), now(), TimeDelta::hours(1), &mut rng);
        let refresh = first.refresh_token.clone().unwrap();
        let second = store.refresh(&refresh, "c", now(), TimeDelta::hours(1), &mut rng).unwrap();
        assert!(second.refresh_token.is_none());

        assert!(store.revoke(&second.access_token));
        assert!(store.authenticate(&first.access_token, now()).is_none());
        assert!(store.refresh(&refresh, "c", now(), TimeDelta::hours(1), &mut rng).is_err());
        assert!(!store.revoke("unknown"));
    }

    #[test]
    fn access_tokens_expire() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut store = AuthStore::default();
        let tokens =
            store.grant_directly(grant("a@x.test", vec![]), now(), TimeDelta::seconds(5), &mut rng);
        assert!(store.authenticate(&tokens.access_token, now() + TimeDelta::seconds(4)).is_some());
        assert!(store.authenticate(&tokens.access_token, now() + TimeDelta::seconds(5)).is_none());
    }
}
