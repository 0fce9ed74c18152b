//! `GET /v1/access` and `GET /v1/access/{id}`: recorded data accesses and
//! refused attempts.

use crate::{
    error::ApiError,
    node::NodeApi,
    openapi::documented,
    query::{self, ChannelQuery, check_limit},
};
use axum::response::Response;
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use dirchain_schema::{
    chain::ErrorBody,
    records::{AccessDaily, AccessFilter, AccessQuery, AccessView, MAX_EXPORT_ROWS, Page},
};

mod csv_export;
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_accesses, _, _, _>(accesses::<N>))
        .routes(documented::<__path_daily, _, _, _>(daily::<N>))
        .routes(documented::<__path_export, _, _, _>(export::<N>))
        .routes(documented::<__path_access, _, _, _>(access::<N>))
}

/// List access records.
///
/// Newest first; filters by consumer, provider, item, permission, time
/// range (`from_ms` inclusive, `to_ms` exclusive) and outcome (`refused=true`
/// only refused attempts, `refused=false` only exchanges within a live
/// permission).
#[utoipa::path(
    get,
    path = "/v1/access",
    tag = "access",
    params(AccessQuery),
    responses(
        (status = 200, description = "A page of access records, newest first", body = Page<AccessView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `permission` is not 64 hex characters; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn accesses<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<AccessQuery>, QueryRejection>,
) -> Result<Json<Page<AccessView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    Ok(Json(query::run(&node, move |q| q.accesses(&filter)).await?))
}

