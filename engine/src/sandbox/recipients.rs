//! Simulated recipients: how the outside world reacts to mail, chosen by a `+tag` in the
//! recipient's local part (`lead+reply@example.com`):
//!
//! | tag | reaction (after `SimConfig::reaction_delay`) |
//! | --- | --- |
//! | `+reply` | a reply in the same thread (`Re:` subject, `In-Reply-To`/`References`) |
//! | `+replynew` | a message from the same address in a new thread (new subject, no references) |
//! | `+ooo` | an out-of-office answer: `Auto-Submitted: auto-replied`, "Automatic reply:" subject |
//! | `+bounce` | a hard bounce: Gmail-style DSN, `Status: 5.1.1`, in the sender's thread |
//! | `+softbounce` | a delay DSN (`Action: delayed`, `Status: 4.4.1`) |
//! | `+unsubscribe` | a reply in the thread whose body says "unsubscribe" |
//! | anything else | delivered, no reaction |

use serde::{Deserialize, Serialize};

use super::synthetic_mail::Answer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    Answer(Answer),
    HardBounce,
    SoftBounce,
    /// Not a recipient's choice: Gmail bouncing a send it accepted over the daily cap.
    SendingLimitBounce,
}

pub fn reaction_for(recipient: &str) -> Option<Reaction> {
    let local = recipient.split('@').next()?;
    let (_, tag) = local.split_once('+')?;
    match tag.to_ascii_lowercase().as_str() {
        "reply" => Some(Reaction::Answer(Answer::Interested)),
        "replynew" => Some(Reaction::Answer(Answer::NewThread)),
        "ooo" => Some(Reaction::Answer(Answer::OutOfOffice)),
        "unsubscribe" => Some(Reaction::Answer(Answer::Unsubscribe)),
        "bounce" => Some(Reaction::HardBounce),
        "softbounce" => Some(Reaction::SoftBounce),
        _ => None,
    }
}

/// The mailbox plus-addressed mail lands in (`grace+x@d` is delivered to `grace@d`).
pub fn base_address(recipient: &str) -> String {
    let recipient = recipient.to_ascii_lowercase();
    match recipient.split_once('@') {
        Some((local, domain)) => {
            let base = local.split_once('+').map_or(local, |(base, _)| base);
            format!("{base}@{domain}")
        }
        None => recipient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_pick_reactions() {
        assert_eq!(
            reaction_for("lead+reply@example.com"),
            Some(Reaction::Answer(Answer::Interested))
        );
        assert_eq!(
            reaction_for("Lead+ReplyNew@example.com"),
            Some(Reaction::Answer(Answer::NewThread))
        );
        assert_eq!(reaction_for("x+ooo@example.com"), Some(Reaction::Answer(Answer::OutOfOffice)));
        assert_eq!(
            reaction_for("x+unsubscribe@example.com"),
            Some(Reaction::Answer(Answer::Unsubscribe))
        );
        assert_eq!(reaction_for("x+bounce@example.com"), Some(Reaction::HardBounce));
        assert_eq!(reaction_for("x+softbounce@example.com"), Some(Reaction::SoftBounce));
        assert_eq!(reaction_for("x+newsletter@example.com"), None);
        assert_eq!(reaction_for("plain@example.com"), None);
    }

    #[test]
    fn plus_addresses_land_in_the_base_mailbox() {
        assert_eq!(base_address("Grace+Reply@Workspace.Test"), "grace@workspace.test");
        assert_eq!(base_address("grace@workspace.test"), "grace@workspace.test");
    }
}
