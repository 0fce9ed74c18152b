//! The `dirchain` command line: key and genesis files, node configs, the
//! commands that run nodes, and the client commands for every transaction
//! kind, built on the SDK. The binary (`src/main.rs`) only parses and
//! dispatches.

pub mod client;
pub mod commands;
pub mod config;
pub mod files;
pub mod memory;
pub mod signals;
