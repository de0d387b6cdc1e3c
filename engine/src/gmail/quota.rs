//! Gmail's quota units per method, and the hook through which the client reports what it
//! spends, so the engine can store and show units per sender account.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The Gmail API methods Outreach calls, with their quota cost (GMAIL_API.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GmailMethod {
    #[serde(rename = "messages.send")]
    MessagesSend,
    #[serde(rename = "messages.list")]
    MessagesList,
    #[serde(rename = "messages.get")]
    MessagesGet,
    #[serde(rename = "messages.modify")]
    MessagesModify,
    #[serde(rename = "labels.list")]
    LabelsList,
    #[serde(rename = "labels.create")]
    LabelsCreate,
    #[serde(rename = "history.list")]
    HistoryList,
    #[serde(rename = "getProfile")]
    GetProfile,
    #[serde(rename = "threads.get")]
    ThreadsGet,
    #[serde(rename = "threads.list")]
    ThreadsList,
}

impl GmailMethod {
    pub const ALL: [GmailMethod; 10] = [
        Self::MessagesSend,
        Self::MessagesList,
        Self::MessagesGet,
        Self::MessagesModify,
        Self::LabelsList,
        Self::LabelsCreate,
        Self::HistoryList,
        Self::GetProfile,
        Self::ThreadsGet,
        Self::ThreadsList,
    ];

    /// Quota units one call costs.
    pub const fn units(self) -> u32 {
        match self {
            Self::MessagesSend => 100,
            Self::MessagesList | Self::MessagesGet | Self::MessagesModify => 5,
            Self::LabelsCreate => 5,
            Self::LabelsList | Self::GetProfile => 1,
            Self::HistoryList => 2,
            Self::ThreadsGet | Self::ThreadsList => 10,
        }
    }

    /// The method's name in Google's documentation, e.g. `messages.send`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MessagesSend => "messages.send",
            Self::MessagesList => "messages.list",
            Self::MessagesGet => "messages.get",
            Self::MessagesModify => "messages.modify",
            Self::LabelsList => "labels.list",
            Self::LabelsCreate => "labels.create",
            Self::HistoryList => "history.list",
            Self::GetProfile => "getProfile",
            Self::ThreadsGet => "threads.get",
            Self::ThreadsList => "threads.list",
        }
    }
}

impl std::fmt::Display for GmailMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Receives one call per request the client makes (retries included). Must be cheap and must
/// not block: it runs on the request path.
pub trait QuotaMeter: Send + Sync {
    fn record(&self, method: GmailMethod, units: u32);
}

/// A meter that forgets everything (for callers that do not track quota).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoQuotaMeter;

impl QuotaMeter for NoQuotaMeter {
    fn record(&self, _method: GmailMethod, _units: u32) {}
}

/// An in-memory meter: units per method since it was created.
#[derive(Debug, Default)]
pub struct QuotaTally {
    units: Mutex<BTreeMap<GmailMethod, u64>>,
}

impl QuotaTally {
    pub fn units(&self) -> BTreeMap<GmailMethod, u64> {
        self.units.lock().map(|u| u.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.units().values().sum()
    }
}

impl QuotaMeter for QuotaTally {
    fn record(&self, method: GmailMethod, units: u32) {
        if let Ok(mut map) = self.units.lock() {
            *map.entry(method).or_default() += u64::from(units);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_match_googles_table() {
        assert_eq!(GmailMethod::MessagesSend.units(), 100);
        assert_eq!(GmailMethod::MessagesGet.units(), 5);
        assert_eq!(GmailMethod::HistoryList.units(), 2);
        assert_eq!(GmailMethod::LabelsList.units(), 1);
        assert_eq!(GmailMethod::ThreadsGet.units(), 10);
    }

    #[test]
    fn method_serializes_as_its_google_name() {
        for method in GmailMethod::ALL {
            assert_eq!(serde_json::to_value(method).unwrap(), method.name());
        }
    }

    #[test]
    fn tally_adds_units_per_method() {
        let tally = QuotaTally::default();
        tally.record(GmailMethod::MessagesSend, 100);
        tally.record(GmailMethod::MessagesSend, 100);
        tally.record(GmailMethod::HistoryList, 2);
        assert_eq!(tally.units()[&GmailMethod::MessagesSend], 200);
        assert_eq!(tally.total(), 202);
    }
}
