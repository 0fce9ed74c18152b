//! The `dirchain` command line: key and genesis files, node configs, and the
//! commands that run nodes. The binary (`src/main.rs`) only parses and
//! dispatches.

pub mod commands;
pub mod config;
pub mod files;
pub mod signals;
