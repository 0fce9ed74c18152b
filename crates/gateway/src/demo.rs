//! A small, realistic upstream data service for demonstrations and tests: a
//! land registry's property registrations, each naming its owner by
//! national identifier. `dirchain gateway demo-upstream` serves it.
//!
//! - `GET /registrations[?district=D&owner_id=I]` → `{"records": [...]}`
//! - `GET /registrations/{parcel_id}` → `{"records": [one]}`, or 404

use axum::{
    Json, Router,
    extract::{Path, Query},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Registrations in the dataset.
pub const REGISTRATIONS: usize = 48;
pub const DISTRICTS: [&str; 4] = ["North", "Harbour", "Old Town", "Riverside"];
const FIRST_NAMES: [&str; 8] = [
    "Aino", "Mikko", "Sofia", "Juhani", "Ella", "Oskari", "Helmi", "Eero",
];
const LAST_NAMES: [&str; 6] = [
    "Virtanen",
    "Korhonen",
    "Nieminen",
    "Mäkinen",
    "Hämäläinen",
    "Laine",
];
const STREETS: [&str; 5] = [
    "Rantakatu",
    "Kirkkokatu",
    "Satamatie",
    "Koulukatu",
    "Puistotie",
];

/// The catalog fields of the dataset, as `dirchain catalog publish --field`
/// takes them (`name:type:sensitivity`).
pub const CATALOG_FIELDS: [&str; 8] = [
    "parcel_id:identifier:public",
    "district:text:public",
    "address:text:internal",
    "area_m2:integer:public",
    "registered_on:date:public",
    "price_eur:integer:internal",
    "owner_name:text:personal",
    "owner_id:identifier:personal",
];

/// The gateway's `[items.fields]` for the dataset: catalog field → pointer.
pub const FIELD_MAP: [(&str, &str); 8] = [
    ("parcel_id", "/parcel_id"),
    ("district", "/location/district"),
    ("address", "/location/address"),
    ("area_m2", "/area_m2"),
    ("registered_on", "/registered_on"),
    ("price_eur", "/price_eur"),
    ("owner_name", "/owner/name"),
    ("owner_id", "/owner/national_id"),
];

/// The owners' national identifiers: a few persons own several parcels.
pub fn owner_id(n: usize) -> String {
    let person = n % 20;
    let day = 1 + person % 28;
    let month = 1 + person % 12;
    let checks = "ABCDEFHJKLMNPRSTUVWXY";
    let check = checks.as_bytes()[person % checks.len()] as char;
    format!(
        "{day:02}{month:02}{:02}-{:03}{check}",
        60 + person,
        100 + 7 * person
    )
}

/// Registration `n` of the dataset (deterministic).
pub fn registration(n: usize) -> Value {
    let person = n % 20;
    json!({
        "parcel_id": format!("P-2026-{:04}", n + 1),
        "location": {
            "district": DISTRICTS[n % DISTRICTS.len()],
            "address": format!("{} {}", STREETS[n % STREETS.len()], 1 + n * 3 % 97),
        },
        "area_m2": 300 + (n * 137) % 2200,
        "registered_on": format!("2026-{:02}-{:02}", 1 + n % 12, 1 + n % 28),
        "price_eur": 95_000 + (n * 7_919) % 400_000,
        "owner": {
            "name": format!("{} {}", FIRST_NAMES[person % FIRST_NAMES.len()], LAST_NAMES[person % LAST_NAMES.len()]),
            "national_id": owner_id(n),
        },
    })
}

pub fn dataset() -> Vec<Value> {
    (0..REGISTRATIONS).map(registration).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    district: Option<String>,
    owner_id: Option<String>,
}

async fn list(Query(filter): Query<Filter>) -> Json<Value> {
    let records: Vec<Value> = dataset()
        .into_iter()
        .filter(|r| {
            filter
                .district
                .as_deref()
                .is_none_or(|d| r["location"]["district"] == d)
        })
        .filter(|r| {
            filter
                .owner_id
                .as_deref()
                .is_none_or(|o| r["owner"]["national_id"] == o)
        })
        .collect();
    Json(json!({ "records": records }))
}

async fn one(Path(parcel): Path<String>) -> Response {
    match dataset()
        .into_iter()
        .find(|r| r["parcel_id"] == parcel.as_str())
    {
        Some(r) => Json(json!({ "records": [r] })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such parcel"})),
        )
            .into_response(),
    }
}

/// The demo data service's routes.
pub fn router() -> Router {
    Router::new()
        .route("/registrations", get(list))
        .route("/registrations/{parcel}", get(one))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_has_distinct_parcels_and_repeat_owners() {
        let data = dataset();
        let parcels: std::collections::BTreeSet<_> =
            data.iter().map(|r| r["parcel_id"].to_string()).collect();
        assert_eq!(parcels.len(), REGISTRATIONS);
        let owners: std::collections::BTreeSet<_> = (0..REGISTRATIONS).map(owner_id).collect();
        assert_eq!(owners.len(), 20);
        for (_, pointer) in FIELD_MAP {
            assert!(
                data.iter().all(|r| r.pointer(pointer).is_some()),
                "{pointer}"
            );
        }
    }
}
