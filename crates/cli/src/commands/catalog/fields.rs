//! Catalog fields and lists as flags and CSV cells write them:
//! `name:type:sensitivity`, and `;` between entries.

use dirchain_client::draft::FieldDraft;

/// Separates the entries of a list in one CSV cell (duties, fields).
pub const LIST_SEPARATOR: char = ';';
/// Separates the parts of a field: `name:type:sensitivity`.
pub const FIELD_PART_SEPARATOR: char = ':';

/// `birth_date:date:personal` as a field draft (labels are checked when
/// the draft is built).
pub fn parse_field(text: &str) -> Result<FieldDraft, String> {
    let parts: Vec<&str> = text.split(FIELD_PART_SEPARATOR).map(str::trim).collect();
    match parts[..] {
        [name, field_type, sensitivity] => Ok(FieldDraft {
            name: name.into(),
            field_type: field_type.into(),
            sensitivity: sensitivity.into(),
        }),
        _ => Err(format!(
            "{text:?} is not name{FIELD_PART_SEPARATOR}type{FIELD_PART_SEPARATOR}sensitivity, \
             e.g. birth_date{FIELD_PART_SEPARATOR}date{FIELD_PART_SEPARATOR}personal"
        )),
    }
}

/// The entries of a `;`-separated cell, trimmed; empty entries dropped.
pub fn split_list(cell: &str) -> Vec<String> {
    cell.split(LIST_SEPARATOR)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The fields of a `;`-separated cell.
pub fn parse_fields(cell: &str) -> Result<Vec<FieldDraft>, String> {
    split_list(cell).iter().map(|f| parse_field(f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_lists_parse_from_cells() {
        assert_eq!(
            parse_fields(" birth_date:date:personal ; district : text : public ;").unwrap(),
            vec![
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
            ]
        );
        assert!(
            parse_field("birth_date:date")
                .unwrap_err()
                .contains("name:type:sensitivity")
        );
        assert!(parse_field("a:b:c:d").is_err());
        assert_eq!(split_list("a; b;;c "), ["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }
}
