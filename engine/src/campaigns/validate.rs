//! Checks a campaign change before anything is written, naming the field at fault
//! (`steps[1].body`, `schedule.timezone`, …) so the UI can show the message next to it.

use chrono_tz::Tz;

use crate::compose::parse_steps;
use crate::error::{Error, Result};
use crate::model::{CampaignPatch, CampaignSettings, Schedule, Step};

pub const MAX_STEPS: usize = 20;
const MAX_DELAY_DAYS: i32 = 365;
const MAX_GAP_SECONDS: i32 = 24 * 60 * 60;
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The patch with names trimmed, empty HTML dropped and day names in week order.
pub fn patch(mut patch: CampaignPatch) -> Result<CampaignPatch> {
    if let Some(name) = &mut patch.name {
        *name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid("name", "the name must have 1 to 200 characters"));
        }
    }
    if let Some(steps) = &mut patch.steps {
        steps_(steps)?;
    }
    if let Some(schedule) = &mut patch.schedule {
        schedule_(schedule)?;
    }
    if let Some(settings) = &patch.settings {
        settings_(settings)?;
    }
    if let Some(ids) = &patch.sender_ids {
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(Error::invalid(
                "sender_ids",
                format!("sender account {twice} is listed twice"),
            ));
        }
    }
    Ok(patch)
}

fn steps_(steps: &mut [Step]) -> Result<()> {
    if steps.len() > MAX_STEPS {
        return Err(Error::invalid("steps", format!("a campaign has at most {MAX_STEPS} steps")));
    }
    for (index, step) in steps.iter_mut().enumerate() {
        let at = |part: &str| format!("steps[{index}].{part}");
        if step.html.as_deref().is_some_and(|html| html.trim().is_empty()) {
            step.html = None;
        }
        if index == 0 && step.subject.trim().is_empty() {
            return Err(Error::invalid(at("subject"), "the first step needs a subject"));
        }
        if step.body.trim().is_empty() {
            return Err(Error::invalid(at("body"), format!("step {} needs a body", index + 1)));
        }
        if !(0..=MAX_DELAY_DAYS).contains(&step.delay_days) {
            return Err(Error::invalid(
                at("delay_days"),
                format!("the delay must be 0 to {MAX_DELAY_DAYS} days"),
            ));
        }
        // A subject becomes a mail header: a line break in it could start another header.
        if step.subject.chars().any(|c| c.is_control() && c != '\t') {
            return Err(Error::invalid(
                at("subject"),
                "the subject must be one line: remove the line break (or other control \
                 character) from it",
            ));
        }
        let limits = [("subject", &step.subject, 1000), ("body", &step.body, 100_000)];
        for (part, text, limit) in limits {
            if text.len() > limit {
                return Err(Error::invalid(at(part), format!("longer than {limit} bytes")));
            }
        }
    }
    if let Err(errors) = parse_steps(steps) {
        let first = &errors[0];
        let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        return Err(Error::invalid(format!("steps[{}].{}", first.step - 1, first.part), message));
    }
    Ok(())
}

fn schedule_(schedule: &mut Schedule) -> Result<()> {
    schedule.timezone = schedule.timezone.trim().to_owned();
    if schedule.timezone.parse::<Tz>().is_err() {
        return Err(Error::invalid(
            "schedule.timezone",
            format!("'{}' is not an IANA time zone such as Europe/Berlin", schedule.timezone),
        ));
    }
    let mut days = Vec::new();
    for day in &schedule.days {
        let day = day.trim().to_ascii_lowercase();
        let Some(known) = DAY_NAMES.iter().find(|name| day.starts_with(**name)) else {
            return Err(Error::invalid(
                "schedule.days",
                format!("'{day}' is not a day: use mon, tue, wed, thu, fri, sat, sun"),
            ));
        };
        days.push(*known);
    }
    let in_order: Vec<String> = DAY_NAMES
        .iter()
        .filter(|name| days.contains(name))
        .map(|name| (*name).to_owned())
        .collect();
    if in_order.is_empty() {
        return Err(Error::invalid("schedule.days", "choose at least one sending day"));
    }
    schedule.days = in_order;
    if !(0..=23).contains(&schedule.start_hour) {
        return Err(Error::invalid("schedule.start_hour", "the start hour must be 0 to 23"));
    }
    if !(1..=24).contains(&schedule.end_hour) || schedule.end_hour <= schedule.start_hour {
        return Err(Error::invalid(
            "schedule.end_hour",
            "the end hour must be after the start hour, at most 24",
        ));
    }
    if !(0..=MAX_GAP_SECONDS).contains(&schedule.min_gap_seconds) {
        return Err(Error::invalid(
            "schedule.min_gap_seconds",
            format!("the minimum gap must be 0 to {MAX_GAP_SECONDS} seconds"),
        ));
    }
    if !(schedule.min_gap_seconds..=MAX_GAP_SECONDS).contains(&schedule.max_gap_seconds) {
        return Err(Error::invalid(
            "schedule.max_gap_seconds",
            format!(
                "the maximum gap must be at least the minimum gap and at most {MAX_GAP_SECONDS} seconds"
            ),
        ));
    }
    Ok(())
}

