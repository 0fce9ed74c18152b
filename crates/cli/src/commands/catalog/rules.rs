//! The chain's rules for a catalog item that need no state, checked before
//! signing (they mirror `crates/state/src/exec/directory.rs`): the node
//! admits a transaction before it runs the rule, so an item the rule refuses
//! would otherwise be dropped at execution with no answer to the sender.

use dirchain_client::{Draft, draft::PublishItemDraft};
use dirchain_types::{domain::ShareClass, tx::PublishCatalogItem};
use std::collections::BTreeSet;

/// The payload of a draft, or the first rule it breaks.
pub fn build(draft: &PublishItemDraft) -> Result<PublishCatalogItem, String> {
    let item = draft.build().map_err(|e| e.to_string())?;
    if item.title.trim().is_empty() {
        return Err("title must not be blank".into());
    }
    if item.duties.is_empty() {
        return Err("duties must name at least one duty the item serves".into());
    }
    if item.fields.is_empty() {
        return Err("fields must list at least one field".into());
    }
    let mut names = BTreeSet::new();
    for field in item.fields.iter() {
        if !names.insert(field.name.as_str()) {
            return Err(format!("field {} is listed twice", field.name));
        }
        if item.share_class == ShareClass::Unconditional && field.sensitivity.is_personal() {
            return Err(format!(
                "field {} is {}: an unconditional item may not hold personal data",
                field.name,
                field.sensitivity.label()
            ));
        }
    }
    if item.version == 0 {
        return Err("version must be at least 1".into());
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::catalog::import::fake::draft;

    #[test]
    fn personal_data_is_never_unconditional() {
        let mut item = draft("health/deaths", 1);
        assert!(build(&item).is_ok());
        item.share_class = "unconditional".into();
        assert!(build(&item).is_ok(), "public fields may be unconditional");
        item.fields[0].sensitivity = "special".into();
        assert_eq!(
            build(&item).unwrap_err(),
            "field district is special: an unconditional item may not hold personal data"
        );
    }
}
