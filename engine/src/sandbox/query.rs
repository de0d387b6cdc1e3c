//! Gmail's search syntax (`q`), the subset the engine uses (GMAIL_API.md §4): `from:`, `to:`,
//! `cc:`, `subject:`, `rfc822msgid:`, `in:`, `label:`, `is:`, `after:`/`before:` (epoch seconds
//! or yyyy/mm/dd at midnight PST), `newer_than:`/`older_than:` (h, d, m, y), bare words and
//! "phrases", uppercase `OR`, `-` negation, `( )` grouping and `{a b}` (any of).
//!
//! Gmail operators the sandbox does not implement are refused with an error rather than
//! silently matching nothing, so a missing feature shows up in tests.

use chrono::{DateTime, FixedOffset, Months, NaiveDate, TimeDelta, TimeZone, Utc};

use super::rfc822::{Addr, MessageFacts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All(Vec<Query>),
    Any(Vec<Query>),
    Not(Box<Query>),
    Term(Term),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    From(String),
    To(String),
    Cc(String),
    Subject(String),
    MessageId(String),
    In(Folder),
    Label(String),
    Is(Flag),
    After(DateTime<Utc>),
    Before(DateTime<Utc>),
    NewerThan(Span),
    OlderThan(Span),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Inbox,
    Sent,
    Spam,
    Trash,
    Drafts,
    Anywhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Unread,
    Read,
    Starred,
}

/// A relative age, resolved against "now" when the query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Hours(u32),
    Days(u32),
    Months(u32),
    Years(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid query: {0}")]
pub struct QueryError(String);

/// One message as the query sees it.
pub struct Candidate<'a> {
    pub facts: &'a MessageFacts,
    pub label_ids: &'a [String],
    /// Names of the message's labels (user and system).
    pub label_names: Vec<&'a str>,
    pub internal_date: DateTime<Utc>,
    /// The mailbox's own address, for `from:me` / `to:me`.
    pub owner: &'a str,
}

const UNSUPPORTED: [&str; 12] = [
    "has",
    "filename",
    "larger",
    "smaller",
    "size",
    "list",
    "category",
    "deliveredto",
    "bcc",
    "around",
    "older",
    "newer",
];

impl Query {
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, pos: 0 };
        let items = parser.sequence(None)?;
        if parser.pos < parser.tokens.len() {
            return Err(QueryError(format!(
                "unbalanced '{}'",
                parser.tokens[parser.pos].describe()
            )));
        }
        Ok(Query::All(items))
    }

    /// Whether spam and trash are searched (`in:anywhere`, `in:spam`, `in:trash`).
    pub fn reaches_spam_and_trash(&self) -> bool {
        match self {
            Query::All(items) | Query::Any(items) => {
                items.iter().any(Query::reaches_spam_and_trash)
            }
            Query::Not(_) => false,
            Query::Term(Term::In(folder)) => {
                matches!(folder, Folder::Anywhere | Folder::Spam | Folder::Trash)
            }
            Query::Term(_) => false,
        }
    }

    pub fn matches(&self, message: &Candidate<'_>, now: DateTime<Utc>) -> bool {
        match self {
            Query::All(items) => items.iter().all(|q| q.matches(message, now)),
            Query::Any(items) => items.iter().any(|q| q.matches(message, now)),
            Query::Not(inner) => !inner.matches(message, now),
            Query::Term(term) => term.matches(message, now),
        }
    }
}

impl Term {
    fn matches(&self, m: &Candidate<'_>, now: DateTime<Utc>) -> bool {
        let has_label = |id: &str| m.label_ids.iter().any(|l| l == id);
        match self {
            Term::From(who) => addresses_match(&m.facts.from, who, m.owner),
            Term::To(who) => [&m.facts.to, &m.facts.cc, &m.facts.bcc]
                .iter()
                .any(|list| addresses_match(list, who, m.owner)),
            Term::Cc(who) => addresses_match(&m.facts.cc, who, m.owner),
            Term::Subject(words) => contains_words(&m.facts.subject, words),
            Term::MessageId(id) => m
                .facts
                .message_id
                .as_deref()
                .is_some_and(|own| own.eq_ignore_ascii_case(id.trim_matches(['<', '>']))),
            Term::In(folder) => match folder {
                Folder::Inbox => has_label("INBOX"),
                Folder::Sent => has_label("SENT"),
                Folder::Spam => has_label("SPAM"),
                Folder::Trash => has_label("TRASH"),
                Folder::Drafts => has_label("DRAFT"),
                Folder::Anywhere => true,
            },
            Term::Label(name) => {
                let wanted = label_key(name);
                m.label_ids.iter().any(|id| label_key(id) == wanted)
                    || m.label_names.iter().any(|n| label_key(n) == wanted)
            }
            Term::Is(Flag::Unread) => has_label("UNREAD"),
            Term::Is(Flag::Read) => !has_label("UNREAD"),
            Term::Is(Flag::Starred) => has_label("STARRED"),
            Term::After(at) => m.internal_date >= *at,
            Term::Before(at) => m.internal_date < *at,
            Term::NewerThan(span) => m.internal_date > span.before(now),
            Term::OlderThan(span) => m.internal_date < span.before(now),
            Term::Text(words) => {
                let f = m.facts;
                contains_words(&f.subject, words)
                    || contains_words(&f.text, words)
                    || [&f.from, &f.to, &f.cc].iter().any(|l| addresses_match(l, words, m.owner))
            }
        }
    }
}

