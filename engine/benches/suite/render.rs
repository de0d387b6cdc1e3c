//! Throughput of what happens per outgoing email: render subject and body for a lead, build
//! the MIME message, base64url it. One thread, timed by its CPU time, so the figures are per
//! core however busy the machine is (the wall-clock rate is shown too).

use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use engine::email_address::EmailAddress;
use engine::mime::{OutgoingMessage, build_message, new_message_id};
use engine::template::{Escape, Template, spin_seed};
use uuid::Uuid;

use crate::common::{Row, thousands, thread_cpu_time};

const MESSAGES: usize = 200_000;
const LEADS: usize = 1_000;

const SUBJECT: &str = "{Quick question|An idea|Thought} for <<company>>";
const BODY: &str = "{Hi|Hello|Hey} <<first_name|there>>,

I noticed <<company>> is {growing fast|hiring|expanding in <<city|Europe>>} and wanted to \
reach out. We help teams like yours {cut the time spent on|automate} outbound prospecting \
without losing the personal touch, and {most|many} of our customers see replies double \
within a month.

Would you be open to a {short|quick|15-minute} call next week to see if it fits? If not, \
just let me know and I will not bother you again.

{Best|Cheers|Thanks},
Sam";
const HTML: &str = "<html><body><p>{Hi|Hello|Hey} <<first_name|there>>,</p>
<p>I noticed <b><<company>></b> is {growing fast|hiring|expanding in <<city|Europe>>} and \
wanted to reach out. We help teams like yours {cut the time spent on|automate} outbound \
prospecting without losing the personal touch.</p>
<p>Would you be open to a {short|quick|15-minute} call next week?</p>
<p>{Best|Cheers|Thanks},<br>Sam</p></body></html>";

struct Lead {
    email: EmailAddress,
    fields: Vec<(&'static str, String)>,
    /// Made when the outbox row is created, not per build, so outside the timed work.
    message_id: String,
    outreach_id: Uuid,
}

fn leads() -> Vec<Lead> {
    let names = ["Jane", "Jürgen", "Zoë", "Tom", "Ana"];
    let companies = ["Acme", "Müller & Söhne GmbH", "Initech", "Globex"];
    (0..LEADS)
        .map(|i| {
            let email = EmailAddress::parse(&format!("lead{i}@company{}.example", i % 97))
                .expect("valid address");
            let mut fields = vec![
                ("email", email.to_string()),
                ("first_name", names[i % names.len()].to_owned()),
                ("company", companies[i % companies.len()].to_owned()),
            ];
            if i % 3 == 0 {
                fields.push(("city", "Köln".to_owned()));
            }
            let message_id = new_message_id("seller.example");
            Lead { email, fields, message_id, outreach_id: Uuid::new_v4() }
        })
        .collect()
}

pub fn run() -> Vec<Row> {
    let text = measure(false);
    let html = measure(true);
    vec![
        Row::new("render + MIME + base64url, text", text, "≥ 100,000 msgs/s/core"),
        Row::new("render + MIME + base64url, text + HTML", html, "—"),
    ]
}

/// Builds `MESSAGES` messages; the figure is messages per second of this thread's CPU time.
fn measure(with_html: bool) -> String {
    let subject = Template::parse(SUBJECT).expect("subject parses");
    let body = Template::parse(BODY).expect("body parses");
    let html = Template::parse(HTML).expect("html parses");
    let leads = leads();
    let from = EmailAddress::parse("sam@seller.example").expect("valid address");

    let started = Instant::now();
    let cpu_started = thread_cpu_time();
    let mut raw_bytes = 0usize;
    for i in 0..MESSAGES {
        let lead = &leads[i % LEADS];
        let fields: Vec<(&str, &str)> = lead.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let seed = spin_seed(lead.email.as_str(), 1);
        let message = OutgoingMessage {
            from_name: "Sam Seller".to_owned(),
            from: from.clone(),
            to_name: Some(lead.fields[1].1.clone()),
            to: lead.email.clone(),
            subject: subject.render(&fields[..], seed, Escape::Header).text,
            text_body: body.render(&fields[..], seed, Escape::None).text,
            html_body: with_html.then(|| html.render(&fields[..], seed, Escape::Html).text),
            date: Utc::now(),
            message_id: lead.message_id.clone(),
            outreach_id: lead.outreach_id,
            in_reply_to: None,
            references: Vec::new(),
            unsubscribe_url: "https://outreach.example/u/9f8e7d6c5b4a".to_owned(),
            unsubscribe_mailto: "mailto:unsubscribe@seller.example".to_owned(),
            postal_address: "Seller Inc., 1 Main Street, Springfield".to_owned(),
        };
        let built = build_message(&message).expect("message builds");
        raw_bytes += black_box(built.raw.len());
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_time() - cpu_started;
    format!(
        "{} msgs/s/core ({:.2} µs each, {} bytes on average; wall clock {} msgs/s)",
        thousands((MESSAGES as f64 / cpu) as u64),
        cpu * 1e6 / MESSAGES as f64,
        raw_bytes / MESSAGES,
        thousands((MESSAGES as f64 / wall) as u64),
    )
}
