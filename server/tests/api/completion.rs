//! A running campaign completes by itself once nothing is left to send, stays on the dashboard
//! for a week with its final figures, and runs again when a change gives it something to send:
//! new leads, an undo by hand, a sent message Gmail did not deliver. The sweep skips a
//! campaign another transaction holds (an import).

use std::time::Duration;

use engine::campaigns::completion::{REASON, complete_finished};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::tracking::limit_bounce;
use crate::tracking_helpers::{CampaignSpec, Tracked, tracked_campaign};

const JANE: &str = "jane+reply@acme.example";
const KIM: &str = "kim@acme.example";
const LEO: &str = "leo@acme.example";
/// No campaign completed.
const NONE: [Uuid; 0] = [];

impl Tracked {
    async fn sweep(&self) -> Vec<Uuid> {
        complete_finished(&self.app.db.pool, chrono::Utc::now()).await.expect("a sweep")
    }

    fn campaign_id(&self) -> Uuid {
        self.campaign.parse().unwrap()
    }

    async fn dashboard_campaigns(&self) -> Vec<Value> {
        let (status, body) =
            self.app.api_json(Method::GET, "/api/v1/dashboard", &self.token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["campaigns"].as_array().unwrap().clone()
    }
}

/// A one-step campaign whose only lead, Kim, was sent her email.
async fn one_step_sent_to_kim() -> Tracked {
    let t =
        tracked_campaign(CampaignSpec { follow_up_delay: None, ..CampaignSpec::two_steps(&[KIM]) })
            .await;
    assert_eq!(t.send_due().await.sent, 1);
    t
}

#[tokio::test]
async fn a_campaign_completes_once_nothing_is_left_to_send_and_stays_on_the_dashboard() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE, KIM])).await;
    assert_eq!(t.sweep().await, NONE, "nothing sent yet");
    assert_eq!(t.send_due().await.sent, 2);
    assert_eq!(t.sweep().await, NONE, "both follow-ups are scheduled");
    t.sync().await;
    assert_eq!(t.lead(JANE).await["status"], "replied");
    assert_eq!(t.sweep().await, NONE, "Kim's follow-up is still to go");

    // A message on its way, or one whose fate is being checked, is still work.
    let kim = t.lead_id(KIM).await;
    let set_follow_up = |status: &'static str| {
        sqlx::query("UPDATE outbox_messages SET status = $1 WHERE lead_id = $2 AND step_number = 2")
            .bind(status)
            .bind(kim)
            .execute(&t.app.db.pool)
    };
    for status in ["sending", "ambiguous", "scheduled"] {
        set_follow_up(status).await.unwrap();
        assert_eq!(t.sweep().await, NONE, "{status}");
    }

    assert_eq!(t.send_everything().await.sent, 1);
    assert_eq!(t.lead(KIM).await["status"], "completed");
    assert_eq!(t.sweep().await, [t.campaign_id()]);
    assert_eq!(t.sweep().await, NONE, "once");
    let campaign = t.campaign_json().await;
    assert_eq!(campaign["status"], "completed", "{campaign}");
    assert_eq!(campaign["status_reason"], REASON);
    assert!(campaign["completed_at"].is_string(), "{campaign}");
    assert_eq!(campaign["stats"]["sent"], 3);

    // On the dashboard, with its final figures and nothing planned.
    let shown = t.dashboard_campaigns().await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["status"], "completed");
    assert_eq!(shown[0]["completed_at"], campaign["completed_at"]);
    assert_eq!(shown[0]["stats"]["sent"], 3);
    assert!(shown[0]["next_send_at"].is_null() && shown[0]["eta"].is_null(), "{shown:?}");
    // A week later it is off the dashboard (the campaign list still has it).
    sqlx::query("UPDATE campaigns SET completed_at = completed_at - interval '8 days'")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(t.dashboard_campaigns().await, Vec::<Value>::new());

    // A completed campaign cannot be paused or resumed; it has nothing to do.
    let (status, body) = t
        .app
        .api_json(Method::POST, &format!("/api/v1/campaigns/{}/pause", t.campaign), &t.token, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn new_leads_in_a_completed_campaign_make_it_run_again_for_them() {
    let t = one_step_sent_to_kim().await;
    assert_eq!(t.sweep().await, [t.campaign_id()]);

    // A file with only an address it already has changes nothing.
    let (status, report) = t.app.import(&t.token, &t.campaign, format!("email\n{KIM}\n")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 0);
    assert_eq!(t.campaign_json().await["status"], "completed");

    let (status, report) =
        t.app.import(&t.token, &t.campaign, format!("email,company\n{LEO},Initech\n")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 1);
    let campaign = t.campaign_json().await;
    assert_eq!(campaign["status"], "running", "{campaign}");
    assert!(campaign["status_reason"].is_null() && campaign["completed_at"].is_null());
    assert_eq!(t.sweep().await, NONE, "Leo's first email is planned");
    assert_eq!(t.send_due().await.sent, 1);
    assert_eq!(t.received_by(LEO), 1);
    assert_eq!(t.received_by(KIM), 1, "Kim is not mailed again");
    assert_eq!(t.sweep().await, [t.campaign_id()]);

    // A cancelled campaign takes no more leads.
    sqlx::query("UPDATE campaigns SET status = 'cancelled'").execute(&t.app.db.pool).await.unwrap();
    let (status, body) = t.app.import(&t.token, &t.campaign, "email\nmia@acme.example\n").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn undoing_the_change_that_finished_a_campaign_makes_it_run_again() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[KIM])).await;
    assert_eq!(t.send_due().await.sent, 1);
    let lead = t.lead_id(KIM).await;
    let (status, body) = t
        .app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/leads/{lead}"),
            &t.token,
            Some(json!({"status": "replied"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(t.sweep().await, [t.campaign_id()], "Kim's follow-up was cancelled");

    let (status, body) =
        t.app.api_json(Method::POST, &format!("/api/v1/leads/{lead}/undo"), &t.token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_sequence", "{body}");
    let campaign = t.campaign_json().await;
    assert_eq!(campaign["status"], "running", "{campaign}");
    assert!(campaign["completed_at"].is_null());
    assert_eq!(t.sweep().await, NONE);
    assert_eq!(t.send_everything().await.sent, 1, "the follow-up goes out after all");
    assert_eq!(t.sweep().await, [t.campaign_id()]);
}

#[tokio::test]
async fn a_message_gmail_did_not_deliver_makes_its_completed_campaign_run_again() {
    let t = one_step_sent_to_kim().await;
    assert_eq!(t.sweep().await, [t.campaign_id()]);
    // "You have reached a limit for sending mail": Kim's message was dropped after all.
    limit_bounce(&t);
    t.sync().await;
    assert_eq!(t.steps_of(KIM).await, [(1, "pending".to_owned())]);
    assert_eq!(t.lead(KIM).await["status"], "in_sequence");
    let campaign = t.campaign_json().await;
    assert_eq!(campaign["status"], "running", "{campaign}");
    assert_eq!(t.sweep().await, NONE, "the message waits to be sent again");
}

#[tokio::test]
async fn the_sweep_skips_a_campaign_that_another_transaction_holds() {
    let t = one_step_sent_to_kim().await;
    // As an import does: the campaign row locked until commit.
    let mut held = t.app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE")
        .bind(t.campaign_id())
        .execute(&mut *held)
        .await
        .unwrap();
    let swept = tokio::time::timeout(Duration::from_secs(10), t.sweep())
        .await
        .expect("the sweep does not wait for the lock");
    assert_eq!(swept, NONE);
    held.commit().await.unwrap();
    assert_eq!(t.sweep().await, [t.campaign_id()]);
}
