//! The read side of the Gmail API over one mailbox: `messages.list`, `threads.list`,
//! `threads.get` and `history.list`, with Gmail's ordering, paging and filters.

use chrono::{DateTime, Utc};

use super::api_error::ApiError;
use super::mailbox::{HistoryChange, HistoryRecord, Mailbox, StoredMessage};
use super::params::Params;
use super::query::{Candidate, Query};
use super::render::{reference, render};
use crate::gmail::{
    History, HistoryLabelChange, HistoryMessage, HistoryType, ListHistoryResponse,
    ListMessagesResponse, ListThreadsResponse, MessageFormat, MessageRef, Thread,
};

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 500;

/// Messages matching `q`, `labelIds` and `includeSpamTrash`, newest first.
fn matching<'m>(
    mailbox: &'m Mailbox,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Vec<&'m StoredMessage>, ApiError> {
    let query = match params.get("q") {
        Some(q) => Some(Query::parse(q).map_err(|e| ApiError::invalid_argument(e.to_string()))?),
        None => None,
    };
    let label_ids = params.all("labelIds");
    let include_spam_trash = params.flag("includeSpamTrash")
        || query.as_ref().is_some_and(Query::reaches_spam_and_trash)
        || label_ids.iter().any(|l| l == "SPAM" || l == "TRASH");
    let mut found: Vec<&StoredMessage> = mailbox
        .messages
        .values()
        .filter(|m| include_spam_trash || !m.label_ids.iter().any(|l| l == "SPAM" || l == "TRASH"))
        .filter(|m| label_ids.iter().all(|l| m.label_ids.contains(l)))
        .filter(|m| {
            query.as_ref().is_none_or(|q| {
                let candidate = Candidate {
                    facts: &m.facts,
                    label_ids: &m.label_ids,
                    label_names: m.label_ids.iter().map(|id| mailbox.label_name(id)).collect(),
                    internal_date: m.internal_date,
                    owner: &mailbox.address,
                };
                q.matches(&candidate, now)
            })
        })
        .collect();
    found.sort_by(|a, b| (b.internal_date, &b.id).cmp(&(a.internal_date, &a.id)));
    Ok(found)
}

/// `(offset, page size)` from `pageToken` and `maxResults`.
fn page(params: &Params) -> Result<(usize, usize), ApiError> {
    let offset = match params.get("pageToken") {
        Some(token) => {
            token.parse().map_err(|_| ApiError::invalid_argument("Invalid pageToken"))?
        }
        None => 0,
    };
    let size = match params.get("maxResults") {
        Some(max) => max
            .parse::<usize>()
            .map_err(|_| {
                ApiError::invalid_argument(format!("Invalid value for maxResults: {max}"))
            })?
            .clamp(1, MAX_PAGE),
        None => DEFAULT_PAGE,
    };
    Ok((offset, size))
}

fn next_token(offset: usize, size: usize, total: usize) -> Option<String> {
    (offset + size < total).then(|| (offset + size).to_string())
}

