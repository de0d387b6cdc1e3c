//! The HTML of the simulated Google consent screen and its error page. Every interpolated
//! value is escaped: client ids, scopes and addresses come from the query string.

use super::config::MailboxKind;

pub struct ConsentPage<'a> {
    pub client_id: &'a str,
    pub mailboxes: &'a [(String, MailboxKind)],
    pub preselected: Option<&'a str>,
    pub requested_scopes: &'a [String],
    pub problem: Option<&'a str>,
}

/// Scopes every consent grants (Google does not offer to untick basic profile access).
pub const ALWAYS_GRANTED: [&str; 4] =
    ["openid", "email", "profile", "https://www.googleapis.com/auth/userinfo.email"];

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f1f3f4;margin:0;color:#202124}\
main{max-width:460px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.2)}\
h1{font-size:22px;font-weight:500;margin:0 0 4px}.muted{color:#5f6368;font-size:14px}\
fieldset{border:1px solid #dadce0;border-radius:6px;margin:16px 0;padding:12px 16px}\
legend{font-size:14px;color:#5f6368;padding:0 4px}label{display:block;margin:8px 0;font-size:15px}\
input[type=text]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #dadce0;border-radius:4px}\
.buttons{display:flex;justify-content:flex-end;gap:12px;margin-top:24px}\
button{font-size:15px;padding:9px 22px;border-radius:4px;border:1px solid #dadce0;background:#fff;cursor:pointer}\
button.primary{background:#1a73e8;color:#fff;border-color:#1a73e8}.problem{color:#d93025}\
.badge{display:inline-block;background:#fef7e0;color:#b06000;border-radius:4px;padding:2px 8px;font-size:12px;margin-bottom:12px}";

pub fn render_consent(page: &ConsentPage<'_>) -> String {
    let mailboxes: String = page
        .mailboxes
        .iter()
        .enumerate()
        .map(|(n, (address, kind))| {
            let checked = match page.preselected {
                Some(hint) => hint.eq_ignore_ascii_case(address),
                None => n == 0,
            };
            format!(
                "<label><input type=radio name=mailbox value=\"{a}\"{c}> {a} <span class=muted>({k})</span></label>",
                a = escape(address),
                c = if checked { " checked" } else { "" },
                k = kind.as_str(),
            )
        })
        .collect();
    let scopes: String = page
        .requested_scopes
        .iter()
        .map(|scope| {
            if ALWAYS_GRANTED.contains(&scope.as_str()) {
                format!(
                    "<label><input type=checkbox checked disabled> {s}<input type=hidden name=scope value=\"{s}\"></label>",
                    s = escape(scope)
                )
            } else {
                format!("<label><input type=checkbox name=scope value=\"{s}\" checked> {s}</label>", s = escape(scope))
            }
        })
        .collect();
    let problem =
        page.problem.map(|p| format!("<p class=problem>{}</p>", escape(p))).unwrap_or_default();
    let hint = page
        .preselected
        .filter(|h| !page.mailboxes.iter().any(|(a, _)| a.eq_ignore_ascii_case(h)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
<title>Sign in - Sandbox Google Accounts</title><style>{STYLE}</style></head><body><main>\
<span class=badge>Sandbox: no real Google account is used</span>\
<h1>Choose an account</h1><p class=muted>to continue to <b>{client}</b></p>{problem}\
<form method=post><fieldset><legend>Sandbox mailboxes</legend>{mailboxes}\
<label><input type=radio name=mailbox value=__new{new_checked}> A new mailbox:</label>\
<input type=text name=new_address placeholder=\"you@sandbox.outreach.test\" value=\"{hint}\">\
<label>Kind <select name=new_kind><option value=gmail>gmail (500/day)</option>\
<option value=workspace>workspace (2,000/day)</option><option value=workspace_trial>workspace_trial (500/day)</option></select></label>\
</fieldset><fieldset><legend>The app wants to</legend>{scopes}</fieldset>\
<div class=buttons><button name=decision value=deny>Deny</button>\
<button class=primary name=decision value=allow>Allow</button></div></form></main></body></html>",
        client = escape(page.client_id),
        new_checked = if page.mailboxes.is_empty() || !hint.is_empty() { " checked" } else { "" },
        hint = escape(hint),
    )
}

/// Google's "Error 400: redirect_uri_mismatch"-style page, shown instead of redirecting when
/// the request cannot be trusted.
pub fn render_error(code: u16, error: &str, detail: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Error {code}: {e}</title>\
<style>{STYLE}</style></head><body><main><span class=badge>Sandbox</span>\
<h1>Access blocked: this app's request is invalid</h1><p class=problem>Error {code}: {e}</p>\
<p class=muted>{d}</p></main></body></html>",
        e = escape(error),
        d = escape(detail),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_page_escapes_and_lists_everything() {
        let mailboxes = vec![("ada@sandbox.outreach.test".to_owned(), MailboxKind::Gmail)];
        let scopes =
            vec!["email".to_owned(), "https://www.googleapis.com/auth/gmail.send".to_owned()];
        let html = render_consent(&ConsentPage {
            client_id: "<script>x</script>",
            mailboxes: &mailboxes,
            preselected: None,
            requested_scopes: &scopes,
            problem: None,
        });
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("value=\"ada@sandbox.outreach.test\" checked"));
        assert!(
            html.contains(
                "name=scope value=\"https://www.googleapis.com/auth/gmail.send\" checked"
            )
        );
        assert!(html.contains("type=hidden name=scope value=\"email\""));
        assert!(html.contains("name=decision value=deny"));
    }
}
