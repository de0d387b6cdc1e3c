//! Query-string and form parameters with repeated keys (`labelIds=A&labelIds=B`), which
//! serde's urlencoded deserializer cannot express.

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(text: Option<&str>) -> Self {
        let text = text.unwrap_or_default();
        Self(url::form_urlencoded::parse(text.as_bytes()).into_owned().collect())
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_flags() {
        let params = Params::parse(Some(
            "labelIds=INBOX&labelIds=UNREAD&q=from%3Aa+b&x=&includeSpamTrash=TRUE",
        ));
        assert_eq!(params.all("labelIds"), vec!["INBOX", "UNREAD"]);
        assert_eq!(params.get("q"), Some("from:a b"));
        assert_eq!(params.get("x"), None);
        assert!(params.flag("includeSpamTrash"));
        assert!(!params.flag("missing"));
    }
}
