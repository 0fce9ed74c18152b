//! Reading an import file into rows: CSV (one item per line, the columns
//! of [CSV_COLUMNS]) or JSON (an array of the SDK's catalog drafts). A row
//! that cannot be read becomes a row with an error; only a file that is not
//! a catalog at all stops the import.

use crate::commands::catalog::fields::{parse_fields, split_list};
use anyhow::Context as _;
use dirchain_client::draft::PublishItemDraft;
use std::{
    collections::BTreeSet,
    fs::File,
    io::{self, Read},
    path::Path,
};

/// The columns of a CSV import file, in any order, each exactly once.
pub const CSV_COLUMNS: [&str; 10] = [
    "id",
    "title",
    "description",
    "duties",
    "fields",
    "share_class",
    "open_class",
    "update_frequency",
    "format",
    "version",
];
/// Far above a national catalog (44,000 items of a few KiB is ~200 MiB).
pub const MAX_IMPORT_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// One row of the file: numbered from 1 (the CSV header is not a row), its
/// item id when it could be read, and its draft or why it is unreadable.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub number: usize,
    pub id: Option<String>,
    pub draft: Result<PublishItemDraft, String>,
}

/// Reads `path` as CSV or JSON, by its extension.
pub fn read(path: &Path) -> anyhow::Result<Vec<Row>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let csv = match extension.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        _ => anyhow::bail!(
            "{}: an import file is .csv or .json (see `dirchain catalog import --help`)",
            path.display()
        ),
    };
    let cannot_read = || format!("cannot read {}", path.display());
    let file = File::open(path).with_context(cannot_read)?;
    let size = file.metadata().with_context(cannot_read)?.len();
    anyhow::ensure!(
        size <= MAX_IMPORT_FILE_BYTES,
        "{} is larger than {MAX_IMPORT_FILE_BYTES} bytes; split it",
        path.display()
    );
    let mut reader = io::BufReader::new(file.take(MAX_IMPORT_FILE_BYTES));
    let rows = if csv {
        parse_csv(reader)
    } else {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).with_context(cannot_read)?;
        parse_json(&bytes)
    };
    rows.with_context(|| path.display().to_string())
}

/// Rows of a CSV file with a header naming [CSV_COLUMNS].
pub fn parse_csv(reader: impl Read) -> anyhow::Result<Vec<Row>> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv
        .headers()
        .context("cannot read the header line")?
        .clone();
    let columns = column_positions(&headers)?;
    let mut rows = Vec::new();
    for (index, record) in csv.records().enumerate() {
        let number = index + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) if e.is_io_error() => return Err(e).context("cannot read the file"),
            Err(e) => {
                rows.push(Row {
                    number,
                    id: None,
                    draft: Err(csv_error(&e)),
                });
                continue;
            }
        };
        let cell = |name: &str| record.get(columns[name]).unwrap_or_default();
        let id = Some(cell("id").to_string()).filter(|id| !id.is_empty());
        rows.push(Row {
            number,
            id,
            draft: csv_draft(&cell),
        });
    }
    Ok(rows)
}

/// Where each column is; a missing, unknown or repeated column is an error
/// for the whole file (a misspelt header would otherwise fail every row).
fn column_positions(
    headers: &csv::StringRecord,
) -> anyhow::Result<std::collections::HashMap<&'static str, usize>> {
    let mut positions = std::collections::HashMap::new();
    for (position, header) in headers.iter().enumerate() {
        let Some(column) = CSV_COLUMNS.iter().find(|c| **c == header) else {
            anyhow::bail!(
                "unknown column {header:?}; the columns are {}",
                CSV_COLUMNS.join(",")
            );
        };
        anyhow::ensure!(
            positions.insert(*column, position).is_none(),
            "column {header:?} appears twice"
        );
    }
    let missing: BTreeSet<&str> = CSV_COLUMNS
        .iter()
        .copied()
        .filter(|c| !positions.contains_key(c))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "missing column(s) {}; the columns are {}",
        missing.into_iter().collect::<Vec<_>>().join(","),
        CSV_COLUMNS.join(",")
    );
    Ok(positions)
}

fn csv_draft<'a>(cell: &impl Fn(&str) -> &'a str) -> Result<PublishItemDraft, String> {
    let version = cell("version");
    Ok(PublishItemDraft {
        id: cell("id").into(),
        title: cell("title").into(),
        description: cell("description").into(),
        duties: split_list(cell("duties")),
        fields: parse_fields(cell("fields")).map_err(|e| format!("fields: {e}"))?,
        share_class: cell("share_class").into(),
        open_class: cell("open_class").into(),
        update_frequency: cell("update_frequency").into(),
        format: cell("format").into(),
        version: version
            .parse()
            .map_err(|_| format!("version {version:?} is not a whole number"))?,
    })
}

fn csv_error(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} cells; the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        _ => error.to_string(),
    }
}

