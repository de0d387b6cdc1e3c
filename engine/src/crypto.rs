//! The app's secret key and what is derived from it: AES-256-GCM encryption of OAuth tokens
//! at rest, HMAC signatures (unsubscribe links), and hashing of bearer tokens.
//!
//! One key (`OUTREACH_SECRET_KEY`) feeds every purpose through HMAC-derived sub-keys, so an
//! unsubscribe signature can never be replayed as, say, an encryption key.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// 32 secret bytes. Debug never shows them.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// What a sub-key is for; each purpose gets its own key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    TokenEncryption,
    Unsubscribe,
    SandboxClientSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::TokenEncryption => b"outreach/token-encryption/v1",
            Purpose::Unsubscribe => b"outreach/unsubscribe/v1",
            Purpose::SandboxClientSecret => b"outreach/sandbox-client-secret/v1",
        }
    }
}

impl SecretKey {
    /// Accepts 64 hex characters or the standard base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| e.to_string())?
        } else {
            STANDARD
                .decode(text)
                .map_err(|_| "expected 64 hex characters or base64 of 32 bytes".to_string())?
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            "expected 32 bytes (64 hex characters or base64 of 32 bytes)".to_string()
        })?;
        Ok(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn derive(&self, purpose: Purpose) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.label());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts `plaintext`; `context` (e.g. the row id) is authenticated but not stored, so
    /// a ciphertext copied to another row does not decrypt.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher =
            Aes256Gcm::new_from_slice(&self.derive(Purpose::TokenEncryption)).expect("32-byte key");
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context })
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let cipher =
            Aes256Gcm::new_from_slice(&self.derive(Purpose::TokenEncryption)).expect("32-byte key");
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context })
            .map_err(|_| DecryptError)
    }

    /// An HMAC-SHA256 signature of `message` under the purpose's sub-key, base64url.
    pub fn sign(&self, purpose: Purpose, message: &[u8]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.derive(purpose))
            .expect("HMAC takes any key length");
        mac.update(message);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a signature made by [`SecretKey::sign`].
    pub fn verify(&self, purpose: Purpose, message: &[u8], signature: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(signature) else { return false };
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.derive(purpose))
            .expect("HMAC takes any key length");
        mac.update(message);
        mac.verify_slice(&tag).is_ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the data cannot be decrypted with this secret key (wrong OUTREACH_SECRET_KEY or tampered data)"
)]
pub struct DecryptError;

/// Loads the key from `OUTREACH_SECRET_KEY` (already validated) or from `<data_dir>/secret.key`,
/// generating and saving one there on first run. Returns the key and whether it was generated.
pub fn resolve_secret_key(
    configured: Option<&str>,
    data_dir: &Path,
) -> std::io::Result<(SecretKey, bool)> {
    if let Some(text) = configured {
        return SecretKey::parse(text).map(|k| (k, false)).map_err(std::io::Error::other);
    }
    let path = data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        let key = SecretKey::parse(&text)
            .map_err(|problem| std::io::Error::other(format!("{}: {problem}", path.display())))?;
        return Ok((key, false));
    }
    std::fs::create_dir_all(data_dir)?;
    let key = SecretKey::generate();
    write_private_file(&path, key.to_hex().as_bytes())?;
    Ok((key, true))
}

/// Writes a file only its owner can read (created atomically via a temporary file).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// SHA-256, for storing bearer tokens and session ids by hash.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// An unguessable token: `prefix` + 32 random bytes in base64url (256 bits).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_base64_and_rejects_short_keys() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::parse(&key.to_hex()).unwrap().0, key.0);
        assert_eq!(SecretKey::parse(&STANDARD.encode(key.0)).unwrap().0, key.0);
        assert!(SecretKey::parse("abcd").is_err());
        assert!(SecretKey::parse(&STANDARD.encode([1u8; 16])).is_err());
    }

    #[test]
    fn encryption_round_trips_and_is_bound_to_key_and_context() {
        let key = SecretKey::generate();
        let sealed = key.encrypt(b"refresh-token", b"sender-1");
        assert!(
            !sealed.windows(13).any(|w| w == b"refresh-token"),
            "plaintext visible in ciphertext"
        );
        assert_eq!(key.decrypt(&sealed, b"sender-1").unwrap(), b"refresh-token");
        assert_eq!(key.decrypt(&sealed, b"sender-2"), Err(DecryptError));
        assert_eq!(SecretKey::generate().decrypt(&sealed, b"sender-1"), Err(DecryptError));
        assert_eq!(key.decrypt(&sealed[..5], b"sender-1"), Err(DecryptError));
    }

    #[test]
    fn signatures_verify_only_for_same_purpose_and_message() {
        let key = SecretKey::generate();
        let sig = key.sign(Purpose::Unsubscribe, b"team:a@b.c");
        assert!(key.verify(Purpose::Unsubscribe, b"team:a@b.c", &sig));
        assert!(!key.verify(Purpose::Unsubscribe, b"team:x@b.c", &sig));
        assert!(!key.verify(Purpose::SandboxClientSecret, b"team:a@b.c", &sig));
        assert!(!key.verify(Purpose::Unsubscribe, b"team:a@b.c", "not base64!"));
    }

    #[test]
    fn secret_key_file_is_generated_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("outreach-key-test-{}", uuid::Uuid::new_v4()));
        let (first, generated) = resolve_secret_key(None, &dir).unwrap();
        assert!(generated);
        let (second, generated_again) = resolve_secret_key(None, &dir).unwrap();
        assert!(!generated_again);
        assert_eq!(first.0, second.0);
        let mode = std::fs::metadata(dir.join("secret.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", SecretKey::generate()), "SecretKey(…)");
    }

    #[test]
    fn random_tokens_are_distinct_and_prefixed() {
        let a = random_token("otr_");
        assert!(a.starts_with("otr_") && a.len() == 4 + 43);
        assert_ne!(a, random_token("otr_"));
    }
}
