//! The campaign lint (everything that would make a send wrong or embarrassing, found before
//! the start) and the preview of one step for one lead, exactly as it would be sent.

use futures::TryStreamExt;
use sqlx::{PgPool, Row};
use url::Url;
use uuid::Uuid;

use super::leads::{ensure_campaign, fields_map};
use crate::compose::{ParsedStep, parse_steps, render_step};
use crate::crypto::SecretKey;
use crate::error::{Error, Result};
use crate::mime::{Footer, with_html_footer, with_text_footer};
use crate::model::{Campaign, Lead, LintProblem, LintReport, Preview, Severity};
use crate::unsubscribe;

/// Per-lead problems listed in a report; all are counted.
const MAX_LEAD_PROBLEMS: usize = 200;
/// A value is "empty" when it has only these characters: exactly what Rust's `str::trim`
/// removes, which is what rendering treats as empty.
const BLANK_PATTERN: &str = r"^[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";

/// Lints the campaign: missing parts, unknown merge fields, copy that is the same for everyone,
/// no postal address, and every lead a step cannot be rendered for.
pub async fn lint(pool: &PgPool, team_id: Uuid, campaign_id: Uuid) -> Result<LintReport> {
    let campaign = super::get(pool, team_id, campaign_id).await?;
    let team = crate::team::get_team(pool, team_id).await?;
    let mut report = LintReport::default();
    campaign_problems(&campaign, &team.postal_address, &mut report);
    let steps = match parse_steps(&campaign.steps) {
        Ok(steps) => steps,
        Err(errors) => {
            for error in errors {
                add(
                    &mut report,
                    problem(Severity::Error, Some(error.step), Some(error.part), error.to_string()),
                );
            }
            return Ok(report);
        }
    };
    let known = campaign.merge_fields();
    template_problems(&steps, &known, &mut report);
    lead_problems(pool, team_id, campaign_id, &steps, &known, &mut report).await?;
    Ok(report)
}

fn campaign_problems(campaign: &Campaign, postal_address: &str, report: &mut LintReport) {
    if campaign.steps.is_empty() {
        add(
            report,
            problem(Severity::Error, None, None, "add at least one step (the first email)".into()),
        );
    }
    if campaign.stats.leads == 0 {
        add(
            report,
            problem(Severity::Error, None, None, "import leads: the campaign has none".into()),
        );
    }
    if campaign.sender_ids.is_empty() {
        add(
            report,
            problem(
                Severity::Error,
                None,
                Some("sender_ids"),
                "choose at least one sender account".into(),
            ),
        );
    }
    if postal_address.trim().is_empty() {
        add(report, problem(Severity::Warning, None, None,
            "your team has no postal address: add it under Team & settings, it is printed in every email footer (CAN-SPAM)".into()));
    }
}

fn template_problems(steps: &[ParsedStep], known: &[&str], report: &mut LintReport) {
    for (number, step) in (1u32..).zip(steps) {
        let subject = (number == 1).then_some(("subject", &step.subject));
        let parts = subject
            .into_iter()
            .chain([("body", &step.body)])
            .chain(step.html.as_ref().map(|h| ("html", h)));
        for (part, template) in parts {
            for unknown in template.check_fields(known) {
                add(
                    report,
                    problem(
                        Severity::Error,
                        Some(number),
                        Some(part),
                        format!("step {number} {part}: {unknown}"),
                    ),
                );
            }
        }
        if !step.body.is_personalized() {
            add(
                report,
                problem(
                    Severity::Warning,
                    Some(number),
                    Some("body"),
                    format!(
                        "step {number}: every lead gets the same body; add a merge field like <<first_name>> or spintax like {{Hi|Hello}} (identical mass mail is what spam filters look for)"
                    ),
                ),
            );
        }
    }
}

