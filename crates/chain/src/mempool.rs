//! Pending transactions.
