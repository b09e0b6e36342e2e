//! cassandra-driver's `%s` and `%(name)s` placeholders, rewritten to CQL bind markers (`?` and
//! `:name`) so that values are bound server-side, never interpolated into the query text.
//!
//! Quoted strings ('...'), quoted identifiers ("...") , dollar-quoted strings ($$...$$) and
//! comments are copied unchanged; `%%` is a literal `%`.

use std::borrow::Cow;

/// The query with placeholders rewritten, or the same text when it has none.
pub(crate) fn translate(query: &str) -> Cow<'_, str> {
    if !query.contains('%') {
        return Cow::Borrowed(query);
    }
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let rest = &query[i..];
        // Copy quoted and commented spans verbatim.
        let skip = if rest.starts_with('\'') {
            quoted_len(rest, b'\'')
        } else if rest.starts_with('"') {
            quoted_len(rest, b'"')
        } else if let Some(body) = rest.strip_prefix("$$") {
            body.find("$$").map_or(rest.len(), |end| end + 4)
        } else if rest.starts_with("--") || rest.starts_with("//") {
            rest.find('\n').map_or(rest.len(), |end| end + 1)
        } else if let Some(body) = rest.strip_prefix("/*") {
            body.find("*/").map_or(rest.len(), |end| end + 4)
        } else {
            0
        };
        if skip > 0 {
            out.push_str(&rest[..skip]);
            i += skip;
            continue;
        }
        if rest.starts_with("%%") {
            out.push('%');
            i += 2;
            changed = true;
            continue;
        }
        if rest.starts_with("%s") {
            out.push('?');
            i += 2;
            changed = true;
            continue;
        }
        if let Some(named) = rest.strip_prefix("%(") {
            if let Some(close) = named.find(")s") {
                let name = &named[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(':');
                    out.push_str(name);
                    i += 2 + close + 2;
                    changed = true;
                    continue;
                }
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(query)
    }
}

/// Length of a span quoted with `quote`, where a doubled quote is an escaped one.
fn quoted_len(text: &str, quote: u8) -> usize {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn positional_and_named_placeholders_become_bind_markers() {
        assert_eq!(
            translate("INSERT INTO t (a, b) VALUES (%s, %s)"),
            "INSERT INTO t (a, b) VALUES (?, ?)"
        );
        assert_eq!(
            translate("SELECT * FROM t WHERE a = %(a)s AND b = %(b_2)s"),
            "SELECT * FROM t WHERE a = :a AND b = :b_2"
        );
    }

    #[test]
    fn literals_comments_and_escapes_are_left_alone() {
        assert_eq!(
            translate("SELECT * FROM t WHERE s = '50%s off' AND \"%s\" = %s"),
            "SELECT * FROM t WHERE s = '50%s off' AND \"%s\" = ?"
        );
        assert_eq!(
            translate("SELECT 'it''s %s' FROM t"),
            "SELECT 'it''s %s' FROM t"
        );
        assert_eq!(
            translate("SELECT 100%% FROM t -- %s\n WHERE a = %s"),
            "SELECT 100% FROM t -- %s\n WHERE a = ?"
        );
        assert_eq!(
            translate("/* %s */ SELECT $$%s$$"),
            "/* %s */ SELECT $$%s$$"
        );
        assert_eq!(translate("SELECT ? FROM t"), "SELECT ? FROM t");
        assert_eq!(
            translate("SELECT 'é%s' FROM t WHERE ü = %s"),
            "SELECT 'é%s' FROM t WHERE ü = ?"
        );
        assert_eq!(
            translate("SELECT 'unterminated %s"),
            "SELECT 'unterminated %s"
        );
        assert_eq!(
            translate("WHERE a = %(bad name)s"),
            "WHERE a = %(bad name)s"
        );
    }
}
