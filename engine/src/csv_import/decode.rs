//! Turns the uploaded bytes into UTF-8 with `\n` line ends, streaming: the encoding is decided
//! from the first 64 KiB (byte-order mark, binary signatures, valid UTF-8 or not), then every
//! chunk is decoded as it is read, so a 50 MB file is never held in memory.

use std::fmt;
use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;

use super::CsvError;

/// How much of the file decides its encoding.
const SNIFF_LEN: usize = 64 * 1024;
const CHUNK_LEN: usize = 64 * 1024;

/// The encoding the file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceEncoding {
    Utf8,
    /// UTF-8 starting with a byte-order mark (what Excel's "CSV UTF-8" writes).
    Utf8WithBom,
    Utf16Le,
    Utf16Be,
    /// Not valid UTF-8: read as Windows-1252, the superset of Latin-1 that Excel on Windows
    /// writes for Western European languages.
    Windows1252,
}

impl SourceEncoding {
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8WithBom => "UTF-8 (with BOM)",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
            Self::Windows1252 => "Windows-1252",
        }
    }

    fn decoder(self) -> Decoder {
        let encoding: &'static Encoding = match self {
            Self::Utf8 | Self::Utf8WithBom => UTF_8,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
            Self::Windows1252 => WINDOWS_1252,
        };
        encoding.new_decoder_with_bom_removal()
    }
}

/// Errors raised inside the `Read` chain, carried through `io::Error` to [`CsvError`].
#[derive(Debug)]
pub(super) enum InputError {
    TooLarge { limit: u64 },
    Malformed { encoding: SourceEncoding, offset: u64 },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "the file is larger than {limit} bytes"),
            Self::Malformed { encoding, offset } => {
                write!(f, "invalid {} at byte {offset}", encoding.label())
            }
        }
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for CsvError {
    fn from(error: InputError) -> Self {
        match error {
            InputError::TooLarge { limit } => CsvError::TooLarge { limit },
            InputError::Malformed { encoding, offset } => {
                CsvError::InvalidEncoding { encoding: encoding.label(), offset }
            }
        }
    }
}

/// Recovers our own error from an `io::Error` that came through the reader chain.
pub(super) fn csv_error_from_io(error: io::Error) -> CsvError {
    match error.downcast::<InputError>() {
        Ok(input_error) => CsvError::from(input_error),
        Err(error) => CsvError::Io(error),
    }
}

/// Fails the read once more than `limit` bytes came through.
struct LimitedReader<R> {
    inner: R,
    limit: u64,
    read: u64,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(InputError::TooLarge { limit: self.limit }));
        }
        Ok(n)
    }
}

/// The file's bytes as UTF-8, with CRLF and lone CR line ends turned into LF (so the CSV
/// parser counts lines right for old Mac exports too) and a final LF added if missing.
pub(super) struct DecodingReader<R> {
    source: LimitedReader<R>,
    encoding: SourceEncoding,
    decoder: Decoder,
    input: Vec<u8>,
    input_pos: usize,
    input_offset: u64,
    source_done: bool,
    decoded: Vec<u8>,
    output: Vec<u8>,
    output_pos: usize,
    after_cr: bool,
    /// Whether the text so far ends with `\n` (true before any text: nothing to close).
    ends_with_newline: bool,
    finished: bool,
    /// Bytes of text handed out so far, and the last two of them.
    bytes_out: u64,
    tail: [u8; 2],
}

impl<R: Read> DecodingReader<R> {
    /// Reads the start of `reader`, decides the encoding (or refuses the file) and returns a
    /// reader of the decoded text.
    pub(super) fn new(reader: R, byte_limit: u64) -> Result<Self, CsvError> {
        let mut source = LimitedReader { inner: reader, limit: byte_limit, read: 0 };
        let (prefix, source_done) = read_prefix(&mut source).map_err(csv_error_from_io)?;
        let encoding = detect_encoding(&prefix, source_done)?;
        Ok(Self {
            source,
            encoding,
            decoder: encoding.decoder(),
            input: prefix,
            input_pos: 0,
            input_offset: 0,
            source_done,
            decoded: Vec::new(),
            output: Vec::new(),
            output_pos: 0,
            after_cr: false,
            ends_with_newline: true,
            finished: false,
            bytes_out: 0,
            tail: [0; 2],
        })
    }

