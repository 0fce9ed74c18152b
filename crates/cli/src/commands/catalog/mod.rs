//! `dirchain catalog`: publish, retire, search and show catalog items, and
//! import a whole catalog from CSV or JSON.

mod fields;
mod import;
mod rules;

use crate::client::{
    args::{ChannelArg, ChannelFilter, NodeArgs, PageArgs, SignArgs, labels},
    output::{Human, Row, Text, list},
    session::{Session, Signing},
    time,
};
use anyhow::Context as _;
use dirchain_client::{
    Draft,
    draft::{FieldDraft, PublishItemDraft, RetireItemDraft},
    schema::records::{CatalogQuery, FieldView, ItemDetail, ItemVersionView, ItemView},
};
use dirchain_types::domain::{OpenClass, ShareClass, UpdateFrequency};
use std::{
    io::Read as _,
    path::{Path, PathBuf},
    process::ExitCode,
};

/// A draft file holds one item: a few KiB at most.
const MAX_DRAFT_FILE_BYTES: u64 = 1024 * 1024;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Publish a catalog item, or a new version of one, from flags or a
    /// draft JSON file.
    Publish {
        /// The item as a JSON draft (the fields below by name; see
        /// `catalog import --help`) instead of flags.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["id", "title", "duties", "fields", "format"])]
        file: Option<PathBuf>,
        #[command(flatten)]
        item: ItemFlags,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Retire an item: it stays in the history, takes no new version and
    /// grants no new access.
    Retire {
        /// The item's id.
        id: String,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Search the catalog: free text over titles, descriptions and field
    /// names, filtered by organisation, share class and duty.
    Search {
        /// Words that must all match (the last may be the start of a word).
        text: Option<String>,
        /// Items of this organisation.
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        #[arg(long, value_parser = labels(ShareClass::ALL, ShareClass::label))]
        share_class: Option<String>,
        /// Items that serve this duty.
        #[arg(long, value_name = "ID")]
        duty: Option<String>,
        /// Also list retired items.
        #[arg(long)]
        include_retired: bool,
        #[command(flatten)]
        channel: ChannelFilter,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// An item with its fields and every version it was published in.
    Show {
        /// The item's id.
        id: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Publish every item of a CSV or JSON file, with a progress bar;
    /// resumable, and bad rows are reported without stopping the good ones.
    #[command(after_long_help = import::FORMATS)]
    Import(import::Args),
}

/// An item given by flags.
#[derive(clap::Args, Debug)]
pub struct ItemFlags {
    /// The item's id, e.g. `health/births`.
    #[arg(long, required_unless_present = "file")]
    pub id: Option<String>,
    #[arg(long, required_unless_present = "file")]
    pub title: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// A duty the item serves (repeatable).
    #[arg(long = "duty", value_name = "ID", required_unless_present = "file")]
    pub duties: Vec<String>,
    /// A field (repeatable), e.g. `birth_date:date:personal`.
    #[arg(
        long = "field",
        value_name = "NAME:TYPE:SENSITIVITY",
        required_unless_present = "file",
        value_parser = fields::parse_field
    )]
    pub fields: Vec<FieldDraft>,
    #[arg(long, default_value = "conditional", value_parser = labels(ShareClass::ALL, ShareClass::label))]
    pub share_class: String,
    #[arg(long, default_value = "closed", value_parser = labels(OpenClass::ALL, OpenClass::label))]
    pub open_class: String,
    #[arg(
        long,
        default_value = "irregular",
        value_parser = labels(UpdateFrequency::ALL, UpdateFrequency::label)
    )]
    pub update_frequency: String,
    /// The data's format, e.g. `csv`.
    #[arg(long, required_unless_present = "file")]
    pub format: Option<String>,
    /// 1 for a new item; higher than the current one for a new version.
    #[arg(long, default_value_t = 1)]
    pub version: u32,
}

impl ItemFlags {
    fn draft(self) -> PublishItemDraft {
        PublishItemDraft {
            id: self.id.unwrap_or_default(),
            title: self.title.unwrap_or_default(),
            description: self.description,
            duties: self.duties,
            fields: self.fields,
            share_class: self.share_class,
            open_class: self.open_class,
            update_frequency: self.update_frequency,
            format: self.format.unwrap_or_default(),
            version: self.version,
        }
    }
}

