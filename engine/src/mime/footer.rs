//! The unsubscribe footer every message carries (Google's bulk-sender rules and CAN-SPAM ask
//! for a visible opt-out and a postal address), in the text part and the HTML part.

use crate::template::push_html_escaped;

const UNSUBSCRIBE_LINE: &str = "To stop receiving these emails, unsubscribe here:";

/// What the footer needs: the team's postal address and the lead's unsubscribe URL.
#[derive(Debug, Clone, Copy)]
pub struct Footer<'a> {
    pub postal_address: &'a str,
    pub unsubscribe_url: &'a str,
}

/// The plain-text body as sent: the body, then the footer.
pub fn with_text_footer(body: &str, footer: Footer<'_>) -> String {
    let body = body.trim_end();
    let postal = footer.postal_address.trim();
    let mut text = String::with_capacity(body.len() + postal.len() + 160);
    text.push_str(body);
    text.push_str("\n\n--\n");
    if !postal.is_empty() {
        text.push_str(postal);
        text.push('\n');
    }
    text.push_str(UNSUBSCRIBE_LINE);
    text.push(' ');
    text.push_str(footer.unsubscribe_url.trim());
    text.push('\n');
    text
}

/// The HTML body as sent: the footer goes before `</body>` when the HTML has one, else at
/// the end.
pub fn with_html_footer(html: &str, footer: Footer<'_>) -> String {
    let footer = html_footer(footer);
    let insert_at = rfind_ascii_case_insensitive(html, "</body>").unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + footer.len());
    out.push_str(&html[..insert_at]);
    out.push_str(&footer);
    out.push_str(&html[insert_at..]);
    out
}

fn html_footer(parts: Footer<'_>) -> String {
    let mut footer = String::from("\n<p style=\"color:#888;font-size:12px\">");
    for line in parts.postal_address.trim().lines() {
        push_html_escaped(&mut footer, line.trim_end());
        footer.push_str("<br>");
    }
    footer.push_str("To stop receiving these emails, <a href=\"");
    push_html_escaped(&mut footer, parts.unsubscribe_url.trim());
    footer.push_str("\">unsubscribe here</a>.</p>\n");
    footer
}

fn rfind_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    (0..=haystack.len().checked_sub(needle.len())?)
        .rev()
        .find(|&start| haystack[start..start + needle.len()].eq_ignore_ascii_case(needle))
}
