//! The gateway's Prometheus metrics, served at `/metrics`.

use prometheus_client::{
    encoding::{EncodeLabelSet, text},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

const PREFIX: &str = "dirchain_gateway";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `served`, `refused`, `unauthenticated`, `unavailable`, `upstream_error`, `bad_request`.
    pub outcome: &'static str,
    /// The refusal or error code.
    pub code: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<OutcomeLabels, Counter>,
    pub request_seconds: Histogram,
    pub upstream_seconds: Histogram,
    pub outbox_pending: Gauge,
    pub outbox_failed: Gauge,
    pub outbox_oldest_age_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub recorded: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let requests = Family::<OutcomeLabels, Counter>::default();
        registry.register("requests", "Requests by outcome and code", requests.clone());
        let buckets = [
            0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
        ];
        let request_seconds = Histogram::new(buckets);
        registry.register(
            "request_seconds",
            "Time from request to answer, recording included",
            request_seconds.clone(),
        );
        let upstream_seconds = Histogram::new(buckets);
        registry.register(
            "upstream_seconds",
            "Time the upstream data service took",
            upstream_seconds.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "outbox_pending",
            "Access records in the outbox, not yet final",
            outbox_pending.clone(),
        );
        let outbox_failed = Gauge::default();
        registry.register(
            "outbox_failed",
            "Access records the ledger refused",
            outbox_failed.clone(),
        );
        let outbox_oldest_age_seconds = Gauge::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest access record not yet final",
            outbox_oldest_age_seconds.clone(),
        );
        let recorded = Gauge::default();
        registry.register(
            "recorded",
            "Access records seen final since the gateway started",
            recorded.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            upstream_seconds,
            outbox_pending,
            outbox_failed,
            outbox_oldest_age_seconds,
            recorded,
        }
    }
}

impl Metrics {
    pub fn count(&self, outcome: &'static str, code: &'static str) {
        self.requests
            .get_or_create(&OutcomeLabels { outcome, code })
            .inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