/// Rows of a JSON array of catalog drafts (`PublishItemDraft` documents).
pub fn parse_json(bytes: &[u8]) -> anyhow::Result<Vec<Row>> {
    let values: Vec<serde_json::Value> = serde_json::from_slice(bytes)
        .context("not a JSON array of catalog items (see `dirchain catalog import --help`)")?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| Row {
            number: index + 1,
            id: value
                .get("id")
                .and_then(|id| id.as_str())
                .map(str::to_string),
            draft: serde_json::from_value(value).map_err(|e| e.to_string()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_client::draft::FieldDraft;

    const HEADER: &str =
        "id,title,description,duties,fields,share_class,open_class,update_frequency,format,version";

    fn births() -> PublishItemDraft {
        PublishItemDraft {
            id: "health/births".into(),
            title: "Births".into(),
            description: "Registered births, by district".into(),
            duties: vec!["health/statistics".into(), "health/registry".into()],
            fields: vec![
                FieldDraft {
                    name: "birth_date".into(),
                    field_type: "date".into(),
                    sensitivity: "personal".into(),
                },
                FieldDraft {
                    name: "district".into(),
                    field_type: "text".into(),
                    sensitivity: "public".into(),
                },
            ],
            share_class: "conditional".into(),
            open_class: "closed".into(),
            update_frequency: "monthly".into(),
            format: "csv".into(),
            version: 1,
        }
    }

    #[test]
    fn csv_rows_read_with_quoted_cells_and_bad_rows_kept_apart() {
        let text = format!(
            "{HEADER}\n\
             health/births,Births,\"Registered births, by district\",health/statistics;health/registry,birth_date:date:personal;district:text:public,conditional,closed,monthly,csv,1\n\
             health/deaths,Deaths,,health/statistics,cause:text:special,conditional,closed,monthly,csv,one\n\
             health/short,Short\n\
             health/bad-field,Bad,,health/statistics,cause:text,conditional,closed,monthly,csv,1\n"
        );
        let rows = parse_csv(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[0].draft, Ok(births()));
        assert_eq!(rows[1].id.as_deref(), Some("health/deaths"));
        assert_eq!(
            rows[1].draft,
            Err("version \"one\" is not a whole number".into())
        );
        assert_eq!(rows[2].number, 3);
        assert_eq!(rows[2].draft, Err("2 cells; the header has 10".into()));
        assert!(
            rows[3].draft.as_ref().unwrap_err().starts_with("fields: "),
            "{:?}",
            rows[3].draft
        );
    }

    #[test]
    fn csv_columns_come_in_any_order_but_all_of_them() {
        let reordered = "version,format,update_frequency,open_class,share_class,fields,duties,description,title,id\n\
             1,csv,monthly,closed,conditional,birth_date:date:personal;district:text:public,health/statistics;health/registry,\"Registered births, by district\",Births,health/births\n";
        assert_eq!(
            parse_csv(reordered.as_bytes()).unwrap()[0].draft,
            Ok(births())
        );
        let missing = HEADER.replace(",version", "");
        let err = parse_csv(missing.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("missing column(s) version"), "{err}");
        let typo = HEADER.replace("title", "titel");
        let err = parse_csv(typo.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("unknown column \"titel\""), "{err}");
        let twice = format!("{HEADER},id");
        assert!(parse_csv(twice.as_bytes()).is_err());
        // A header only: no rows, no error.
        assert!(parse_csv(HEADER.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn json_rows_read_one_by_one() {
        let mut typo = serde_json::to_value(births()).unwrap();
        typo["titel"] = typo["title"].take();
        typo.as_object_mut().unwrap().remove("title");
        let doc = serde_json::json!([births(), typo, 7, {"id": "x/y"}]);
        let rows = parse_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].draft, Ok(births()));
        assert!(
            rows[1].draft.as_ref().unwrap_err().contains("titel"),
            "{:?}",
            rows[1].draft
        );
        assert_eq!(rows[1].id.as_deref(), Some("health/births"));
        assert_eq!(rows[2].id, None);
        assert!(rows[2].draft.is_err());
        assert!(
            rows[3]
                .draft
                .as_ref()
                .unwrap_err()
                .contains("missing field"),
            "{:?}",
            rows[3].draft
        );
        assert!(parse_json(b"{\"id\": 1}").is_err());
        assert!(parse_json(b"not json").is_err());
    }

    #[test]
    fn files_are_read_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("items.CSV");
        std::fs::write(&csv_path, format!("{HEADER}\n")).unwrap();
        assert!(read(&csv_path).unwrap().is_empty());
        let json_path = dir.path().join("items.json");
        std::fs::write(&json_path, serde_json::json!([births()]).to_string()).unwrap();
        assert_eq!(read(&json_path).unwrap()[0].draft, Ok(births()));
        let other = dir.path().join("items.txt");
        std::fs::write(&other, "").unwrap();
        let err = format!("{:#}", read(&other).unwrap_err());
        assert!(err.contains(".csv or .json"), "{err}");
        assert!(read(&dir.path().join("missing.csv")).is_err());
    }
}
