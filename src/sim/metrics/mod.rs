//! Prometheus-style metrics (client_golang semantics): counters, gauges and histograms with
//! cumulative buckets, written in the text exposition format (version 0.0.4).

use std::fmt::Write;

/// A histogram with fixed upper bounds; `+Inf` is implied.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    bounds: Vec<f64>,
    counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: Vec<f64>) -> Self {
        let n = bounds.len();
        Histogram { bounds, counts: vec![0; n], sum: 0.0, count: 0 }
    }

    /// prometheus.LinearBuckets(start, width, count), for each (start, width, count) in turn.
    pub fn linear(runs: &[(f64, f64, usize)]) -> Self {
        let bounds = runs.iter().flat_map(|&(start, width, n)| (0..n).map(move |i| start + width * i as f64));
        Histogram::new(bounds.collect())
    }

    /// prometheus.ExponentialBuckets(start, factor, count).
    pub fn exponential(start: f64, factor: f64, count: usize) -> Self {
        Histogram::new((0..count).map(|i| start * factor.powi(i as i32)).collect())
    }

    /// PromQL's histogram_quantile: the bucket holding the q-th observation, interpolated
    /// linearly inside it (the highest finite bound when it falls in +Inf). None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q * self.count as f64;
        let mut below = 0u64;
        for (i, (bound, c)) in self.bounds.iter().zip(&self.counts).enumerate() {
            if (below + c) as f64 >= rank && *c > 0 {
                let lower = if i == 0 { 0.0 } else { self.bounds[i - 1] };
                return Some(lower + (bound - lower) * (rank - below as f64) / *c as f64);
            }
            below += c;
        }
        self.bounds.last().copied()
    }

    /// The observations made since `earlier` (the same histogram, read before).
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let counts = self.counts.iter().zip(&earlier.counts).map(|(a, b)| a.saturating_sub(*b)).collect();
        Histogram {
            bounds: self.bounds.clone(),
            counts,
            sum: self.sum - earlier.sum,
            count: self.count.saturating_sub(earlier.count),
        }
    }

    /// Adds another histogram's observations (same buckets).
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.sum += other.sum;
        self.count += other.count;
    }

    pub fn observe(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.counts[i] += 1;
        }
    }
}

/// Labelled series in first-seen order: a few dozen label sets at most, and much less code in
/// the page than a BTreeMap per key type.
#[derive(Clone, Debug, PartialEq)]
pub struct Series<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Series<K, V> {
    fn default() -> Self {
        Series(Vec::new())
    }
}

impl<K: PartialEq, V> Series<K, V> {
    /// The series for `key`, made by `make` the first time.
    pub fn get_or(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.0.push((key, make()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

/// Builds a text exposition.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

fn num(v: f64) -> String {
    if v.is_infinite() {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

impl Exposition {
    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.header(name, help, "gauge");
        let _ = writeln!(self.out, "{name} {}", num(value));
    }

    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.header(name, help, "counter");
        let _ = writeln!(self.out, "{name} {}", num(value));
    }

    /// One gauge or counter family with one series per label set.
    pub fn labelled(&mut self, name: &str, help: &str, kind: &str, series: &[(Vec<(&str, &str)>, f64)]) {
        self.header(name, help, kind);
        for (lbl, v) in series {
            let _ = writeln!(self.out, "{name}{} {}", labels(lbl), num(*v));
        }
    }

    /// One histogram family with one series per label set.
    pub fn histograms(&mut self, name: &str, help: &str, series: &[(Vec<(&str, &str)>, &Histogram)]) {
        self.header(name, help, "histogram");
        for (lbl, h) in series {
            let mut acc = 0;
            for (b, c) in h.bounds.iter().zip(&h.counts) {
                acc += c;
                let le = num(*b);
                let mut with_le = lbl.clone();
                with_le.push(("le", le.as_str()));
                let _ = writeln!(self.out, "{name}_bucket{} {acc}", labels(&with_le));
            }
            let mut inf = lbl.clone();
            inf.push(("le", "+Inf"));
            let _ = writeln!(self.out, "{name}_bucket{} {}", labels(&inf), h.count);
            let _ = writeln!(self.out, "{name}_sum{} {}", labels(lbl), num(h.sum));
            let _ = writeln!(self.out, "{name}_count{} {}", labels(lbl), h.count);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_the_bucket_as_promql_does() {
        let mut h = Histogram::new(vec![1.0, 2.0, 4.0]);
        assert_eq!(h.quantile(0.99), None);
        for v in [0.5, 1.5, 1.5, 3.0] {
            h.observe(v);
        }
        // Rank 2 of 4 is the first of the two in (1, 2]: halfway.
        assert_eq!(h.quantile(0.5), Some(1.5));
        // Rank 3.96 falls in (2, 4], which holds one: 96 % of the way.
        assert!((h.quantile(0.99).unwrap() - 3.92).abs() < 1e-9);
        h.observe(100.0);
        assert_eq!(h.quantile(0.99), Some(4.0), "in +Inf: the highest finite bound");
    }

    #[test]
    fn histograms_are_cumulative_with_inf() {
        let mut h = Histogram::exponential(0.001, 2.0, 3);
        for v in [0.0005, 0.0015, 0.0015, 0.1] {
            h.observe(v);
        }
        let mut e = Exposition::default();
        e.histograms("x_seconds", "x.", &[(vec![], &h)]);
        let text = e.finish();
        assert!(text.contains("x_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("x_seconds_bucket{le=\"0.002\"} 3\n"));
        assert!(text.contains("x_seconds_bucket{le=\"0.004\"} 3\n"));
        assert!(text.contains("x_seconds_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("x_seconds_count 4\n"));
    }
}
