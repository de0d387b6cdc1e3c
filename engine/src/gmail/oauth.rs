//! Google OAuth 2.0 for web-server apps (GMAIL_API.md §8): the consent URL with offline access
//! and PKCE, the code exchange, refresh, revocation and the connected address.
//!
//! Endpoints are configurable so the same code talks to Google or to the sandbox simulator.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, HttpClientError, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
pub use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::clock::{Clock, SystemClock};

pub const SCOPE_OPENID: &str = "openid";
pub const SCOPE_EMAIL: &str = "email";
pub const SCOPE_GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";
pub const SCOPE_GMAIL_MODIFY: &str = "https://www.googleapis.com/auth/gmail.modify";
/// What Outreach asks for (PRODUCT.md "Scopes").
pub const REQUESTED_SCOPES: [&str; 4] =
    [SCOPE_OPENID, SCOPE_EMAIL, SCOPE_GMAIL_SEND, SCOPE_GMAIL_MODIFY];

pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_USERINFO_URL: &str = "https://www.googleapis.com/oauth2/v2/userinfo";

/// Where Google (or the simulator) lives and who we are to it.
#[derive(Debug, Clone)]
pub struct GoogleOAuthConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub userinfo_url: String,
    /// Our callback, registered with the OAuth client.
    pub redirect_url: String,
}

/// Tokens from a code exchange or a refresh. `Debug` never shows the secrets.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    /// Present on the first exchange with offline access; usually absent on refresh (keep the
    /// old one then).
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
    /// The scopes the user actually granted (granular consent may drop some).
    pub granted_scopes: Vec<String>,
}

impl TokenSet {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.granted_scopes.iter().any(|s| s == scope)
    }

    /// Whether the grant allows sending mail.
    pub fn can_send(&self) -> bool {
        [
            "https://mail.google.com/",
            SCOPE_GMAIL_MODIFY,
            SCOPE_GMAIL_SEND,
            "https://www.googleapis.com/auth/gmail.compose",
        ]
        .iter()
        .any(|s| self.has_scope(s))
    }

    /// Whether the grant allows reading replies and bounces and applying labels.
    pub fn can_track(&self) -> bool {
        ["https://mail.google.com/", SCOPE_GMAIL_MODIFY].iter().any(|s| self.has_scope(s))
    }
}

