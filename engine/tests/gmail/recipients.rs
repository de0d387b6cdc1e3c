//! Simulated recipients: replies, auto-replies and bounces arrive after the configured delay,
//! threaded as Gmail threads them.

use chrono::TimeDelta;
use engine::gmail::{GmailError, HistoryQuery, ListQuery, MessageFormat};
use engine::sandbox::DeliveryOutcome;
use mail_parser::{MessageParser, MimeHeaders};

use crate::common::{ADA, GRACE, message, spawn_sim};

#[tokio::test]
async fn a_reply_arrives_in_the_thread_after_the_delay() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    let sent = t
        .gmail
        .send(&token, &message("lead+reply@example.com", "Quick question", "q1@o.test"), None)
        .await
        .unwrap();

    let inbox = ListQuery::search("in:inbox");
    t.clock.advance(TimeDelta::seconds(19));
    assert!(t.gmail.list_messages(&token, &inbox).await.unwrap().messages.is_empty(), "not yet");
    t.clock.advance(TimeDelta::seconds(1));
    let replies = t.gmail.list_messages(&token, &inbox).await.unwrap().messages;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].thread_id, sent.thread_id);

    let reply = t
        .gmail
        .get_message(
            &token,
            &replies[0].id,
            MessageFormat::Metadata,
            &["From", "Subject", "In-Reply-To", "References"],
        )
        .await
        .unwrap();
    assert_eq!(reply.header("From"), Some("<lead+reply@example.com>"));
    assert_eq!(reply.header("Subject"), Some("Re: Quick question"));
    assert_eq!(reply.header("In-Reply-To"), Some("<q1@o.test>"));
    assert_eq!(reply.header("References"), Some("<q1@o.test>"));
    assert!(reply.has_label("UNREAD"));
    assert_eq!(
        reply.internal_date,
        Some((crate::common::start_time() + TimeDelta::seconds(20)).timestamp_millis() as u64)
    );
}

#[tokio::test]
async fn a_hard_bounce_is_a_real_dsn_in_the_senders_thread() {
    let t = spawn_sim(|c| c.reaction_delay = TimeDelta::zero()).await;
    let token = t.full_token(ADA);
    let sent = t
        .gmail
        .send(&token, &message("gone+bounce@example.com", "Hello", "b1@o.test"), None)
        .await
        .unwrap();
    assert_eq!(
        t.sim.deliveries(Some("gone+bounce@example.com"))[0].outcome,
        DeliveryOutcome::Bounced
    );

    let bounces = t
        .gmail
        .list_messages(&token, &ListQuery::search("from:mailer-daemon@googlemail.com"))
        .await
        .unwrap();
    assert_eq!(bounces.messages.len(), 1);
    assert_eq!(bounces.messages[0].thread_id, sent.thread_id);
    let raw = t
        .gmail
        .get_message(&token, &bounces.messages[0].id, MessageFormat::Raw, &[])
        .await
        .unwrap();
    let raw = raw.raw_bytes().unwrap().unwrap();
    let dsn = MessageParser::default().parse(&raw).unwrap();
    let content_type = dsn.content_type().unwrap();
    assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("report")));
    assert_eq!(content_type.attribute("report-type"), Some("delivery-status"));
    assert_eq!(
        dsn.header_raw("X-Failed-Recipients").map(str::trim),
        Some("gone+bounce@example.com")
    );
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Status: 5.1.1"));
    assert!(text.contains("X-Original-Message-ID: <b1@o.test>"));

    let full = t
        .gmail
        .get_message(&token, &bounces.messages[0].id, MessageFormat::Full, &[])
        .await
        .unwrap();
    let mime_types: Vec<_> =
        full.payload.unwrap().parts.iter().map(|p| p.mime_type.clone()).collect();
    assert_eq!(mime_types, vec!["multipart/related", "message/delivery-status", "message/rfc822"]);
}

