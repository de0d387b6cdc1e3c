use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeZone;
use mail_parser::{Message, MessageParser, MimeHeaders};
use proptest::prelude::*;

use super::*;

fn message() -> OutgoingMessage {
    OutgoingMessage {
        from_name: "Sam Seller".into(),
        from: EmailAddress::parse("sam@seller.example").unwrap(),
        to_name: Some("Jane Doe".into()),
        to: EmailAddress::parse("jane@lead.example").unwrap(),
        subject: "Quick question".into(),
        text_body: "Hi Jane,\n\nAre you free next week?\n\nSam".into(),
        html_body: None,
        date: Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap(),
        message_id: "<abc123@seller.example>".into(),
        outreach_id: Uuid::from_u128(0x1234),
        in_reply_to: None,
        references: vec![],
        unsubscribe_url: "https://app.example/u/tok3n".into(),
        unsubscribe_mailto: "mailto:unsubscribe@seller.example?subject=unsubscribe".into(),
        postal_address: "Acme Inc.\n1 Main St, Springfield".into(),
    }
}

fn parse(bytes: &[u8]) -> Message<'_> {
    MessageParser::default().parse(bytes).expect("mail-parser reads the message")
}

/// A body part's text with the wire's CRLF line ends turned back into `\n`.
fn body_of(parsed: &Message<'_>, html: bool) -> String {
    let part = if html { parsed.body_html(0) } else { parsed.body_text(0) };
    part.unwrap().replace("\r\n", "\n")
}

fn header_names(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let headers = text.split("\r\n\r\n").next().unwrap();
    headers
        .split("\r\n")
        .filter(|line| !line.starts_with([' ', '\t']))
        .map(|line| line.split(':').next().unwrap().to_owned())
        .collect()
}

#[test]
fn builds_a_plain_first_message_with_every_header() {
    let built = build_message(&message()).unwrap();
    let parsed = parse(&built.bytes);

    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!((from.name(), from.address()), (Some("Sam Seller"), Some("sam@seller.example")));
    let to = parsed.to().unwrap().first().unwrap();
    assert_eq!((to.name(), to.address()), (Some("Jane Doe"), Some("jane@lead.example")));
    assert_eq!(parsed.subject(), Some("Quick question"));
    assert_eq!(parsed.date().unwrap().to_timestamp(), message().date.timestamp());
    assert_eq!(parsed.message_id(), Some("abc123@seller.example"));
    assert_eq!(
        parsed.header_raw("X-Outreach-Id").map(str::trim),
        Some("00000000-0000-0000-0000-000000001234")
    );
    assert_eq!(
        parsed
            .header_raw("List-Unsubscribe")
            .map(|value| value.trim().replace("\r\n\t", " "))
            .as_deref(),
        Some(
            "<https://app.example/u/tok3n>, <mailto:unsubscribe@seller.example?subject=unsubscribe>"
        )
    );
    assert_eq!(
        parsed.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(parsed.header_raw("MIME-Version").map(str::trim), Some("1.0"));
    assert!(parsed.in_reply_to().is_empty() && parsed.references().is_empty());

    let content_type = parsed.root_part().content_type().unwrap();
    assert_eq!((content_type.ctype(), content_type.subtype()), ("text", Some("plain")));
    assert_eq!(content_type.attribute("charset"), Some("utf-8"));
    let text = body_of(&parsed, false);
    assert!(text.starts_with("Hi Jane,\n\nAre you free next week?\n\nSam\n\n--\nAcme Inc.\n"));
    assert!(
        text.contains(
            "To stop receiving these emails, unsubscribe here: https://app.example/u/tok3n"
        )
    );

    assert_eq!(
        header_names(&built.bytes),
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "X-Outreach-Id",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
        ]
    );
}

#[test]
fn raw_is_unpadded_base64url_of_the_bytes() {
    for body in ["a", "ab", "abc", "ÿþ?>~"] {
        let built =
            build_message(&OutgoingMessage { text_body: body.into(), ..message() }).unwrap();
        assert!(!built.raw.contains(['+', '/', '=']));
        assert_eq!(URL_SAFE_NO_PAD.decode(&built.raw).unwrap(), built.bytes);
    }
}

