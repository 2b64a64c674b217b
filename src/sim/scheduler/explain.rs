//! What the page shows of one scheduling attempt: a row per evaluated node with the plugin
//! that rejected it (and why) or its weighted score per plugin, and the node chosen. Built
//! from the attempt's [`Explain`] record, so the table, the canvas and `kubesim schedule`
//! all read the same results.

use super::cycle::{Explain, Verdicts, PASSED};

#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub node: String,
    /// The first plugin whose Filter failed, with its reason.
    pub rejected: Option<(String, String)>,
    /// Normalized score × weight per plugin, by plugin name.
    pub scores: Vec<(String, i64)>,
    pub total: i64,
    pub selected: bool,
    /// The node preemption nominated (victims would be evicted here).
    pub nominated: bool,
}

/// Rows for the nodes Filter saw: the selected node first, then feasible nodes by total
/// score, then rejected nodes by name — the first `limit` of them (a large cluster's
/// attempt has thousands; the order is found on the totals, and only the rows shown are
/// built).
pub fn rows(e: &Explain, limit: usize) -> Vec<NodeRow> {
    let total = |node: &str| -> i64 {
        e.final_score.get(node).map_or(0, |m| m.values().map(|s| s.parse::<i64>().unwrap_or(0)).sum())
    };
    let mut order: Vec<(bool, bool, i64, &str)> = e
        .filter
        .iter()
        .map(|(node, plugins)| {
            let rejected = plugins.values().any(|r| r != PASSED);
            (e.selected.as_deref() != Some(node.as_str()), rejected, -total(node), node.as_str())
        })
        .collect();
    crate::sim::sort::sort(&mut order);
    order.truncate(limit);
    order.into_iter().filter_map(|(_, _, _, node)| Some(row(e, node, e.filter.get(node)?))).collect()
}

/// One node's row: its first rejection, or its scores.
fn row(e: &Explain, node: &str, plugins: &Verdicts) -> NodeRow {
    let rejected = plugins.iter().find(|(_, r)| *r != PASSED).map(|(p, r)| (p.clone(), r.clone()));
    let scores: Vec<(String, i64)> = e
        .final_score
        .get(node)
        .map(|m| m.iter().map(|(p, s)| (p.clone(), s.parse().unwrap_or(0))).collect())
        .unwrap_or_default();
    NodeRow {
        node: node.to_string(),
        total: scores.iter().map(|(_, s)| s).sum(),
        rejected,
        scores,
        selected: e.selected.as_deref() == Some(node),
        nominated: e.post_filter.contains_key(node),
    }
}

/// The score plugins that appear in any row, in first-seen order: the table's columns.
pub fn score_columns(rows: &[NodeRow]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for (p, _) in rows.iter().flat_map(|r| &r.scores) {
        if !cols.contains(p) {
            cols.push(p.clone());
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Verdicts {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selected_first_then_by_score_then_rejected() {
        let mut e = Explain::default();
        e.filter.insert("a".into(), map(&[("NodeResourcesFit", "passed")]));
        e.filter.insert("b".into(), map(&[("NodeResourcesFit", "passed")]));
        e.filter.insert("c".into(), map(&[("NodeResourcesFit", "Insufficient cpu")]));
        e.final_score.insert("a".into(), map(&[("NodeResourcesFit", "40"), ("TaintToleration", "3")]));
        e.final_score.insert("b".into(), map(&[("NodeResourcesFit", "70"), ("TaintToleration", "3")]));
        e.selected = Some("b".into());
        let r = rows(&e, usize::MAX);
        let order: Vec<&str> = r.iter().map(|r| r.node.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
        let first_two: Vec<String> = rows(&e, 2).into_iter().map(|r| r.node).collect();
        assert_eq!(first_two, ["b", "a"]);
        assert_eq!((r[0].total, r[0].selected), (73, true));
        assert_eq!(r[2].rejected, Some(("NodeResourcesFit".into(), "Insufficient cpu".into())));
        assert_eq!(score_columns(&r), ["NodeResourcesFit", "TaintToleration"]);
    }
}
