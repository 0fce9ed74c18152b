//! `dirchain catalog import FILE.csv|FILE.json`: bulk publish of catalog
//! items. Every row is checked first ([check]); rows already on chain at
//! their version are skipped, so a rerun resumes an interrupted import; the
//! rest are published in a window of consecutive nonces ([pipeline]). A bad
//! row is reported with its reason and never stops the good ones.

mod check;
mod node;
mod pipeline;
mod rows;

#[cfg(test)]
pub(super) mod fake;

use crate::client::{
    args::{ChannelArg, KeyArgs},
    output::{Human, Text},
    render_error,
    session::Signing,
};
use check::{Decision, plan};
use dirchain_client::Signer;
use dirchain_types::bounded::Ident;
use indicatif::{ProgressBar, ProgressStyle};
use node::{Node, chain_view, settle_pending};
use pipeline::{Job, Outcome, Pace, WINDOW, publish};
use rows::Row;
use serde::Serialize;
use std::{path::PathBuf, process::ExitCode, time::Duration};

/// How long an import waits for transactions of its key still pending from
/// an earlier run before it reads what is on chain.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Redraws of the progress bar per second.
const PROGRESS_REFRESH_HZ: u8 = 4;

/// The file formats, for `--help`.
pub const FORMATS: &str = "\
FILE FORMATS

CSV (FILE.csv): a header line, then one catalog item per line. The columns, in any order:
  id                an identifier (letters, digits, . _ - : /), e.g. health/births
  title             at most 256 bytes
  description       at most 4096 bytes (may be empty)
  duties            duty ids separated by ';', each declared by your organisation
  fields            name:type:sensitivity entries separated by ';', e.g.
                    birth_date:date:personal;district:text:public
                    type: text, integer, decimal, boolean, date, datetime, identifier, geometry, binary
                    sensitivity: public, internal, personal, special
  share_class       unconditional, conditional or none (personal and special fields are
                    never unconditional)
  open_class        open, conditional or closed
  update_frequency  real-time, daily, weekly, monthly, quarterly, yearly or irregular
  format            an identifier, e.g. csv
  version           a whole number from 1; a new version of an item must be higher
