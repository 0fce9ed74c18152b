//! WHERE clauses built from optional filters, with numbered parameters, so
//! user values only ever reach SQLite as bound parameters.

use rusqlite::types::Value;

#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Filter {
    /// Binds `value`; returns its placeholder (`?N`) for a clause.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    /// Adds a condition; every condition must hold.
    pub(crate) fn and(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// Adds `column = value`.
    pub(crate) fn eq(&mut self, column: &str, value: impl Into<Value>) {
        let p = self.bind(value);
        self.and(format!("{column} = {p}"));
    }

    /// Adds `column = value` when the filter was given.
    pub(crate) fn eq_opt(&mut self, column: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.eq(column, value.clone());
        }
    }

    /// ` WHERE ...`, or nothing without conditions.
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub(crate) fn params(&self) -> impl rusqlite::Params + '_ {
        rusqlite::params_from_iter(self.params.iter())
    }

    /// Keyset condition for a list ordered by `(time, tie)` descending:
    /// entries strictly after the cursor's. The first conjunct is a plain
    /// range the index serves; the second settles ties.
    pub(crate) fn before(&mut self, time: &str, tie: &str, at: i64, key: impl Into<Value>) {
        let at = self.bind(at);
        let key = self.bind(key);
        self.and(format!(
            "{time} <= {at} AND ({time} < {at} OR {tie} < {key})"
        ));
    }
}
