//! Of several runs of one workload, which to show: the run with the median CPU,
//! with the worst counts of any run.

use crate::Rows;
use crate::measure::Measurement;

/// Of one subject's `runs` of a workload, the run with the median CPU (of an
/// even number, the later of the two middle ones), with the fewest files detected
/// and the most missed, late, reported twice, or lost otherwise of any run, and
/// (of several runs) the least and the most CPU.
pub(super) fn median_run(mut runs: Vec<Rows>, workload: &str) -> Rows {
    let cpu_metric = format!("{workload}.cpu");
    let cpu = |rows: &Rows| {
        rows.iter()
            .find(|row| row.metric == cpu_metric)
            .map_or(f64::NAN, |row| row.value)
    };
    runs.sort_by(|a, b| cpu(a).total_cmp(&cpu(b)));
    let (Some(least), Some(most)) = (runs.first().map(cpu), runs.last().map(cpu)) else {
        return Vec::new();
    };
    let count = runs.len();
    let mut median = runs[count / 2].clone();
    // The worst of every run, whichever runs have the row at all (`unknown` is
    // only there when some report was of no file written).
    for row in runs.iter().flatten() {
        let Some(worse) = worse_of(workload, &row.metric) else {
            continue;
        };
        match median.iter_mut().find(|shown| shown.metric == row.metric) {
            Some(shown) => shown.value = worse(shown.value, row.value),
            None => median.push(row.clone()),
        }
    }
    if count > 1
        && let Some(template) = median.iter().find(|row| row.metric == cpu_metric).cloned()
    {
        for (name, value) in [("cpu_least", least), ("cpu_most", most)] {
            median.push(Measurement {
                metric: format!("{workload}.{name}"),
                value,
                ..template.clone()
            });
        }
    }
    median
}

/// How to pick the worse of two runs' values of `metric`, for the counts that
/// say a file was missed, late, reported twice or lost: `None` for the others.
fn worse_of(workload: &str, metric: &str) -> Option<fn(f64, f64) -> f64> {
    let name = metric.strip_prefix(workload)?.strip_prefix('.')?;
    match name {
        "detected" => Some(f64::min),
        "missed" | "late" | "duplicates" | "unknown" | "overflows" | "rescans" | "dropped" => {
            Some(f64::max)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cpu: f64, missed: f64, extra: &[(&str, f64)]) -> Rows {
        let row = |metric: &str, value: f64| {
            Measurement::new(
                "watch",
                "steward",
                &format!("paced_1000.{metric}"),
                value,
                "s",
            )
        };
        let mut rows = vec![
            row("cpu", cpu),
            row("missed", missed),
            row("detected", 1000.0 - missed),
        ];
        rows.extend(extra.iter().map(|&(metric, value)| row(metric, value)));
        rows
    }

    fn value(rows: &Rows, metric: &str) -> Option<f64> {
        rows.iter()
            .find(|row| row.metric == format!("paced_1000.{metric}"))
            .map(|row| row.value)
    }

    #[test]
    fn the_median_run_is_shown_with_the_worst_counts_of_any() {
        let runs = vec![
            run(0.050, 0.0, &[]),
            run(0.030, 2.0, &[]),
            run(0.070, 0.0, &[("unknown", 1.0)]),
        ];
        let shown = median_run(runs, "paced_1000");
        assert_eq!(value(&shown, "cpu"), Some(0.050));
        assert_eq!(value(&shown, "missed"), Some(2.0));
        assert_eq!(value(&shown, "detected"), Some(998.0));
        // Only one run had the row: it is shown all the same.
        assert_eq!(value(&shown, "unknown"), Some(1.0));
        assert_eq!(value(&shown, "cpu_least"), Some(0.030));
        assert_eq!(value(&shown, "cpu_most"), Some(0.070));
    }

    #[test]
    fn one_run_is_shown_as_it_is() {
        let only = run(0.040, 0.0, &[]);
        assert_eq!(median_run(vec![only.clone()], "paced_1000"), only);
        assert!(median_run(Vec::new(), "paced_1000").is_empty());
    }
}
