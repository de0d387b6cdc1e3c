//! Replies, auto-replies, bounces, labels, opt-outs and one-click unsubscribe against the
//! simulator's recipient rules (`+reply`, `+ooo`, `+bounce`, …) and injected mail. The worker
//! and the sync are driven by hand; the simulated recipients react at once.

use chrono::TimeDelta;
use engine::gmail::GmailMethod;
use engine::sandbox::{Faults, Inbound};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::sender_helpers::{ADA, send_only_scopes};
use crate::tracking_helpers::{CampaignSpec, Tracked, one_click, tracked_campaign};

const JANE: &str = "jane+reply@acme.example";
const BOB: &str = "bob@acme.example";

async fn suppression_reason(t: &Tracked, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = $1")
        .bind(email)
        .fetch_optional(&t.app.db.pool)
        .await
        .unwrap()
}

fn step(n: i32, status: &str) -> (i32, String) {
    (n, status.to_owned())
}

#[tokio::test]
async fn a_reply_in_the_thread_stops_the_sequence_and_is_labelled() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE, BOB])).await;
    assert_eq!(t.send_due().await.sent, 2);
    let report = t.sync().await;
    assert_eq!(report.inbound, 1, "{report:?}");

    let jane = t.lead(JANE).await;
    assert_eq!(jane["status"], "replied");
    let reply = jane["events"].as_array().unwrap().iter().find(|e| e["kind"] == "replied").unwrap();
    assert!(reply["summary"].as_str().unwrap().contains(JANE), "{reply}");
    assert!(reply["evidence"].as_str().unwrap().contains("In-Reply-To:"), "{reply}");
    assert_eq!(t.steps_of(JANE).await, vec![step(1, "sent"), step(2, "cancelled")]);
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "scheduled")]);
    assert_eq!(t.campaign_json().await["stats"]["replied"], 1);
    let (_, senders) = t.app.api_json(Method::GET, "/api/v1/senders", &t.token, None).await;
    assert!(senders[0]["last_synced_at"].is_string(), "{senders}");
    assert!(senders[0]["sync_error"].is_null(), "{senders}");

    let labels = t.labels_in_mailbox().await;
    let sent: Vec<_> = labels.iter().filter(|(s, _)| s == "Idea for Acme").collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, l)| l == &vec!["Outreach/Sent".to_owned()]), "{labels:?}");
    let replies: Vec<_> = labels.iter().filter(|(s, _)| s.starts_with("Re:")).collect();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].1, vec!["Outreach/Replied".to_owned()], "{labels:?}");

    // Later syncs see nothing new and change nothing; Bob's follow-up goes out, in the thread,
    // with the follow-up label.
    assert_eq!(t.sync().await.inbound, 0);
    assert_eq!(t.send_everything().await.sent, 1);
    assert_eq!(t.received_by(JANE), 1);
    assert_eq!(t.received_by(BOB), 2);
    let labels = t.labels_in_mailbox().await;
    assert!(labels.iter().any(|(s, l)| s == "Re: Idea for Acme" && l == &["Outreach/Follow-up"]));
}

#[tokio::test]
async fn a_message_from_the_leads_address_in_a_new_thread_is_a_reply() {
    let lead = "sam+replynew@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[lead])).await;
    t.send_due().await;
    t.sync().await;
    assert_eq!(t.lead(lead).await["status"], "replied");
    assert_eq!(t.steps_of(lead).await, vec![step(1, "sent"), step(2, "cancelled")]);
    t.send_everything().await;
    assert_eq!(t.received_by(lead), 1, "the follow-up never went out");
}

#[tokio::test]
async fn an_auto_reply_continues_the_sequence_by_default() {
    let lead = "olga+ooo@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[lead])).await;
    t.send_due().await;
    t.sync().await;
    assert_eq!(t.lead(lead).await["status"], "auto_replied");
    assert_eq!(t.timeline(lead).await, vec!["sent", "auto_replied"]);
    assert_eq!(t.send_everything().await.sent, 1);
    assert_eq!(t.received_by(lead), 2, "the follow-up went out");
    assert_eq!(
        t.campaign_json().await["stats"]["auto_replied"],
        0,
        "completed after the last step"
    );
}

