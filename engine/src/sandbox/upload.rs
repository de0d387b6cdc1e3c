//! The media upload path of `messages.send` (`/upload/gmail/v1/…`): `uploadType=media` carries
//! the message itself, `uploadType=multipart` a `multipart/related` body of JSON metadata
//! followed by the message.

use crate::gmail::SendMessageRequest;

/// The upload endpoints' limit (`maxSize` in the discovery document): 35 MiB.
pub const UPLOAD_LIMIT: usize = 36_700_160;

#[derive(Debug, PartialEq, Eq)]
pub struct Upload {
    pub raw: Vec<u8>,
    pub thread_id: Option<String>,
}

/// Reads an upload body; the error is the reason for a 400.
pub fn parse_upload(
    upload_type: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Result<Upload, String> {
    match upload_type {
        Some("media") => Ok(Upload { raw: body.to_vec(), thread_id: None }),
        Some("multipart") => parse_multipart(content_type, body),
        Some("resumable") => {
            Err("The sandbox does not support resumable uploads; use uploadType=multipart".into())
        }
        _ => Err("Invalid upload request: uploadType must be media or multipart".into()),
    }
}

fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Upload, String> {
    let boundary = boundary_of(content_type).ok_or("multipart upload without a boundary")?;
    let parts = split_parts(body, &boundary);
    let [metadata, message] = parts.as_slice() else {
        return Err(format!("a multipart upload has 2 parts, this one has {}", parts.len()));
    };
    let metadata: SendMessageRequest = serde_json::from_slice(part_body(metadata))
        .map_err(|e| format!("Invalid JSON payload received. {e}"))?;
    Ok(Upload { raw: part_body(message).to_vec(), thread_id: metadata.thread_id })
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The parts between `--boundary` lines (headers included), without the line breaks that
/// belong to the delimiters.
fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut pos = 0;
    while let Some(found) = find(&body[pos..], delimiter) {
        starts.push(pos + found);
        pos += found + delimiter.len();
    }
    starts
        .windows(2)
        .map(|pair| {
            let part = &body[pair[0] + delimiter.len()..pair[1]];
            let part =
                part.strip_prefix(b"\r\n").or_else(|| part.strip_prefix(b"\n")).unwrap_or(part);
            part.strip_suffix(b"\r\n").or_else(|| part.strip_suffix(b"\n")).unwrap_or(part)
        })
        .collect()
}

/// A part's body (after its headers).
fn part_body(part: &[u8]) -> &[u8] {
    if let Some(at) = find(part, b"\r\n\r\n") {
        &part[at + 4..]
    } else if let Some(at) = find(part, b"\n\n") {
        &part[at + 2..]
    } else {
        part
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_upload_yields_thread_and_message() {
        let body = b"--xyz\r\nContent-Type: application/json\r\n\r\n{\"threadId\":\"t1\"}\r\n--xyz\r\nContent-Type: message/rfc822\r\n\r\nTo: a@b.com\r\n\r\nbody\r\n--xyz--\r\n";
        let upload =
            parse_upload(Some("multipart"), "multipart/related; boundary=\"xyz\"", body).unwrap();
        assert_eq!(upload.thread_id.as_deref(), Some("t1"));
        assert_eq!(upload.raw, b"To: a@b.com\r\n\r\nbody");
    }

    #[test]
    fn media_upload_is_the_message_itself() {
        let upload =
            parse_upload(Some("media"), "message/rfc822", b"To: a@b.com\r\n\r\nx").unwrap();
        assert_eq!(upload, Upload { raw: b"To: a@b.com\r\n\r\nx".to_vec(), thread_id: None });
        assert!(parse_upload(None, "message/rfc822", b"x").is_err());
        assert!(parse_upload(Some("resumable"), "message/rfc822", b"x").is_err());
        assert!(parse_upload(Some("multipart"), "multipart/related", b"x").is_err());
    }
}
