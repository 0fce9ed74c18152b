//! `POST /v1/tx?wait=final`: answering once the transaction is final.

use crate::{error::ApiError, node::NodeApi};
use dirchain_chain::TxStatus;
use dirchain_schema::chain::{DEFAULT_WAIT_MS, MAX_WAIT_MS, TxWait, WaitFor};
use dirchain_types::ids::Digest;
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// How often a waiting submission asks whether its transaction is final.
/// Blocks come about once a second: 25 ms adds little to the answer's
/// latency, and a waiting request costs the node one cheap lookup per tick.
pub const WAIT_POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How long to wait, if at all. Refuses what a client can only have meant
/// differently: a timeout without waiting, or one beyond [MAX_WAIT_MS].
pub fn timeout(query: TxWait) -> Result<Option<Duration>, ApiError> {
    match query {
        TxWait {
            wait: None,
            timeout_ms: None,
        } => Ok(None),
        TxWait {
            wait: None,
            timeout_ms: Some(_),
        } => Err(ApiError::bad_query(
            "timeout_ms applies only with wait=final",
        )),
        TxWait {
            wait: Some(WaitFor::Final),
            timeout_ms,
        } => {
            let ms = timeout_ms.unwrap_or(DEFAULT_WAIT_MS);
            if ms > MAX_WAIT_MS {
                return Err(ApiError::bad_query(format!(
                    "timeout_ms is {ms}; the most is {MAX_WAIT_MS}"
                )));
            }
            Ok(Some(Duration::from_millis(ms)))
        }
    }
}

/// Polls until transaction `hash` is final, or answers `wait_timeout` (which
/// names the hash, so the client can go on following it) after `timeout`. A
/// transaction rejected when a block was built will never be final: that
/// answers at once, with its refusal.
pub async fn until_final<N: NodeApi>(
    node: &N,
    hash: Digest,
    timeout: Duration,
) -> Result<TxStatus, ApiError> {
    let deadline = Instant::now() + timeout;
    loop {
        match node.tx_status(hash).await? {
            status @ TxStatus::Finalized { .. } => return Ok(status),
            TxStatus::Rejected { code, message } => {
                return Err(ApiError::rejected(
                    code,
                    format!(
                        "transaction {hash} was accepted, then refused when a block was built: {message}"
                    ),
                ));
            }
            TxStatus::Pending | TxStatus::Unknown => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(ApiError::wait_timeout(format!(
                "transaction {hash} was accepted but is not final after {} ms; \
                 follow it at /v1/tx/{hash}",
                timeout.as_millis()
            )));
        }
        sleep(WAIT_POLL_INTERVAL.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(wait: Option<WaitFor>, timeout_ms: Option<u64>) -> TxWait {
        TxWait { wait, timeout_ms }
    }

    #[test]
    fn timeouts_default_and_are_bounded() {
        assert_eq!(timeout(query(None, None)).unwrap(), None);
        assert_eq!(
            timeout(query(Some(WaitFor::Final), None)).unwrap(),
            Some(Duration::from_millis(DEFAULT_WAIT_MS))
        );
        for ms in [0, 1, MAX_WAIT_MS] {
            assert_eq!(
                timeout(query(Some(WaitFor::Final), Some(ms))).unwrap(),
                Some(Duration::from_millis(ms))
            );
        }
    }

    #[test]
    fn queries_that_cannot_mean_what_they_say_are_refused() {
        for bad in [
            query(Some(WaitFor::Final), Some(MAX_WAIT_MS + 1)),
            query(Some(WaitFor::Final), Some(u64::MAX)),
            query(None, Some(10)),
        ] {
            assert_eq!(
                timeout(bad.clone()).unwrap_err().code(),
                "bad_query",
                "{bad:?}"
            );
        }
    }
}
