//! Every GmailClient method against the simulator.

use std::sync::Arc;

use engine::gmail::{
    GmailMethod, HistoryQuery, HistoryType, LabelType, ListQuery, MessageFormat,
    ModifyMessageRequest, NewLabel, QuotaTally, UPLOAD_THRESHOLD_BYTES,
};
use engine::sandbox::DeliveryOutcome;

use crate::common::{ADA, GRACE, follow_up, message, spawn_sim};

#[tokio::test]
async fn send_then_read_it_back_in_every_format() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);

    let profile = t.gmail.get_profile(&token).await.unwrap();
    assert_eq!(profile.email_address, ADA);
    assert_eq!(profile.messages_total, 0);

    let sent = t
        .gmail
        .send(&token, &message("lead@example.com", "Hello", "m1@outreach.test"), None)
        .await
        .unwrap();
    assert_eq!(sent.id.len(), 16);
    assert!(sent.id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(sent.thread_id, sent.id);
    assert_eq!(sent.label_ids, vec!["SENT"]);

    let full = t.gmail.get_message(&token, &sent.id, MessageFormat::Full, &[]).await.unwrap();
    assert_eq!(full.header("Subject"), Some("Hello"));
    assert_eq!(full.header("message-id"), Some("<m1@outreach.test>"));
    let body = full.payload.as_ref().unwrap().data().unwrap().unwrap();
    assert_eq!(String::from_utf8(body).unwrap(), "Hello from the engine.\r\n");
    assert_eq!(full.internal_date, Some(crate::common::start_time().timestamp_millis() as u64));

    let metadata = t
        .gmail
        .get_message(&token, &sent.id, MessageFormat::Metadata, &["Message-ID", "X-Outreach-Id"])
        .await
        .unwrap();
    let headers = &metadata.payload.as_ref().unwrap().headers;
    assert_eq!(headers.len(), 2);
    assert_eq!(metadata.header("X-Outreach-Id"), Some("m1@outreach.test"));

    let raw = t.gmail.get_message(&token, &sent.id, MessageFormat::Raw, &[]).await.unwrap();
    assert_eq!(
        raw.raw_bytes().unwrap().unwrap(),
        message("lead@example.com", "Hello", "m1@outreach.test")
    );

    let minimal = t.gmail.get_message(&token, &sent.id, MessageFormat::Minimal, &[]).await.unwrap();
    assert!(minimal.payload.is_none() && minimal.raw.is_none());
    assert_eq!(minimal.label_ids, vec!["SENT"]);

    // The recipient got exactly what was sent.
    let deliveries = t.sim.deliveries(Some("lead@example.com"));
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::Delivered);
    assert_eq!(deliveries[0].raw, message("lead@example.com", "Hello", "m1@outreach.test"));
}

#[tokio::test]
async fn search_list_and_page() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    for n in 0..5 {
        let to = format!("lead{n}@example.com");
        t.gmail
            .send(&token, &message(&to, &format!("Note {n}"), &format!("m{n}@o.test")), None)
            .await
            .unwrap();
        t.clock.advance(chrono::TimeDelta::seconds(10));
    }

    let found =
        t.gmail.list_messages(&token, &ListQuery::search("rfc822msgid:m3@o.test")).await.unwrap();
    assert_eq!(found.messages.len(), 1);
    assert_eq!(found.result_size_estimate, 1);

    let after = (crate::common::start_time().timestamp() + 25).to_string();
    let recent = t
        .gmail
        .list_messages(
            &token,
            &ListQuery::search(format!("in:sent to:lead4@example.com after:{after}")),
        )
        .await
        .unwrap();
    assert_eq!(recent.messages.len(), 1);

    let page = ListQuery { max_results: Some(2), ..ListQuery::search("in:sent") };
    let first = t.gmail.list_messages(&token, &page).await.unwrap();
    assert_eq!(first.messages.len(), 2);
    assert_eq!(first.result_size_estimate, 5);
    assert!(first.next_page_token.is_some());

    let all = t.gmail.list_all_messages(&token, &page).await.unwrap();
    assert_eq!(all.len(), 5);
    // Newest first.
    let newest = t
        .gmail
        .get_message(&token, &all[0].id, MessageFormat::Metadata, &["Subject"])
        .await
        .unwrap();
    assert_eq!(newest.header("Subject"), Some("Note 4"));

    let none = t.gmail.list_messages(&token, &ListQuery::search("in:inbox")).await.unwrap();
    assert!(none.messages.is_empty() && none.next_page_token.is_none());
}