#[tokio::test]
async fn an_auto_reply_stops_the_sequence_when_the_campaign_says_so() {
    let lead = "olga+ooo@acme.example";
    let t = tracked_campaign(CampaignSpec {
        stop_on_auto_reply: true,
        ..CampaignSpec::two_steps(&[lead])
    })
    .await;
    t.send_due().await;
    t.sync().await;
    assert_eq!(t.lead(lead).await["status"], "auto_replied");
    assert_eq!(t.steps_of(lead).await, vec![step(1, "sent"), step(2, "cancelled")]);
    t.send_everything().await;
    assert_eq!(t.received_by(lead), 1);
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_address_and_labels_the_bounce() {
    let lead = "gone+bounce@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[lead, BOB])).await;
    t.send_due().await;
    t.sync().await;
    let detail = t.lead(lead).await;
    assert_eq!(detail["status"], "bounced");
    let bounce =
        detail["events"].as_array().unwrap().iter().find(|e| e["kind"] == "bounced").unwrap();
    assert!(bounce["summary"].as_str().unwrap().contains("5.1.1"), "{bounce}");
    assert!(bounce["evidence"].as_str().unwrap().contains("Status: 5.1.1"), "{bounce}");
    assert_eq!(suppression_reason(&t, lead).await.as_deref(), Some("bounced"));
    assert_eq!(t.steps_of(lead).await, vec![step(1, "sent"), step(2, "cancelled")]);
    let labels = t.labels_in_mailbox().await;
    assert!(
        labels.iter().any(|(s, l)| s.contains("Delivery Status") && l == &["Outreach/Bounced"]),
        "{labels:?}"
    );
    assert_eq!(t.campaign_json().await["stats"]["bounced"], 1);
}

#[tokio::test]
async fn a_delay_notice_is_noted_and_not_counted_as_a_bounce() {
    let lead = "slow+softbounce@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[lead])).await;
    t.send_due().await;
    t.sync().await;
    let detail = t.lead(lead).await;
    assert_eq!(detail["status"], "in_sequence");
    assert_eq!(t.timeline(lead).await, vec!["sent", "delayed"]);
    assert_eq!(suppression_reason(&t, lead).await, None);
    assert_eq!(t.steps_of(lead).await, vec![step(1, "sent"), step(2, "scheduled")]);
}

#[tokio::test]
async fn the_sending_limit_bounce_pauses_the_account_and_requeues_the_message() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    let first_message_id = step_one_message_id(&t).await;
    assert!(first_message_id.is_some());
    limit_bounce(&t);
    t.sync().await;
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, status_reason FROM sender_accounts WHERE id = $1")
            .bind(t.sender_id)
            .fetch_one(&t.app.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "paused_until");
    assert!(reason.unwrap().contains("limit for sending mail"));
    assert_eq!(
        t.steps_of(BOB).await,
        vec![step(1, "pending")],
        "the dropped message waits to be sent again; its follow-up is planned when it goes out"
    );
    assert!(t.timeline(BOB).await.contains(&"not_delivered".to_owned()));
    assert_eq!(t.send_everything().await.sent, 0, "the paused account sends nothing");
    // The copy Gmail dropped stays in the Sent folder with its Message-ID: the new attempt
    // gets a new one, so an uncertain retry can never be mistaken for the dropped copy.
    assert_eq!(step_one_message_id(&t).await, None, "composed again at the next claim");
    t.app.sandbox().advance(TimeDelta::hours(25));
    sqlx::query("UPDATE sender_accounts SET paused_until = now() - interval '1 second'")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    assert!(t.send_everything().await.sent >= 1);
    assert_eq!(t.steps_of(BOB).await[0], step(1, "sent"));
    let resent = step_one_message_id(&t).await;
    assert!(resent.is_some() && resent != first_message_id, "{resent:?} vs {first_message_id:?}");
}