fn settings_(settings: &CampaignSettings) -> Result<()> {
    let threshold = settings.bounce_pause_threshold;
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(Error::invalid(
            "settings.bounce_pause_threshold",
            "the bounce threshold is a rate above 0 and at most 1 (0.05 is 5%)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<CampaignPatch>) -> String {
        match result {
            Err(Error::Invalid { field: Some(field), .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn step(subject: &str, body: &str) -> Step {
        Step { subject: subject.into(), body: body.into(), html: None, delay_days: 0 }
    }

    #[test]
    fn steps_are_checked_with_their_position() {
        let with =
            |steps: Vec<Step>| patch(CampaignPatch { steps: Some(steps), ..Default::default() });
        assert_eq!(field_of(with(vec![step(" ", "Hi")])), "steps[0].subject");
        assert_eq!(field_of(with(vec![step("Hi", "Hi"), step("", " ")])), "steps[1].body");
        assert_eq!(field_of(with(vec![step("Hi", "Hi"), step("", "{a|b")])), "steps[1].body");
        let late = Step { delay_days: 400, ..step("Hi", "Hi") };
        assert_eq!(field_of(with(vec![late])), "steps[0].delay_days");
        let ok =
            with(vec![Step { html: Some("  ".into()), ..step("Hi", "x") }, step("", "y")]).unwrap();
        assert_eq!(ok.steps.unwrap()[0].html, None);
    }

    #[test]
    fn schedules_are_normalized_or_refused() {
        let with = |schedule: Schedule| {
            patch(CampaignPatch { schedule: Some(schedule), ..Default::default() })
        };
        let days = |days: &[&str]| Schedule {
            days: days.iter().map(|d| d.to_string()).collect(),
            ..Schedule::default()
        };
        let ok = with(days(&["Friday", "mon", "MON"])).unwrap().schedule.unwrap();
        assert_eq!(ok.days, vec!["mon", "fri"]);
        assert_eq!(field_of(with(days(&["someday"]))), "schedule.days");
        assert_eq!(field_of(with(days(&[]))), "schedule.days");
        let zone = Schedule { timezone: "Mars/Olympus".into(), ..Schedule::default() };
        assert_eq!(field_of(with(zone)), "schedule.timezone");
        let hours = Schedule { start_hour: 17, end_hour: 9, ..Schedule::default() };
        assert_eq!(field_of(with(hours)), "schedule.end_hour");
        let gaps = Schedule { min_gap_seconds: 300, max_gap_seconds: 60, ..Schedule::default() };
        assert_eq!(field_of(with(gaps)), "schedule.max_gap_seconds");
    }

    #[test]
    fn names_thresholds_and_sender_lists_are_checked() {
        assert_eq!(
            field_of(patch(CampaignPatch { name: Some("  ".into()), ..Default::default() })),
            "name"
        );
        let settings =
            CampaignSettings { bounce_pause_threshold: 0.0, ..CampaignSettings::default() };
        assert_eq!(
            field_of(patch(CampaignPatch { settings: Some(settings), ..Default::default() })),
            "settings.bounce_pause_threshold"
        );
        let id = uuid::Uuid::new_v4();
        assert_eq!(
            field_of(patch(CampaignPatch { sender_ids: Some(vec![id, id]), ..Default::default() })),
            "sender_ids"
        );
    }
}
