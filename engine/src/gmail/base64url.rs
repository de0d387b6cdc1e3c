//! Base64 as Gmail speaks it: we always send URL-safe without padding, and we accept every
//! variant Google's frontends accept (URL-safe or standard alphabet, padded or not), because
//! Gmail returns `raw` padded and part data unpadded.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, URL_SAFE, URL_SAFE_NO_PAD,
};

/// Decodes the standard alphabet with or without padding; URL-safe input is mapped onto it.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// URL-safe, unpadded: what Outreach sends in `raw`.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// URL-safe, padded: what Gmail returns for `format=raw`.
pub fn encode_padded(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

/// The input was not base64 in any of the accepted variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid base64: {0}")]
pub struct InvalidBase64(String);

/// Decodes URL-safe or standard base64, padded or not.
pub fn decode(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    LENIENT.decode(standard.as_bytes()).map_err(|e| InvalidBase64(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bytes chosen so that the encodings contain both alphabet-specific characters.
    const BYTES: &[u8] = &[0xfb, 0xff, 0xbf, 0x3e, 0x01];

    #[test]
    fn encode_is_url_safe_without_padding() {
        assert_eq!(encode(BYTES), "-_-_PgE");
        assert_eq!(encode_padded(BYTES), "-_-_PgE=");
    }

    #[test]
    fn decode_accepts_all_four_variants() {
        for variant in ["-_-_PgE", "-_-_PgE=", "+/+/PgE", "+/+/PgE="] {
            assert_eq!(decode(variant).unwrap(), BYTES, "variant {variant}");
        }
    }

    #[test]
    fn decode_rejects_characters_outside_the_alphabets() {
        assert!(decode("abc*def").is_err());
        assert!(decode("SGVsbG8 gd29ybGQ").is_err());
    }

    #[test]
    fn round_trip_of_a_message() {
        let raw = b"From: a@example.com\r\nSubject: \xc3\xa9t\xc3\xa9\r\n\r\nbody?>>";
        assert_eq!(decode(&encode(raw)).unwrap(), raw);
        assert_eq!(decode(&encode_padded(raw)).unwrap(), raw);
    }
}