/// Gmail's "You have reached a limit for sending mail" bounce, which names no message.
pub(crate) fn limit_bounce(t: &Tracked) {
    let raw = format!(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: {ADA}\r\n\
         Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <limit1.GMR@mx.google.com>\r\n\
         Auto-Submitted: auto-replied\r\nDate: {}\r\n\r\n\
         You have reached a limit for sending mail. Your message was not sent.\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    t.app.sandbox().inject(ADA, Inbound::Raw { raw }).unwrap();
}

#[tokio::test]
async fn the_sending_limit_bounce_of_an_uncertain_send_requeues_that_send_not_an_earlier_one() {
    const CAROL: &str = "carol@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB, CAROL])).await;
    t.send_due().await;
    // Gmail took Carol's message over the limit, but its answer was lost: the attempt is
    // `ambiguous` (not yet looked for in the mailbox) when the bounce arrives.
    let carol = t.lead_id(CAROL).await;
    sqlx::query(
        "UPDATE outbox_messages SET status = 'ambiguous', send_at = now() + interval '1 hour'
         WHERE lead_id = $1 AND step_number = 1",
    )
    .bind(carol)
    .execute(&t.app.db.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM outbox_messages WHERE lead_id = $1 AND step_number = 2")
        .bind(carol)
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    limit_bounce(&t);
    t.sync().await;
    assert_eq!(t.steps_of(CAROL).await, vec![step(1, "pending")], "the dropped send waits");
    assert_eq!(
        t.steps_of(BOB).await,
        vec![step(1, "sent"), step(2, "scheduled")],
        "Bob's delivered message is not sent again"
    );
}

async fn step_one_message_id(t: &Tracked) -> Option<String> {
    sqlx::query_scalar("SELECT message_id FROM outbox_messages WHERE step_number = 1")
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_forgotten_history_id_is_followed_by_a_bounded_full_resync() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    assert!(t.sync().await.full_resync, "the first sync has no history id yet");
    assert!(!t.sync().await.full_resync);
    t.reply_in_thread(BOB, "Sounds good, call me.");
    // A week later Gmail has forgotten the stored history id (404); it also refuses the
    // access token the app still holds (401), which the sync refreshes.
    t.app.sandbox().advance(TimeDelta::days(8));
    let report = t.sync().await;
    assert!(report.full_resync, "{report:?}");
    assert_eq!(report.inbound, 1, "{report:?}");
    assert_eq!(t.lead(BOB).await["status"], "replied");
    assert_eq!(t.sync().await, engine::tracking::SyncReport::default(), "incremental again");
}

#[tokio::test]
async fn an_answer_citing_the_message_id_gmail_delivered_is_matched() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    let sandbox = t.app.sandbox();
    sandbox
        .set_faults(Some(ADA), Faults { rewrite_message_id: true, ..Faults::default() })
        .unwrap();
    assert_eq!(t.send_due().await.sent, 1);
    // Bob's assistant answers from her own address, in a new thread, citing the id Bob got
    // (Gmail's, not ours): only that id ties it to Bob.
    let delivered = sandbox.deliveries(Some(BOB))[0].message_id.clone();
    let answer = Inbound::Simple {
        from: "assistant@acme.example".into(),
        subject: "Bob asked me to answer".into(),
        body: "Bob is interested; can we talk on Monday?".into(),
        in_reply_to: delivered,
    };
    sandbox.inject(ADA, answer).unwrap();
    assert_eq!(t.sync().await.inbound, 1);
    assert_eq!(t.lead(BOB).await["status"], "replied");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "cancelled")]);
}

#[tokio::test]
async fn a_reply_arriving_while_the_follow_up_is_due_stops_it_at_the_last_moment() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    t.sync().await;
    // The reply lands after the last background sync; the follow-up is due now.
    t.reply_in_thread(BOB, "Yes, let's talk.");
    let report = t.send_everything().await;
    assert_eq!((report.sent, report.cancelled), (0, 1), "{report:?}");
    assert_eq!(t.received_by(BOB), 1, "the follow-up was never sent");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "cancelled")]);
    assert_eq!(t.lead(BOB).await["status"], "replied");
    let sends: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sends").fetch_one(&t.app.db.pool).await.unwrap();
    assert_eq!(sends, 1, "the withdrawn follow-up gave its cap slot back");
}

