use clap::Parser;
use dirchain_cli::{client::render_error, commands::Command};
use std::{io::IsTerminal, process::ExitCode};
use tracing_subscriber::EnvFilter;

/// dirchain: a permissioned blockchain for public agencies.
#[derive(Parser, Debug)]
#[command(name = "dirchain", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// jemalloc, not the C library's allocator: a node frees multi-megabyte blocks and batches on
/// many threads, and glibc's per-thread arenas kept much of that memory resident as
/// fragments (BENCHMARKS.md, "Memory").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Log level when RUST_LOG is unset.
const DEFAULT_LOG_FILTER: &str = "info";

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        // Colour codes only where a person reads them, not in node.log files.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", render_error(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
