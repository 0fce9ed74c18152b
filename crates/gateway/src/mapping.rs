//! From the upstream service's answer to what the consumer may see: the
//! records, each reduced to the permitted catalog fields, and the identifiers
//! of the persons they concern (for pseudonyms, never returned as such
//! unless permitted).

use crate::config::ItemMap;
use dirchain_types::{bounded::Ident, limits::MAX_SUBJECTS_PER_ACCESS};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Records one answer may carry; a larger upstream answer is refused (ask a
/// narrower question).
pub const MAX_RECORDS_PER_ANSWER: usize = 10_000;
/// Longest identifier taken from a record as a person's identifier.
pub const MAX_SUBJECT_ID_BYTES: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    #[error("the data service's answer has nothing at {pointer:?}")]
    NoRecords { pointer: String },
    #[error("the data service's answer at {pointer:?} is neither a record nor a list of records")]
    NotRecords { pointer: String },
    #[error("record {index} of the data service's answer is not a JSON object")]
    NotAnObject { index: usize },
    #[error(
        "the answer holds {count} records (at most {MAX_RECORDS_PER_ANSWER}); ask a narrower question"
    )]
    TooManyRecords { count: usize },
    #[error(
        "the answer concerns {count} persons (at most {MAX_SUBJECTS_PER_ACCESS} per access); ask a narrower question"
    )]
    TooManySubjects { count: usize },
    #[error("record {index}: the person's identifier is not a short text or number")]
    BadSubject { index: usize },
}

/// The consumer's share of one answer.
#[derive(Debug, Default, PartialEq)]
pub struct Mapped {
    pub records: Vec<Map<String, Value>>,
    /// The raw identifiers of the persons concerned, distinct.
    pub subjects: BTreeSet<String>,
}

/// Reduces `answer` to the `permitted` fields of `item` (a field the item
/// maps but the permission does not cover never leaves the gateway).
pub fn map_records(
    item: &ItemMap,
    answer: &Value,
    permitted: &[&Ident],
) -> Result<Mapped, MapError> {
    let found = answer
        .pointer(&item.records)
        .ok_or_else(|| MapError::NoRecords {
            pointer: item.records.clone(),
        })?;
    let records: Vec<&Value> = match found {
        Value::Array(list) => list.iter().collect(),
        Value::Object(_) => vec![found],
        Value::Null => Vec::new(),
        _ => {
            return Err(MapError::NotRecords {
                pointer: item.records.clone(),
            });
        }
    };
    if records.len() > MAX_RECORDS_PER_ANSWER {
        return Err(MapError::TooManyRecords {
            count: records.len(),
        });
    }
    let subject_at = item.subject.as_ref().and_then(|subject| {
        item.fields
            .iter()
            .find(|(name, _)| name == subject)
            .map(|(_, at)| at.as_str())
    });
    let mut mapped = Mapped::default();
    for (index, record) in records.into_iter().enumerate() {
        if !record.is_object() {
            return Err(MapError::NotAnObject { index });
        }
        let mut out = Map::new();
        for (name, at) in &item.fields {
            if permitted.contains(&name) {
                let value = record.pointer(at).cloned().unwrap_or(Value::Null);
                out.insert(name.to_string(), value);
            }
        }
        if let Some(at) = subject_at {
            match record.pointer(at) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.len() <= MAX_SUBJECT_ID_BYTES => {
                    mapped.subjects.insert(s.clone());
                }
                Some(Value::Number(n)) => {
                    mapped.subjects.insert(n.to_string());
                }
                Some(_) => return Err(MapError::BadSubject { index }),
            }
        }
        mapped.records.push(out);
    }
    if mapped.subjects.len() > MAX_SUBJECTS_PER_ACCESS {
        return Err(MapError::TooManySubjects {
            count: mapped.subjects.len(),
        });
    }
    Ok(mapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> ItemMap {
        let id = |s: &str| Ident::new(s).unwrap();
        ItemMap {
            id: id("tax/registrations"),
            path: "/registrations".into(),
            records: "/records".into(),
            subject: Some(id("owner_id")),
            fields: vec![
                (id("parcel"), "/parcel/id".into()),
                (id("owner_id"), "/owner/national_id".into()),
                (id("price"), "/price_eur".into()),
            ],
        }
    }

    fn answer() -> Value {
        json!({"records": [
            {"parcel": {"id": "P-1"}, "owner": {"national_id": "010190-123A", "name": "A"}, "price_eur": 100},
            {"parcel": {"id": "P-2"}, "owner": {"national_id": "020290-456B"}, "secret": true},
            {"parcel": {"id": "P-3"}, "owner": {"national_id": "010190-123A"}}
        ]})
    }

    #[test]
    fn only_permitted_fields_leave_and_subjects_are_collected() {
        let item = item();
        let parcel = &item.fields[0].0;
        let mapped = map_records(&item, &answer(), &[parcel]).unwrap();
        assert_eq!(mapped.records.len(), 3);
        assert_eq!(
            mapped.records[0],
            *json!({"parcel": "P-1"}).as_object().unwrap()
        );
        // Nothing unmapped ("secret", "name") and nothing unpermitted leaves.
        assert!(mapped.records.iter().all(|r| r.len() == 1));
        // The owner is pseudonymised though the identifier is not served.
        assert_eq!(
            mapped.subjects.into_iter().collect::<Vec<_>>(),
            ["010190-123A", "020290-456B"]
        );
    }

    #[test]
    fn a_missing_value_is_null_and_a_single_record_is_a_list_of_one() {
        let mut item = item();
        item.records = String::new();
        let price = &item.fields[2].0.clone();
        let one = json!({"parcel": {"id": "P-9"}, "owner": {"national_id": 42}});
        let mapped = map_records(&item, &one, &[price]).unwrap();
        assert_eq!(
            mapped.records,
            vec![json!({"price": null}).as_object().unwrap().clone()]
        );
        assert_eq!(mapped.subjects.iter().next().unwrap(), "42");
    }

    #[test]
    fn malformed_answers_are_named() {
        let item = item();
        let f = &item.fields[0].0;
        assert_eq!(
            map_records(&item, &json!({"rows": []}), &[f]),
            Err(MapError::NoRecords {
                pointer: "/records".into()
            })
        );
        assert_eq!(
            map_records(&item, &json!({"records": 3}), &[f]),
            Err(MapError::NotRecords {
                pointer: "/records".into()
            })
        );
        assert_eq!(
            map_records(&item, &json!({"records": [1]}), &[f]),
            Err(MapError::NotAnObject { index: 0 })
        );
        assert_eq!(
            map_records(
                &item,
                &json!({"records": [{"owner": {"national_id": [1]}}]}),
                &[f]
            ),
            Err(MapError::BadSubject { index: 0 })
        );
        let many: Vec<Value> = (0..=MAX_SUBJECTS_PER_ACCESS)
            .map(|i| json!({"owner": {"national_id": i}}))
            .collect();
        assert!(matches!(
            map_records(&item, &json!({"records": many}), &[f]),
            Err(MapError::TooManySubjects { .. })
        ));
    }
}