#[tokio::test]
async fn a_follow_up_waits_when_the_reply_check_before_it_fails() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    t.sync().await;
    t.reply_in_thread(BOB, "Yes, let's talk.");
    // The check's first Gmail call is answered 429; the send itself would go through.
    t.app.sandbox().set_faults(Some(ADA), Faults { burst_429: 1, ..Faults::default() }).unwrap();
    let report = t.send_everything().await;
    assert_eq!((report.sent, report.retried), (0, 1), "{report:?}");
    assert_eq!(t.received_by(BOB), 1, "no follow-up went out unchecked");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "pending")]);
    let report = t.send_everything().await;
    assert_eq!((report.sent, report.cancelled), (0, 1), "the retried check saw the reply");
    assert_eq!(t.received_by(BOB), 1);
    assert_eq!(t.lead(BOB).await["status"], "replied");
}

#[tokio::test]
async fn a_reply_to_a_send_not_yet_confirmed_with_a_rewritten_message_id_stops_the_sequence() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    // Gmail delivers step 1 under a Message-ID of its own but answers 5xx: the send is
    // `ambiguous` (thread unknown) until the mailbox check, and Bob answers before it.
    let faults =
        Faults { rewrite_message_id: true, fail_after_commit_rate: 1.0, ..Faults::default() };
    t.app.sandbox().set_faults(Some(ADA), faults).unwrap();
    assert_eq!(t.send_due().await.ambiguous, 1);
    t.app.sandbox().clear_faults(ADA).unwrap();
    t.reply_in_thread(BOB, "Interested, call me.");
    t.sync().await;
    assert_eq!(t.lead(BOB).await["status"], "replied", "the reply was matched by its sender");
    t.send_everything().await;
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent")], "confirmed; no follow-up planned");
    assert_eq!(t.received_by(BOB), 1);
}

#[tokio::test]
async fn a_sync_cut_short_by_a_crash_holds_the_account_for_a_minute_at_most() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    t.sync().await;
    // Gmail is slow; the sync is dropped mid-call, as a killed process would leave it.
    let slow = Faults { latency_ms: 3_000, ..Faults::default() };
    t.app.sandbox().set_faults(Some(ADA), slow).unwrap();
    let cut = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        t.syncer().sync_account(t.team_id, t.sender_id),
    )
    .await;
    assert!(cut.is_err(), "the sync was still running when it was dropped");
    t.app.sandbox().clear_faults(ADA).unwrap();
    assert!(t.sync().await.skipped, "the lease of the interrupted sync still holds");
    let within_a_minute: bool = sqlx::query_scalar(
        "SELECT sync_lease_until <= now() + interval '60 seconds' FROM sender_accounts WHERE id = $1",
    )
    .bind(t.sender_id)
    .fetch_one(&t.app.db.pool)
    .await
    .unwrap();
    assert!(within_a_minute, "the lease runs out within a minute");
    sqlx::query(
        "UPDATE sender_accounts SET sync_lease_until = sync_lease_until - interval '60 seconds'",
    )
    .execute(&t.app.db.pool)
    .await
    .unwrap();
    assert!(!t.sync().await.skipped, "a minute later the account is synced again");
}

#[tokio::test]
async fn an_email_asking_to_be_removed_is_an_opt_out() {
    let lead = "ann+unsubscribe@acme.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[lead])).await;
    t.send_due().await;
    t.sync().await;
    assert_eq!(t.lead(lead).await["status"], "unsubscribed");
    assert_eq!(suppression_reason(&t, lead).await.as_deref(), Some("unsubscribed"));
    assert_eq!(t.steps_of(lead).await, vec![step(1, "sent"), step(2, "cancelled")]);
}

