//! What to do with each row, decided before anything is signed: publish it,
//! skip it (already on chain: this is what makes a rerun resume), or report
//! why it cannot be published. A row refused here never costs a nonce, so a
//! bad row cannot hold up the good ones behind it.

use super::rows::Row;
use crate::commands::catalog::rules::build;
use dirchain_client::draft::PublishItemDraft;
use dirchain_types::tx::PublishCatalogItem;
use std::collections::{HashMap, HashSet};

/// An item of the signer's organisation as the chain holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnChain {
    pub version: u32,
    pub retired: bool,
}

/// What the chain holds that decides a row: the signer's organisation, the
/// duties it declared in the channel, and its items there.
#[derive(Clone, Debug, Default)]
pub struct ChainView {
    pub org: String,
    pub channel: String,
    pub duties: HashSet<String>,
    pub items: HashMap<String, OnChain>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Publish(Box<PublishCatalogItem>),
    /// Already on chain at this version or a later one.
    Skip(String),
    Fail(String),
}

/// A row and what to do with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub number: usize,
    pub id: Option<String>,
    pub decision: Decision,
}

/// Decides every row, in file order. A later row of the same item must
/// carry a later version than the earlier row (it publishes a new version).
pub fn plan(rows: Vec<Row>, chain: &ChainView) -> Vec<Planned> {
    // Item id -> (version, row) of the last row of it that will be on chain.
    let mut earlier: HashMap<String, (u32, usize)> = HashMap::new();
    rows.into_iter()
        .map(|row| {
            let decision = match row.draft {
                Err(reason) => Decision::Fail(reason),
                Ok(draft) => decide(&draft, row.number, chain, &mut earlier),
            };
            Planned {
                number: row.number,
                id: row.id,
                decision,
            }
        })
        .collect()
}

