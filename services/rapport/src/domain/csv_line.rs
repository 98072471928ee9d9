//! Minimal CSV line splitting shared by the import parsers in this module.

/// Picks the separator from the header line: `;` if it has more semicolons than commas.
pub(crate) fn detect_separator(header: &str) -> char {
    let semis = header.matches(';').count();
    let commas = header.matches(',').count();
    if semis > commas { ';' } else { ',' }
}

/// Splits one line into fields. Fields may be wrapped in double quotes, with `""`
/// for a literal quote. Returns `None` for an unterminated or misplaced quote.
pub(crate) fn split_line(line: &str, sep: char) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == sep {
            fields.push(std::mem::take(&mut field));
            was_quoted = false;
        } else if c == '"' {
            if was_quoted || !field.trim().is_empty() {
                return None;
            }
            field.clear();
            in_quotes = true;
            was_quoted = true;
        } else if was_quoted {
            if !c.is_whitespace() {
                return None;
            }
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return None;
    }
    fields.push(field);
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(detect_separator("a;b;c"), ';');
        assert_eq!(detect_separator("a,b,c"), ',');
        assert_eq!(
            split_line(r#"a,"b, c","d""e",,"#, ','),
            Some(vec!["a".into(), "b, c".into(), "d\"e".into(), String::new(), String::new()])
        );
        assert_eq!(split_line(r#"a,"b"#, ','), None);
        assert_eq!(split_line(r#"a,"b"x"#, ','), None);
        assert_eq!(split_line(r#"a,x"b""#, ','), None);
    }
}