/// What came back to our callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub code: String,
    pub state: String,
    pub granted_scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The user pressed Deny (or Google refused) on the consent page.
    #[error("the Google account did not grant access ({error})")]
    AccessDenied { error: String },
    /// The authorization code is bad, reused, expired, or the PKCE verifier does not match.
    #[error("Google refused the authorization code: {description}")]
    InvalidGrant { description: String },
    /// The refresh token is expired or revoked: the account must be connected again.
    #[error("the Google grant is expired or revoked; reconnect the account")]
    NeedsReauth,
    #[error("Google does not know this OAuth client: {description}")]
    InvalidClient { description: String },
    #[error("Google refused the request: {error}: {description}")]
    Rejected { error: String, description: String },
    #[error("could not reach Google: {reason}")]
    Transport { reason: String },
    #[error("unexpected answer from Google: {reason}")]
    UnexpectedResponse { reason: String },
    #[error("the Google account's address is not verified")]
    UnverifiedEmail,
}

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Talks to Google's (or the simulator's) OAuth endpoints.
#[derive(Clone)]
pub struct GoogleOAuth {
    client: ConfiguredClient,
    http: reqwest::Client,
    revoke_url: Url,
    userinfo_url: Url,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for GoogleOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleOAuth")
            .field("client_id", self.client.client_id())
            .field("token_url", self.client.token_uri())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct UserInfo {
    email: String,
    #[serde(default)]
    verified_email: bool,
}

impl GoogleOAuth {
    pub fn new(config: &GoogleOAuthConfig) -> Result<Self, url::ParseError> {
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose_secret().to_owned()))
            .set_auth_uri(AuthUrl::new(config.auth_url.clone())?)
            .set_token_uri(TokenUrl::new(config.token_url.clone())?)
            .set_redirect_uri(RedirectUrl::new(config.redirect_url.clone())?)
            // Google's documentation sends the client credentials in the form body.
            .set_auth_type(AuthType::RequestBody);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            // Never follow redirects from a token endpoint (oauth2 crate's advice: SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| url::ParseError::EmptyHost)?;
        Ok(Self {
            client,
            http,
            revoke_url: Url::parse(&config.revoke_url)?,
            userinfo_url: Url::parse(&config.userinfo_url)?,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same client, computing `expires_at` from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// "Now" as this client sees it (what `expires_at` of its tokens is measured against).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh PKCE pair: send the challenge now, keep the verifier (server-side) for
    /// `exchange_code`.
    pub fn new_pkce() -> (PkceCodeChallenge, PkceCodeVerifier) {
        PkceCodeChallenge::new_random_sha256()
    }

    /// The consent page URL: offline access (a refresh token), forced consent (so a reconnect
    /// gets a new refresh token), PKCE S256, and our scopes.
    pub fn authorize_url(
        &self,
        state: &str,
        pkce_challenge: PkceCodeChallenge,
        login_hint: Option<&str>,
    ) -> Url {
        let state = state.to_owned();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(REQUESTED_SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(pkce_challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        request.url().0
    }

    /// Reads the query string Google sent to our callback.
    pub fn parse_redirect(query: &str) -> Result<AuthorizationResponse, OAuthError> {
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        if let Some(error) = get("error") {
            return Err(OAuthError::AccessDenied { error });
        }
        let (Some(code), Some(state)) = (get("code"), get("state")) else {
            return Err(OAuthError::UnexpectedResponse {
                reason: "the callback has neither a code nor an error".to_owned(),
            });
        };
        let granted_scopes = get("scope").map(|s| split_scopes(&s)).unwrap_or_default();
        Ok(AuthorizationResponse { code, state, granted_scopes })
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: PkceCodeVerifier,
    ) -> Result<TokenSet, OAuthError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(pkce_verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| token_error(e, false))?;
        Ok(self.token_set(&response))
    }

    /// A new access token. `NeedsReauth` when Google says the grant is dead.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, OAuthError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(|e| token_error(e, true))?;
        Ok(self.token_set(&response))
    }

    /// Revokes a refresh token (and its access tokens) or an access token.
    pub async fn revoke(&self, token: &SecretString) -> Result<(), OAuthError> {
        let response = self
            .http
            .post(self.revoke_url.clone())
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(error_from_json(&body, status.as_u16(), false))
    }

    /// The connected account's address (verified).
    pub async fn userinfo(&self, access_token: &SecretString) -> Result<String, OAuthError> {
        let response = self
            .http
            .get(self.userinfo_url.clone())
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let body = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(OAuthError::Rejected {
                error: format!("HTTP {}", status.as_u16()),
                description: body.chars().take(200).collect(),
            });
        }
        let info: UserInfo = serde_json::from_str(&body)
            .map_err(|e| OAuthError::UnexpectedResponse { reason: e.to_string() })?;
        if !info.verified_email {
            return Err(OAuthError::UnverifiedEmail);
        }
        Ok(info.email)
    }

    fn token_set(&self, response: &oauth2::basic::BasicTokenResponse) -> TokenSet {
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3599));
        let granted_scopes = match response.scopes() {
            Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
            // Google always answers `scope`; if not, assume what we asked for.
            None => REQUESTED_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        };
        TokenSet {
            access_token: SecretString::from(response.access_token().secret().to_owned()),
            refresh_token: response
                .refresh_token()
                .map(|t| SecretString::from(t.secret().to_owned())),
            expires_at: self.clock.now()
                + TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::seconds(3599)),
            granted_scopes,
        }
    }
}

fn split_scopes(scopes: &str) -> Vec<String> {
    scopes.split_whitespace().map(str::to_owned).collect()
}

fn transport(error: reqwest::Error) -> OAuthError {
    OAuthError::Transport { reason: error.without_url().to_string() }
}

type TokenRequestError = RequestTokenError<
    HttpClientError<reqwest::Error>,
    StandardErrorResponse<BasicErrorResponseType>,
>;

fn token_error(error: TokenRequestError, is_refresh: bool) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response.error_description().cloned().unwrap_or_default();
            server_error(response.error().as_ref(), description, is_refresh)
        }
        RequestTokenError::Request(e) => OAuthError::Transport { reason: e.to_string() },
        RequestTokenError::Parse(e, _body) => {
            OAuthError::UnexpectedResponse { reason: e.to_string() }
        }
        RequestTokenError::Other(reason) => OAuthError::UnexpectedResponse { reason },
    }
}

