//! Free text from users turned into a safe FTS5 query. Only letters and
//! digits reach FTS5, inside double quotes, so no input (quotes, `*`, `NEAR`,
//! `OR`, column filters, parentheses, SQL) can be read as query syntax.

/// Words of a query beyond this many are ignored.
pub(crate) const MAX_QUERY_WORDS: usize = 16;

/// The FTS5 expression for `text`: every word must match (AND); a word
/// joined by punctuation (`birth_date`, `e-mail`) must match as a phrase;
/// the last word may be the start of a longer one, unless the text ends
/// with a space. `None` when the text has no letter or digit.
pub(crate) fn match_expression(text: &str) -> Option<String> {
    let mut phrases: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let tokens: Vec<&str> = word
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        if !tokens.is_empty() {
            phrases.push(format!("\"{}\"", tokens.join(" ")));
        }
        if phrases.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    let mut expression = phrases.join(" ");
    if expression.is_empty() {
        return None;
    }
    if !text.ends_with(char::is_whitespace) {
        expression.push('*');
    }
    Some(expression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_phrases() {
        assert_eq!(match_expression("births"), Some("\"births\"*".into()));
        assert_eq!(
            match_expression("Birth date "),
            Some("\"Birth\" \"date\"".into())
        );
        assert_eq!(
            match_expression("birth_date"),
            Some("\"birth date\"*".into())
        );
        assert_eq!(
            match_expression("Geburtsdatum Straße"),
            Some("\"Geburtsdatum\" \"Straße\"*".into())
        );
    }

    #[test]
    fn syntax_never_survives() {
        for hostile in [
            "\"",
            "*",
            "NEAR(",
            "OR",
            "'); DROP TABLE items; --",
            "a:b",
            "-x",
            "^",
        ] {
            if let Some(expr) = match_expression(hostile) {
                let inner = expr.trim_end_matches('*');
                assert!(inner.starts_with('"') && inner.ends_with('"'), "{expr}");
                assert_eq!(inner.matches('"').count() % 2, 0, "{expr}");
            }
        }
        assert_eq!(match_expression("\" * ( )"), None);
        assert_eq!(match_expression(""), None);
        let many = "w ".repeat(100);
        assert_eq!(
            match_expression(&many).unwrap().matches('"').count(),
            2 * MAX_QUERY_WORDS
        );
    }
}
