//! What client commands print: the JSON document with `--json` (for
//! scripts), short aligned lines otherwise (for people). Every command
//! prints through [Output::show], so the two forms never drift apart.

use dirchain_schema::records::Page;
use serde::Serialize;
use std::{fmt::Display, io::Write as _};

/// Columns of a table are this far apart.
const COLUMN_GAP: usize = 2;
/// Rows of a titled table are indented this much under the title.
const TABLE_INDENT: usize = 2;

/// Where a command's result goes: stdout, as JSON or as text.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` on stdout. A reader that went away (`| head`) is not
    /// an error: there is no one left to tell.
    pub fn show<T: Serialize + Human + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        let text = self.render(value)?;
        match writeln!(std::io::stdout().lock(), "{text}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(anyhow::Error::new(e).context("cannot write to stdout"))
            }
            _ => Ok(()),
        }
    }

    /// The text [Output::show] prints, without the final newline.
    pub fn render<T: Serialize + Human + ?Sized>(&self, value: &T) -> anyhow::Result<String> {
        if self.json {
            return Ok(serde_json::to_string_pretty(value)?);
        }
        let mut text = Text::default();
        value.human(&mut text);
        Ok(text.finish())
    }
}

/// The form of a value people read.
pub trait Human {
    fn human(&self, text: &mut Text);
}

/// One row of a table, for lists of `T`.
pub trait Row {
    const HEADERS: &'static [&'static str];
    fn row(&self) -> Vec<String>;
}

/// A page of a list: a table, and how to ask for the next page.
impl<T: Row> Human for Page<T> {
    fn human(&self, text: &mut Text) {
        text.table(None, T::HEADERS, self.items.iter().map(Row::row).collect());
        if let Some(cursor) = &self.next_cursor {
            text.line(format!("more: --cursor {cursor}"));
        }
    }
}

enum Block {
    Fields(Vec<(String, String)>),
    Table {
        title: Option<String>,
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Lines(Vec<String>),
}

/// Text for people, built block by block: runs of `label  value` fields
/// (labels aligned), tables (columns aligned), plain lines. Blocks are
/// separated by an empty line.
#[derive(Default)]
pub struct Text {
    blocks: Vec<Block>,
}

impl Text {
    /// A `label  value` line; consecutive fields align their values.
    pub fn field(&mut self, label: &str, value: impl Display) -> &mut Self {
        let entry = (label.to_string(), value.to_string());
        match self.blocks.last_mut() {
            Some(Block::Fields(fields)) => fields.push(entry),
            _ => self.blocks.push(Block::Fields(vec![entry])),
        }
        self
    }

    /// A field only when there is a value.
    pub fn field_opt(&mut self, label: &str, value: Option<impl Display>) -> &mut Self {
        if let Some(value) = value {
            self.field(label, value);
        }
        self
    }

    /// A table; with a title, its rows are indented under it. No rows shows `(none)`.
    pub fn table(&mut self, title: Option<&str>, headers: &[&str], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table {
            title: title.map(str::to_string),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        });
    }

    pub fn line(&mut self, line: impl Display) -> &mut Self {
        let line = line.to_string();
        match self.blocks.last_mut() {
            Some(Block::Lines(lines)) => lines.push(line),
            _ => self.blocks.push(Block::Lines(vec![line])),
        }
        self
    }

    pub fn finish(self) -> String {
        let blocks: Vec<String> = self.blocks.iter().map(render_block).collect();
        blocks.join("\n\n")
    }
}

fn render_block(block: &Block) -> String {
    match block {
        Block::Fields(fields) => {
            let width = fields.iter().map(|(l, _)| l.chars().count()).max();
            let width = width.unwrap_or(0) + COLUMN_GAP;
            fields
                .iter()
                .map(|(label, value)| format!("{label:<width$}{value}").trim_end().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }
        Block::Table {
            title,
            headers,
            rows,
        } => {
            let indent = " ".repeat(if title.is_some() { TABLE_INDENT } else { 0 });
            let mut lines: Vec<String> = title.iter().map(|t| format!("{t}:")).collect();
            if rows.is_empty() {
                lines.push(format!("{indent}(none)"));
                return lines.join("\n");
            }
            let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
            for row in rows {
                for (i, cell) in row.iter().enumerate() {
                    if let Some(w) = widths.get_mut(i) {
                        *w = (*w).max(cell.chars().count());
                    }
                }
            }
            for row in std::iter::once(headers).chain(rows) {
                let cells: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(i, cell)| {
                        let width = widths.get(i).copied().unwrap_or(0) + COLUMN_GAP;
                        format!("{cell:<width$}")
                    })
                    .collect();
                lines.push(format!("{indent}{}", cells.concat().trim_end()));
            }
            lines.join("\n")
        }
        Block::Lines(lines) => lines.join("\n"),
    }
}

/// A list for one cell: `a, b, c`, or `-` when empty.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

/// An optional value for one cell: the value, or `-`.
pub fn or_dash(value: Option<impl Display>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Thing {
        name: String,
        count: u32,
    }

    impl Human for Thing {
        fn human(&self, text: &mut Text) {
            text.field("name", &self.name).field("count", self.count);
            text.table(
                Some("parts"),
                &["id", "size"],
                vec![
                    vec!["a".into(), "1".into()],
                    vec!["longer".into(), "22".into()],
                ],
            );
            text.table(Some("extras"), &["id"], vec![]);
            text.line("done");
        }
    }

    impl Row for Thing {
        const HEADERS: &'static [&'static str] = &["name", "count"];
        fn row(&self) -> Vec<String> {
            vec![self.name.clone(), self.count.to_string()]
        }
    }

    fn thing() -> Thing {
        Thing {
            name: "births".into(),
            count: 3,
        }
    }

    #[test]
    fn human_output_aligns_fields_and_columns() {
        let text = Output::new(false).render(&thing()).unwrap();
        assert_eq!(
            text,
            "name   births\ncount  3\n\n\
             parts:\n  id      size\n  a       1\n  longer  22\n\n\
             extras:\n  (none)\n\n\
             done"
        );
    }

    #[test]
    fn json_output_is_the_document() {
        let text = Output::new(true).render(&thing()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value, serde_json::json!({"name": "births", "count": 3}));
    }

    #[test]
    fn pages_are_tables_with_the_next_cursor() {
        let page = Page {
            items: vec![thing()],
            next_cursor: Some("abc".into()),
            indexed_height: 7,
        };
        assert_eq!(
            Output::new(false).render(&page).unwrap(),
            "name    count\nbirths  3\n\nmore: --cursor abc"
        );
        let json: serde_json::Value =
            serde_json::from_str(&Output::new(true).render(&page).unwrap()).unwrap();
        assert_eq!(json["next_cursor"], "abc");
        assert_eq!(json["indexed_height"], 7);
    }

    #[test]
    fn cells_for_empty_values() {
        assert_eq!(list(&[]), "-");
        assert_eq!(list(&["a".into(), "b".into()]), "a, b");
        assert_eq!(or_dash(None::<u32>), "-");
        assert_eq!(or_dash(Some(4)), "4");
    }
}
