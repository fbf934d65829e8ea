//! The child's log: one line per start and per exit, `start <unix ns>` or
//! `exit <unix ns>`, and the restart latencies read from it.

use std::fmt;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};

/// How often a waiting subject looks at the log.
const POLL: Duration = Duration::from_millis(10);

/// What a line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Start,
    Exit,
}

impl Mark {
    fn word(self) -> &'static str {
        match self {
            Mark::Start => "start",
            Mark::Exit => "exit",
        }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Appends `mark` and the time now to the log, in one write.
pub(crate) fn append(log: &mut File, mark: Mark) -> io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(io::Error::other)?;
    log.write_all(format!("{mark} {}\n", now.as_nanos()).as_bytes())
}

/// Waits until the log holds `starts` starts; fails once no new one has come
/// for `stall`.
pub(crate) async fn wait_for_starts(
    log: &Path,
    starts: usize,
    stall: Duration,
) -> anyhow::Result<()> {
    let (mut seen, mut since) = (0, Instant::now());
    loop {
        let count = count_starts(&read(log)?);
        if count >= starts {
            return Ok(());
        }
        if count > seen {
            (seen, since) = (count, Instant::now());
        } else if since.elapsed() > stall {
            bail!(
                "no new start for {stall:?}: {count} of {starts} starts in {}",
                log.display()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The log's text; empty while it does not exist yet.
pub(crate) fn read(log: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(log) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(error).with_context(|| format!("reading {}", log.display())),
    }
}

/// Complete `start` lines.
fn count_starts(text: &str) -> usize {
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n') && line.starts_with(Mark::Start.word()))
        .count()
}

/// Restart latencies in nanoseconds: each of the first `restarts` exits to the
/// start after it. The runs must not overlap: start, exit, start, exit, … start.
pub(crate) fn latencies(text: &str, restarts: usize) -> anyhow::Result<Vec<u64>> {
    let needed = 2 * restarts + 1;
    let marks = text
        .lines()
        .take(needed)
        .enumerate()
        .map(|(index, line)| parse(line).with_context(|| format!("line {}: `{line}`", index + 1)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    ensure!(
        marks.len() == needed,
        "the log has {} lines; {restarts} restarts make {needed}",
        marks.len()
    );
    for (index, &(mark, _)) in marks.iter().enumerate() {
        let expected = if index % 2 == 0 {
            Mark::Start
        } else {
            Mark::Exit
        };
        ensure!(
            mark == expected,
            "line {}: {mark} where {expected} was due (two runs overlapped)",
            index + 1
        );
    }
    marks
        .windows(2)
        .skip(1)
        .step_by(2)
        .map(|pair| {
            let (exit, start) = (pair[0].1, pair[1].1);
            let latency = start
                .checked_sub(exit)
                .context("a start before the exit it follows (the clock went back)")?;
            Ok(u64::try_from(latency).unwrap_or(u64::MAX))
        })
        .collect()
}

fn parse(line: &str) -> anyhow::Result<(Mark, u128)> {
    let (word, nanos) = line.split_once(' ').context("no time")?;
    let mark = match word {
        "start" => Mark::Start,
        "exit" => Mark::Exit,
        other => bail!("`{other}` is neither start nor exit"),
    };
    Ok((mark, nanos.parse().context("not a time in nanoseconds")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_run_from_each_exit_to_the_next_start() -> anyhow::Result<()> {
        let log = "start 100\nexit 200\nstart 230\nexit 330\nstart 335\nexit 400\nstart 410\n";
        assert_eq!(latencies(log, 2)?, vec![30, 5]);
        assert_eq!(latencies(log, 3)?, vec![30, 5, 10]);
        assert!(latencies(log, 4).is_err(), "too few lines");
        assert!(
            latencies("start 1\nstart 2\nexit 3\n", 1).is_err(),
            "overlap"
        );
        Ok(())
    }

    #[test]
    fn only_complete_start_lines_count() {
        assert_eq!(count_starts("start 1\nexit 2\nstart 3\nexit 4\nsta"), 2);
        assert_eq!(count_starts("start 1\nexit 2\nstart 3"), 1);
    }
}