#[test]
fn encodes_non_ascii_names_and_subjects() {
    let built = build_message(&OutgoingMessage {
        from_name: "Jürgen Müller".into(),
        to_name: Some("Zoë \"Zo\" O'Brien, PhD".into()),
        subject: "Grüße aus Köln – 20 € Rabatt 🎉".into(),
        ..message()
    })
    .unwrap();
    assert!(built.bytes.is_ascii(), "headers and body are 7-bit");
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.from().unwrap().first().unwrap().name(), Some("Jürgen Müller"));
    assert_eq!(parsed.to().unwrap().first().unwrap().name(), Some("Zoë \"Zo\" O'Brien, PhD"));
    assert_eq!(parsed.subject(), Some("Grüße aus Köln – 20 € Rabatt 🎉"));
    let raw = String::from_utf8(built.bytes).unwrap();
    assert!(raw.contains("From: =?utf-8?B?"), "encoded words are not quoted:\n{raw}");
}

#[test]
fn quotes_ascii_names_with_specials() {
    let built = build_message(&OutgoingMessage { to_name: Some("Doe, Jane".into()), ..message() });
    let parsed_bytes = built.unwrap().bytes;
    let to = parse(&parsed_bytes).to().unwrap().first().unwrap().clone();
    assert_eq!((to.name(), to.address()), (Some("Doe, Jane"), Some("jane@lead.example")));
}

#[test]
fn long_lines_and_non_ascii_bodies_stay_within_limits() {
    let long_line = "word ".repeat(400);
    let body = format!("Grüße,\n{long_line}\n{}", "x".repeat(1200));
    let built = build_message(&OutgoingMessage { text_body: body.clone(), ..message() }).unwrap();
    let raw = std::str::from_utf8(&built.bytes).unwrap();
    assert!(raw.split("\r\n").all(|line| line.len() <= 78), "lines are folded or encoded");
    let parsed = parse(&built.bytes);
    let text = body_of(&parsed, false);
    assert!(text.starts_with(body.as_str()), "{text:?}");
}

#[test]
fn html_alternative_gets_escaped_footer() {
    let built = build_message(&OutgoingMessage {
        html_body: Some("<html><body><p>Hi <b>Jane</b></p></BODY></html>".into()),
        postal_address: "Smith & Sons <Ltd>\n2 High St".into(),
        unsubscribe_url: "https://app.example/u/a?b=1&c=2".into(),
        ..message()
    })
    .unwrap();
    let parsed = parse(&built.bytes);
    let root = parsed.root_part().content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    assert_eq!((parsed.text_body_count(), parsed.html_body_count()), (1, 1));
    let html = body_of(&parsed, true);
    assert!(html.starts_with("<html><body><p>Hi <b>Jane</b></p>\n<p style="), "{html}");
    assert!(html.contains("Smith &amp; Sons &lt;Ltd&gt;<br>2 High St<br>"), "{html}");
    assert!(html.contains("<a href=\"https://app.example/u/a?b=1&amp;c=2\">unsubscribe here</a>"));
    assert!(html.ends_with("</BODY></html>"), "{html:?}");
    let text = body_of(&parsed, false);
    assert!(text.contains("Smith & Sons <Ltd>\n2 High St\n"), "the text part is not escaped");
}

#[test]
fn follow_ups_carry_thread_headers() {
    let built = build_message(&OutgoingMessage {
        subject: reply_subject("Quick question"),
        message_id: "<third@seller.example>".into(),
        in_reply_to: Some("<second@seller.example>".into()),
        references: vec!["<first@seller.example>".into(), "second@seller.example".into()],
        ..message()
    })
    .unwrap();
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.subject(), Some("Re: Quick question"));
    assert_eq!(parsed.in_reply_to().as_text(), Some("second@seller.example"));
    let references: Vec<&str> =
        parsed.references().as_text_list().unwrap().iter().map(|id| id.as_ref()).collect();
    assert_eq!(references, ["first@seller.example", "second@seller.example"]);
    let raw = std::str::from_utf8(&built.bytes).unwrap();
    assert!(raw.contains("In-Reply-To: <second@seller.example>\r\n"));
    assert!(raw.contains("References: <first@seller.example> <second@seller.example>\r\n"));
}