fn server_error(error: &str, description: String, is_refresh: bool) -> OAuthError {
    match error {
        "invalid_grant" if is_refresh => OAuthError::NeedsReauth,
        "invalid_grant" => OAuthError::InvalidGrant { description },
        "invalid_client" | "unauthorized_client" => OAuthError::InvalidClient { description },
        other => OAuthError::Rejected { error: other.to_owned(), description },
    }
}

fn error_from_json(body: &str, status: u16, is_refresh: bool) -> OAuthError {
    #[derive(Deserialize)]
    struct Body {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    match serde_json::from_str::<Body>(body) {
        Ok(b) => server_error(&b.error, b.error_description, is_refresh),
        Err(_) => OAuthError::Rejected {
            error: format!("HTTP {status}"),
            description: body.chars().take(200).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth() -> GoogleOAuth {
        GoogleOAuth::new(&GoogleOAuthConfig {
            client_id: "client-1".into(),
            client_secret: SecretString::from("shh"),
            auth_url: GOOGLE_AUTH_URL.into(),
            token_url: GOOGLE_TOKEN_URL.into(),
            revoke_url: GOOGLE_REVOKE_URL.into(),
            userinfo_url: GOOGLE_USERINFO_URL.into(),
            redirect_url: "https://outreach.example/oauth/callback".into(),
        })
        .unwrap()
    }

    #[test]
    fn authorize_url_asks_for_offline_access_consent_pkce_and_our_scopes() {
        let (challenge, _verifier) = GoogleOAuth::new_pkce();
        let challenge_text = challenge.as_str().to_owned();
        let url = oauth().authorize_url("state-42", challenge, Some("ada@example.com"));
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(url.as_str().split('?').next(), Some(GOOGLE_AUTH_URL));
        assert_eq!(params["client_id"], "client-1");
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["state"], "state-42");
        assert_eq!(params["access_type"], "offline");
        assert_eq!(params["prompt"], "consent");
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["code_challenge"], challenge_text);
        assert_eq!(params["login_hint"], "ada@example.com");
        assert_eq!(params["redirect_uri"], "https://outreach.example/oauth/callback");
        assert_eq!(split_scopes(&params["scope"]), REQUESTED_SCOPES.map(str::to_owned));
    }

    #[test]
    fn parse_redirect_reads_code_state_and_scopes_or_the_denial() {
        let ok = GoogleOAuth::parse_redirect(
            "code=4%2Fabc&state=s1&scope=email%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.send",
        )
        .unwrap();
        assert_eq!(ok.code, "4/abc");
        assert_eq!(ok.state, "s1");
        assert_eq!(ok.granted_scopes, vec!["email".to_owned(), SCOPE_GMAIL_SEND.to_owned()]);
        assert_eq!(
            GoogleOAuth::parse_redirect("error=access_denied&state=s1"),
            Err(OAuthError::AccessDenied { error: "access_denied".into() })
        );
        assert!(GoogleOAuth::parse_redirect("state=s1").is_err());
    }

    #[test]
    fn invalid_grant_means_reauth_only_on_refresh() {
        assert_eq!(
            error_from_json(
                r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
                400,
                true
            ),
            OAuthError::NeedsReauth
        );
        assert_eq!(
            error_from_json(
                r#"{"error":"invalid_grant","error_description":"Bad Request"}"#,
                400,
                false
            ),
            OAuthError::InvalidGrant { description: "Bad Request".into() }
        );
        assert!(matches!(
            error_from_json(
                r#"{"error":"invalid_client","error_description":"The OAuth client was not found."}"#,
                401,
                false
            ),
            OAuthError::InvalidClient { .. }
        ));
    }

    #[test]
    fn token_set_debug_hides_tokens() {
        let tokens = TokenSet {
            access_token: SecretString::from("ya29.secret-access"),
            refresh_token: Some(SecretString::from("1//secret-refresh")),
            expires_at: Utc::now(),
            granted_scopes: vec![SCOPE_GMAIL_SEND.into()],
        };
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("secret-access") && !debug.contains("secret-refresh"));
        assert!(tokens.can_send());
        assert!(!tokens.can_track());
    }
}