/// Renders every step for each lead that might have an empty required field. The database
/// picks the candidates (a lead whose required fields all have text cannot have a problem),
/// so a large clean campaign is linted without rendering every lead.
async fn lead_problems(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    steps: &[ParsedStep],
    known: &[&str],
    report: &mut LintReport,
) -> Result<()> {
    let mut required: Vec<String> = Vec::new();
    for step in steps {
        let templates = [Some(&step.subject), Some(&step.body), step.html.as_ref()];
        for template in templates.into_iter().flatten() {
            for field in template.fields() {
                if !field.has_fallback
                    && known.contains(&field.name.as_str())
                    && !required.contains(&field.name)
                {
                    required.push(field.name);
                }
            }
        }
    }
    if required.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "SELECT id, campaign_id, email, first_name, company, fields, status, created_at, updated_at
         FROM leads WHERE team_id = $1 AND campaign_id = $2 AND status IN ('pending', 'in_sequence') AND (",
    );
    let mut custom = Vec::new();
    for (index, name) in required.iter().enumerate() {
        if index > 0 {
            sql.push_str(" OR ");
        }
        match name.as_str() {
            "email" | "first_name" | "company" => sql.push_str(name),
            _ => {
                custom.push(name.as_str());
                sql.push_str(&format!("coalesce(fields->>${}, '')", custom.len() + 3));
            }
        }
        sql.push_str(" ~ $3");
    }
    sql.push_str(") ORDER BY id");
    let mut query = sqlx::query(&sql).bind(team_id).bind(campaign_id).bind(BLANK_PATTERN);
    for name in custom {
        query = query.bind(name);
    }
    let mut rows = query.fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let lead = Lead {
            id: row.try_get("id")?,
            campaign_id: row.try_get("campaign_id")?,
            email: row.try_get("email")?,
            first_name: row.try_get("first_name")?,
            company: row.try_get("company")?,
            fields: fields_map(row.try_get("fields")?),
            status: row.try_get("status")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        };
        let mut has_problem = false;
        for number in 1..=u32::try_from(steps.len()).unwrap_or(u32::MAX) {
            let Some(rendered) = render_step(steps, number, &lead) else { continue };
            for (part, render_problem) in rendered.problems {
                has_problem = true;
                report.errors += 1;
                if report.problems.len() < MAX_LEAD_PROBLEMS {
                    report.problems.push(LintProblem {
                        severity: Severity::Error,
                        lead_id: Some(lead.id),
                        lead_email: Some(lead.email.clone()),
                        step: Some(number),
                        field: Some(part.to_owned()),
                        message: format!("step {number} {part}: {render_problem}"),
                    });
                }
            }
        }
        report.leads_with_problems += u64::from(has_problem);
    }
    Ok(())
}

fn problem(
    severity: Severity,
    step: Option<u32>,
    field: Option<&str>,
    message: String,
) -> LintProblem {
    LintProblem {
        severity,
        lead_id: None,
        lead_email: None,
        step,
        field: field.map(str::to_owned),
        message,
    }
}

fn add(report: &mut LintReport, problem: LintProblem) {
    match problem.severity {
        Severity::Error => report.errors += 1,
        Severity::Warning => report.warnings += 1,
    }
    report.problems.push(problem);
}

/// Where preview links point and how they are signed.
pub struct LinkSigner<'a> {
    pub key: &'a SecretKey,
    pub base_url: &'a Url,
}

/// Step `step` (from 1) for one lead (the first one when `lead_id` is `None`), rendered exactly
/// as it would be sent, footer included.
pub async fn preview(
    pool: &PgPool,
    links: &LinkSigner<'_>,
    team_id: Uuid,
    campaign_id: Uuid,
    lead_id: Option<Uuid>,
    step: u32,
) -> Result<Preview> {
    ensure_campaign(pool, team_id, campaign_id).await?;
    let steps = super::steps(pool, team_id, campaign_id).await?;
    let parsed =
        parse_steps(&steps).map_err(|errors| Error::invalid("step", errors[0].to_string()))?;
    if step == 0 || step as usize > parsed.len() {
        return Err(Error::invalid(
            "step",
            format!("the campaign has {} steps; step counts from 1", parsed.len()),
        ));
    }
    let lead_id = match lead_id {
        Some(id) => id,
        None => sqlx::query_scalar!(
            "SELECT id FROM leads WHERE team_id = $1 AND campaign_id = $2 ORDER BY id LIMIT 1",
            team_id,
            campaign_id
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            Error::invalid("lead_id", "the campaign has no leads yet: import some first")
        })?,
    };
    let lead = super::leads::get(pool, team_id, lead_id).await?;
    if lead.campaign_id != campaign_id {
        return Err(Error::NotFound("lead"));
    }
    let team = crate::team::get_team(pool, team_id).await?;
    let rendered = render_step(&parsed, step, &lead).ok_or(Error::NotFound("step"))?;
    let url =
        unsubscribe::url(links.base_url, &unsubscribe::token(links.key, lead.id, &lead.email));
    let footer = Footer { postal_address: &team.postal_address, unsubscribe_url: &url };
    Ok(Preview {
        lead_id: lead.id,
        lead_email: lead.email,
        step,
        subject: rendered.subject,
        body: with_text_footer(&rendered.text_body, footer),
        html: rendered.html_body.map(|html| with_html_footer(&html, footer)),
        problems: rendered.problems.iter().map(|(part, p)| format!("{part}: {p}")).collect(),
    })
}