#[test]
fn no_header_can_be_injected() {
    let attack = "x\r\nBcc: victim@example.com\r\nX-Evil: 1\n\rSubject: spoof";
    let built = build_message(&OutgoingMessage {
        from_name: attack.into(),
        to_name: Some(attack.into()),
        subject: attack.into(),
        text_body: attack.into(),
        html_body: Some(attack.into()),
        postal_address: attack.into(),
        ..message()
    })
    .unwrap();
    let parsed = parse(&built.bytes);
    assert!(parsed.header("Bcc").is_none() && parsed.header("X-Evil").is_none());
    assert_eq!(parsed.header_values("Subject").count(), 1);
    assert_eq!(parsed.subject(), Some("x  Bcc: victim@example.com  X-Evil: 1  Subject: spoof"));
    assert_eq!(parsed.to().unwrap().first().unwrap().address(), Some("jane@lead.example"));
}

#[test]
fn refuses_unsafe_ids_and_uris() {
    let refused = |message: OutgoingMessage| build_message(&message).unwrap_err().to_string();
    let injected = "<a@b>\r\nBcc: victim@example.com".to_owned();
    assert!(
        refused(OutgoingMessage { message_id: injected.clone(), ..message() })
            .starts_with("Message-ID")
    );
    assert!(
        refused(OutgoingMessage { in_reply_to: Some(injected.clone()), ..message() })
            .starts_with("In-Reply-To")
    );
    assert!(
        refused(OutgoingMessage { references: vec![injected], ..message() })
            .starts_with("References")
    );
    assert!(
        refused(OutgoingMessage { message_id: "no-at-sign".into(), ..message() })
            .contains("not a valid message id")
    );
    for url in [
        "http://app.example/u/x",
        "http://localhost.evil.example/u/x",
        "https://a.example/>, <https://evil",
        "https://a b",
    ] {
        let error = refused(OutgoingMessage { unsubscribe_url: url.into(), ..message() });
        assert!(error.contains("must start with https://"), "{error}");
    }
    for url in ["http://localhost:3000/u/x", "http://127.0.0.1/u/x"] {
        assert!(
            build_message(&OutgoingMessage { unsubscribe_url: url.into(), ..message() }).is_ok()
        );
    }
    for mailto in ["unsubscribe@seller.example", "mailto:a@b.c\r\nX: y"] {
        let error = refused(OutgoingMessage { unsubscribe_mailto: mailto.into(), ..message() });
        assert!(error.contains("must start with mailto:"), "{error}");
    }
}

#[test]
fn message_ids_are_unique_and_well_formed() {
    let first = new_message_id("Seller.Example");
    assert!(first.starts_with('<') && first.ends_with("@seller.example>"), "{first}");
    assert_ne!(first, new_message_id("seller.example"));
    assert!(new_message_id("bücher.de").ends_with("@outreach.invalid>"));
    assert!(bare_message_id("Message-ID", &first).is_ok());
}

#[test]
fn reply_subject_does_not_stack() {
    assert_eq!(reply_subject("Hello"), "Re: Hello");
    assert_eq!(reply_subject("Re: Hello"), "Re: Hello");
    assert_eq!(reply_subject("RE: re : Re:Hello"), "Re: Hello");
    assert_eq!(reply_subject("Regarding pricing"), "Re: Regarding pricing");
    assert_eq!(reply_subject("Ré"), "Re: Ré");
    assert_eq!(reply_subject(""), "Re: ");
}

proptest! {
    #[test]
    fn any_text_input_round_trips_without_new_headers(
        name in any::<String>(),
        subject in any::<String>(),
        body in any::<String>(),
    ) {
        let built = build_message(&OutgoingMessage {
            from_name: name.clone(),
            subject: subject.clone(),
            text_body: body,
            ..message()
        })
        .unwrap();
        let expected_headers = header_names(&build_message(&message()).unwrap().bytes);
        prop_assert_eq!(header_names(&built.bytes), expected_headers);
        let parsed = parse(&built.bytes);
        prop_assert_eq!(parsed.subject().unwrap_or(""), single_line(&subject));
        prop_assert_eq!(parsed.from().unwrap().first().unwrap().address(), Some("sam@seller.example"));
    }
}