fn decide(
    draft: &PublishItemDraft,
    number: usize,
    chain: &ChainView,
    earlier: &mut HashMap<String, (u32, usize)>,
) -> Decision {
    let item = match build(draft) {
        Ok(item) => item,
        Err(reason) => return Decision::Fail(reason),
    };
    if let Some(duty) = item
        .duties
        .iter()
        .find(|d| !chain.duties.contains(d.as_str()))
    {
        return Decision::Fail(format!(
            "duty {duty} is not declared by {} in channel {} (`dirchain duty declare`)",
            chain.org, chain.channel
        ));
    }
    let id = item.id.to_string();
    if let Some(&(version, row)) = earlier.get(&id) {
        if item.version <= version {
            return Decision::Fail(format!(
                "version {} is not later than version {version} in row {row}",
                item.version
            ));
        }
    } else if let Some(on_chain) = chain.items.get(&id) {
        if item.version <= on_chain.version {
            return Decision::Skip(format!("on chain at version {}", on_chain.version));
        }
        if on_chain.retired {
            return Decision::Fail("the item is retired; it takes no new version".into());
        }
    }
    earlier.insert(id, (item.version, number));
    Decision::Publish(Box::new(item))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::catalog::import::fake::draft;
    use dirchain_types::limits::MAX_TITLE_BYTES;

    fn row(number: usize, draft: PublishItemDraft) -> Row {
        Row {
            number,
            id: Some(draft.id.clone()),
            draft: Ok(draft),
        }
    }

    fn chain() -> ChainView {
        ChainView {
            org: "health".into(),
            channel: "main".into(),
            duties: ["health/statistics".to_string()].into(),
            items: [
                (
                    "health/on-chain".to_string(),
                    OnChain {
                        version: 2,
                        retired: false,
                    },
                ),
                (
                    "health/retired".to_string(),
                    OnChain {
                        version: 1,
                        retired: true,
                    },
                ),
            ]
            .into(),
        }
    }

    fn decisions(rows: Vec<Row>) -> Vec<Decision> {
        plan(rows, &chain())
            .into_iter()
            .map(|p| p.decision)
            .collect()
    }

    fn reason(decision: &Decision) -> &str {
        match decision {
            Decision::Fail(reason) | Decision::Skip(reason) => reason,
            Decision::Publish(_) => "publish",
        }
    }

    #[test]
    fn rows_on_chain_at_their_version_or_later_are_skipped() {
        let decided = decisions(vec![
            row(1, draft("health/new", 1)),
            row(2, draft("health/on-chain", 1)),
            row(3, draft("health/on-chain", 2)),
            row(4, draft("health/on-chain", 3)),
            row(5, draft("health/retired", 1)),
        ]);
        assert!(matches!(&decided[0], Decision::Publish(item) if item.version == 1));
        assert_eq!(decided[1], Decision::Skip("on chain at version 2".into()));
        assert_eq!(decided[2], Decision::Skip("on chain at version 2".into()));
        assert!(matches!(&decided[3], Decision::Publish(item) if item.version == 3));
        assert_eq!(decided[4], Decision::Skip("on chain at version 1".into()));
    }

    #[test]
    fn a_rerun_after_everything_landed_publishes_nothing() {
        let rows: Vec<Row> = (1..=3)
            .map(|i| row(i, draft(&format!("health/item-{i}"), 1)))
            .collect();
        let mut landed = chain();
        for i in 1..=3 {
            landed.items.insert(
                format!("health/item-{i}"),
                OnChain {
                    version: 1,
                    retired: false,
                },
            );
        }
        assert!(
            plan(rows, &landed)
                .iter()
                .all(|p| matches!(p.decision, Decision::Skip(_)))
        );
    }

    #[test]
    fn bad_rows_fail_with_the_reason_and_good_rows_go_on() {
        let mut long_title = draft("health/x", 1);
        long_title.title = "t".repeat(300);
        let mut blank = draft("health/blank", 1);
        blank.title = "  ".into();
        let mut personal = draft("health/personal", 1);
        personal.share_class = "unconditional".into();
        personal.fields[0].sensitivity = "personal".into();
        let mut twice = draft("health/twice", 1);
        twice.fields.push(twice.fields[0].clone());
        let mut undeclared = draft("health/undeclared", 1);
        undeclared.duties = vec!["tax/collection".into()];
        let mut no_fields = draft("health/no-fields", 1);
        no_fields.fields.clear();
        let decided = decisions(vec![
            row(1, long_title),
            row(2, blank),
            row(3, personal),
            row(4, twice),
            row(5, undeclared),
            row(6, draft("health/zero", 0)),
            row(7, no_fields),
            row(8, draft("health/good", 1)),
            Row {
                number: 9,
                id: None,
                draft: Err("2 cells; the header has 10".into()),
            },
            row(10, draft("health/retired", 2)),
        ]);
        assert_eq!(
            reason(&decided[0]),
            format!("title is 300 bytes; at most {MAX_TITLE_BYTES}")
        );
        assert_eq!(reason(&decided[1]), "title must not be blank");
        assert!(reason(&decided[2]).contains("may not hold personal data"));
        assert_eq!(reason(&decided[3]), "field district is listed twice");
        assert!(reason(&decided[4]).starts_with("duty tax/collection is not declared by health"));
        assert_eq!(reason(&decided[5]), "version must be at least 1");
        assert_eq!(reason(&decided[6]), "fields must list at least one field");
        assert!(matches!(decided[7], Decision::Publish(_)));
        assert_eq!(reason(&decided[8]), "2 cells; the header has 10");
        assert!(reason(&decided[9]).contains("retired"));
    }

    #[test]
    fn versions_of_one_item_in_a_file_must_rise() {
        let decided = decisions(vec![
            row(1, draft("health/a", 1)),
            row(2, draft("health/a", 2)),
            row(3, draft("health/a", 2)),
            row(4, draft("health/on-chain", 3)),
            row(5, draft("health/on-chain", 3)),
        ]);
        assert!(matches!(decided[0], Decision::Publish(_)));
        assert!(matches!(decided[1], Decision::Publish(_)));
        assert_eq!(
            reason(&decided[2]),
            "version 2 is not later than version 2 in row 2"
        );
        assert!(matches!(decided[3], Decision::Publish(_)));
        assert_eq!(
            reason(&decided[4]),
            "version 3 is not later than version 3 in row 4"
        );
    }
}
