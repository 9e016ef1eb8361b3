//! Redis's KEYS patterns: `*` any run, `?` any one byte, `[abc]`, `[^a]`, `[a-z]`, and `\x`
//! for a literal `x`. Matched on bytes.

/// True when `text` matches `pattern` in full.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative with one backtrack point: the last `*` seen and where its run ended.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
            continue;
        }
        if let Some(width) = match_one(pattern, p, text[t]) {
            p += width;
            t += 1;
            continue;
        }
        let Some((star_p, star_t)) = star else {
            return false;
        };
        // Let the last `*` take one more byte and retry.
        p = star_p + 1;
        t = star_t + 1;
        star = Some((star_p, star_t + 1));
    }
    pattern[p..].iter().all(|&byte| byte == b'*')
}

/// When the pattern element at `p` matches `byte`, its width in the pattern.
fn match_one(pattern: &[u8], p: usize, byte: u8) -> Option<usize> {
    match pattern.get(p)? {
        b'?' => Some(1),
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == byte).then_some(2),
        b'[' => match_class(pattern, p, byte),
        &literal => (literal == byte).then_some(1),
    }
}

/// `[...]` at `p`: whether `byte` is in the class, and the class's width. An unclosed `[`
/// is a literal.
fn match_class(pattern: &[u8], p: usize, byte: u8) -> Option<usize> {
    let mut i = p + 1;
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < pattern.len() && (pattern[i] != b']' || first) {
        first = false;
        let low = if pattern[i] == b'\\' && i + 1 < pattern.len() {
            i += 1;
            pattern[i]
        } else {
            pattern[i]
        };
        if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
            let high = pattern[i + 2];
            hit |= (low.min(high)..=low.max(high)).contains(&byte);
            i += 3;
        } else {
            hit |= low == byte;
            i += 1;
        }
    }
    if i >= pattern.len() {
        return (pattern[p] == byte).then_some(1);
    }
    (hit != negated).then_some(i + 1 - p)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn redis_patterns() {
        let yes = |p: &str, t: &str| assert!(glob_match(p.as_bytes(), t.as_bytes()), "{p} {t}");
        let no = |p: &str, t: &str| assert!(!glob_match(p.as_bytes(), t.as_bytes()), "{p} {t}");
        yes("*", "");
        yes("*", "anything");
        yes("h?llo", "hello");
        yes("h*llo", "heeeello");
        yes("h[ae]llo", "hallo");
        no("h[ae]llo", "hillo");
        yes("h[^e]llo", "hallo");
        no("h[^e]llo", "hello");
        yes("h[a-b]llo", "hbllo");
        yes("user:*:name", "user:42:name");
        no("user:*:name", "user:42:mail");
        yes("a\\*b", "a*b");
        no("a\\*b", "axb");
        yes("*a*b*", "xxaxxbxx");
        no("abc", "abcd");
    }
}
