//! The encoding of server functions' answers: JSON, as `server_fn`'s own, but read from text.
//!
//! The browser reads JSON in two places: the data a page was rendered with (resources,
//! handed over as text) and the answers of server functions (handed over as bytes). serde_json
//! compiles a reader for each type once per kind of input, so reading both as text keeps one
//! copy of every type's reader in the WASM bundle instead of two.

use serde::Serialize;
use serde::de::{DeserializeOwned, Error as _};
use server_fn::codec::Post;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// JSON read with `serde_json::from_str`.
pub struct JsonText;

/// Answers (and errors) as [`JsonText`], for `#[server(output = Json)]`.
pub type Json = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_text_is_an_error() {
        let bytes = <JsonText as Encodes<Vec<u32>>>::encode(&vec![1, 2]).unwrap();
        assert_eq!(&bytes[..], b"[1,2]");
        let back: Vec<u32> = JsonText::decode(bytes).unwrap();
        assert_eq!(back, vec![1, 2]);
        let broken = <JsonText as Decodes<Vec<u32>>>::decode(Bytes::from_static(b"[1,\xff]"));
        assert!(broken.is_err());
    }
}
