//! A campaign step rendered for one lead: the subject (`Re: …` of step 1's for follow-ups),
//! the plain-text and HTML bodies. The preview, the lint and the outbox all call this, so what
//! a person previews is what is sent.

use std::fmt;

use crate::mime::reply_subject;
use crate::model::{Lead, Step};
use crate::template::{Escape, ParseError, RenderProblem, Template, spin_seed};

/// A step's templates, parsed once and rendered for many leads.
#[derive(Debug, Clone)]
pub struct ParsedStep {
    pub subject: Template,
    pub body: Template,
    pub html: Option<Template>,
}

/// A template of a step that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSyntaxError {
    /// From 1.
    pub step: u32,
    /// `subject`, `body` or `html`.
    pub part: &'static str,
    pub error: ParseError,
}

impl fmt::Display for StepSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} {}: {}", self.step, self.part, self.error)
    }
}

/// Parses every step, reporting every template that does not parse.
pub fn parse_steps(steps: &[Step]) -> Result<Vec<ParsedStep>, Vec<StepSyntaxError>> {
    let mut parsed = Vec::with_capacity(steps.len());
    let mut errors = Vec::new();
    for (number, step) in (1u32..).zip(steps) {
        let mut part = |name: &'static str, source: &str| match Template::parse(source) {
            Ok(template) => Some(template),
            Err(error) => {
                errors.push(StepSyntaxError { step: number, part: name, error });
                None
            }
        };
        let subject = part("subject", &step.subject);
        let body = part("body", &step.body);
        let html = step.html.as_deref().map(|html| part("html", html));
        if let (Some(subject), Some(body)) = (subject, body) {
            let html = match html {
                None => None,
                Some(Some(html)) => Some(html),
                Some(None) => continue,
            };
            parsed.push(ParsedStep { subject, body, html });
        }
    }
    if errors.is_empty() { Ok(parsed) } else { Err(errors) }
}

/// One step for one lead. When `problems` is not empty it must not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedStep {
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    /// Each problem with the part it is in (`subject`, `body`, `html`).
    pub problems: Vec<(&'static str, RenderProblem)>,
}

/// Renders `step` (from 1) of `steps` for `lead`; `None` when there is no such step. The
/// spintax seed is the lead's id and the step, so every render of it picks the same options;
/// follow-ups reuse step 1's subject exactly as it was sent.
pub fn render_step(steps: &[ParsedStep], step: u32, lead: &Lead) -> Option<RenderedStep> {
    let index = usize::try_from(step).ok()?.checked_sub(1)?;
    let this = steps.get(index)?;
    let first = steps.first()?;
    let key = lead.id.to_string();
    let mut problems = Vec::new();
    let mut collect = |part: &'static str, rendered: crate::template::Rendered| {
        problems.extend(rendered.problems.into_iter().map(|problem| (part, problem)));
        rendered.text
    };
    let first_subject =
        collect("subject", first.subject.render(lead, spin_seed(&key, 1), Escape::Header));
    let subject = if step == 1 { first_subject } else { reply_subject(&first_subject) };
    let seed = spin_seed(&key, step);
    let text_body = collect("body", this.body.render(lead, seed, Escape::None));
    let html_body =
        this.html.as_ref().map(|html| collect("html", html.render(lead, seed, Escape::Html)));
    Some(RenderedStep { subject, text_body, html_body, problems })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::model::LeadStatus;

    fn lead(first_name: &str) -> Lead {
        Lead {
            id: Uuid::new_v4(),
            campaign_id: Uuid::new_v4(),
            email: "jane@acme.com".into(),
            first_name: first_name.into(),
            company: "Acme <b>".into(),
            fields: BTreeMap::from([("title".to_string(), "CTO".to_string())]),
            status: LeadStatus::Pending,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn step(subject: &str, body: &str, html: Option<&str>) -> Step {
        Step {
            subject: subject.into(),
            body: body.into(),
            html: html.map(Into::into),
            delay_days: 0,
        }
    }

    #[test]
    fn follow_ups_reply_to_the_first_subject_as_sent() {
        let steps = parse_steps(&[
            step("{Hi|Hello} <<first_name>>", "Body <<title>>", Some("<p><<company>></p>")),
            step("ignored", "Following up, <<first_name|there>>", None),
        ])
        .unwrap();
        let jane = lead("Jane");
        let first = render_step(&steps, 1, &jane).unwrap();
        let second = render_step(&steps, 2, &jane).unwrap();
        assert!(first.subject.ends_with("Jane"), "{}", first.subject);
        assert_eq!(second.subject, format!("Re: {}", first.subject));
        assert_eq!(first.text_body, "Body CTO");
        assert_eq!(first.html_body.as_deref(), Some("<p>Acme &lt;b&gt;</p>"));
        assert_eq!(second.text_body, "Following up, Jane");
        assert!(first.problems.is_empty() && second.problems.is_empty());
        assert!(render_step(&steps, 3, &jane).is_none());
        assert!(render_step(&steps, 0, &jane).is_none());
    }

    #[test]
    fn empty_fields_without_fallback_are_problems_of_their_part() {
        let steps =
            parse_steps(&[step("Hi <<first_name>>", "Hi <<first_name|there>>", None)]).unwrap();
        let rendered = render_step(&steps, 1, &lead("")).unwrap();
        assert_eq!(rendered.text_body, "Hi there");
        assert_eq!(
            rendered.problems,
            vec![("subject", RenderProblem::EmptyField { field: "first_name".into() })]
        );
    }

    #[test]
    fn every_broken_template_is_reported_with_its_step_and_part() {
        let errors = parse_steps(&[
            step("Hi <<first_name", "ok", None),
            step("", "{unclosed", Some("fine")),
        ])
        .unwrap_err();
        let places: Vec<_> = errors.iter().map(|e| (e.step, e.part)).collect();
        assert_eq!(places, vec![(1, "subject"), (2, "body")]);
        assert!(
            errors[0].to_string().starts_with("step 1 subject: line 1, column 4"),
            "{}",
            errors[0]
        );
    }
}
