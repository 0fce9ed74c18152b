//! Asking the query index: on a blocking thread (its reads are synchronous
//! SQLite), with the page and channel parameters every index route shares.

use crate::{
    error::{ApiError, echo},
    hex::parse_hash_id,
    node::NodeApi,
};
use axum::{
    Json,
    extract::{
        Path, Query,
        rejection::{PathRejection, QueryRejection},
    },
};
use dirchain_index::{Queries, QueryError};
use dirchain_schema::records::MAX_LIMIT;
use dirchain_types::{
    bounded::Ident,
    ids::{Digest, SYSTEM_CHANNEL},
    limits::MAX_ID_BYTES,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Runs `query` against the node's index on a blocking thread, so a slow
/// read (or one waiting for a pooled connection) never holds up the
/// threads that serve requests.
pub async fn run<N: NodeApi, T: Send + 'static>(
    node: &N,
    query: impl FnOnce(&Queries) -> Result<T, QueryError> + Send + 'static,
) -> Result<T, ApiError> {
    let queries = node.index().ok_or_else(ApiError::query_index_off)?.clone();
    match tokio::task::spawn_blocking(move || query(&queries)).await {
        Ok(answer) => Ok(answer?),
        // The runtime is going down before the query could run.
        Err(error) if error.is_cancelled() => Err(dirchain_chain::SubmitError::Unavailable.into()),
        Err(error) => Err(ApiError::index(format!("the index query failed: {error}"))),
    }
}

/// A record the index may not hold, with the height the index is at so a
/// client can tell "does not exist" from "not indexed yet".
pub async fn one<N: NodeApi, T: Send + 'static>(
    node: &N,
    what: impl FnOnce() -> String,
    query: impl FnOnce(&Queries) -> Result<Option<T>, QueryError> + Send + 'static,
) -> Result<T, ApiError> {
    let (found, indexed) = run(node, |q| Ok((query(q)?, q.indexed_height()?))).await?;
    found.ok_or_else(|| {
        ApiError::not_found(format!(
            "{} is not in the index, which has applied the chain up to block {indexed}",
            what()
        ))
    })
}

/// The id and channel of a route naming a record by the hash of the
/// transaction that made it (a request, permission or access record).
pub fn hash_in_channel(
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<(Digest, Option<String>), ApiError> {
    let Path(id) = path?;
    let id = parse_hash_id(&id)?;
    let Query(channel) = query?;
    Ok((id, channel.filter()?))
}

/// [one], where a record in another channel than the one asked for is as
/// absent as one that does not exist.
pub async fn one_in_channel<N: NodeApi, T: Send + 'static>(
    node: &N,
    what: &'static str,
    id: Digest,
    channel: Option<String>,
    fetch: impl FnOnce(&Queries, &Digest) -> Result<Option<T>, QueryError> + Send + 'static,
    channel_of: fn(&T) -> &str,
) -> Result<Json<T>, ApiError> {
    let view = one(
        node,
        || format!("{what} {id}"),
        move |q| {
            let found = fetch(q, &id)?;
            Ok(found.filter(|view| channel.as_deref().is_none_or(|c| channel_of(view) == c)))
        },
    )
    .await?;
    Ok(Json(view))
}

/// Refuses a `limit` no page can honour: a client asking for none, or for
/// more than [MAX_LIMIT], has a bug to see rather than a page to guess at.
pub fn check_limit(limit: Option<u32>) -> Result<(), ApiError> {
    match limit {
        Some(0) => Err(ApiError::bad_query("limit must be at least 1")),
        Some(limit) if limit > MAX_LIMIT => Err(ApiError::bad_query(format!(
            "limit is {limit}; the most is {MAX_LIMIT}"
        ))),
        _ => Ok(()),
    }
}

/// Query of the routes that name one record in a channel.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChannelQuery {
    /// The channel the record is in (default `main`).
    pub channel: Option<String>,
}

impl ChannelQuery {
    /// The channel asked for, or `main`.
    pub fn channel(self) -> Result<String, ApiError> {
        Ok(self.filter()?.unwrap_or_else(|| SYSTEM_CHANNEL.to_string()))
    }

    /// The channel asked for, if any.
    pub fn filter(self) -> Result<Option<String>, ApiError> {
        self.channel
            .map(|channel| match Ident::new(channel.as_str()) {
                Ok(_) => Ok(channel),
                Err(_) => Err(ApiError::bad_query(format!(
                    "channel {} is not a channel identifier",
                    echo(&channel)
                ))),
            })
            .transpose()
    }
}

/// An identifier from the path (an organisation, item or asset id): the
/// characters and length of `Ident`, or `bad_id`.
pub fn ident(text: &str) -> Result<String, ApiError> {
    Ident::new(text).map_err(|_| {
        ApiError::bad_id(format!(
            "{} is not an identifier: 1 to {MAX_ID_BYTES} letters, digits and . _ - : /",
            echo(text)
        ))
    })?;
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_between_one_and_the_maximum() {
        for ok in [None, Some(1), Some(50), Some(MAX_LIMIT)] {
            assert!(check_limit(ok).is_ok(), "{ok:?}");
        }
        for bad in [Some(0), Some(MAX_LIMIT + 1), Some(u32::MAX)] {
            assert_eq!(check_limit(bad).unwrap_err().code(), "bad_query");
        }
    }

    #[test]
    fn the_channel_defaults_to_main_and_must_be_an_identifier() {
        assert_eq!(ChannelQuery::default().channel().unwrap(), "main");
        let research = ChannelQuery {
            channel: Some("research".into()),
        };
        assert_eq!(research.channel().unwrap(), "research");
        for bad in ["", "a b", "é", &"x".repeat(1_000)] {
            let query = ChannelQuery {
                channel: Some(bad.into()),
            };
            assert_eq!(query.channel().unwrap_err().code(), "bad_query", "{bad:?}");
        }
    }

    #[test]
    fn path_ids_are_identifiers() {
        assert_eq!(ident("health/births").unwrap(), "health/births");
        for bad in ["", "a b", "ü", "x\u{0}"] {
            assert_eq!(ident(bad).unwrap_err().code(), "bad_id", "{bad:?}");
        }
    }
}
