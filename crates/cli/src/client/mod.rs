//! What the client commands share: their flags ([args]), their output
//! ([output]), their connection to a node ([session]), times ([time]), and
//! how a failure is told.

pub mod args;
pub mod output;
pub mod session;
pub mod time;

use anyhow::Context as _;
use commonware_codec::{Copying, DecodeExt, Read};
use dirchain_client::{
    Client, ClientError,
    types::{
        bounded::Ident,
        ids::PublicKey,
        keys::{StateKey, member_key},
        records::Member,
    },
};
use std::{future::Future, process::ExitCode};

/// Exit status of `notary check` and `verify` when the node proved the
/// record absent: a verified answer, but not the one a script hoped for.
pub const EXIT_ABSENT: u8 = 2;

/// Runs a client command on a runtime of its own: one thread is plenty for
/// a few HTTP requests.
pub fn block_on(
    command: impl Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(command)
}

/// An error as `dirchain` prints it after `error: `. A refusal by the node
/// reads `<message> (<code>)`; other errors list their causes, each once.
pub fn render_error(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        match cause.downcast_ref::<ClientError>() {
            Some(ClientError::Api { code, message, .. }) => {
                parts.push(format!("{message} ({code})"));
                break;
            }
            Some(ClientError::Refused {
                code,
                message,
                access,
                ..
            }) => {
                parts.push(format!("{message} ({code})"));
                if let Some(access) = access {
                    parts.push(format!("recorded as access {access}"));
                }
                break;
            }
            _ => {}
        }
        let text = cause.to_string();
        // Many errors print their source in their own message already.
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// The record at `key` as the node holds it now, decoded. Not verified:
/// for defaults and explanations only (`dirchain verify` checks proofs).
pub async fn current_record<T: Read<Cfg = ()>>(
    client: &Client,
    key: &StateKey,
) -> anyhow::Result<Option<T>> {
    let proof = client.proof(key).await?;
    let Some(value) = proof.value_hex else {
        return Ok(None);
    };
    let bytes = commonware_formatting::from_hex(&value)
        .with_context(|| format!("the node's value at {key} is not hex"))?;
    let record = T::decode(Copying(bytes.as_slice()))
        .map_err(|e| anyhow::anyhow!("the node's value at {key} does not decode: {e}"))?;
    Ok(Some(record))
}

/// The organisation `key` is enrolled in.
pub async fn org_of(client: &Client, key: &PublicKey) -> anyhow::Result<Ident> {
    match current_record::<Member>(client, &member_key(key)).await? {
        Some(member) => Ok(member.org),
        None => anyhow::bail!("the key {key} is not enrolled in any organisation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_refusals_read_message_then_code() {
        let refusal = anyhow::Error::new(ClientError::Api {
            status: 409,
            code: "stale_version".into(),
            message: "item health/births is at version 2".into(),
        });
        assert_eq!(
            render_error(&refusal),
            "item health/births is at version 2 (stale_version)"
        );
        let with_context = refusal.context("row 3");
        assert_eq!(
            render_error(&with_context),
            "row 3: item health/births is at version 2 (stale_version)"
        );
    }

    #[test]
    fn causes_are_listed_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read it: {0}")]
        struct Repeats(#[source] std::io::Error);
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(Repeats(io)).context("key file a.key");
        assert_eq!(
            render_error(&error),
            "key file a.key: cannot read it: no such file"
        );
    }
}
