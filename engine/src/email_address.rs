//! A lead's or sender's email address, parsed once at the edge (CSV import, API, forms) so the
//! rest of the code never handles an unchecked string. WASM-safe: the browser uses it too.
//!
//! Addresses are normalized to lowercase: leads are matched case-insensitively everywhere
//! (duplicates, suppressions, replies), and one spelling per address keeps that simple.

use std::fmt;

use serde::{Deserialize, Serialize};

/// RFC 5321 limits, in bytes.
const MAX_LOCAL_PART_LEN: usize = 64;
const MAX_ADDRESS_LEN: usize = 254;
const MAX_DOMAIN_LABEL_LEN: usize = 63;

/// A syntactically valid, lowercased email address (`local@domain.tld`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress {
    address: String,
    /// Byte offset of the `@`.
    at: usize,
}

/// Why a string is not an email address; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("the address is empty")]
    Empty,
    #[error("missing @")]
    MissingAt,
    #[error("more than one @")]
    MultipleAt,
    #[error("nothing before the @")]
    EmptyLocalPart,
    #[error("nothing after the @")]
    EmptyDomain,
    #[error("contains a line break")]
    LineBreak,
    #[error("contains a control character")]
    ControlCharacter,
    #[error("contains a space")]
    Space,
    #[error("contains the character '{0}', which an address cannot have")]
    ForbiddenCharacter(char),
    #[error("the part before the @ cannot start or end with a dot")]
    DotAtEdge,
    #[error("the part before the @ cannot have two dots in a row")]
    ConsecutiveDots,
    #[error("the part before the @ is longer than {MAX_LOCAL_PART_LEN} characters")]
    LocalPartTooLong,
    #[error("the address is longer than {MAX_ADDRESS_LEN} characters")]
    TooLong,
    #[error("domain '{domain}' is not valid: {reason}")]
    InvalidDomain { domain: String, reason: &'static str },
}

impl EmailAddress {
    /// Parses `input`, trimming surrounding whitespace and lowercasing it.
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let address = input.trim().to_lowercase();
        check_characters(&address)?;
        let at = find_single_at(&address)?;
        let (local, domain) = (&address[..at], &address[at + 1..]);
        check_local_part(local)?;
        check_domain(domain)?;
        if address.len() > MAX_ADDRESS_LEN {
            return Err(EmailAddressError::TooLong);
        }
        Ok(Self { address, at })
    }

    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }
}

/// Parses a bare domain (as in a domain-wide suppression), lower-cased, with an optional
/// leading `@` dropped: `"@Acme.COM "` → `"acme.com"`.
pub fn parse_domain(input: &str) -> Result<String, EmailAddressError> {
    let domain = input.trim().trim_start_matches('@').to_lowercase();
    check_characters(&domain)?;
    if domain.contains('@') {
        return Err(EmailAddressError::InvalidDomain { domain, reason: "a domain has no @ in it" });
    }
    check_domain(&domain)?;
    Ok(domain)
}

fn check_characters(address: &str) -> Result<(), EmailAddressError> {
    if address.is_empty() {
        return Err(EmailAddressError::Empty);
    }
    for ch in address.chars() {
        match ch {
            '\r' | '\n' => return Err(EmailAddressError::LineBreak),
            c if c.is_control() => return Err(EmailAddressError::ControlCharacter),
            c if c.is_whitespace() => return Err(EmailAddressError::Space),
            // Characters that would let an address smuggle a display name, a second
            // recipient or a comment into a header, plus those RFC 5322 only allows quoted.
            '"' | '<' | '>' | ',' | ';' | ':' | '(' | ')' | '[' | ']' | '\\' => {
                return Err(EmailAddressError::ForbiddenCharacter(ch));
            }
            _ => {}
        }
    }
    Ok(())
}

fn find_single_at(address: &str) -> Result<usize, EmailAddressError> {
    let at = address.find('@').ok_or(EmailAddressError::MissingAt)?;
    if address[at + 1..].contains('@') {
        return Err(EmailAddressError::MultipleAt);
    }
    Ok(at)
}