/// Count access records per day.
///
/// Per day (UTC) and consuming organisation, accepted and refused, over the
/// whole days that cover `from_ms..to_ms`: at most 367 days, the last 30 when
/// `from_ms` is absent, up to now when `to_ms` is. Filters as `GET
/// /v1/access`. The counts are kept as blocks are indexed, so a year costs
/// about what a day does.
#[utoipa::path(
    get,
    path = "/v1/access/daily",
    tag = "access",
    params(AccessFilter),
    responses(
        (status = 200, description = "Accesses per day and consuming organisation", body = AccessDaily),
        (status = 400, description = "`bad_query`: an unknown parameter or a value of the wrong type; \
            `bad_filter`: `permission` is not 64 hex characters, `from_ms` is not before `to_ms`, or \
            the range spans more than 367 days", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn daily<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<AccessFilter>, QueryRejection>,
) -> Result<Json<AccessDaily>, ApiError> {
    let Query(filter) = query?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Ok(Json(
        query::run(&node, move |q| q.access_daily(&filter, now_ms)).await?,
    ))
}

/// Export access records as CSV.
///
/// Every access record the filters of `GET /v1/access` select, newest first,
/// one CSV row each (RFC 4180, with a header row): an auditor's download.
/// An export of more than 100,000 rows is refused whole, never cut short:
/// narrow the filters or the time range.
#[utoipa::path(
    get,
    path = "/v1/access/export",
    tag = "access",
    params(AccessFilter),
    responses(
        (status = 200, description = "The access records as CSV", content_type = "text/csv", body = String),
        (status = 400, description = "`bad_query`: an unknown parameter or a value of the wrong type; \
            `bad_filter`: `permission` is not 64 hex characters; `export_too_large`: more than \
            100,000 records match", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn export<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<AccessFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = query?;
    let counted = filter.clone();
    let rows = query::run(&node, move |q| q.access_count(&counted)).await?;
    if rows > MAX_EXPORT_ROWS {
        return Err(ApiError::export_too_large(format!(
            "{rows} access records match; an export holds at most {MAX_EXPORT_ROWS}: \
             narrow the filters or the time range"
        )));
    }
    Ok(csv_export::respond(node, filter))
}

/// An access record.
///
/// Its id is the hash of the recording transaction. `channel`, when given,
/// must be the record's.
#[utoipa::path(
    get,
    path = "/v1/access/{id}",
    tag = "access",
    params(
        ("id" = String, Path, description = "The access record's id: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The access record", body = AccessView),
        (status = 400, description = "`bad_id`: not 64 hex characters; `bad_query`: an unknown parameter \
            or a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such access record (in that channel) in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn access<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<AccessView>, ApiError> {
    let (id, channel) = query::hash_in_channel(path, query)?;
    query::one_in_channel(
        &node,
        "access record",
        id,
        channel,
        |q, id| q.access(id),
        |a| &a.channel,
    )
    .await
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::{ANNA, BEN, SCENARIO, pseudonym},
        mock::{MockNode, all_pages, assert_error, call, get, ids, ok},
    };
    use axum::http::StatusCode;
    use dirchain_schema::records::AccessView;

    async fn listed(node: &MockNode, query: &str) -> Vec<String> {
        ids(&ok(node, &format!("/v1/access?{query}")).await)
    }

    #[tokio::test]
    async fn accesses_are_listed_newest_first_and_filtered() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (allowed, refused) = (
            made.allowed_access.to_string(),
            made.refused_access.to_string(),
        );
        assert_eq!(listed(&node, "").await, [refused.clone(), allowed.clone()]);
        assert_eq!(
            all_pages(&node, "/v1/access?limit=1").await,
            [refused.clone(), allowed.clone()]
        );
        assert_eq!(listed(&node, "refused=true").await, [refused.as_str()]);
        assert_eq!(listed(&node, "refused=false").await, [allowed.as_str()]);
        assert_eq!(
            listed(&node, "consumer=police&provider=health&item=health/births").await,
            [refused.clone(), allowed.clone()]
        );
        assert!(listed(&node, "consumer=tax").await.is_empty());
        let by_permission = format!("permission={}", made.births_request);
        assert_eq!(listed(&node, &by_permission).await.len(), 2);
        let at = ok(&node, &format!("/v1/access/{allowed}")).await["at"]
            .as_u64()
            .unwrap();
        assert_eq!(
            listed(&node, &format!("from_ms={at}&to_ms={}", at + 1)).await,
            [allowed.as_str()]
        );
        assert_eq!(
            listed(&node, &format!("from_ms={}", at + 1)).await,
            [refused]
        );
    }

    #[tokio::test]
    async fn an_access_names_persons_only_by_pseudonym() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let body = ok(&node, &format!("/v1/access/{}", made.allowed_access)).await;
        let view: AccessView = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            view.subject_refs,
            [pseudonym(ANNA).to_string(), pseudonym(BEN).to_string()]
        );
        assert_eq!(view.refusal, None);
        assert_eq!(view.owner_org.as_deref(), Some("health"));
        assert!(!body.to_string().contains(ANNA));
        let refused = ok(&node, &format!("/v1/access/{}", made.refused_access)).await;
        assert_eq!(refused["refusal"], "fields-not-permitted");
        let answer = call(
            node.clone(),
            get(&format!("/v1/access/{}", made.births_request)),
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        let answer = call(
            node,
            get(&format!(
                "/v1/access/{}?channel=research",
                made.allowed_access
            )),
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
    }

    #[tokio::test]
    async fn accesses_are_counted_per_day_and_consumer() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let at = ok(&node, &format!("/v1/access/{}", made.allowed_access)).await["at"]
            .as_u64()
            .unwrap();
        let range = format!("from_ms={}&to_ms={}", at - 1_000, SCENARIO.now + 1);
        let daily = ok(&node, &format!("/v1/access/daily?{range}")).await;
        let days = daily["days"].as_array().unwrap();
        let total = |key: &str| days.iter().map(|d| d[key].as_u64().unwrap()).sum::<u64>();
        assert_eq!(
            (total("accepted"), total("refused")),
            (1, 1),
            "one within its permission, one refused: {daily}"
        );
        assert!(days.iter().all(|d| d["day"].as_str().unwrap().len() == 10));
        let police = ok(&node, &format!("/v1/access/daily?{range}&consumer=police")).await;
        let police_days = police["days"].as_array().unwrap();
        assert!(police_days.iter().all(|d| d["consumer_org"] == "police"));
        let refused = ok(&node, &format!("/v1/access/daily?{range}&refused=true")).await;
        let refused_total: u64 = refused["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["refused"].as_u64().unwrap() + d["accepted"].as_u64().unwrap())
            .sum();
        assert_eq!(refused_total, 1);
        for (uri, code) in [
            (
                format!("/v1/access/daily?from_ms={at}&to_ms={at}"),
                "bad_filter",
            ),
            (
                format!("/v1/access/daily?from_ms=0&to_ms={at}"),
                "bad_filter",
            ),
            ("/v1/access/daily?limit=5".to_string(), "bad_query"),
        ] {
            let answer = call(node.clone(), get(&uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }

    /// The CSV download: the body, not JSON.
    async fn export(node: &MockNode, query: &str) -> (StatusCode, String, String) {
        use tower::ServiceExt;
        let response = crate::routes::router(node.clone())
            .oneshot(get(&format!("/v1/access/export?{query}")))
            .await
            .unwrap();
        let status = response.status();
        let content_type = response.headers()[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn the_export_is_every_selected_access_as_csv() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (status, content_type, body) = export(&node, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/csv; charset=utf-8");
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            super::csv_export::COLUMNS
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let listed = ids(&ok(&node, "/v1/access?limit=500").await);
        assert_eq!(
            rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(),
            listed,
            "the same records as the list, in its order"
        );
        let refused = rows
            .iter()
            .find(|r| r[0] == made.refused_access.to_string())
            .unwrap();
        assert_eq!(&refused[13], "fields-not-permitted");
        assert!(refused[1].ends_with('Z'), "UTC time: {}", &refused[1]);
        assert!(!body.contains(ANNA), "persons only by pseudonym");

        let (_, _, only_refused) = export(&node, "refused=true").await;
        assert_eq!(only_refused.lines().count(), 2, "the header and one row");
        let (status, _, bad) = export(&node, "permission=nothex").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(bad.contains("bad_filter"));
    }

    #[tokio::test]
    async fn bad_access_queries_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/access?permission=nothex", "bad_filter"),
            ("/v1/access?refused=maybe", "bad_query"),
            ("/v1/access?from_ms=yesterday", "bad_query"),
            ("/v1/access?subject=x", "bad_query"),
            ("/v1/access?cursor=zz", "bad_cursor"),
            ("/v1/access/xyz", "bad_id"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