/// The one-click URL in the `List-Unsubscribe` header of what `recipient` received.
fn unsubscribe_url(t: &Tracked, recipient: &str) -> String {
    let delivery = t.app.sandbox().deliveries(Some(recipient)).remove(0);
    let parsed = mail_parser::MessageParser::default().parse(&delivery.raw).unwrap();
    let header = parsed.header_raw("List-Unsubscribe").unwrap().to_owned();
    header
        .split(',')
        .map(|part| part.trim().trim_matches(['<', '>']))
        .find(|part| part.starts_with("http"))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn unsubscribe_get_only_asks_and_one_click_post_suppresses_at_once() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    let url = unsubscribe_url(&t, BOB);
    let scanner = reqwest::Client::new();
    for _ in 0..3 {
        let page = scanner.get(&url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("<button") && html.contains("One-Click"), "{html}");
    }
    assert_eq!(t.lead(BOB).await["status"], "in_sequence", "a GET changes nothing");
    assert_eq!(suppression_reason(&t, BOB).await, None);

    let post = || {
        one_click(&scanner, &url)
            // Mail providers post from elsewhere: no cookie, no CSRF token, cross-site.
            .header("sec-fetch-site", "cross-site")
            .send()
    };
    let done = post().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("You are unsubscribed"));
    assert_eq!(suppression_reason(&t, BOB).await.as_deref(), Some("unsubscribed"));
    assert_eq!(t.lead(BOB).await["status"], "unsubscribed");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "cancelled")]);
    assert_eq!(post().await.unwrap().status(), StatusCode::OK, "idempotent");
    assert_eq!(t.timeline(BOB).await, vec!["sent", "unsubscribed"], "recorded once");
    let again = scanner.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("You are unsubscribed") && !again.contains("<button"));

    let bare = scanner.post(&url).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::BAD_REQUEST, "a POST without the one-click body");
}

#[tokio::test]
async fn an_opt_out_stops_the_address_in_every_campaign_of_the_team_and_no_other_team() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    // The same address in a second campaign of the team (which allows that), and in another
    // team's campaign.
    sqlx::query("UPDATE teams SET leads_in_other_campaigns = 'allow'")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    let other_team = t.app.other_team_token().await;
    for (token, name) in [(&t.token, "Second"), (&other_team, "Theirs")] {
        let (status, campaign) = t
            .app
            .api_json(Method::POST, "/api/v1/campaigns", token, Some(json!({"name": name})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{campaign}");
        let id = campaign["id"].as_str().unwrap();
        let (status, report) = t.app.import(token, id, format!("email\n{BOB}\n")).await;
        assert_eq!((status, report["imported"].clone()), (StatusCode::OK, json!(1)), "{report}");
    }

    let done = one_click(&reqwest::Client::new(), &unsubscribe_url(&t, BOB)).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.name, l.status FROM leads l JOIN campaigns c ON c.id = l.campaign_id
         WHERE l.email = $1 ORDER BY c.name",
    )
    .bind(BOB)
    .fetch_all(&t.app.db.pool)
    .await
    .unwrap();
    let expected = [("Second", "unsubscribed"), ("Theirs", "pending"), ("Tracked", "unsubscribed")];
    assert_eq!(statuses, expected.map(|(c, s)| (c.to_owned(), s.to_owned())));
}

#[tokio::test]
async fn an_invalid_unsubscribe_link_is_refused_harmlessly() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    let url = unsubscribe_url(&t, BOB);
    let (base, token) = url.rsplit_once('/').unwrap();
    let (lead, _) = token.split_once('.').unwrap();
    let forged = format!("{base}/{lead}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let client = reqwest::Client::new();
    for bad in [forged, format!("{base}/garbage"), format!("{base}/<script>x")] {
        let page = client.get(&bad).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{bad}");
        let html = page.text().await.unwrap();
        assert!(html.contains("not valid") && !html.contains("<script>x"), "{html}");
        let post =
            client.post(&bad).body("List-Unsubscribe=One-Click").send().await.unwrap().status();
        assert_eq!(post, StatusCode::NOT_FOUND);
    }
    assert_eq!(suppression_reason(&t, BOB).await, None);
    assert_eq!(t.lead(BOB).await["status"], "in_sequence");
}

