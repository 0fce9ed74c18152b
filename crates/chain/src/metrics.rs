//! What the executor reports to Prometheus (served by the API at `/metrics`
//! with the engine's own metrics).

use commonware_runtime::{
    Metrics as RuntimeMetrics,
    telemetry::metrics::{Counter, Gauge, Histogram, MetricsExt as _, Registered, raw},
};
use dirchain_types::tx::TxKind;

/// Histogram buckets for latencies, in seconds: 5 ms to 20 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
];

/// `(kind, result)`: the transaction kind's label and `accepted` or the error code.
type SubmitLabels = [(&'static str, &'static str); 2];
/// `(kind)`.
type KindLabels = [(&'static str, &'static str); 1];

/// Label of a transaction that could not be decoded, so has no kind.
pub const UNDECODED: &str = "undecoded";
pub const ACCEPTED: &str = "accepted";

pub(crate) struct Metrics {
    pub height: Gauge,
    pub finality: Histogram,
    pub block_interval: Histogram,
    pub mempool_txs: Gauge,
    pub mempool_bytes: Gauge,
    pub backlog_limit: Gauge,
    pub refused_finalized: Counter,
    submitted: Registered<raw::Family<SubmitLabels, raw::Counter>>,
    finalized: Registered<raw::Family<KindLabels, raw::Counter>>,
}

impl Metrics {
    pub fn init(context: &impl RuntimeMetrics) -> Self {
        Self {
            height: context.gauge("height", "Latest finalized and applied block"),
            finality: context.histogram(
                "finality_seconds",
                "From a block's timestamp to its application here",
                LATENCY_BUCKETS,
            ),
            block_interval: context.histogram(
                "block_interval_seconds",
                "Between the timestamps of consecutive finalized blocks",
                LATENCY_BUCKETS,
            ),
            mempool_txs: context.gauge("mempool_txs", "Transactions waiting in the mempool"),
            mempool_bytes: context.gauge("mempool_bytes", "Bytes waiting in the mempool"),
            backlog_limit: context.gauge(
                "backlog_limit_txs",
                "Transactions waiting beyond which clients' submissions are refused as busy: \
                 what the chain finalized of late in MAX_BACKLOG",
            ),
            refused_finalized: context.counter(
                "refused_finalized_blocks",
                "Blocks this node voted against that the network finalized: its verdict differed \
                 from the quorum's. Always 0 on a sound node; two validators that differ on \
                 the same view can halt the network",
            ),
            submitted: context.family(
                "submitted_txs",
                "Transactions submitted to this node, by kind and result (accepted or the error code)",
            ),
            finalized: context.family("finalized_txs", "Transactions finalized, by kind"),
        }
    }

    pub fn submitted(&self, kind: Option<TxKind>, result: &'static str) {
        let kind = kind.map_or(UNDECODED, TxKind::label);
        self.submitted
            .get_or_create(&[("kind", kind), ("result", result)])
            .inc();
    }

    pub fn finalized(&self, kind: TxKind) {
        self.finalized
            .get_or_create(&[("kind", kind.label())])
            .inc();
    }
}
