//! Just enough EDN to read one map per line: `{:key value, ...}` whose values are nil,
//! integers, keywords or strings.

/// A value in a line's map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdnValue {
    Nil,
    Int(i64),
    /// Without its leading colon.
    Keyword(String),
    Str(String),
}

/// A parse failure: what was expected, and at which character of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdnError {
    pub expected: &'static str,
    pub column: usize,
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
}

impl Cursor<'_> {
    fn column(&mut self) -> usize {
        self.chars.peek().map_or(self.text.len(), |&(i, _)| i) + 1
    }

    fn error(&mut self, expected: &'static str) -> EdnError {
        EdnError {
            expected,
            column: self.column(),
        }
    }

    /// Skips whitespace and commas (commas are whitespace in EDN).
    fn skip_blank(&mut self) {
        while self
            .chars
            .next_if(|&(_, c)| c.is_whitespace() || c == ',')
            .is_some()
        {}
    }

    fn eat(&mut self, wanted: char) -> bool {
        self.chars.next_if(|&(_, c)| c == wanted).is_some()
    }

    fn symbol(&mut self) -> String {
        let mut out = String::new();
        while let Some((_, c)) = self
            .chars
            .next_if(|&(_, c)| !(c.is_whitespace() || matches!(c, ',' | '{' | '}' | '"')))
        {
            out.push(c);
        }
        out
    }

    fn string(&mut self) -> Result<String, EdnError> {
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => return Err(self.error("a closing `\"`")),
                Some((_, '"')) => return Ok(out),
                Some((_, '\\')) => match self.chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    _ => return Err(self.error("an escape: \\\" \\\\ \\n or \\t")),
                },
                Some((_, c)) => out.push(c),
            }
        }
    }

    fn value(&mut self) -> Result<EdnValue, EdnError> {
        if self.eat('"') {
            return self.string().map(EdnValue::Str);
        }
        if self.eat(':') {
            let name = self.symbol();
            return if name.is_empty() {
                Err(self.error("a keyword name"))
            } else {
                Ok(EdnValue::Keyword(name))
            };
        }
        let column = self.column();
        let symbol = self.symbol();
        if symbol == "nil" {
            return Ok(EdnValue::Nil);
        }
        symbol.parse().map(EdnValue::Int).map_err(|_| EdnError {
            expected: "a value: nil, an integer, a :keyword or a \"string\"",
            column,
        })
    }
}

/// Parses one `{:key value, ...}` map; keys in the order written.
pub fn parse_map(line: &str) -> Result<Vec<(String, EdnValue)>, EdnError> {
    let mut cursor = Cursor {
        chars: line.char_indices().peekable(),
        text: line,
    };
    cursor.skip_blank();
    if !cursor.eat('{') {
        return Err(cursor.error("`{`"));
    }
    let mut entries = Vec::new();
    // Each round consumes at least one character or returns, so the line length bounds it.
    for _ in 0..=line.len() {
        cursor.skip_blank();
        if cursor.eat('}') {
            cursor.skip_blank();
            return match cursor.chars.peek() {
                None => Ok(entries),
                Some(_) => Err(cursor.error("the end of the line after `}`")),
            };
        }
        if !cursor.eat(':') {
            return Err(cursor.error("a :keyword key or `}`"));
        }
        let key = cursor.symbol();
        if key.is_empty() {
            return Err(cursor.error("a keyword name"));
        }
        cursor.skip_blank();
        let value = cursor.value()?;
        entries.push((key, value));
    }
    Err(cursor.error("`}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_kv_line_and_rejects_broken_ones() {
        let m =
            parse_map(r#"{:process 0, :type :ok, :f :get, :key "1", :value "a, \"b\""}"#).unwrap();
        assert_eq!(m[0], ("process".into(), EdnValue::Int(0)));
        assert_eq!(m[1], ("type".into(), EdnValue::Keyword("ok".into())));
        assert_eq!(m[4], ("value".into(), EdnValue::Str("a, \"b\"".into())));
        assert_eq!(parse_map("{:value nil}").unwrap()[0].1, EdnValue::Nil);
        assert!(parse_map(r#"{:key "1"#).is_err());
        assert!(parse_map("{:key 1").is_err());
        assert!(parse_map(":key 1}").is_err());
        assert!(parse_map("{:key x1}").is_err());
        assert!(parse_map("{:key 1} x").is_err());
        assert!(parse_map("{: 1}").is_err());
    }
}
