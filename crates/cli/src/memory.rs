//! What a node's memory holds, reported to Prometheus beside the process's resident size
//! (`runtime_process_rss`), which alone cannot tell a growing heap from pages an allocator
//! keeps:
//! - `allocator_*_bytes`: the figures of jemalloc (`main.rs`), which serves all Rust
//!   allocations: what the program has allocated, and what the allocator holds resident,
//!   mapped and retained for it;
//! - `sqlite_memory_bytes`: what the query index's SQLite holds (its page caches above all),
//!   which it allocates through the C library instead.

use commonware_runtime::{
    Clock, Metrics, Spawner,
    telemetry::metrics::{Gauge, MetricsExt as _},
};
use std::time::Duration;
use tracing::warn;

/// How often the figures are read. Reading jemalloc's takes a lock per arena, so not on every
/// scrape; a scrape sees values at most this old.
pub const MEMORY_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// Registers the gauges under `context` and keeps them current, from a task of its own, until
/// the runtime stops.
pub fn report(context: &(impl Metrics + Clock + Spawner)) {
    #[cfg(not(target_env = "msvc"))]
    let allocator = jemalloc::Gauges::register(&context.child("allocator"));
    let sqlite = context.child("sqlite").gauge(
        "memory_bytes",
        "Bytes the query index's SQLite holds (page caches above all), outside the allocator's",
    );
    context.child("memory").spawn(move |context| async move {
        #[cfg(not(target_env = "msvc"))]
        let mut allocator = Some(allocator);
        loop {
            #[cfg(not(target_env = "msvc"))]
            if let Some(gauges) = &allocator
                && let Err(error) = gauges.refresh()
            {
                warn!(%error, "the allocator's statistics cannot be read; not reporting them");
                allocator = None;
            }
            set(&sqlite, dirchain_api::sqlite_memory_used());
            context.sleep(MEMORY_REFRESH_INTERVAL).await;
        }
    });
}

fn set(gauge: &Gauge, bytes: u64) {
    gauge.set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

#[cfg(not(target_env = "msvc"))]
mod jemalloc {
    use super::set;
    use commonware_runtime::{
        Metrics,
        telemetry::metrics::{Gauge, MetricsExt as _},
    };
    use tikv_jemalloc_ctl::{epoch, stats};

    /// jemalloc's gauges, in bytes.
    pub(super) struct Gauges {
        allocated: Gauge,
        active: Gauge,
        metadata: Gauge,
        resident: Gauge,
        mapped: Gauge,
        retained: Gauge,
    }

    impl Gauges {
        pub(super) fn register(context: &impl Metrics) -> Self {
            Self {
                allocated: context.gauge(
                    "allocated_bytes",
                    "Bytes the program has allocated and not freed (the live heap)",
                ),
                active: context.gauge(
                    "active_bytes",
                    "Bytes in pages holding live allocations: allocated plus the rest of their \
                     pages",
                ),
                metadata: context
                    .gauge("metadata_bytes", "Bytes of the allocator's own bookkeeping"),
                resident: context.gauge(
                    "resident_bytes",
                    "Bytes of physical memory the allocator holds: active, metadata, and freed \
                     pages not yet returned to the system",
                ),
                mapped: context.gauge(
                    "mapped_bytes",
                    "Bytes of address space the allocator has mapped for use",
                ),
                retained: context.gauge(
                    "retained_bytes",
                    "Bytes of address space returned to the system but kept mapped for reuse",
                ),
            }
        }

        pub(super) fn refresh(&self) -> tikv_jemalloc_ctl::Result<()> {
            // jemalloc caches its statistics; advancing the epoch refreshes them.
            epoch::advance()?;
            for (gauge, value) in [
                (&self.allocated, stats::allocated::read()?),
                (&self.active, stats::active::read()?),
                (&self.metadata, stats::metadata::read()?),
                (&self.resident, stats::resident::read()?),
                (&self.mapped, stats::mapped::read()?),
                (&self.retained, stats::retained::read()?),
            ] {
                set(gauge, value as u64);
            }
            Ok(())
        }
    }
}