impl Span {
    fn before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Span::Hours(n) => now - TimeDelta::hours(i64::from(n)),
            Span::Days(n) => now - TimeDelta::days(i64::from(n)),
            Span::Months(n) => now.checked_sub_months(Months::new(n)).unwrap_or(now),
            Span::Years(n) => {
                now.checked_sub_months(Months::new(n.saturating_mul(12))).unwrap_or(now)
            }
        }
    }
}

fn addresses_match(list: &[Addr], who: &str, owner: &str) -> bool {
    let who = who.to_lowercase();
    if who == "me" {
        return list.iter().any(|a| a.email.eq_ignore_ascii_case(owner));
    }
    list.iter().any(|a| {
        a.email.to_lowercase().contains(&who)
            || a.name.as_ref().is_some_and(|n| n.to_lowercase().contains(&who))
    })
}

/// Case-insensitive substring match: a word or a whole phrase (quotes already removed).
fn contains_words(haystack: &str, words: &str) -> bool {
    haystack.to_lowercase().contains(words.trim().to_lowercase().as_str())
}

/// Gmail treats `/`, `-`, `_` and spaces in label names alike, case-insensitively.
fn label_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if matches!(c, '/' | ' ' | '_') { '-' } else { c })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    OpenBrace,
    CloseBrace,
    Minus,
    Or,
    Word(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::OpenBrace => "{".into(),
            Token::CloseBrace => "}".into(),
            Token::Minus => "-".into(),
            Token::Or => "OR".into(),
            Token::Word(w) => w.clone(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '{' | '}' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '{' => Token::OpenBrace,
                    _ => Token::CloseBrace,
                });
            }
            '-' => {
                chars.next();
                if chars.peek().is_some_and(|n| !n.is_whitespace()) {
                    tokens.push(Token::Minus);
                }
            }
            _ => {
                let mut word = String::new();
                let mut quoted = false;
                while let Some(&c) = chars.peek() {
                    if c == '"' {
                        quoted = !quoted;
                    } else if !quoted && (c.is_whitespace() || "(){}".contains(c)) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if quoted {
                    return Err(QueryError("unterminated quote".into()));
                }
                match word.as_str() {
                    "OR" | "|" => tokens.push(Token::Or),
                    "AND" => {}
                    _ => tokens.push(Token::Word(word)),
                }
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    /// Items up to (not including) `close`, or to the end.
    fn sequence(&mut self, close: Option<&Token>) -> Result<Vec<Query>, QueryError> {
        let mut items = Vec::new();
        while let Some(token) = self.peek() {
            if Some(token) == close || matches!(token, Token::Close | Token::CloseBrace) {
                break;
            }
            items.push(self.any_of()?);
        }
        Ok(items)
    }

    fn any_of(&mut self) -> Result<Query, QueryError> {
        let mut options = vec![self.unary()?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            options.push(self.unary()?);
        }
        Ok(if options.len() == 1 { options.remove(0) } else { Query::Any(options) })
    }

    fn unary(&mut self) -> Result<Query, QueryError> {
        match self.next() {
            Some(Token::Minus) => Ok(Query::Not(Box::new(self.unary()?))),
            Some(Token::Open) => {
                let items = self.sequence(Some(&Token::Close))?;
                self.expect(Token::Close)?;
                Ok(Query::All(items))
            }
            Some(Token::OpenBrace) => {
                let items = self.sequence(Some(&Token::CloseBrace))?;
                self.expect(Token::CloseBrace)?;
                Ok(Query::Any(items))
            }
            Some(Token::Word(word)) => parse_term(&word).map(Query::Term),
            Some(other) => Err(QueryError(format!("unexpected '{}'", other.describe()))),
            None => Err(QueryError("the query ends too early".into())),
        }
    }

    fn expect(&mut self, wanted: Token) -> Result<(), QueryError> {
        match self.next() {
            Some(token) if token == wanted => Ok(()),
            _ => Err(QueryError(format!("missing '{}'", wanted.describe()))),
        }
    }
}

fn parse_term(word: &str) -> Result<Term, QueryError> {
    let Some((operator, value)) = word.split_once(':').filter(|(op, _)| is_operator(op)) else {
        return Ok(Term::Text(word.trim_matches('"').to_owned()));
    };
    let operator = operator.to_ascii_lowercase();
    let value = value.trim_matches('"').to_owned();
    if value.is_empty() {
        return Err(QueryError(format!("'{operator}:' needs a value")));
    }
    let term = match operator.as_str() {
        "from" => Term::From(value),
        "to" => Term::To(value),
        "cc" => Term::Cc(value),
        "subject" => Term::Subject(value),
        "rfc822msgid" => Term::MessageId(value),
        "label" => Term::Label(value),
        "in" => Term::In(parse_folder(&value)?),
        "is" => Term::Is(parse_flag(&value)?),
        "after" => Term::After(parse_date(&value)?),
        "before" => Term::Before(parse_date(&value)?),
        "newer_than" => Term::NewerThan(parse_span(&value)?),
        "older_than" => Term::OlderThan(parse_span(&value)?),
        other => {
            return Err(QueryError(format!("the sandbox does not support '{other}:'")));
        }
    };
    Ok(term)
}

fn is_operator(name: &str) -> bool {
    const SUPPORTED: [&str; 12] = [
        "from",
        "to",
        "cc",
        "subject",
        "rfc822msgid",
        "label",
        "in",
        "is",
        "after",
        "before",
        "newer_than",
        "older_than",
    ];
    let name = name.to_ascii_lowercase();
    SUPPORTED.contains(&name.as_str()) || UNSUPPORTED.contains(&name.as_str())
}

fn parse_folder(value: &str) -> Result<Folder, QueryError> {
    match value.to_ascii_lowercase().as_str() {
        "inbox" => Ok(Folder::Inbox),
        "sent" => Ok(Folder::Sent),
        "spam" => Ok(Folder::Spam),
        "trash" => Ok(Folder::Trash),
        "drafts" | "draft" => Ok(Folder::Drafts),
        "anywhere" => Ok(Folder::Anywhere),
        other => Err(QueryError(format!("unknown folder 'in:{other}'"))),
    }
}

fn parse_flag(value: &str) -> Result<Flag, QueryError> {
    match value.to_ascii_lowercase().as_str() {
        "unread" => Ok(Flag::Unread),
        "read" => Ok(Flag::Read),
        "starred" => Ok(Flag::Starred),
        other => Err(QueryError(format!("the sandbox does not support 'is:{other}'"))),
    }
}

/// Epoch seconds, or a date meaning midnight Pacific Standard Time (Google's rule).
fn parse_date(value: &str) -> Result<DateTime<Utc>, QueryError> {
    let invalid = || QueryError(format!("invalid date '{value}'"));
    if value.chars().all(|c| c.is_ascii_digit()) {
        let seconds: i64 = value.parse().map_err(|_| invalid())?;
        return DateTime::from_timestamp(seconds, 0).ok_or_else(invalid);
    }
    let parts: Vec<&str> = value.split(['/', '-']).collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid());
    };
    let date = NaiveDate::from_ymd_opt(
        y.parse().map_err(|_| invalid())?,
        m.parse().map_err(|_| invalid())?,
        d.parse().map_err(|_| invalid())?,
    )
    .ok_or_else(invalid)?;
    let pst = FixedOffset::west_opt(8 * 3600).ok_or_else(invalid)?;
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(invalid)?;
    pst.from_local_datetime(&midnight).single().map(|t| t.to_utc()).ok_or_else(invalid)
}

