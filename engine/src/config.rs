//! Configuration from the environment (and an optional `.env`, loaded by the binary before
//! this runs). Parsing collects every problem, so a bad start-up says everything at once,
//! one line per problem.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = ".outreach";
pub const SANDBOX_PREFIX: &str = "/sandbox/google";

const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
const GOOGLE_USERINFO_URL: &str = "https://www.googleapis.com/oauth2/v2/userinfo";
const GMAIL_API_URL: &str = "https://gmail.googleapis.com";

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the HTTP server listens (`LEPTOS_SITE_ADDR`).
    pub site_addr: SocketAddr,
    /// `None`: run the embedded PostgreSQL cluster under `data_dir`.
    pub database_url: Option<SecretString>,
    pub data_dir: PathBuf,
    /// The public address of the app, used in links (OAuth redirect, unsubscribe URLs).
    pub base_url: Url,
    /// `None` until resolved from the data directory (see `secret_key::resolve`).
    pub secret_key_hex: Option<SecretString>,
    pub google: GoogleMode,
    pub sync_interval: Duration,
    /// How long the sandbox's simulated recipients take to reply, auto-reply or bounce
    /// (`OUTREACH_SANDBOX_REPLY_DELAY_SECS`).
    pub sandbox_reply_delay: Duration,
    pub outbox: OutboxConfig,
}

/// The sending worker's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxConfig {
    /// `OUTREACH_OUTBOX_WORKER=off` runs the web app without sending (e.g. a UI-only instance).
    pub enabled: bool,
    /// `OUTREACH_PACING=off` sends as fast as the caps allow: no gaps between an account's
    /// sends and no spreading of the day's allowance. For load tests, benchmarks and quick
    /// sandbox demos — never for real mailboxes, whose reputation the pacing protects.
    pub pacing: bool,
    /// `OUTREACH_SENDER_LEASE_SECS`: how long an instance drives an account without renewing.
    pub lease: Duration,
    /// `OUTREACH_AMBIGUOUS_CHECK_SECS`: how long after an uncertain attempt the mailbox is
    /// searched for it.
    pub ambiguous_check_delay: Duration,
}

/// Who answers for Google: Google itself (or anything Google-compatible), or the built-in
/// simulator served by this app.
#[derive(Debug, Clone)]
pub enum GoogleMode {
    Google(Box<GoogleEndpoints>),
    Sandbox,
}

#[derive(Debug, Clone)]
pub struct GoogleEndpoints {
    pub client_id: String,
    pub client_secret: SecretString,
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    pub userinfo_url: Url,
    /// The API root; the Gmail client appends `/gmail/v1/…` and `/upload/gmail/v1/…`.
    pub gmail_api_url: Url,
}

impl GoogleEndpoints {
    /// The simulator's endpoints: the browser goes to `public_base` (the consent page), the
    /// server talks to `internal_base` (loopback), both under [`SANDBOX_PREFIX`].
    pub fn sandbox(public_base: &Url, internal_base: &Url, client_secret: SecretString) -> Self {
        let at = |base: &Url, path: &str| {
            let mut url = base.clone();
            url.set_path(&format!("{SANDBOX_PREFIX}{path}"));
            url
        };
        Self {
            client_id: SANDBOX_CLIENT_ID.to_string(),
            client_secret,
            auth_url: at(public_base, "/o/oauth2/v2/auth"),
            token_url: at(internal_base, "/token"),
            revoke_url: at(internal_base, "/revoke"),
            userinfo_url: at(internal_base, "/oauth2/v2/userinfo"),
            gmail_api_url: at(internal_base, ""),
        }
    }
}

pub const SANDBOX_CLIENT_ID: &str = "outreach-sandbox.apps.googleusercontent.com";

/// Every problem found in the configuration, one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