#[tokio::test]
async fn labels_and_modify() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    let labels = t.gmail.list_labels(&token).await.unwrap();
    assert!(labels.iter().any(|l| l.id == "INBOX" && l.label_type == Some(LabelType::System)));

    let created = t.gmail.create_label(&token, &NewLabel::visible("Outreach/Sent")).await.unwrap();
    assert_eq!(created.label_type, Some(LabelType::User));
    assert_eq!(created.messages_total, Some(0));
    assert!(t.gmail.list_labels(&token).await.unwrap().iter().any(|l| l.name == "Outreach/Sent"));

    let sent =
        t.gmail.send(&token, &message("lead@example.com", "Hi", "m1@o.test"), None).await.unwrap();
    let change =
        ModifyMessageRequest { add_label_ids: vec![created.id.clone()], remove_label_ids: vec![] };
    let modified = t.gmail.modify_message(&token, &sent.id, &change).await.unwrap();
    assert_eq!(modified.label_ids, vec!["SENT".to_owned(), created.id.clone()]);

    let by_label =
        t.gmail.list_messages(&token, &ListQuery::search("label:outreach-sent")).await.unwrap();
    assert_eq!(by_label.messages.len(), 1);
    let by_id = ListQuery { label_ids: vec![created.id.clone()], ..ListQuery::default() };
    assert_eq!(t.gmail.list_messages(&token, &by_id).await.unwrap().messages.len(), 1);

    // Trash is left out unless asked for.
    let trash =
        ModifyMessageRequest { add_label_ids: vec!["TRASH".into()], remove_label_ids: vec![] };
    t.gmail.modify_message(&token, &sent.id, &trash).await.unwrap();
    let everything = ListQuery::default();
    assert!(t.gmail.list_messages(&token, &everything).await.unwrap().messages.is_empty());
    let with_trash = ListQuery { include_spam_trash: true, ..ListQuery::default() };
    assert_eq!(t.gmail.list_messages(&token, &with_trash).await.unwrap().messages.len(), 1);
    let anywhere = ListQuery::search("in:anywhere rfc822msgid:m1@o.test");
    assert_eq!(t.gmail.list_messages(&token, &anywhere).await.unwrap().messages.len(), 1);
    let unknown =
        ModifyMessageRequest { add_label_ids: vec!["Label_99".into()], remove_label_ids: vec![] };
    assert_eq!(
        t.gmail.modify_message(&token, &sent.id, &unknown).await,
        Err(engine::gmail::GmailError::InvalidRequest { reason: "Invalid label: Label_99".into() })
    );
}

#[tokio::test]
async fn threads_follow_gmails_rule() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    let first = t
        .gmail
        .send(&token, &message("lead@example.com", "Hello", "m1@o.test"), None)
        .await
        .unwrap();

    let joined = t
        .gmail
        .send(
            &token,
            &follow_up("lead@example.com", "Re: Hello", "m2@o.test", "m1@o.test"),
            Some(&first.thread_id),
        )
        .await
        .unwrap();
    assert_eq!(joined.thread_id, first.thread_id);

    let other_subject = t
        .gmail
        .send(
            &token,
            &follow_up("lead@example.com", "Something else", "m3@o.test", "m1@o.test"),
            Some(&first.thread_id),
        )
        .await
        .unwrap();
    assert_ne!(other_subject.thread_id, first.thread_id);

    let no_thread_id = t
        .gmail
        .send(&token, &follow_up("lead@example.com", "Re: Hello", "m4@o.test", "m1@o.test"), None)
        .await
        .unwrap();
    assert_ne!(no_thread_id.thread_id, first.thread_id);

    let thread = t
        .gmail
        .get_thread(&token, &first.thread_id, MessageFormat::Metadata, &["Message-ID"])
        .await
        .unwrap();
    let ids: Vec<_> =
        thread.messages.iter().map(|m| m.header("Message-ID").unwrap().to_owned()).collect();
    assert_eq!(ids, vec!["<m1@o.test>", "<m2@o.test>"]);

    let threads = t.gmail.list_threads(&token, &ListQuery::search("in:sent")).await.unwrap();
    assert_eq!(threads.threads.len(), 3);
    assert_eq!(threads.result_size_estimate, 3);
}