    pub(super) fn encoding(&self) -> SourceEncoding {
        self.encoding
    }

    /// All of the file was decoded and handed out.
    pub(super) fn is_finished(&self) -> bool {
        self.finished && self.output_pos == self.output.len()
    }

    pub(super) fn bytes_out(&self) -> u64 {
        self.bytes_out
    }

    /// Whether the text handed out so far ends with `suffix` (at most two bytes).
    pub(super) fn ends_with(&self, suffix: &[u8]) -> bool {
        let seen = usize::try_from(self.bytes_out.min(2)).unwrap_or(2);
        self.tail[2 - seen..].ends_with(suffix)
    }

    /// Decodes the next chunk into `self.output`.
    fn fill(&mut self) -> io::Result<()> {
        if self.input_pos == self.input.len() && !self.source_done {
            self.input.resize(CHUNK_LEN, 0);
            let n = self.source.read(&mut self.input)?;
            self.input.truncate(n);
            self.input_pos = 0;
            self.source_done = n == 0;
        }
        let pending = &self.input[self.input_pos..];
        let capacity = self
            .decoder
            .max_utf8_buffer_length_without_replacement(pending.len())
            .unwrap_or(pending.len() * 3 + 16);
        self.decoded.resize(capacity, 0);
        let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
            pending,
            &mut self.decoded,
            self.source_done,
        );
        self.input_pos += read;
        self.input_offset += read as u64;
        if let DecoderResult::Malformed(..) = result {
            let encoding = self.encoding;
            return Err(io::Error::other(InputError::Malformed {
                encoding,
                offset: self.input_offset,
            }));
        }
        self.output.clear();
        self.output_pos = 0;
        normalize_line_ends(&self.decoded[..written], &mut self.after_cr, &mut self.output);
        if let Some(&last) = self.output.last() {
            self.ends_with_newline = last == b'\n';
        }
        if result == DecoderResult::InputEmpty && self.source_done {
            self.finished = true;
            // Every record then ends with a line break, which keeps line counting simple.
            if !self.ends_with_newline {
                self.output.push(b'\n');
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.output_pos == self.output.len() {
            if self.finished {
                return Ok(0);
            }
            self.fill()?;
        }
        let available = &self.output[self.output_pos..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.output_pos += n;
        self.bytes_out += n as u64;
        match n {
            0 => {}
            1 => self.tail = [self.tail[1], buf[0]],
            _ => self.tail = [buf[n - 2], buf[n - 1]],
        }
        Ok(n)
    }
}

/// The whole file as UTF-8 text with `\n` line ends, decoded as the lead import reads it:
/// any of the recognized encodings, binary files and files over `byte_limit` refused.
pub fn decode_to_string(bytes: &[u8], byte_limit: u64) -> Result<String, CsvError> {
    let mut reader = DecodingReader::new(bytes, byte_limit)?;
    let mut text = Vec::with_capacity(bytes.len() + 1);
    reader.read_to_end(&mut text).map_err(csv_error_from_io)?;
    String::from_utf8(text).map_err(|e| CsvError::Malformed(e.to_string()))
}

fn read_prefix(source: &mut impl Read) -> io::Result<(Vec<u8>, bool)> {
    let mut prefix = vec![0; SNIFF_LEN];
    let mut filled = 0;
    while filled < SNIFF_LEN {
        match source.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    prefix.truncate(filled);
    Ok((prefix, filled < SNIFF_LEN))
}

/// Decides how to read the file from its first bytes, or refuses it.
fn detect_encoding(prefix: &[u8], whole_file: bool) -> Result<SourceEncoding, CsvError> {
    if prefix.is_empty() {
        return Err(CsvError::Empty);
    }
    match prefix {
        [0xEF, 0xBB, 0xBF, ..] => return Ok(SourceEncoding::Utf8WithBom),
        [0xFF, 0xFE, ..] => return Ok(SourceEncoding::Utf16Le),
        [0xFE, 0xFF, ..] => return Ok(SourceEncoding::Utf16Be),
        _ => {}
    }
    if let Some(kind) = binary_signature(prefix) {
        return Err(CsvError::NotText(kind));
    }
    if prefix.contains(&0) {
        return Err(CsvError::NotText(
            "a binary file (it contains NUL bytes; UTF-16 without a byte-order mark looks \
             like this too)",
        ));
    }
    let control_bytes =
        prefix.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    // Random binary data is about 12% control bytes; text has almost none (but a stray one
    // pasted into a cell must not get a lead list refused).
    if control_bytes * 20 > prefix.len() {
        return Err(CsvError::NotText("a binary file (it is full of control characters)"));
    }
    if is_utf8_prefix(prefix, whole_file) {
        Ok(SourceEncoding::Utf8)
    } else {
        Ok(SourceEncoding::Windows1252)
    }
}

/// Valid UTF-8, allowing a character cut in two at the end of a partial read.
fn is_utf8_prefix(prefix: &[u8], whole_file: bool) -> bool {
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(error) => !whole_file && error.error_len().is_none(),
    }
}

/// Common files people upload by mistake, recognized by their first bytes.
fn binary_signature(prefix: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "an Excel workbook or a zip archive"),
        (b"\xD0\xCF\x11\xE0", "an old Excel (.xls) workbook"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"\x1F\x8B", "a gzip archive"),
    ];
    SIGNATURES.iter().find(|(magic, _)| prefix.starts_with(magic)).map(|(_, kind)| *kind)
}

