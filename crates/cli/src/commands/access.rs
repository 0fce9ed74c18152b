//! `dirchain access`: record a data exchange under a permission, list the
//! record, and the "who used my data" view of one person.
//!
//! Persons are named on the chain only by keyed pseudonyms. `access record
//! --subject` computes them here, with the consortium's subject key: the raw
//! identifier never leaves this machine.

use crate::client::{
    args::{ChannelArg, NodeArgs, PageArgs, SignArgs},
    output::{Human, Row, Text, list, or_dash},
    session::{Session, Signing},
    time,
};
use anyhow::Context as _;
use dirchain_client::{
    Draft,
    draft::RecordAccessDraft,
    input, keys, notary,
    schema::records::{AccessQuery, AccessView},
};
use dirchain_types::{
    ids::{Digest, SubjectKey, sha256, subject_ref},
    limits::MAX_SUBJECTS_PER_ACCESS,
};
use std::{
    io::{BufRead as _, Read as _},
    path::{Path, PathBuf},
    process::ExitCode,
};

/// A subjects file lists at most [MAX_SUBJECTS_PER_ACCESS] identifiers of a
/// few dozen bytes each.
const MAX_SUBJECTS_FILE_BYTES: u64 = 1024 * 1024;
/// Read from stdin when given as the raw identifier of `access subject`.
const STDIN: &str = "-";

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Record one exchange of data under a permission: who (by pseudonym),
    /// which fields, digests of the query and of the response. Outside a
    /// live permission the attempt is recorded as refused.
    Record {
        /// The permission (hex).
        #[arg(long, value_name = "ID")]
        permission: String,
        /// The fields exchanged, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        fields: Vec<String>,
        #[command(flatten)]
        subjects: SubjectArgs,
        /// The query as sent; its SHA-256 is recorded.
        #[arg(long, value_name = "TEXT", required_unless_present_any = ["query_file", "query_digest"], conflicts_with_all = ["query_file", "query_digest"])]
        query: Option<String>,
        /// A file holding the query; its SHA-256 is recorded.
        #[arg(long, value_name = "FILE", conflicts_with = "query_digest")]
        query_file: Option<PathBuf>,
        /// The query's SHA-256 (hex).
        #[arg(long, value_name = "HEX")]
        query_digest: Option<String>,
        /// The response as received; its SHA-256 is recorded.
        #[arg(long, value_name = "TEXT", required_unless_present_any = ["response_file", "response_digest"], conflicts_with_all = ["response_file", "response_digest"])]
        response: Option<String>,
        /// A file holding the response; its SHA-256 is recorded.
        #[arg(long, value_name = "FILE", conflicts_with = "response_digest")]
        response_file: Option<PathBuf>,
        /// The response's SHA-256 (hex).
        #[arg(long, value_name = "HEX")]
        response_digest: Option<String>,
        /// Records in the response [default: the number of subjects].
        #[arg(long, value_name = "N")]
        records: Option<u32>,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Access records and refused attempts, newest first.
    List {
        /// Granted to this organisation.
        #[arg(long, value_name = "ORG")]
        consumer: Option<String>,
        /// Data of this organisation.
        #[arg(long, value_name = "ORG")]
        provider: Option<String>,
        #[arg(long, value_name = "ID")]
        item: Option<String>,
        /// Under this permission (hex).
        #[arg(long, value_name = "ID")]
        permission: Option<String>,
        /// From this time on: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) or ms since 1970.
        #[arg(long, value_name = "TIME", value_parser = time::parse)]
        from: Option<u64>,
        /// Before this time.
        #[arg(long, value_name = "TIME", value_parser = time::parse)]
        to: Option<u64>,
        /// Only refused attempts.
        #[arg(long)]
        refused: bool,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One access record.
    Show {
        /// The record's id (hex).
        id: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every access to the data of one person ("who used my data"). The
    /// identifier goes to the node in a request body only, where it is
    /// turned into the person's pseudonym.
    Subject {
        /// The person's identifier, or `-` to read it from stdin (keeps it
        /// out of the shell history).
        raw: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The persons an exchange concerns.
#[derive(clap::Args, Debug)]
pub struct SubjectArgs {
    /// A person's raw identifier (repeatable); pseudonymised here with the
    /// subject key, never sent.
    #[arg(long = "subject", value_name = "RAW")]
    pub subjects: Vec<String>,
    /// A file of raw identifiers, one per line; pseudonymised here.
    #[arg(long, value_name = "FILE")]
    pub subjects_file: Option<PathBuf>,
    /// The consortium's subject key, for `--subject` and `--subjects-file`.
    #[arg(long, value_name = "FILE", env = "DIRCHAIN_SUBJECT_KEY")]
    pub subject_key: Option<PathBuf>,
    /// A pseudonym computed elsewhere (hex, repeatable).
    #[arg(long = "subject-ref", value_name = "HEX")]
    pub subject_refs: Vec<String>,
}

impl SubjectArgs {
    /// Every pseudonym, in hex: the raw identifiers' first, then those given.
    fn pseudonyms(&self) -> anyhow::Result<Vec<String>> {
        let mut raw = self.subjects.clone();
        if let Some(path) = &self.subjects_file {
            raw.extend(read_subjects_file(path)?);
        }
        let mut refs = Vec::with_capacity(raw.len() + self.subject_refs.len());
        if !raw.is_empty() {
            let key = self.key()?;
            refs.extend(pseudonymise(&key, &raw));
        }
        refs.extend(self.subject_refs.iter().cloned());
        anyhow::ensure!(
            refs.len() <= MAX_SUBJECTS_PER_ACCESS,
            "{} subjects; one access record names at most {MAX_SUBJECTS_PER_ACCESS}",
            refs.len()
        );
        Ok(refs)
    }

    fn key(&self) -> anyhow::Result<SubjectKey> {
        let Some(path) = &self.subject_key else {
            anyhow::bail!(
                "--subject needs the consortium's subject key: --subject-key FILE (or DIRCHAIN_SUBJECT_KEY)"
            );
        };
        keys::read_subject_key(path).with_context(|| format!("subject key file {}", path.display()))
    }
}

/// The pseudonyms of raw identifiers, in hex.
fn pseudonymise(key: &SubjectKey, raw: &[String]) -> Vec<String> {
    raw.iter()
        .map(|r| subject_ref(key, r).to_string())
        .collect()
}

/// One identifier per line; blank lines skipped.
fn read_subjects_file(path: &Path) -> anyhow::Result<Vec<String>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the subjects file {}", path.display()))?;
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(file.take(MAX_SUBJECTS_FILE_BYTES)).lines() {
        let line =
            line.with_context(|| format!("cannot read the subjects file {}", path.display()))?;
        let line = line.trim();
        if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    Ok(lines)
}

/// The digest recorded for a query or a response: of the text, of the
/// file, or given.
fn digest_of(
    field: &str,
    text: Option<&str>,
    file: Option<&Path>,
    digest: Option<&str>,
) -> anyhow::Result<Digest> {
    match (text, file, digest) {
        (Some(text), _, _) => Ok(sha256(&[text.as_bytes()])),
        (_, Some(file), _) => {
            notary::hash_file(file).with_context(|| format!("cannot read {}", file.display()))
        }
        (_, _, Some(hex)) => Ok(input::digest(&format!("{field}_digest"), hex)?),
        _ => anyhow::bail!("give --{field}, --{field}-file or --{field}-digest"),
    }
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Record {
            permission,
            fields,
            subjects,
            query,
            query_file,
            query_digest,
            response,
            response_file,
            response_digest,
            records,
            channel,
            sign,
        } => {
            let subject_refs = subjects.pseudonyms()?;
            let query = digest_of(
                "query",
                query.as_deref(),
                query_file.as_deref(),
                query_digest.as_deref(),
            )?;
            let response = digest_of(
                "response",
                response.as_deref(),
                response_file.as_deref(),
                response_digest.as_deref(),
            )?;
            let count = subject_refs.len();
            let payload = RecordAccessDraft {
                permission: permission.clone(),
                subject_refs,
                fields,
                query_digest: query.to_string(),
                response_digest: response.to_string(),
                record_count: records.unwrap_or(count as u32),
                ..Default::default()
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let report = signing.send(payload).await?;
            let id = report.status.hash.clone();
            let report = report
                .with("access", id)
                .with("permission", permission)
                .with_number("subjects", count as u64);
            signing.finish(&report)
        }
        Command::List {
            consumer,
            provider,
            item,
            permission,
            from,
            to,
            refused,
            page,
            node,
        } => {
            let session = Session::new(&node)?;
            let query = AccessQuery {
                consumer,
                provider,
                item,
                permission,
                from_ms: from,
                to_ms: to,
                refused: refused.then_some(true),
                limit: page.limit,
                cursor: page.cursor,
            };
            session.out.show(&session.client.accesses(&query).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, channel, node } => {
            let id = input::digest("id", &id)?;
            let session = Session::new(&node)?;
            let record = session.client.access(&id, Some(&channel.channel)).await?;
            session.out.show(&record)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Subject { raw, page, node } => {
            let raw = if raw == STDIN {
                let mut text = String::new();
                std::io::stdin()
                    .take(MAX_SUBJECTS_FILE_BYTES)
                    .read_to_string(&mut text)
                    .context("cannot read the identifier from stdin")?;
                text.trim().to_string()
            } else {
                raw
            };
            anyhow::ensure!(!raw.is_empty(), "the identifier is empty");
            let session = Session::new(&node)?;
            let accesses = session.client.subject_accesses(&raw, &page.query()).await?;
            session.out.show(&accesses)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn outcome(view: &AccessView) -> String {
    match &view.refusal {
        Some(refusal) => format!("refused ({refusal})"),
        None => "recorded".into(),
    }
}

impl Row for AccessView {
    const HEADERS: &'static [&'static str] = &[
        "id", "time", "item", "provider", "consumer", "fields", "records", "outcome",
    ];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            time::show(self.at),
            or_dash(self.item.as_ref()),
            or_dash(self.owner_org.as_ref()),
            or_dash(self.consumer_org.as_ref()),
            list(&self.fields),
            self.record_count.to_string(),
            outcome(self),
        ]
    }
}

impl Human for AccessView {
    fn human(&self, text: &mut Text) {
        text.field("access", &self.id)
            .field("channel", &self.channel)
            .field("time", time::show(self.at))
            .field("height", self.height)
            .field("outcome", outcome(self))
            .field("permission", &self.permission)
            .field("item", or_dash(self.item.as_ref()))
            .field("provider", or_dash(self.owner_org.as_ref()))
            .field("consumer", or_dash(self.consumer_org.as_ref()))
            .field(
                "recorder",
                format!("{} ({})", self.recorder, self.recorder_org),
            )
            .field("fields", list(&self.fields))
            .field("records", self.record_count)
            .field("query", &self.query_digest)
            .field("response", &self.response_digest);
        text.table(
            Some(&format!("subjects ({})", self.subject_refs.len())),
            &["pseudonym"],
            self.subject_refs.iter().map(|s| vec![s.clone()]).collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_file(dir: &Path) -> PathBuf {
        let path = dir.join("subject.key");
        keys::write_subject_key(&path, [7; 32]).unwrap();
        path
    }

    #[test]
    fn raw_identifiers_become_pseudonyms_locally() {
        let dir = tempfile::tempdir().unwrap();
        let subjects_file = dir.path().join("subjects.txt");
        std::fs::write(
            &subjects_file,
            "110101199003072345\n\n  220202198001011234 \n",
        )
        .unwrap();
        let args = SubjectArgs {
            subjects: vec!["330303197505053456".into()],
            subjects_file: Some(subjects_file),
            subject_key: Some(key_file(dir.path())),
            subject_refs: vec!["ab".repeat(32)],
        };
        let refs = args.pseudonyms().unwrap();
        let key = SubjectKey::from_bytes([7; 32]);
        assert_eq!(
            refs,
            [
                subject_ref(&key, "330303197505053456").to_string(),
                subject_ref(&key, "110101199003072345").to_string(),
                subject_ref(&key, "220202198001011234").to_string(),
                "ab".repeat(32),
            ]
        );
        assert!(refs.iter().all(|r| !r.contains("1101011990")));
    }

    #[test]
    fn raw_identifiers_need_the_subject_key() {
        let args = SubjectArgs {
            subjects: vec!["110101199003072345".into()],
            subjects_file: None,
            subject_key: None,
            subject_refs: vec![],
        };
        let err = args.pseudonyms().unwrap_err().to_string();
        assert!(err.contains("--subject-key"), "{err}");
        // Pseudonyms alone need no key.
        let refs_only = SubjectArgs {
            subjects: vec![],
            subject_refs: vec!["ab".repeat(32)],
            ..args
        };
        assert_eq!(refs_only.pseudonyms().unwrap().len(), 1);
    }

    #[test]
    fn digests_of_text_files_or_hex() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.json");
        std::fs::write(&file, b"{\"district\": 3}").unwrap();
        let text = digest_of("query", Some("{\"district\": 3}"), None, None).unwrap();
        assert_eq!(text, sha256(&[b"{\"district\": 3}"]));
        assert_eq!(digest_of("query", None, Some(&file), None).unwrap(), text);
        let hex = text.to_string();
        assert_eq!(digest_of("query", None, None, Some(&hex)).unwrap(), text);
        let err = digest_of("query", None, None, Some("zz"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("query_digest"), "{err}");
        assert!(digest_of("query", None, None, None).is_err());
    }
}