#[tokio::test]
async fn a_suppressed_domain_is_never_mailed() {
    let blocked = "kim@blocked.example";
    let t = tracked_campaign(CampaignSpec::two_steps(&[blocked, BOB])).await;
    let (status, _) = t
        .app
        .api_json(
            Method::POST,
            "/api/v1/suppressions",
            &t.token,
            Some(json!({"domain": "blocked.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    t.send_due().await;
    assert_eq!(t.received_by(blocked), 0);
    assert_eq!(t.received_by(BOB), 1);
    assert_eq!(t.lead(blocked).await["status"], "suppressed");
}

#[tokio::test]
async fn a_campaign_whose_bounce_rate_passes_its_threshold_pauses_itself() {
    let mut leads: Vec<String> = (0..18).map(|n| format!("ok{n}@acme.example")).collect();
    leads.extend(["gone1+bounce@acme.example".into(), "gone2+bounce@acme.example".into()]);
    let leads: Vec<&str> = leads.iter().map(String::as_str).collect();
    let t =
        tracked_campaign(CampaignSpec { follow_up_delay: None, ..CampaignSpec::two_steps(&leads) })
            .await;
    assert_eq!(t.send_due().await.sent, 20);
    t.sync().await;
    let campaign = t.campaign_json().await;
    assert_eq!(campaign["status"], "paused", "{campaign}");
    let reason = campaign["status_reason"].as_str().unwrap();
    assert!(reason.contains("2 of 20") && reason.contains("5.0%"), "{reason}");
}

#[tokio::test]
async fn leads_are_marked_replied_or_suppressed_by_hand() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB, "eve@acme.example"])).await;
    t.send_due().await;
    let bob = t.lead_id(BOB).await;
    let path = format!("/api/v1/leads/{bob}");
    let (status, lead) =
        t.app.api_json(Method::PATCH, &path, &t.token, Some(json!({"status": "replied"}))).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    assert_eq!(lead["status"], "replied");
    assert_eq!(lead["events"].as_array().unwrap().last().unwrap()["kind"], "marked_replied");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "cancelled")]);
    let (_, again) =
        t.app.api_json(Method::PATCH, &path, &t.token, Some(json!({"status": "replied"}))).await;
    assert_eq!(again["events"].as_array().unwrap().len(), 2, "idempotent");

    let eve = t.lead_id("eve@acme.example").await;
    let (status, lead) = t
        .app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/leads/{eve}"),
            &t.token,
            Some(json!({"status": "suppressed"})),
        )
        .await;
    assert_eq!((status, lead["status"].clone()), (StatusCode::OK, json!("suppressed")));
    assert_eq!(suppression_reason(&t, "eve@acme.example").await.as_deref(), Some("manual"));

    let (status, error) =
        t.app.api_json(Method::PATCH, &path, &t.token, Some(json!({"status": "completed"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (_, other) = t.app.other_team("Globex").await;
    let (status, _) =
        t.app.api_json(Method::PATCH, &path, &other, Some(json!({"status": "replied"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.app.api_json(Method::GET, &path, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, openapi) = t.app.api_json(Method::GET, "/api/v1/openapi.json", &t.token, None).await;
    let lead_path = &openapi["paths"]["/api/v1/leads/{id}"];
    assert!(lead_path["get"].is_object() && lead_path["patch"].is_object(), "{lead_path}");
}

#[tokio::test]
async fn accounts_without_the_modify_scope_skip_sync_and_labels() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE])).await;
    sqlx::query("UPDATE sender_accounts SET granted_scopes = $1")
        .bind(send_only_scopes().into_iter().map(String::from).collect::<Vec<_>>())
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    t.send_due().await;
    assert!(t.sync().await.skipped);
    assert_eq!(t.lead(JANE).await["status"], "in_sequence");
    let labels: i64 = sqlx::query_scalar("SELECT count(*) FROM sender_labels")
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(labels, 0);
}

/// A sync's quota, once `sent_leads` leads were mailed and one of them replied.
async fn units_of_one_sync(sent_leads: i64) -> std::collections::BTreeMap<GmailMethod, u64> {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    // Everyone else was mailed too (as if the worker had sent them).
    sqlx::query(
        "WITH c AS (SELECT id, team_id FROM campaigns LIMIT 1),
              l AS (INSERT INTO leads (id, team_id, campaign_id, email, status, sender_id)
                    SELECT gen_random_uuid(), c.team_id, c.id, 'lead' || n || '@bulk.example', 'in_sequence', $2
                    FROM c, generate_series(2, $1) n RETURNING id, team_id, campaign_id)
         INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, sender_id, status,
                                      send_at, message_id, gmail_message_id, gmail_thread_id, sent_at)
         SELECT gen_random_uuid(), team_id, campaign_id, id, 1, $2, 'sent', now(),
                '<' || id || '@bulk>', 'g' || id, 't' || id, now() FROM l",
    )
    .bind(sent_leads)
    .bind(t.sender_id)
    .execute(&t.app.db.pool)
    .await
    .unwrap();
    t.sync().await;
    t.reply_in_thread(BOB, "Interested.");
    t.app.sandbox().reset_counters();
    assert_eq!(t.sync().await.inbound, 1);
    assert_eq!(t.lead(BOB).await["status"], "replied");
    t.app.sandbox().quota_units(ADA)
}

#[tokio::test]
async fn a_sync_costs_the_same_quota_for_ten_or_ten_thousand_mailed_leads() {
    let few = units_of_one_sync(10).await;
    let many = units_of_one_sync(10_000).await;
    assert_eq!(few, many);
    // history.list 2 + messages.get 5 per new message; the label on it (messages.modify) 5.
    assert_eq!(few.get(&GmailMethod::HistoryList), Some(&2), "{few:?}");
    assert_eq!(few.get(&GmailMethod::MessagesGet), Some(&5), "{few:?}");
    assert_eq!(few.get(&GmailMethod::MessagesModify), Some(&5), "{few:?}");
    assert_eq!(few.values().sum::<u64>(), 12, "{few:?}");
}

#[tokio::test]
async fn the_lead_page_shows_the_timeline_and_its_buttons_work_for_the_team_only() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE])).await;
    t.send_due().await;
    t.sync().await;
    let jane = t.lead_id(JANE).await.to_string();
    let page = t.app.get(&format!("/campaigns/{}/leads/{jane}", t.campaign)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("lead-timeline") && html.contains("Reply from"), "{html}");

    let (browser, _) = t.app.other_team("Globex").await;
    let refused = t
        .app
        .call::<app::pages::campaigns::ChangeLead>(
            &browser,
            &[("lead_id", &jane), ("status", "suppressed")],
        )
        .await;
    assert!(!refused.status().is_success());
    assert!(refused.text().await.unwrap().contains("NotFound"));
    let done = t
        .app
        .call::<app::pages::campaigns::ChangeLead>(
            &t.app.client,
            &[("lead_id", &jane), ("status", "suppressed")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(t.lead(JANE).await["status"], "suppressed");
    assert_eq!(suppression_reason(&t, JANE).await.as_deref(), Some("manual"));
}

#[tokio::test]
async fn a_flood_of_new_mail_is_worked_through_over_several_syncs() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB])).await;
    t.send_due().await;
    t.sync().await;
    for n in 0..201 {
        let mail = Inbound::Simple {
            from: format!("someone{n}@elsewhere.example"),
            subject: format!("Newsletter {n}"),
            body: "Not about the campaign.".into(),
            in_reply_to: None,
        };
        t.app.sandbox().inject(ADA, mail).unwrap();
    }
    t.reply_in_thread(BOB, "Count me in.");
    let first = t.sync().await;
    assert_eq!((first.inbound, first.more), (200, true), "{first:?}");
    let second = t.sync().await;
    assert_eq!((second.inbound, second.more), (2, false), "{second:?}");
    assert_eq!(t.lead(BOB).await["status"], "replied");
    assert_eq!(t.sync().await.inbound, 0);
}