fn outbox_config(
    get: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> Option<OutboxConfig> {
    let switch = |errors: &mut Vec<String>, name: &str| {
        parse_or(errors, name, get(name), "on", |v| match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" => Ok(true),
            "off" | "false" | "0" => Ok(false),
            _ => Err("expected on or off".into()),
        })
    };
    let enabled = switch(errors, "OUTREACH_OUTBOX_WORKER");
    let pacing = switch(errors, "OUTREACH_PACING");
    let seconds = |errors: &mut Vec<String>,
                   name: &str,
                   default: &str,
                   range: std::ops::RangeInclusive<u64>| {
        parse_or(errors, name, get(name), default, |v| match v.parse::<u64>() {
            Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "expected a whole number of seconds between {} and {}",
                range.start(),
                range.end()
            )),
        })
    };
    let lease = seconds(errors, "OUTREACH_SENDER_LEASE_SECS", "60", 2..=3600);
    let ambiguous_check_delay = seconds(errors, "OUTREACH_AMBIGUOUS_CHECK_SECS", "60", 0..=3600);
    Some(OutboxConfig {
        enabled: enabled?,
        pacing: pacing?,
        lease: lease?,
        ambiguous_check_delay: ambiguous_check_delay?,
    })
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses configuration from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut errors = Vec::new();

        let site_addr = parse_or(
            &mut errors,
            "LEPTOS_SITE_ADDR",
            get("LEPTOS_SITE_ADDR"),
            DEFAULT_SITE_ADDR,
            |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected host:port, e.g. 127.0.0.1:3000".into())
            },
        );
        let database_url = get("DATABASE_URL").and_then(|v| {
            if v.starts_with("postgres://") || v.starts_with("postgresql://") {
                Some(SecretString::from(v))
            } else {
                errors.push(
                    "DATABASE_URL: expected a postgres:// or postgresql:// URL (unset it to use the embedded database)".into(),
                );
                None
            }
        });
        let data_dir =
            PathBuf::from(get("OUTREACH_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        let default_base = site_addr.map(|addr| format!("http://{}", loopback_for(addr)));
        let base_url = parse_or(
            &mut errors,
            "OUTREACH_BASE_URL",
            get("OUTREACH_BASE_URL"),
            default_base.as_deref().unwrap_or("http://127.0.0.1:3000"),
            parse_http_url,
        );
        let secret_key_hex =
            get("OUTREACH_SECRET_KEY").and_then(|v| match crate::crypto::SecretKey::parse(&v) {
                Ok(_) => Some(SecretString::from(v)),
                Err(problem) => {
                    errors.push(format!("OUTREACH_SECRET_KEY: {problem}"));
                    None
                }
            });
        let google = google_mode(&get, &mut errors);
        let sync_interval = parse_or(
            &mut errors,
            "OUTREACH_SYNC_INTERVAL_SECS",
            get("OUTREACH_SYNC_INTERVAL_SECS"),
            "60",
            |v| match v.parse::<u64>() {
                Ok(secs) if (1..=86_400).contains(&secs) => Ok(Duration::from_secs(secs)),
                _ => Err("expected a whole number of seconds between 1 and 86400".into()),
            },
        );

        let sandbox_reply_delay = parse_or(
            &mut errors,
            "OUTREACH_SANDBOX_REPLY_DELAY_SECS",
            get("OUTREACH_SANDBOX_REPLY_DELAY_SECS"),
            "20",
            |v| match v.parse::<u64>() {
                Ok(secs) if secs <= 86_400 => Ok(Duration::from_secs(secs)),
                _ => Err("expected a whole number of seconds between 0 and 86400".into()),
            },
        );

        let outbox = outbox_config(&get, &mut errors);

        match (site_addr, base_url, google, sync_interval, sandbox_reply_delay, outbox) {
            (
                Some(site_addr),
                Some(base_url),
                Some(google),
                Some(sync_interval),
                Some(sandbox_reply_delay),
                Some(outbox),
            ) if errors.is_empty() => Ok(Config {
                site_addr,
                database_url,
                data_dir,
                base_url,
                secret_key_hex,
                google,
                sync_interval,
                sandbox_reply_delay,
                outbox,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self.google, GoogleMode::Sandbox)
    }

    /// The address this server reaches itself at (the simulator is called over loopback).
    pub fn internal_base_url(&self) -> Url {
        Url::parse(&format!("http://{}", loopback_for(self.site_addr)))
            .expect("a socket address makes a valid URL")
    }

    /// Cookies get the `Secure` flag when people reach the app over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

fn google_mode(
    get: &impl Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> Option<GoogleMode> {
    match (get("GOOGLE_CLIENT_ID"), get("GOOGLE_CLIENT_SECRET")) {
        (None, None) => Some(GoogleMode::Sandbox),
        (Some(_), None) => {
            errors.push("GOOGLE_CLIENT_SECRET: required when GOOGLE_CLIENT_ID is set (unset both for sandbox mode)".into());
            None
        }
        (None, Some(_)) => {
            errors.push("GOOGLE_CLIENT_ID: required when GOOGLE_CLIENT_SECRET is set (unset both for sandbox mode)".into());
            None
        }
        (Some(client_id), Some(secret)) => {
            let mut url = |name: &str, default: &str| {
                parse_or(errors, name, get(name), default, parse_http_url)
            };
            let endpoints = GoogleEndpoints {
                auth_url: url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL)?,
                token_url: url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL)?,
                revoke_url: url("GOOGLE_REVOKE_URL", GOOGLE_REVOKE_URL)?,
                userinfo_url: url("GOOGLE_USERINFO_URL", GOOGLE_USERINFO_URL)?,
                gmail_api_url: url("GMAIL_API_URL", GMAIL_API_URL)?,
                client_id,
                client_secret: SecretString::from(secret),
            };
            Some(GoogleMode::Google(Box::new(endpoints)))
        }
    }
}

/// Parses `value` (or `default` when unset), recording a one-line problem on failure.
fn parse_or<T>(
    errors: &mut Vec<String>,
    name: &str,
    value: Option<String>,
    default: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = value.unwrap_or_else(|| default.to_string());
    match parse(&raw) {
        Ok(parsed) => Some(parsed),
        Err(problem) => {
            errors.push(format!("{name}: {problem} (got {raw:?})"));
            None
        }
    }
}

fn parse_http_url(value: &str) -> Result<Url, String> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err("expected an absolute http:// or https:// URL".into()),
    }
}