Cells are trimmed; quote a cell that holds a comma (\"Births, by district\").

JSON (FILE.json): an array of items with the same fields, duties and fields as arrays:
  [{\"id\": \"health/births\", \"title\": \"Births\", \"description\": \"\",
    \"duties\": [\"health/statistics\"],
    \"fields\": [{\"name\": \"birth_date\", \"field_type\": \"date\", \"sensitivity\": \"personal\"}],
    \"share_class\": \"conditional\", \"open_class\": \"closed\",
    \"update_frequency\": \"monthly\", \"format\": \"csv\", \"version\": 1}]
(the document `catalog publish --file` takes, in an array).

Rows are numbered from 1, not counting the CSV header. A row whose item is on chain at its
version (or a later one) is skipped, so running the same import again resumes it. Exit
status: 0 when no row failed, 1 otherwise.";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The catalog: FILE.csv or FILE.json (formats below).
    #[arg(value_name = "CATALOG")]
    pub file: PathBuf,
    /// Check every row against the chain and tell what would be published,
    /// skipped and refused, without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub channel: ChannelArg,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rows = rows::read(&args.file)?;
    let signing = Signing::with_wait(&args.key, None, &args.channel.channel).await?;
    let options = Options {
        dry_run: args.dry_run,
        window: WINDOW,
        pace: Pace::default(),
        settle_timeout: SETTLE_TIMEOUT,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} rows sent and final {msg} [{elapsed}, ~{eta} left]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("(reading what is on chain)");
    bar.enable_steady_tick(Duration::from_millis(1000 / u64::from(PROGRESS_REFRESH_HZ)));
    let summary = import(
        signing.client(),
        &signing.signer,
        rows,
        &options,
        &mut BarProgress {
            bar: &bar,
            failed: 0,
        },
    )
    .await;
    bar.finish_and_clear();
    let summary = summary?;
    signing.session.out.show(&summary)?;
    Ok(if summary.failed.is_empty() && summary.stopped.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How an import runs.
pub struct Options {
    pub dry_run: bool,
    pub window: usize,
    pub pace: Pace,
    pub settle_timeout: Duration,
}

/// Told of the import's progress.
pub trait Progress {
    /// `jobs` rows are to be published.
    fn start(&mut self, jobs: usize);
    fn done(&mut self, outcome: &Outcome);
}

struct BarProgress<'a> {
    bar: &'a ProgressBar,
    failed: usize,
}

impl Progress for BarProgress<'_> {
    fn start(&mut self, jobs: usize) {
        self.bar.set_length(jobs as u64);
        self.bar.set_message("");
    }

    fn done(&mut self, outcome: &Outcome) {
        self.bar.inc(1);
        if let Outcome::Failed(_) = outcome {
            self.failed += 1;
            self.bar.set_message(format!("({} failed)", self.failed));
        }
    }
}

/// What an import did, row by row where it matters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub rows: usize,
    /// Published now (with `--dry-run`: would be published).
    pub published: usize,
    /// Already on chain at their version.
    pub skipped: usize,
    pub failed: Vec<FailedRow>,
    pub dry_run: bool,
    /// Why the import stopped before every row was settled.
    pub stopped: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailedRow {
    pub row: usize,
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for FailedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "row {} (id {id}): {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

impl Human for Summary {
    fn human(&self, text: &mut Text) {
        text.field("rows", self.rows)
            .field(
                if self.dry_run {
                    "to publish"
                } else {
                    "published"
                },
                self.published,
            )
            .field("skipped", format!("{} (already on chain)", self.skipped))
            .field("failed", self.failed.len())
            .field_opt("stopped", self.stopped.as_ref());
        if !self.failed.is_empty() {
            text.line("failed rows:");
            for failed in &self.failed {
                text.line(format!("  {failed}"));
            }
        }
    }
}

/// Checks `rows` against the chain and publishes those to publish as `signer`.
pub async fn import(
    node: &impl Node,
    signer: &Signer,
    rows: Vec<Row>,
    options: &Options,
    progress: &mut dyn Progress,
) -> anyhow::Result<Summary> {
    let key = signer.public_key();
    settle_pending(node, key, options.pace.poll, options.settle_timeout).await?;
    let named: Vec<Ident> = rows
        .iter()
        .filter_map(|row| row.draft.as_ref().ok())
        .flat_map(|draft| draft.duties.iter())
        .filter_map(|duty| Ident::new(duty.as_str()).ok())
        .collect();
    let chain = chain_view(node, key, signer.channel(), &named).await?;
    let mut summary = Summary {
        rows: rows.len(),
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let mut jobs = Vec::new();
    // Row number and id of each job, to report its outcome.
    let mut job_rows = Vec::new();
    for planned in plan(rows, &chain) {
        match planned.decision {
            Decision::Publish(item) => {
                job_rows.push((planned.number, planned.id));
                jobs.push(Job {
                    id: item.id.to_string(),
                    item: *item,
                });
            }
            Decision::Skip(_) => summary.skipped += 1,
            Decision::Fail(reason) => summary.failed.push(FailedRow {
                row: planned.number,
                id: planned.id,
                reason,
            }),
        }
    }
    if options.dry_run {
        summary.published = jobs.len();
        return Ok(summary);
    }
    progress.start(jobs.len());
    let finished = publish(
        node,
        signer,
        &chain.org,
        jobs,
        options.window,
        options.pace,
        &mut |_, outcome| progress.done(outcome),
    )
    .await;
    let unsettled = match &finished.stopped {
        Some(_) => "not final when the import stopped; run it again to resume",
        None => "not settled",
    };
    for ((row, id), outcome) in job_rows.into_iter().zip(finished.outcomes) {
        match outcome {
            Some(Outcome::Published) => summary.published += 1,
            Some(Outcome::Skipped(_)) => summary.skipped += 1,
            Some(Outcome::Failed(reason)) => summary.failed.push(FailedRow { row, id, reason }),
            None => summary.failed.push(FailedRow {
                row,
                id,
                reason: unsettled.into(),
            }),
        }
    }
    summary.failed.sort_by_key(|f| f.row);
    summary.stopped = finished.stopped.map(|e| render_error(&e));
    Ok(summary)
}

#[cfg(test)]
mod tests;
