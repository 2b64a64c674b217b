//! Label selectors as kubectl writes them (`-l`): equality, set-based and existence terms.

use crate::sim::api::{LabelSelector, Requirement};

/// A label selector as kubectl writes one: `app=web,tier!=db,env in (a,b),!canary,track`.
pub fn selector(text: &str) -> Result<LabelSelector, String> {
    let mut sel = LabelSelector::default();
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    let bad = |t: &str| format!("error: unable to parse requirement: invalid label selector term \"{t}\"");
    for term in terms.iter().map(|t| t.trim()) {
        let words: Vec<&str> = term.splitn(2, ' ').collect();
        let set_op = match words.as_slice() {
            [key, rest] => {
                let rest = rest.trim();
                let (op, values) = if let Some(v) = rest.strip_prefix("notin") {
                    ("NotIn", v)
                } else if let Some(v) = rest.strip_prefix("in") {
                    ("In", v)
                } else {
                    return Err(bad(term));
                };
                let values =
                    values.trim().strip_prefix('(').and_then(|v| v.strip_suffix(')')).ok_or_else(|| bad(term))?;
                let values = values.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
                Some(Requirement { key: key.to_string(), operator: op.into(), values })
            }
            _ => None,
        };
        let req = match set_op {
            Some(r) => r,
            None if term.is_empty() => return Err(bad(term)),
            None => {
                if let Some((k, v)) = term.split_once("!=") {
                    Requirement { key: k.into(), operator: "NotIn".into(), values: vec![v.into()] }
                } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                    sel.match_labels.insert(k.to_string(), v.to_string());
                    continue;
                } else if let Some(k) = term.strip_prefix('!') {
                    Requirement { key: k.into(), operator: "DoesNotExist".into(), values: vec![] }
                } else {
                    Requirement { key: term.into(), operator: "Exists".into(), values: vec![] }
                }
            }
        };
        if req.key.is_empty() || req.key.contains(char::is_whitespace) {
            return Err(bad(term));
        }
        sel.match_expressions.push(req);
    }
    Ok(sel)
}