/// A listening address of 0.0.0.0 is reached over 127.0.0.1.
fn loopback_for(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_give_sandbox_mode_on_localhost() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:3000/");
        assert!(config.is_sandbox());
        assert!(config.database_url.is_none());
        assert_eq!(config.data_dir, PathBuf::from(".outreach"));
        assert_eq!(config.sync_interval, Duration::from_secs(60));
        assert_eq!(config.sandbox_reply_delay, Duration::from_secs(20));
        assert!(!config.secure_cookies());
    }

    #[test]
    fn unspecified_listen_address_is_reached_over_loopback() {
        let config = parse(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")]).unwrap();
        assert_eq!(config.internal_base_url().as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn google_credentials_select_google_with_default_endpoints() {
        let config =
            parse(&[("GOOGLE_CLIENT_ID", "id"), ("GOOGLE_CLIENT_SECRET", "s3cret")]).unwrap();
        let GoogleMode::Google(endpoints) = config.google else { panic!("expected Google mode") };
        assert_eq!(endpoints.token_url.as_str(), GOOGLE_TOKEN_URL);
        assert_eq!(endpoints.gmail_api_url.as_str(), "https://gmail.googleapis.com/");
        assert_eq!(endpoints.client_secret.expose_secret(), "s3cret");
    }

    #[test]
    fn every_problem_is_reported_on_its_own_line() {
        let errors = parse(&[
            ("LEPTOS_SITE_ADDR", "nonsense"),
            ("DATABASE_URL", "mysql://x"),
            ("OUTREACH_SECRET_KEY", "short"),
            ("GOOGLE_CLIENT_ID", "id"),
            ("OUTREACH_SYNC_INTERVAL_SECS", "0"),
            ("OUTREACH_SANDBOX_REPLY_DELAY_SECS", "soon"),
        ])
        .unwrap_err();
        let text = errors.to_string();
        for name in [
            "LEPTOS_SITE_ADDR",
            "DATABASE_URL",
            "OUTREACH_SECRET_KEY",
            "GOOGLE_CLIENT_SECRET",
            "OUTREACH_SYNC_INTERVAL_SECS",
            "OUTREACH_SANDBOX_REPLY_DELAY_SECS",
        ] {
            assert!(
                text.lines().any(|line| line.starts_with(name)),
                "no line for {name} in:\n{text}"
            );
        }
        assert_eq!(errors.0.len(), 6);
    }

    #[test]
    fn outbox_settings_default_to_sending_with_pacing_and_take_switches() {
        let outbox = parse(&[]).unwrap().outbox;
        assert!(outbox.enabled && outbox.pacing);
        assert_eq!(outbox.lease, Duration::from_secs(60));
        let outbox =
            parse(&[("OUTREACH_PACING", "OFF"), ("OUTREACH_OUTBOX_WORKER", "0")]).unwrap().outbox;
        assert!(!outbox.enabled && !outbox.pacing);
        let errors =
            parse(&[("OUTREACH_PACING", "sometimes"), ("OUTREACH_SENDER_LEASE_SECS", "1")])
                .unwrap_err();
        assert!(errors.0[0].starts_with("OUTREACH_PACING: expected on or off"), "{errors}");
        assert!(errors.0[1].starts_with("OUTREACH_SENDER_LEASE_SECS"), "{errors}");
    }

    #[test]
    fn bad_google_url_is_named() {
        let errors = parse(&[
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "s"),
            ("GMAIL_API_URL", "ftp://x"),
        ])
        .unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert!(errors.0[0].starts_with("GMAIL_API_URL"));
    }

    #[test]
    fn sandbox_endpoints_split_browser_and_server_addresses() {
        let public = Url::parse("https://outreach.example.com").unwrap();
        let internal = Url::parse("http://127.0.0.1:3000").unwrap();
        let endpoints = GoogleEndpoints::sandbox(&public, &internal, SecretString::from("x"));
        assert_eq!(
            endpoints.auth_url.as_str(),
            "https://outreach.example.com/sandbox/google/o/oauth2/v2/auth"
        );
        assert_eq!(endpoints.token_url.as_str(), "http://127.0.0.1:3000/sandbox/google/token");
        assert_eq!(endpoints.gmail_api_url.as_str(), "http://127.0.0.1:3000/sandbox/google");
    }
}