#[tokio::test]
async fn out_of_office_new_thread_unsubscribe_and_soft_bounce() {
    let t = spawn_sim(|c| c.reaction_delay = TimeDelta::seconds(5)).await;
    let token = t.full_token(ADA);
    let mut threads = Vec::new();
    for (n, to) in [
        "a+ooo@example.com",
        "b+replynew@example.com",
        "c+unsubscribe@example.com",
        "d+softbounce@example.com",
        "e@example.com",
    ]
    .into_iter()
    .enumerate()
    {
        threads.push(
            t.gmail
                .send(&token, &message(to, "Offer", &format!("o{n}@o.test")), None)
                .await
                .unwrap()
                .thread_id,
        );
    }
    t.sim.advance(TimeDelta::seconds(5));

    let find = |q: &'static str| {
        let gmail = t.gmail.clone();
        let token = token.clone();
        async move {
            let list = gmail.list_messages(&token, &ListQuery::search(q)).await.unwrap().messages;
            assert_eq!(list.len(), 1, "{q}");
            gmail.get_message(&token, &list[0].id, MessageFormat::Full, &[]).await.unwrap()
        }
    };
    let ooo = find("in:inbox from:a+ooo@example.com").await;
    assert_eq!(ooo.header("Auto-Submitted"), Some("auto-replied"));
    assert_eq!(ooo.header("Subject"), Some("Automatic reply: Offer"));

    let fresh = find("in:inbox from:b+replynew@example.com").await;
    assert!(!threads.contains(&fresh.thread_id), "a new thread");
    assert!(fresh.header("In-Reply-To").is_none());

    let unsubscribe = find("in:inbox from:c+unsubscribe@example.com").await;
    assert_eq!(unsubscribe.thread_id, threads[2]);
    assert!(unsubscribe.snippet.unwrap().starts_with("unsubscribe"));

    let delay = find("in:inbox subject:\"Delivery Status Notification (Delay)\"").await;
    assert_eq!(delay.thread_id, threads[3]);
    assert_eq!(
        t.sim.deliveries(Some("d+softbounce@example.com"))[0].outcome,
        DeliveryOutcome::Delayed
    );

    // Five sent, four reactions, nothing from the plain recipient.
    assert_eq!(
        t.gmail.list_messages(&token, &ListQuery::search("in:inbox")).await.unwrap().messages.len(),
        4
    );
}

#[tokio::test]
async fn mail_between_sandbox_mailboxes_lands_in_the_inbox() {
    let t = spawn_sim(|_| {}).await;
    let ada = t.full_token(ADA);
    let grace = t.full_token(GRACE);
    let plus = GRACE.replace('@', "+news@");
    t.gmail.send(&ada, &message(&plus, "Hi Grace", "g1@o.test"), None).await.unwrap();
    let inbox = t
        .gmail
        .list_messages(&grace, &ListQuery::search("in:inbox is:unread from:ada"))
        .await
        .unwrap();
    assert_eq!(inbox.messages.len(), 1);
}

#[tokio::test]
async fn history_is_forgotten_after_the_retention_period() {
    let t = spawn_sim(|c| c.history_retention = TimeDelta::days(1)).await;
    let token = t.full_token(ADA);
    t.gmail.send(&token, &message("a@example.com", "x", "h1@o.test"), None).await.unwrap();
    let old = t.gmail.get_profile(&token).await.unwrap().history_id;
    t.gmail.send(&token, &message("a@example.com", "x", "h2@o.test"), None).await.unwrap();
    assert_eq!(
        t.gmail.history_since(&token, &HistoryQuery::since(old)).await.unwrap().records.len(),
        1
    );

    t.clock.advance(TimeDelta::days(2));
    let token = t.full_token(ADA);
    t.gmail.send(&token, &message("a@example.com", "x", "h3@o.test"), None).await.unwrap();
    assert_eq!(
        t.gmail.history_since(&token, &HistoryQuery::since(old)).await,
        Err(GmailError::NotFound)
    );
    // A fresh start point works.
    let fresh = t.gmail.get_profile(&token).await.unwrap().history_id;
    assert!(
        t.gmail
            .history_since(&token, &HistoryQuery::since(fresh))
            .await
            .unwrap()
            .records
            .is_empty()
    );
}
