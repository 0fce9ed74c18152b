//! Serving the router on a TCP port.

use crate::{node::NodeApi, routes::router};
use std::{future::Future, net::SocketAddr};
use tokio::{net::TcpListener, task::JoinHandle};

/// Binds `listen` and serves the API from `node`, and the web explorer at
/// `/` beside it, until `shutdown` resolves;
/// then finishes the requests in flight and the task ends. Returns the bound
/// address (so port 0 can be asked for) and the serving task.
pub async fn serve<N: NodeApi>(
    listen: SocketAddr,
    node: N,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    let app = dirchain_explorer::routes().merge(router(node));
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "HTTP API stopped");
        }
    });
    tracing::info!(address = %bound, "HTTP API listening");
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MockNode, encoded, signed_tx};
    use serde_json::{Value, json};
    use std::time::Duration;

    /// Bound on waiting for the server to stop, so a hang fails the test.
    const STOP_TIMEOUT: Duration = Duration::from_secs(10);

    async fn json_of(response: reqwest::Response) -> Value {
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }

    #[tokio::test]
    async fn serve_answers_real_http_then_stops() {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (address, task) = serve(
            "127.0.0.1:0".parse().unwrap(),
            MockNode::new(),
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
        assert_ne!(address.port(), 0);
        let base = format!("http://{address}");
        let client = reqwest::Client::new();

        let health = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(json_of(health).await, json!({"ok": true}));

        let tx = signed_tx();
        let hash = tx.hash().to_string();
        let submitted = client
            .post(format!("{base}/v1/tx"))
            .header("content-type", "application/octet-stream")
            .body(encoded(&tx))
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), 202);
        assert_eq!(
            json_of(submitted).await,
            json!({"hash": hash, "status": "pending"})
        );

        let followed = client
            .get(format!("{base}/v1/tx/{hash}"))
            .send()
            .await
            .unwrap();
        assert_eq!(followed.status(), 200);
        assert_eq!(json_of(followed).await["status"], "pending");

        // Refused before the body is read; the client still gets the answer.
        let oversized = client
            .post(format!("{base}/v1/tx"))
            .header("content-type", "application/octet-stream")
            .body(vec![0; crate::MAX_BODY_BYTES + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(oversized.status(), 413);
        assert_eq!(json_of(oversized).await["code"], "payload_too_large");

        let missing = client.get(format!("{base}/nowhere")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        assert_eq!(json_of(missing).await["code"], "unknown_route");

        drop(client);
        stop.send(()).unwrap();
        tokio::time::timeout(STOP_TIMEOUT, task)
            .await
            .expect("the server stops on shutdown")
            .unwrap();
        let refused = reqwest::Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await;
        assert!(refused.is_err(), "still serving after shutdown");
    }
}
