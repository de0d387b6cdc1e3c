//! The fields of a `message/delivery-status` body (RFC 3464): a per-message block, then one
//! block per recipient, each a list of `Name: value` lines.

/// What a DSN says about its (first failed, else first) recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    pub original_message_id: Option<String>,
    pub final_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
}

pub fn parse(body: &str) -> DeliveryStatus {
    let mut status = DeliveryStatus::default();
    let mut recipients: Vec<DeliveryStatus> = Vec::new();
    let mut current: Option<DeliveryStatus> = None;
    for (index, block) in unfold(body).split("\n\n").enumerate() {
        for line in block.lines() {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "x-original-message-id" | "original-envelope-id" if index == 0 => {
                    status.original_message_id.get_or_insert(value);
                }
                "final-recipient" | "original-recipient" => {
                    let address =
                        value.rsplit(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                    let entry = current.get_or_insert_with(DeliveryStatus::default);
                    entry.final_recipient.get_or_insert(address);
                }
                "action" => {
                    current.get_or_insert_with(DeliveryStatus::default).action =
                        Some(value.to_ascii_lowercase())
                }
                "status" => {
                    current.get_or_insert_with(DeliveryStatus::default).status = Some(value)
                }
                "diagnostic-code" => {
                    let text = value
                        .split_once(';')
                        .map(|(_, rest)| rest.trim().to_string())
                        .unwrap_or(value);
                    current.get_or_insert_with(DeliveryStatus::default).diagnostic = Some(text);
                }
                _ => {}
            }
        }
        if let Some(done) = current.take() {
            recipients.push(done);
        }
    }
    let chosen = recipients
        .iter()
        .find(|r| {
            r.action.as_deref() == Some("failed")
                || r.status.as_deref().is_some_and(|s| s.starts_with('5'))
        })
        .or(recipients.first())
        .cloned()
        .unwrap_or_default();
    DeliveryStatus { original_message_id: status.original_message_id, ..chosen }
}

/// Joins folded header lines and normalizes line ends, so blocks split on blank lines.
fn unfold(body: &str) -> String {
    let normalized = body.replace("\r\n", "\n");
    let mut out = String::with_capacity(normalized.len());
    for line in normalized.split('\n') {
        if (line.starts_with(' ') || line.starts_with('\t')) && !line.trim().is_empty() {
            out.push(' ');
            out.push_str(line.trim());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_failed_recipient_block() {
        let body = "Reporting-MTA: dns; googlemail.com\r\nX-Original-Message-ID: <a@b>\r\n\r\n\
                    Final-Recipient: rfc822; ok@x.test\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n\
                    Final-Recipient: rfc822; Gone@X.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
                    Diagnostic-Code: smtp; 550-5.1.1 The email account\r\n  does not exist.\r\n";
        let status = parse(body);
        assert_eq!(status.original_message_id.as_deref(), Some("<a@b>"));
        assert_eq!(status.final_recipient.as_deref(), Some("gone@x.test"));
        assert_eq!(status.action.as_deref(), Some("failed"));
        assert_eq!(status.status.as_deref(), Some("5.1.1"));
        assert_eq!(
            status.diagnostic.as_deref(),
            Some("550-5.1.1 The email account does not exist.")
        );
    }

    #[test]
    fn empty_body_gives_nothing() {
        assert_eq!(parse(""), DeliveryStatus::default());
    }
}