fn read_draft(path: &Path) -> anyhow::Result<PublishItemDraft> {
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DRAFT_FILE_BYTES + 1).read_to_end(&mut text))
        .with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        text.len() as u64 <= MAX_DRAFT_FILE_BYTES,
        "{} is larger than a catalog item ({MAX_DRAFT_FILE_BYTES} bytes)",
        path.display()
    );
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a catalog item draft", path.display()))
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Publish {
            file,
            item,
            channel,
            sign,
        } => {
            let draft = match file {
                Some(path) => read_draft(&path)?,
                None => item.draft(),
            };
            let payload = rules::build(&draft).map_err(anyhow::Error::msg)?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let report = signing
                .send(payload)
                .await?
                .with("item", &draft.id)
                .with_number("version", u64::from(draft.version))
                .with("channel", &channel.channel);
            signing.finish(&report)
        }
        Command::Retire {
            id,
            reason,
            channel,
            sign,
        } => {
            let payload = RetireItemDraft {
                id: id.clone(),
                reason,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let report = signing
                .send(payload)
                .await?
                .with("item", id)
                .with("channel", &channel.channel);
            signing.finish(&report)
        }
        Command::Search {
            text,
            org,
            share_class,
            duty,
            include_retired,
            channel,
            page,
            node,
        } => {
            let session = Session::new(&node)?;
            let query = CatalogQuery {
                q: text,
                org,
                share_class,
                duty,
                channel: channel.channel,
                include_retired: include_retired.then_some(true),
                limit: page.limit,
                cursor: page.cursor,
            };
            session.out.show(&session.client.catalog(&query).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, channel, node } => {
            let session = Session::new(&node)?;
            let detail = session
                .client
                .catalog_item(&id, Some(&channel.channel))
                .await?;
            session.out.show(&detail)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import::run(args).await,
    }
}

impl Row for ItemView {
    const HEADERS: &'static [&'static str] =
        &["id", "org", "version", "share class", "state", "title"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.org.clone(),
            self.current.version.to_string(),
            self.current.share_class.clone(),
            item_state(self.retired).into(),
            self.current.title.clone(),
        ]
    }
}

fn item_state(retired: bool) -> &'static str {
    if retired { "retired" } else { "current" }
}

impl Row for FieldView {
    const HEADERS: &'static [&'static str] = &["name", "type", "sensitivity"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.field_type.clone(),
            self.sensitivity.clone(),
        ]
    }
}

impl Row for ItemVersionView {
    const HEADERS: &'static [&'static str] = &["version", "published", "publisher", "title"];
    fn row(&self) -> Vec<String> {
        vec![
            self.version.to_string(),
            time::show(self.published_at),
            self.publisher.clone(),
            self.title.clone(),
        ]
    }
}

impl Human for ItemDetail {
    fn human(&self, text: &mut Text) {
        let item = &self.item;
        let current = &item.current;
        text.field("item", &item.id)
            .field("channel", &item.channel)
            .field("org", &item.org)
            .field("version", current.version)
            .field("state", item_state(item.retired));
        if let Some(retirement) = &item.retirement {
            text.field(
                "retired",
                format!("{} ({})", time::show(retirement.at), retirement.reason),
            );
        }
        text.field("title", &current.title)
            .field("description", &current.description)
            .field("duties", list(&current.duties))
            .field("share class", &current.share_class)
            .field("open class", &current.open_class)
            .field("updated", &current.update_frequency)
            .field("format", &current.format)
            .field("published", time::show(current.published_at))
            .field("publisher", &current.publisher);
        text.table(
            Some("fields"),
            FieldView::HEADERS,
            current.fields.iter().map(Row::row).collect(),
        );
        text.table(
            Some("versions"),
            ItemVersionView::HEADERS,
            self.versions.iter().map(Row::row).collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::output::Output;
    use dirchain_client::schema::records::Page;

    fn version(version: u32) -> ItemVersionView {
        ItemVersionView {
            version,
            org: "health".into(),
            publisher: "ab".into(),
            published_at: 0,
            title: "Births".into(),
            description: "Registered births".into(),
            duties: vec!["health/statistics".into()],
            fields: vec![FieldView {
                name: "birth_date".into(),
                field_type: "date".into(),
                sensitivity: "personal".into(),
            }],
            share_class: "conditional".into(),
            open_class: "closed".into(),
            update_frequency: "monthly".into(),
            format: "csv".into(),
        }
    }

    fn item() -> ItemView {
        ItemView {
            channel: "main".into(),
            id: "health/births".into(),
            org: "health".into(),
            retired: false,
            retirement: None,
            current: version(2),
        }
    }

    #[test]
    fn search_results_are_one_line_per_item() {
        let page = Page {
            items: vec![item()],
            next_cursor: None,
            indexed_height: 3,
        };
        assert_eq!(
            Output::new(false).render(&page).unwrap(),
            "id             org     version  share class  state    title\n\
             health/births  health  2        conditional  current  Births"
        );
    }

    #[test]
    fn an_item_shows_its_fields_and_versions() {
        let detail = ItemDetail {
            item: item(),
            versions: vec![version(1), version(2)],
        };
        let text = Output::new(false).render(&detail).unwrap();
        assert!(text.starts_with("item         health/births\n"), "{text}");
        assert!(
            text.contains("fields:\n  name        type  sensitivity\n  birth_date  date  personal"),
            "{text}"
        );
        assert!(text.contains("versions:\n  version  published"), "{text}");
        let versions = text
            .lines()
            .filter(|l| l.contains("1970-01-01 00:00:00 UTC  ab") && l.ends_with("Births"));
        assert_eq!(versions.count(), 2, "{text}");
    }
}