fn parse_span(value: &str) -> Result<Span, QueryError> {
    let invalid = || QueryError(format!("invalid age '{value}'"));
    let unit = value.chars().last().ok_or_else(invalid)?;
    let amount: u32 = value[..value.len() - unit.len_utf8()].parse().map_err(|_| invalid())?;
    match unit.to_ascii_lowercase() {
        'h' => Ok(Span::Hours(amount)),
        'd' => Ok(Span::Days(amount)),
        'm' => Ok(Span::Months(amount)),
        'y' => Ok(Span::Years(amount)),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn facts() -> MessageFacts {
        MessageFacts {
            from: vec![Addr {
                name: Some("Ada Lovelace".into()),
                email: "ada@sandbox.outreach.test".into(),
            }],
            to: vec![Addr { name: None, email: "lead+reply@example.com".into() }],
            cc: vec![Addr { name: None, email: "boss@example.com".into() }],
            subject: "Quick question about Engines".into(),
            message_id: Some("abc.123@outreach.test".into()),
            text: "Would you like a demo of the analytical engine?".into(),
            ..MessageFacts::default()
        }
    }

    fn check(q: &str) -> bool {
        let facts = facts();
        let labels = vec!["SENT".to_owned(), "Label_1".to_owned()];
        let candidate = Candidate {
            facts: &facts,
            label_ids: &labels,
            label_names: vec!["SENT", "Outreach/Sent"],
            internal_date: at("2026-01-05T12:00:00Z"),
            owner: "ada@sandbox.outreach.test",
        };
        Query::parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .matches(&candidate, at("2026-01-06T12:00:00Z"))
    }

    #[test]
    fn address_operators() {
        assert!(check("from:ada@sandbox.outreach.test"));
        assert!(check("from:lovelace"));
        assert!(check("from:me"));
        assert!(!check("to:me"));
        assert!(check("to:lead+reply@example.com"));
        assert!(check("to:boss@example.com"), "to: also matches Cc");
        assert!(check("cc:boss"));
        assert!(!check("from:lead"));
    }

    #[test]
    fn subject_message_id_and_text() {
        assert!(check("subject:question"));
        assert!(check("subject:\"quick question\""));
        assert!(!check("subject:\"question quick\""));
        assert!(check("rfc822msgid:abc.123@outreach.test"));
        assert!(check("rfc822msgid:<abc.123@outreach.test>"));
        assert!(!check("rfc822msgid:abc"));
        assert!(check("analytical"));
        assert!(check("\"analytical engine\""));
    }

    #[test]
    fn folders_labels_and_flags() {
        assert!(check("in:sent"));
        assert!(!check("in:inbox"));
        assert!(check("in:anywhere"));
        assert!(check("label:outreach-sent"));
        assert!(check("label:Outreach/Sent"));
        assert!(check("label:label_1"));
        assert!(!check("label:outreach-replied"));
        assert!(!check("is:unread"));
        assert!(check("is:read"));
    }

    #[test]
    fn dates_and_ages() {
        // 2026-01-05T12:00:00Z is 1767614400.
        assert!(check("after:1767614400"));
        assert!(!check("after:1767614401"));
        assert!(check("before:1767614401"));
        assert!(check("after:2026/01/05 before:2026/01/06"));
        // Midnight PST is 08:00 UTC.
        assert_eq!(parse_date("2026/01/05").unwrap(), at("2026-01-05T08:00:00Z"));
        assert!(check("newer_than:2d"));
        assert!(!check("newer_than:23h"));
        assert!(check("newer_than:25h"));
        assert!(check("older_than:12h"));
        assert!(check("newer_than:1m") && check("newer_than:1y"));
    }

    #[test]
    fn boolean_structure() {
        assert!(check("from:nobody OR subject:question"));
        assert!(!check("from:nobody or subject:question"), "lowercase or is a word");
        assert!(check("-in:inbox"));
        assert!(!check("-in:sent"));
        assert!(check("in:sent (from:nobody OR to:lead)"));
        assert!(!check("in:sent -(from:nobody OR to:lead)"));
        assert!(check("{from:nobody to:boss}"));
        assert!(!check("{from:nobody to:nobody}"));
        assert!(check("in:sent to:lead+reply@example.com after:1767614340"));
    }

    #[test]
    fn structure_of_parsed_queries() {
        assert_eq!(
            Query::parse("a OR b -c").unwrap(),
            Query::All(vec![
                Query::Any(vec![
                    Query::Term(Term::Text("a".into())),
                    Query::Term(Term::Text("b".into()))
                ]),
                Query::Not(Box::new(Query::Term(Term::Text("c".into())))),
            ])
        );
        assert!(Query::parse("in:anywhere rfc822msgid:x").unwrap().reaches_spam_and_trash());
        assert!(!Query::parse("-in:trash").unwrap().reaches_spam_and_trash());
    }

    #[test]
    fn errors() {
        for bad in [
            "(from:a",
            "from:a)",
            "{a",
            "subject:\"open",
            "in:nowhere",
            "after:yesterday",
            "newer_than:3w",
            "has:attachment",
            "from:",
            "OR",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad}");
        }
        // Unknown prefixes are plain words, as in Gmail.
        assert!(Query::parse("https://example.com").is_ok());
    }
}