fn check_local_part(local: &str) -> Result<(), EmailAddressError> {
    if local.is_empty() {
        return Err(EmailAddressError::EmptyLocalPart);
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(EmailAddressError::DotAtEdge);
    }
    if local.contains("..") {
        return Err(EmailAddressError::ConsecutiveDots);
    }
    if local.len() > MAX_LOCAL_PART_LEN {
        return Err(EmailAddressError::LocalPartTooLong);
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), EmailAddressError> {
    let invalid = |reason| EmailAddressError::InvalidDomain { domain: domain.to_owned(), reason };
    if domain.is_empty() {
        return Err(EmailAddressError::EmptyDomain);
    }
    if !domain.contains('.') {
        return Err(invalid("it needs a dot, like example.com"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(invalid("it cannot start or end with a dot or have two dots in a row"));
        }
        if label.len() > MAX_DOMAIN_LABEL_LEN {
            return Err(invalid("a part between dots is longer than 63 characters"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(invalid("a part between dots cannot start or end with a hyphen"));
        }
        // Letters of any script are allowed: internationalized domains are written in
        // Unicode by people and converted to punycode by mail servers.
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(invalid("only letters, digits, hyphens and dots are allowed"));
        }
    }
    let top_level = labels.last().copied().unwrap_or_default();
    if top_level.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("it ends in a number, not a domain name"));
    }
    Ok(())
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.address
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.address
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = EmailAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn domains_parse_like_the_part_after_the_at() {
        assert_eq!(super::parse_domain(" @Acme.COM ").unwrap(), "acme.com");
        assert_eq!(super::parse_domain("mail.example.co.uk").unwrap(), "mail.example.co.uk");
        assert!(super::parse_domain("localhost").is_err());
        assert!(super::parse_domain("a@b.com").is_err());
        assert!(super::parse_domain("bad domain.com").is_err());
        assert!(super::parse_domain("").is_err());
    }

    use proptest::prelude::*;

    use super::*;

    fn parse_err(input: &str) -> EmailAddressError {
        EmailAddress::parse(input).expect_err(input)
    }

    #[test]
    fn accepts_ordinary_addresses_and_normalizes_them() {
        let address = EmailAddress::parse("  Jane.Doe+Outreach@Example.CO.uk \n").unwrap();
        assert_eq!(address.as_str(), "jane.doe+outreach@example.co.uk");
        assert_eq!(address.local_part(), "jane.doe+outreach");
        assert_eq!(address.domain(), "example.co.uk");
        assert_eq!(address.to_string(), "jane.doe+outreach@example.co.uk");
    }

    #[test]
    fn accepts_unicode_and_lowercases_it() {
        let address = EmailAddress::parse("Jürgen@Bücher.DE").unwrap();
        assert_eq!(address.as_str(), "jürgen@bücher.de");
        assert!(EmailAddress::parse("用户@例子.广告").is_ok());
        assert!(EmailAddress::parse("o'brien@example.com").is_ok());
        assert!(EmailAddress::parse("a@xn--bcher-kva.de").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses_with_a_reason() {
        use EmailAddressError::*;
        assert_eq!(parse_err("   "), Empty);
        assert_eq!(parse_err("jane.example.com"), MissingAt);
        assert_eq!(parse_err("jane@doe@example.com"), MultipleAt);
        assert_eq!(parse_err("@example.com"), EmptyLocalPart);
        assert_eq!(parse_err("jane@"), EmptyDomain);
        assert_eq!(parse_err("jane doe@example.com"), Space);
        assert_eq!(parse_err("jane@example.com\r\nBcc: x@y.com"), LineBreak);
        assert_eq!(parse_err("ja\u{0}ne@example.com"), ControlCharacter);
        assert_eq!(parse_err("\"jane\"@example.com"), ForbiddenCharacter('"'));
        assert_eq!(parse_err("Jane <jane@example.com>"), Space);
        assert_eq!(parse_err("<jane@example.com>"), ForbiddenCharacter('<'));
        assert_eq!(parse_err("a@example.com,b@example.com"), ForbiddenCharacter(','));
        assert_eq!(parse_err(".jane@example.com"), DotAtEdge);
        assert_eq!(parse_err("jane.@example.com"), DotAtEdge);
        assert_eq!(parse_err("ja..ne@example.com"), ConsecutiveDots);
        assert_eq!(parse_err(&format!("{}@example.com", "a".repeat(65))), LocalPartTooLong);
        let long_domain = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert_eq!(parse_err(&format!("jane@{long_domain}")), TooLong);
    }

    #[test]
    fn rejects_bad_domains_naming_the_domain() {
        for domain in ["localhost", "example..com", ".example.com", "example.com.", "-a.com"] {
            let err = parse_err(&format!("jane@{domain}"));
            assert!(
                matches!(&err, EmailAddressError::InvalidDomain { domain: d, .. } if d == domain),
                "{domain}: {err:?}"
            );
        }
        assert!(parse_err("jane@exa_mple.com").to_string().starts_with("domain 'exa_mple.com'"));
        assert!(matches!(parse_err("jane@10.0.0.1"), EmailAddressError::InvalidDomain { .. }));
        assert_eq!(
            parse_err("jane@gmail").to_string(),
            "domain 'gmail' is not valid: it needs a dot, like example.com"
        );
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let address = EmailAddress::parse("a@b.co").unwrap();
        assert_eq!(serde_json::to_string(&address).unwrap(), "\"a@b.co\"");
        let back: EmailAddress = serde_json::from_str("\"A@B.CO\"").unwrap();
        assert_eq!(back, address);
        let err = serde_json::from_str::<EmailAddress>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("missing @"), "{err}");
    }

    fn local_part() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[a-zA-Z0-9+_-]{1,10}){0,2}"
    }

    fn domain() -> impl Strategy<Value = String> {
        "([a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?\\.){1,3}[a-zA-Z]{2,8}"
    }

    proptest! {
        #[test]
        fn valid_addresses_parse_and_lowercase(local in local_part(), domain in domain()) {
            let input = format!(" {local}@{domain} ");
            let address = EmailAddress::parse(&input).unwrap();
            prop_assert_eq!(address.local_part(), local.to_lowercase());
            prop_assert_eq!(address.domain(), domain.to_lowercase());
        }

        #[test]
        fn parsing_never_panics_and_results_are_clean(input in any::<String>()) {
            if let Ok(address) = EmailAddress::parse(&input) {
                prop_assert!(!address.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
                prop_assert_eq!(address.as_str().matches('@').count(), 1);
                prop_assert_eq!(EmailAddress::parse(address.as_str()).unwrap(), address);
            }
        }

        #[test]
        fn case_does_not_matter(local in local_part(), domain in domain()) {
            let lower = EmailAddress::parse(&format!("{local}@{domain}")).unwrap();
            let upper = EmailAddress::parse(&format!("{local}@{domain}").to_uppercase()).unwrap();
            prop_assert_eq!(lower, upper);
        }
    }
}
