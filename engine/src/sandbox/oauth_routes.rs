//! Google's OAuth endpoints, at Google's own paths under the simulator root:
//! `GET/POST /o/oauth2/v2/auth` (consent), `POST /token`, `POST /revoke`,
//! `GET /oauth2/v2/userinfo`. Error bodies are Google's (GMAIL_API.md §8).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::api_error::ApiError;
use super::auth::{CodeExchange, Consent, PkceChallenge, PkceMethod, TokenError};
use super::config::{MailboxKind, OAuthClient, SimConfig};
use super::consent_page::{ALWAYS_GRANTED, ConsentPage, render_consent, render_error};
use super::params::Params;
use super::simulator::Simulator;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/o/oauth2/v2/auth", get(consent_page).post(consent_decision))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/oauth2/v2/userinfo", get(userinfo))
}

const KNOWN_SCOPES: [&str; 12] = [
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.labels",
    "https://www.googleapis.com/auth/gmail.metadata",
];

/// A validated authorization request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    challenge: Option<PkceChallenge>,
    offline: bool,
    force_consent: bool,
    silent: bool,
    login_hint: Option<String>,
}

/// An error page (when the redirect URI cannot be trusted or the request is malformed).
struct PageError {
    status: StatusCode,
    error: &'static str,
    detail: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.status, Html(render_error(self.status.as_u16(), self.error, &self.detail)))
            .into_response()
    }
}

fn invalid_request(detail: impl Into<String>) -> PageError {
    PageError { status: StatusCode::BAD_REQUEST, error: "invalid_request", detail: detail.into() }
}

fn parse_auth_request(params: &Params, config: &SimConfig) -> Result<AuthRequest, PageError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| invalid_request("Required parameter is missing: client_id"))?;
    let client = find_client(config, client_id).ok_or_else(|| PageError {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        detail: "The OAuth client was not found.".into(),
    })?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| invalid_request("Required parameter is missing: redirect_uri"))?;
    if !client.accepts_redirect(redirect_uri) {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            error: "redirect_uri_mismatch",
            detail: format!("redirect_uri={redirect_uri} is not registered for this client."),
        });
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(other) => return Err(invalid_request(format!("Invalid response_type: {other}"))),
        None => return Err(invalid_request("Required parameter is missing: response_type")),
    }
    let scopes: Vec<String> =
        params.get("scope").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return Err(invalid_request("Missing required parameter: scope"));
    }
    if let Some(unknown) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            detail: format!("Some requested scopes were invalid: {unknown}"),
        });
    }
    let offline = match params.get("access_type") {
        None | Some("online") => false,
        Some("offline") => true,
        Some(other) => return Err(invalid_request(format!("Invalid access_type: {other}"))),
    };
    let prompts: Vec<&str> = params.get("prompt").unwrap_or_default().split_whitespace().collect();
    if let Some(bad) = prompts.iter().find(|p| !["none", "consent", "select_account"].contains(p)) {
        return Err(invalid_request(format!("Invalid prompt: {bad}")));
    }
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.get("state").map(str::to_owned),
        challenge: parse_challenge(params)?,
        offline,
        force_consent: prompts.contains(&"consent"),
        silent: prompts.contains(&"none"),
        login_hint: params.get("login_hint").map(str::to_owned),
    })
}

fn parse_challenge(params: &Params) -> Result<Option<PkceChallenge>, PageError> {
    let method = params.get("code_challenge_method");
    let Some(value) = params.get("code_challenge") else {
        return match method {
            Some(_) => Err(invalid_request("code_challenge_method without code_challenge")),
            None => Ok(None),
        };
    };
    let method = match method {
        None | Some("plain") => PkceMethod::Plain,
        Some("S256") => PkceMethod::S256,
        Some(other) => {
            return Err(invalid_request(format!("Invalid code_challenge_method: {other}")));
        }
    };
    let valid_chars = value.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    if !(43..=128).contains(&value.len()) || !valid_chars {
        return Err(invalid_request("Invalid code_challenge"));
    }
    Ok(Some(PkceChallenge { value: value.to_owned(), method }))
}

fn find_client<'c>(config: &'c SimConfig, client_id: &str) -> Option<&'c OAuthClient> {
    config.oauth_clients.iter().find(|c| c.client_id == client_id)
}

/// `redirect_uri` with the given parameters appended.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return invalid_request("redirect_uri is not a URL").into_response();
    };
    url.query_pairs_mut().extend_pairs(pairs);
    Redirect::to(url.as_str()).into_response()
}

fn redirect_error(request: &AuthRequest, error: &str) -> Response {
    let mut pairs = vec![("error", error)];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    redirect_with(&request.redirect_uri, &pairs)
}

async fn consent_page(State(sim): State<Simulator>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref());
    let request = match parse_auth_request(&params, sim.config()) {
        Ok(request) => request,
        Err(page) => return page.into_response(),
    };
    if request.silent {
        return redirect_error(&request, "interaction_required");
    }
    show_consent(&sim, &request, None)
}

fn show_consent(sim: &Simulator, request: &AuthRequest, problem: Option<&str>) -> Response {
    let mailboxes: Vec<(String, MailboxKind)> =
        sim.mailboxes().into_iter().map(|m| (m.address, m.kind)).collect();
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let html = render_consent(&ConsentPage {
        client_id: &request.client_id,
        mailboxes: &mailboxes,
        preselected: request.login_hint.as_deref(),
        requested_scopes: &request.scopes,
        problem,
    });
    (status, Html(html)).into_response()
}

