//! Ranking metrics computed as `trec_eval` computes them: a run is ordered by score
//! (ties by document id, descending, as trec_eval breaks them), a document is relevant
//! when its judged gain is at least 1, and nDCG uses the judged gains themselves.

use std::collections::HashMap;

use serde::Serialize;

/// The judged documents of one topic, by document id, with their gains.
pub type Judgments = HashMap<String, i32>;

/// One ranked document of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub doc: String,
    pub score: f64,
}

/// The figures of one topic (or their mean over topics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// nDCG over the first 10 ranks: gains as judged, discount log2(rank + 1).
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Average precision over the whole run (trec_eval `map`).
    pub map: f64,
    /// The reciprocal rank of the first relevant document within the first 10, else 0.
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    /// Relevant documents among the first 10, divided by 10.
    #[serde(rename = "p@10")]
    pub p_10: f64,
    /// Relevant documents among the first 100, divided by all relevant ones.
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
}

/// The order trec_eval reads a run in: score descending, then document id descending.
pub fn trec_order(run: &mut [Ranked]) {
    run.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| b.doc.cmp(&a.doc)));
}

/// The metrics of one topic's run (already in trec order) against its judgments.
pub fn topic_metrics(run: &[Ranked], judged: &Judgments) -> Metrics {
    let gain = |doc: &str| judged.get(doc).copied().unwrap_or(0).max(0) as f64;
    let relevant = judged.values().filter(|&&g| g >= 1).count();
    if relevant == 0 {
        return Metrics::default();
    }
    let mut m = Metrics::default();
    let mut found = 0usize;
    let mut precision_sum = 0.0;
    for (i, hit) in run.iter().enumerate() {
        let rank = i + 1;
        let g = gain(&hit.doc);
        if rank <= 10 {
            m.ndcg_10 += g / ((rank + 1) as f64).log2();
        }
        if g >= 1.0 {
            found += 1;
            precision_sum += found as f64 / rank as f64;
            if rank <= 10 {
                m.p_10 += 0.1;
                if m.mrr_10 == 0.0 {
                    m.mrr_10 = 1.0 / rank as f64;
                }
            }
            if rank <= 100 {
                m.recall_100 += 1.0 / relevant as f64;
            }
        }
    }
    let mut ideal: Vec<f64> = judged.values().map(|&g| g.max(0) as f64).filter(|&g| g > 0.0).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal.iter().take(10).enumerate().map(|(i, g)| g / ((i + 2) as f64).log2()).sum();
    m.ndcg_10 = if idcg > 0.0 { m.ndcg_10 / idcg } else { 0.0 };
    m.map = precision_sum / relevant as f64;
    m
}

/// The mean of each metric over topics.
pub fn mean(all: &[Metrics]) -> Metrics {
    if all.is_empty() {
        return Metrics::default();
    }
    let n = all.len() as f64;
    let sum = |get: fn(&Metrics) -> f64| all.iter().map(get).sum::<f64>() / n;
    Metrics {
        ndcg_10: sum(|m| m.ndcg_10),
        map: sum(|m| m.map),
        mrr_10: sum(|m| m.mrr_10),
        p_10: sum(|m| m.p_10),
        recall_100: sum(|m| m.recall_100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(docs: &[(&str, f64)]) -> Vec<Ranked> {
        let mut r: Vec<Ranked> = docs.iter().map(|(d, s)| Ranked { doc: (*d).to_owned(), score: *s }).collect();
        trec_order(&mut r);
        r
    }

    fn judged(pairs: &[(&str, i32)]) -> Judgments {
        pairs.iter().map(|(d, g)| ((*d).to_owned(), *g)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn binary_gains_by_hand() {
        // Relevant: a, c, x (x never retrieved), z judged 0. Ranking: a b c d z.
        let r = run(&[("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 2.0), ("z", 1.0)]);
        let m = topic_metrics(&r, &judged(&[("a", 1), ("c", 1), ("x", 1), ("z", 0)]));
        // AP = (1/1 + 2/3) / 3.
        assert!(close(m.map, (1.0 + 2.0 / 3.0) / 3.0), "{m:?}");
        // DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4).
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(m.ndcg_10, 1.5 / idcg), "{m:?}");
        assert!(close(m.mrr_10, 1.0));
        assert!(close(m.p_10, 0.2));
        assert!(close(m.recall_100, 2.0 / 3.0));
    }

    #[test]
    fn graded_gains_ties_and_late_hits() {
        // Equal scores: trec_eval puts the larger id first, so q comes before p.
        let r = run(&[("n", 3.0), ("p", 2.0), ("q", 2.0)]);
        assert_eq!(r.iter().map(|h| h.doc.as_str()).collect::<Vec<_>>(), ["n", "q", "p"]);
        let m = topic_metrics(&r, &judged(&[("p", 2), ("q", 1)]));
        // Ranks: n (0), q (1), p (2). DCG = 1/log2(3) + 2/log2(4) = 0.6309 + 1;
        // IDCG = 2 + 1/log2(3).
        let dcg = 1.0 / 3f64.log2() + 1.0;
        let idcg = 2.0 + 1.0 / 3f64.log2();
        assert!(close(m.ndcg_10, dcg / idcg), "{m:?}");
        assert!(close(m.map, (1.0 / 2.0 + 2.0 / 3.0) / 2.0));
        assert!(close(m.mrr_10, 0.5));

        // A first relevant hit at rank 11 counts for MAP and recall, not for the @10 ones.
        let docs: Vec<(String, f64)> = (0..12).map(|i| (format!("d{i:02}"), 100.0 - i as f64)).collect();
        let docs: Vec<(&str, f64)> = docs.iter().map(|(d, s)| (d.as_str(), *s)).collect();
        let m = topic_metrics(&run(&docs), &judged(&[("d10", 1)]));
        assert!(close(m.mrr_10, 0.0) && close(m.p_10, 0.0) && close(m.ndcg_10, 0.0));
        assert!(close(m.map, 1.0 / 11.0));
        assert!(close(m.recall_100, 1.0));
    }

    #[test]
    fn means_over_topics() {
        let a = Metrics { ndcg_10: 1.0, map: 0.5, mrr_10: 1.0, p_10: 0.2, recall_100: 1.0 };
        let m = mean(&[a, Metrics::default()]);
        assert!(close(m.ndcg_10, 0.5) && close(m.map, 0.25) && close(m.p_10, 0.1));
    }
}