fn normalize_line_ends(bytes: &[u8], after_cr: &mut bool, out: &mut Vec<u8>) {
    if !*after_cr && !bytes.contains(&b'\r') {
        out.extend_from_slice(bytes);
        return;
    }
    for &byte in bytes {
        match byte {
            b'\r' => out.push(b'\n'),
            b'\n' if *after_cr => {}
            _ => out.push(byte),
        }
        *after_cr = byte == b'\r';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<(SourceEncoding, String), CsvError> {
        let mut reader = DecodingReader::new(bytes, u64::MAX)?;
        let mut text = String::new();
        reader.read_to_string(&mut text).map_err(csv_error_from_io)?;
        Ok((reader.encoding(), text))
    }

    #[test]
    fn detects_and_decodes_encodings() {
        assert_eq!(decode(b"a,b\n").unwrap(), (SourceEncoding::Utf8, "a,b\n".into()));
        assert_eq!(decode(b"a,b").unwrap(), (SourceEncoding::Utf8, "a,b\n".into()));
        assert_eq!(
            decode("\u{feff}Grüße".as_bytes()).unwrap(),
            (SourceEncoding::Utf8WithBom, "Grüße\n".into())
        );
        assert_eq!(
            decode(b"Jos\xe9 M\xfcller \x80 Stra\xdfe").unwrap(),
            (SourceEncoding::Windows1252, "José Müller € Straße\n".into())
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é,x\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).unwrap(), (SourceEncoding::Utf16Le, "é,x\n".into()));
    }

    #[test]
    fn normalizes_line_ends_across_chunks() {
        let mut after_cr = false;
        let mut out = Vec::new();
        normalize_line_ends(b"a\r", &mut after_cr, &mut out);
        normalize_line_ends(b"\nb\rc\r\r\nd", &mut after_cr, &mut out);
        assert_eq!(out, b"a\nb\nc\n\nd");
    }

    #[test]
    fn refuses_binary_files() {
        for bytes in [&b"PK\x03\x04rest"[..], b"%PDF-1.7", b"email\0,name", b"\x01\x02\x03\x04abc"]
        {
            assert!(matches!(decode(bytes), Err(CsvError::NotText(_))), "{bytes:?}");
        }
        assert!(matches!(decode(b""), Err(CsvError::Empty)));
    }

    #[test]
    fn utf8_that_breaks_after_the_sniffed_start_is_an_error() {
        let mut bytes = "é".repeat(SNIFF_LEN).into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let offset = bytes.len() as u64 - 1;
        assert!(matches!(
            decode(&bytes),
            Err(CsvError::InvalidEncoding { encoding: "UTF-8", offset: o }) if o == offset
        ));
    }

    #[test]
    fn enforces_the_byte_limit() {
        let bytes = vec![b'a'; 200_000];
        let error = DecodingReader::new(&bytes[..], 100)
            .err()
            .or_else(|| {
                let mut reader = DecodingReader::new(&bytes[..], 100_000).ok()?;
                reader.read_to_end(&mut Vec::new()).err().map(csv_error_from_io)
            })
            .unwrap();
        assert!(matches!(error, CsvError::TooLarge { limit: 100 }), "{error:?}");
    }
}