/// The consent form posts back to the same URL (query intact) with the person's choices.
async fn consent_decision(
    State(sim): State<Simulator>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref());
    let request = match parse_auth_request(&params, sim.config()) {
        Ok(request) => request,
        Err(page) => return page.into_response(),
    };
    let form = Params::from_bytes(&body);
    if form.get("decision") != Some("allow") {
        return redirect_error(&request, "access_denied");
    }
    let mailbox = match chosen_mailbox(&sim, &form) {
        Ok(mailbox) => mailbox,
        Err(problem) => return show_consent(&sim, &request, Some(&problem)),
    };
    let ticked = form.all("scope");
    let granted: Vec<String> = request
        .scopes
        .iter()
        .filter(|s| ALWAYS_GRANTED.contains(&s.as_str()) || ticked.contains(s))
        .cloned()
        .collect();
    let code = sim.with_world(|world, config| {
        let now = world.now(config);
        let consent = Consent {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            mailbox,
            scopes: granted.clone(),
            challenge: request.challenge.clone(),
            offline: request.offline,
            force_consent: request.force_consent,
        };
        world.data.auth.issue_code(consent, now, &mut world.rng)
    });
    let scope = granted.join(" ");
    let mut pairs = vec![("code", code.as_str()), ("scope", scope.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    redirect_with(&request.redirect_uri, &pairs)
}

/// The mailbox picked on the consent page, creating a new one if asked.
fn chosen_mailbox(sim: &Simulator, form: &Params) -> Result<String, String> {
    match form.get("mailbox") {
        Some("__new") | None => {
            let address = form.get("new_address").ok_or("Type the address of the new mailbox.")?;
            let kind = MailboxKind::parse(form.get("new_kind").unwrap_or("gmail"))
                .ok_or("Unknown mailbox kind.")?;
            sim.create_mailbox(address, kind).map(|m| m.address).map_err(|e| e.to_string())
        }
        Some(address) => {
            let address = address.to_ascii_lowercase();
            let exists = sim.mailboxes().iter().any(|m| m.address == address);
            if exists {
                Ok(address)
            } else {
                Err(format!("There is no sandbox mailbox {address}."))
            }
        }
    }
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

fn token_error_response(error: TokenError) -> Response {
    match error {
        TokenError::BadCode => token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
        TokenError::MissingVerifier => {
            token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Missing code verifier.")
        }
        TokenError::DeadRefreshToken => token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        ),
        TokenError::RedirectMismatch => {
            token_error(StatusCode::BAD_REQUEST, "redirect_uri_mismatch", "Bad Request")
        }
    }
}

/// Client credentials from HTTP Basic (form-urlencoded inside, per RFC 6749) or the body.
fn client_credentials(headers: &HeaderMap, form: &Params) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| {
        Some((
            form.get("client_id")?.to_owned(),
            form.get("client_secret").unwrap_or_default().to_owned(),
        ))
    })
}

async fn token(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Params::from_bytes(&body);
    let Some((client_id, secret)) = client_credentials(&headers, &form) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Could not determine client ID from request.",
        );
    };
    let Some(client) = find_client(sim.config(), &client_id) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    };
    if client.client_secret != secret {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let result = match form.get("grant_type") {
        Some("authorization_code") => {
            let Some(code) = form.get("code") else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter: code",
                );
            };
            sim.with_world(|world, config| {
                let now = world.now(config);
                let exchange = CodeExchange {
                    code,
                    client_id: &client_id,
                    redirect_uri: form.get("redirect_uri"),
                    verifier: form.get("code_verifier"),
                };
                world.data.auth.redeem_code(
                    &exchange,
                    now,
                    config.access_token_lifetime,
                    &mut world.rng,
                )
            })
        }
        Some("refresh_token") => {
            let Some(refresh_token) = form.get("refresh_token") else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter: refresh_token",
                );
            };
            sim.with_world(|world, config| {
                let now = world.now(config);
                world.data.auth.refresh(
                    refresh_token,
                    &client_id,
                    now,
                    config.access_token_lifetime,
                    &mut world.rng,
                )
            })
        }
        other => {
            let description = format!("Invalid grant_type: {}", other.unwrap_or_default());
            return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &description);
        }
    };
    match result {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => token_error_response(error),
    }
}

async fn revoke(State(sim): State<Simulator>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let form = Params::from_bytes(&body);
    let query = Params::parse(query.as_deref());
    let Some(token) = form.get("token").or_else(|| query.get("token")).map(str::to_owned) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    if sim.with_world(|world, _| world.data.auth.revoke(&token)) {
        StatusCode::OK.into_response()
    } else {
        token_error(StatusCode::BAD_REQUEST, "invalid_token", "Token expired or revoked")
    }
}

async fn userinfo(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let grant = sim.with_world(|world, config| {
        let now = world.now(config);
        token.and_then(|t| world.data.auth.authenticate(&t, now).cloned())
    });
    let Some(grant) = grant else {
        return ApiError::unauthenticated().into_response();
    };
    let id = {
        let digest = Sha256::digest(grant.mailbox.as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        format!("1{:020}", u64::from_be_bytes(bytes))
    };
    let can_see_email = grant
        .scopes
        .iter()
        .any(|s| s == "email" || s == "https://www.googleapis.com/auth/userinfo.email");
    let body = if can_see_email {
        json!({ "id": id, "email": grant.mailbox, "verified_email": true })
    } else {
        json!({ "id": id })
    };
    Json(body).into_response()
}