#[tokio::test]
async fn history_since_reports_new_mail_and_label_changes() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    let start = t.gmail.get_profile(&token).await.unwrap().history_id;

    let sent =
        t.gmail.send(&token, &message("lead@example.com", "Hi", "m1@o.test"), None).await.unwrap();
    let change =
        ModifyMessageRequest { add_label_ids: vec!["STARRED".into()], remove_label_ids: vec![] };
    t.gmail.modify_message(&token, &sent.id, &change).await.unwrap();
    t.sim
        .inject(
            ADA,
            engine::sandbox::Inbound::Simple {
                from: "someone@example.com".into(),
                subject: "Unrelated".into(),
                body: "hi".into(),
                in_reply_to: None,
            },
        )
        .unwrap();

    let all = t
        .gmail
        .history_since(&token, &HistoryQuery { max_results: Some(1), ..HistoryQuery::since(start) })
        .await
        .unwrap();
    assert_eq!(all.records.len(), 3, "one per page, all pages followed");
    assert!(all.records.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all.history_id, t.gmail.get_profile(&token).await.unwrap().history_id);
    assert_eq!(all.records[0].messages_added[0].message.id, sent.id);
    assert_eq!(all.records[1].labels_added[0].label_ids, vec!["STARRED"]);

    let added_only = HistoryQuery {
        history_types: vec![HistoryType::MessageAdded],
        ..HistoryQuery::since(start)
    };
    let added = t.gmail.history_since(&token, &added_only).await.unwrap();
    assert_eq!(added.records.len(), 2);
    let inbox_only = HistoryQuery { label_id: Some("INBOX".into()), ..added_only };
    assert_eq!(t.gmail.history_since(&token, &inbox_only).await.unwrap().records.len(), 1);

    let nothing_new =
        t.gmail.history_since(&token, &HistoryQuery::since(all.history_id)).await.unwrap();
    assert!(nothing_new.records.is_empty());
}

#[tokio::test]
async fn large_messages_go_through_the_upload_endpoint() {
    let t = spawn_sim(|c| c.json_size_limit = 1024 * 1024).await;
    let token = t.full_token(ADA);
    let first = t
        .gmail
        .send(&token, &message("lead@example.com", "Big", "root@o.test"), None)
        .await
        .unwrap();
    // Over the JSON limit: only the upload path can carry it.
    let mut raw = follow_up("lead@example.com", "Re: Big", "big@o.test", "root@o.test");
    raw.extend(std::iter::repeat_n(b'x', UPLOAD_THRESHOLD_BYTES));
    let sent = t.gmail.send(&token, &raw, Some(&first.thread_id)).await.unwrap();
    assert_eq!(t.sim.deliveries(Some("lead@example.com"))[1].raw, raw);
    assert_eq!(sent.thread_id, first.thread_id, "threadId travels in the upload's metadata part");
}

#[tokio::test]
async fn quota_meter_and_simulator_agree_and_a_sync_is_cheap() {
    let t = spawn_sim(|_| {}).await;
    let tally = Arc::new(QuotaTally::default());
    let gmail = t.gmail.with_meter(tally.clone());
    let token = t.full_token(ADA);
    let start = gmail.get_profile(&token).await.unwrap().history_id;
    for n in 0..3 {
        t.sim
            .inject(
                ADA,
                engine::sandbox::Inbound::Simple {
                    from: format!("lead{n}@example.com"),
                    subject: "Re: Hello".into(),
                    body: "Interested".into(),
                    in_reply_to: None,
                },
            )
            .unwrap();
    }
    t.sim.reset_counters();

    // An incremental sync: one history page, then one get per new message.
    let history = gmail.history_since(&token, &HistoryQuery::since(start)).await.unwrap();
    for record in &history.records {
        for added in &record.messages_added {
            gmail
                .get_message(&token, &added.message.id, MessageFormat::Metadata, &["From"])
                .await
                .unwrap();
        }
    }
    let units = t.sim.quota_units(ADA);
    assert_eq!(units[&GmailMethod::HistoryList], 2);
    assert_eq!(units[&GmailMethod::MessagesGet], 15);
    assert!(units.values().sum::<u64>() <= 2 + 5 * 3);
    assert_eq!(tally.units()[&GmailMethod::HistoryList], 2);
    assert_eq!(
        tally.units()[&GmailMethod::GetProfile],
        1,
        "the client counted the profile call too"
    );
    assert!(t.sim.quota_units(GRACE).is_empty());
}