fn estimate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub fn list_messages(
    mailbox: &Mailbox,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<ListMessagesResponse, ApiError> {
    let found = matching(mailbox, params, now)?;
    let (offset, size) = page(params)?;
    Ok(ListMessagesResponse {
        messages: found
            .iter()
            .skip(offset)
            .take(size)
            .map(|m| MessageRef { id: m.id.clone(), thread_id: m.thread_id.clone() })
            .collect(),
        next_page_token: next_token(offset, size, found.len()),
        result_size_estimate: estimate(found.len()),
    })
}

pub fn list_threads(
    mailbox: &Mailbox,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<ListThreadsResponse, ApiError> {
    let found = matching(mailbox, params, now)?;
    // Newest-first messages give threads in order of their latest matching message.
    let mut threads: Vec<&StoredMessage> = Vec::new();
    for message in found {
        if !threads.iter().any(|t| t.thread_id == message.thread_id) {
            threads.push(message);
        }
    }
    let (offset, size) = page(params)?;
    Ok(ListThreadsResponse {
        threads: threads
            .iter()
            .skip(offset)
            .take(size)
            .map(|m| Thread {
                id: m.thread_id.clone(),
                snippet: Some(m.facts.snippet()),
                history_id: thread_history_id(mailbox, &m.thread_id),
                messages: Vec::new(),
            })
            .collect(),
        next_page_token: next_token(offset, size, threads.len()),
        result_size_estimate: estimate(threads.len()),
    })
}

fn thread_history_id(mailbox: &Mailbox, thread_id: &str) -> Option<u64> {
    mailbox.messages.values().filter(|m| m.thread_id == thread_id).map(|m| m.history_id).max()
}

pub fn get_thread(
    mailbox: &Mailbox,
    id: &str,
    format: MessageFormat,
    headers: &[String],
) -> Result<Thread, ApiError> {
    let mut messages: Vec<&StoredMessage> =
        mailbox.messages.values().filter(|m| m.thread_id == id).collect();
    if messages.is_empty() {
        return Err(ApiError::not_found());
    }
    messages.sort_by(|a, b| (a.internal_date, &a.id).cmp(&(b.internal_date, &b.id)));
    Ok(Thread {
        id: id.to_owned(),
        snippet: None,
        history_id: thread_history_id(mailbox, id),
        messages: messages.into_iter().map(|m| render(m, format, headers)).collect(),
    })
}

pub fn list_history(mailbox: &Mailbox, params: &Params) -> Result<ListHistoryResponse, ApiError> {
    let start: u64 = params
        .get("startHistoryId")
        .ok_or_else(|| ApiError::invalid_argument("Required parameter: startHistoryId"))?
        .parse()
        .map_err(|_| ApiError::invalid_argument("Invalid startHistoryId"))?;
    if start < mailbox.history_floor {
        return Err(ApiError::not_found());
    }
    let types: Vec<HistoryType> =
        params.all("historyTypes").iter().filter_map(|t| HistoryType::parse(t)).collect();
    let label = params.get("labelId");
    let resume_after: u64 = match params.get("pageToken") {
        Some(token) => {
            token.parse().map_err(|_| ApiError::invalid_argument("Invalid pageToken"))?
        }
        None => start,
    };
    let (_, size) = page(params)?;

    let mut selected = mailbox
        .history
        .iter()
        .filter(|r| r.id > resume_after)
        .filter(|r| types.is_empty() || types.contains(&history_type(&r.change)))
        .filter(|r| label.is_none_or(|l| concerns_label(mailbox, r, l)));
    let records: Vec<History> =
        selected.by_ref().take(size).map(|r| history_entry(mailbox, r)).collect();
    let more = selected.next().is_some();
    Ok(ListHistoryResponse {
        next_page_token: if more { records.last().map(|r| r.id.to_string()) } else { None },
        history: records,
        history_id: mailbox.history_id,
    })
}

fn history_type(change: &HistoryChange) -> HistoryType {
    match change {
        HistoryChange::MessageAdded => HistoryType::MessageAdded,
        HistoryChange::LabelsAdded { .. } => HistoryType::LabelAdded,
        HistoryChange::LabelsRemoved { .. } => HistoryType::LabelRemoved,
    }
}

fn concerns_label(mailbox: &Mailbox, record: &HistoryRecord, label: &str) -> bool {
    let changed = match &record.change {
        HistoryChange::LabelsAdded { label_ids } | HistoryChange::LabelsRemoved { label_ids } => {
            label_ids.iter().any(|l| l == label)
        }
        HistoryChange::MessageAdded => false,
    };
    changed
        || mailbox
            .messages
            .get(&record.message_id)
            .is_some_and(|m| m.label_ids.iter().any(|l| l == label))
}

fn history_entry(mailbox: &Mailbox, record: &HistoryRecord) -> History {
    let stored = mailbox.messages.get(&record.message_id);
    let message = || {
        let mut message = stored.map(reference).unwrap_or_default();
        message.id.clone_from(&record.message_id);
        message.thread_id.clone_from(&record.thread_id);
        message
    };
    let mut entry = History { id: record.id, messages: vec![message()], ..History::default() };
    match &record.change {
        HistoryChange::MessageAdded => {
            let mut added = message();
            added.label_ids = stored.map(|m| m.label_ids.clone()).unwrap_or_default();
            entry.messages_added.push(HistoryMessage { message: added });
        }
        HistoryChange::LabelsAdded { label_ids } => {
            entry
                .labels_added
                .push(HistoryLabelChange { message: message(), label_ids: label_ids.clone() });
        }
        HistoryChange::LabelsRemoved { label_ids } => {
            entry
                .labels_removed
                .push(HistoryLabelChange { message: message(), label_ids: label_ids.clone() });
        }
    }
    entry
}
