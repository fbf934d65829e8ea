//! The human-readable table per scenario, and the JSON lines.

use std::fmt::Write as _;

use crate::Rows;
use crate::measure::Measurement;

/// One scenario's results and how to judge them.
pub(crate) struct Table {
    pub(crate) title: String,
    pub(crate) notes: Vec<String>,
    pub(crate) rows: Rows,
    /// The subject each subject is compared with (a floor is compared with itself).
    pub(crate) baseline: fn(&str) -> &'static str,
    pub(crate) targets: Vec<Target>,
}

/// What a subject's metric should reach.
pub(crate) struct Target {
    pub(crate) subject: &'static str,
    pub(crate) metric: &'static str,
    pub(crate) rule: Rule,
}

pub(crate) enum Rule {
    /// At most this many times the baseline's value.
    RatioAtMost(f64),
    /// At least this many times the baseline's value (for rates: higher is better).
    RatioAtLeast(f64),
    /// At most this value, in the metric's unit.
    AtMost(f64),
    /// At least this value, in the metric's unit (for rates).
    AtLeast(f64),
    /// At most this many times another subject's value for the same metric.
    VersusAtMost(&'static str, f64),
    /// At least this many times another subject's value for the same metric.
    VersusAtLeast(&'static str, f64),
}

impl Table {
    pub(crate) fn print(&self) {
        let header = [
            "subject", "metric", "value", "unit", "vs floor", "target", "",
        ];
        let lines: Vec<[String; 7]> = self.rows.iter().map(|row| self.line(row)).collect();
        let mut widths = header.map(str::len);
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = format!("\n== {} ==\n", self.title);
        for note in &self.notes {
            let _ = writeln!(out, "   {note}");
        }
        out.push('\n');
        push_line(&mut out, &header.map(str::to_owned), &widths);
        let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        let _ = writeln!(out, "{}", "-".repeat(rule));
        let mut previous = "";
        for (row, line) in self.rows.iter().zip(&lines) {
            if !previous.is_empty() && previous != row.subject {
                out.push('\n');
            }
            previous = &row.subject;
            push_line(&mut out, line, &widths);
        }
        print!("{out}");
    }

    fn line(&self, row: &Measurement) -> [String; 7] {
        if row.unavailable.is_some() {
            return [
                row.subject.clone(),
                row.metric.clone(),
                "unavailable".to_owned(),
                row.unit.clone(),
                "—".to_owned(),
                String::new(),
                String::new(),
            ];
        }
        let ratio = self.ratio(row);
        // Every target the row has, in words, and met only if each is.
        let mut targets = Vec::new();
        let mut verdict = None;
        for rule in self.targets(row) {
            let versus = match rule {
                Rule::VersusAtMost(other, _) | Rule::VersusAtLeast(other, _) => {
                    self.ratio_to(row, other)
                }
                _ => None,
            };
            let met = match rule {
                Rule::RatioAtMost(limit) => ratio.map(|ratio| ratio <= *limit),
                Rule::RatioAtLeast(limit) => ratio.map(|ratio| ratio >= *limit),
                Rule::AtMost(limit) => Some(row.value <= *limit),
                Rule::AtLeast(limit) => Some(row.value >= *limit),
                Rule::VersusAtMost(_, limit) => versus.map(|ratio| ratio <= *limit),
                Rule::VersusAtLeast(_, limit) => versus.map(|ratio| ratio >= *limit),
            };
            let one = match met {
                Some(true) => "ok",
                Some(false) => "MISSED",
                None => "?",
            };
            verdict = Some(match (verdict, one) {
                (Some("MISSED"), _) | (_, "MISSED") => "MISSED",
                (Some("?"), _) | (_, "?") => "?",
                _ => "ok",
            });
            targets.push((describe(rule, &row.unit, versus), one));
        }
        // With several targets, each says whether it is met.
        let target = match targets.as_slice() {
            [(target, _)] => target.clone(),
            several => several
                .iter()
                .map(|(target, met)| format!("{target}: {met}"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        let verdict = verdict.unwrap_or_default().to_owned();
        [
            row.subject.clone(),
            row.metric.clone(),
            format_value(row.value, &row.unit),
            row.unit.clone(),
            ratio.map_or_else(|| "—".to_owned(), |ratio| format!("{ratio:.2}×")),
            target,
            verdict,
        ]
    }

    /// The value over the baseline's, for times, memory, CPU and rates.
    fn ratio(&self, row: &Measurement) -> Option<f64> {
        if !matches!(
            row.unit.as_str(),
            "ms" | "µs" | "bytes" | "s" | "calls/s" | "events/s" | "requests/s" | "actions/s"
        ) {
            return None;
        }
        self.ratio_to(row, (self.baseline)(&row.subject))
    }

    /// The value over another subject's value for the same metric (none where
    /// either is unavailable).
    fn ratio_to(&self, row: &Measurement, subject: &str) -> Option<f64> {
        let base = self
            .rows
            .iter()
            .find(|other| other.subject == subject && other.metric == row.metric)?;
        (base.value > 0.0 && row.value.is_finite()).then(|| row.value / base.value)
    }

    fn targets<'a>(&'a self, row: &'a Measurement) -> impl Iterator<Item = &'a Rule> {
        self.targets
            .iter()
            .filter(|target| target.subject == row.subject && target.metric == row.metric)
            .map(|target| &target.rule)
    }
}

fn push_line(out: &mut String, cells: &[String; 7], widths: &[usize; 7]) {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        // Numbers right-aligned, words left-aligned.
        if matches!(index, 2 | 4) {
            let _ = write!(line, "{cell:>width$}  ");
        } else {
            let _ = write!(line, "{cell:<width$}  ");
        }
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// The target in words; a comparison with another subject also shows the ratio.
fn describe(rule: &Rule, unit: &str, versus: Option<f64>) -> String {
    let versus = versus.map_or_else(|| "?".to_owned(), |ratio| format!("{ratio:.2}×"));
    match rule {
        Rule::RatioAtMost(limit) => format!("≤ {limit}× floor"),
        Rule::RatioAtLeast(limit) => format!("≥ {limit}× floor"),
        Rule::AtMost(limit) => format!("≤ {} {unit}", format_value(*limit, unit)),
        Rule::AtLeast(limit) => format!("≥ {} {unit}", format_value(*limit, unit)),
        Rule::VersusAtMost(other, limit) => format!("≤ {limit}× {other} (is {versus})"),
        Rule::VersusAtLeast(other, limit) => format!("≥ {limit}× {other} (is {versus})"),
    }
}

fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "ms" | "µs" => format!("{value:.2}"),
        "s" => format!("{value:.3}"),
        _ => format!("{value:.0}"),
    }
}

/// One JSON object per line, per measurement.
pub(crate) fn print_json(rows: &[Measurement]) -> anyhow::Result<()> {
    for row in rows {
        println!("{}", serde_json::to_string(row)?);
    }
    Ok(())
}
