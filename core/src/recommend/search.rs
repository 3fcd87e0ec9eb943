//! Personalized search suggestions: the shopper's own searches first (latest
//! first), then the shop's terms in the shopper's preferred categories (in
//! order of preference, then popularity), then the other terms by popularity.
//! A suggestion matches when its text, trimmed and lower-cased, starts with
//! (or, with `matching: contains`, holds) the prefix trimmed and lower-cased;
//! each text is suggested once.

use serde::{Deserialize, Serialize};

use super::check_id;
use crate::error::{Result, RuleError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchQuery {
    pub query: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchTerm {
    pub text: String,
    pub category_id: String,
    /// Searches or sales behind the term; more first.
    #[serde(default)]
    pub popularity: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestInput {
    /// What the shopper has typed (may be empty).
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub history: Vec<SearchQuery>,
    /// The shopper's preferred categories, most preferred first.
    #[serde(default)]
    pub preferred_categories: Vec<String>,
    /// The shop's suggestion terms.
    #[serde(default)]
    pub terms: Vec<SearchTerm>,
    /// How many to return (default 10, 1 to 50).
    #[serde(default = "ten")]
    pub count: u64,
    /// `prefix` (default): a text starting with what was typed; `contains`:
    /// anywhere in it (a search box over Chinese titles, where the typed word
    /// is rarely the title's start).
    #[serde(default)]
    pub matching: Matching,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Matching {
    #[default]
    Prefix,
    Contains,
}

impl Matching {
    fn hit(self, text: &str, typed: &str) -> bool {
        match self {
            Matching::Prefix => text.starts_with(typed),
            Matching::Contains => text.contains(typed),
        }
    }
}

fn ten() -> u64 {
    10
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SuggestionSource {
    History,
    PreferredCategory,
    Popular,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub text: String,
    pub source: SuggestionSource,
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The suggestions for what the shopper has typed.
pub fn search_suggestions(i: &SuggestInput) -> Result<Vec<Suggestion>> {
    if !(1..=50).contains(&i.count) {
        return Err(RuleError::invalid("count", "1 to 50"));
    }
    if i.prefix.chars().count() > 64 {
        return Err(RuleError::invalid("prefix", "at most 64 characters"));
    }
    if i.history.len() > 1_000 || i.terms.len() > 100_000 || i.preferred_categories.len() > 100 {
        return Err(RuleError::invalid(
            "history",
            "at most 1,000 searches, 100,000 terms and 100 categories",
        ));
    }
    for q in &i.history {
        if key(&q.query).is_empty() || q.query.chars().count() > 64 {
            return Err(RuleError::invalid("history.query", "1 to 64 characters"));
        }
    }
    for t in &i.terms {
        if key(&t.text).is_empty() || t.text.chars().count() > 64 {
            return Err(RuleError::invalid("terms.text", "1 to 64 characters"));
        }
        check_id("terms.categoryId", &t.category_id)?;
    }
    for c in &i.preferred_categories {
        check_id("preferredCategories", c)?;
    }
    let prefix = key(&i.prefix);
    let count = usize::try_from(i.count).unwrap_or(usize::MAX);

    // (source, rank within the source, text): history by latest search, terms by
    // preference rank then popularity; equal ranks by text.
    let mut history: Vec<(&SearchQuery, String)> = i
        .history
        .iter()
        .map(|q| (q, key(&q.query)))
        .filter(|(_, k)| i.matching.hit(k, &prefix))
        .collect();
    history.sort_by(|a, b| b.0.at.cmp(&a.0.at).then(a.1.cmp(&b.1)));
    let mut terms: Vec<(SuggestionSource, usize, u64, String, &str)> = i
        .terms
        .iter()
        .map(|t| (t, key(&t.text)))
        .filter(|(_, k)| i.matching.hit(k, &prefix))
        .map(|(t, k)| {
            let rank = i
                .preferred_categories
                .iter()
                .position(|c| c == &t.category_id);
            let source = if rank.is_some() {
                SuggestionSource::PreferredCategory
            } else {
                SuggestionSource::Popular
            };
            (source, rank.unwrap_or(0), t.popularity, k, t.text.trim())
        })
        .collect();
    terms.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(b.2.cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });

    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let picks = history
        .iter()
        .map(|(q, k)| (SuggestionSource::History, k, q.query.trim()))
        .chain(terms.iter().map(|(s, _, _, k, text)| (*s, k, *text)));
    for (source, k, text) in picks {
        if out.len() >= count {
            break;
        }
        if seen.contains(k) {
            continue;
        }
        seen.push(k.clone());
        out.push(Suggestion {
            text: text.to_string(),
            source,
        });
    }
    Ok(out)
}
