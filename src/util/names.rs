//! What a name may look like, and "did you mean" suggestions.

/// The first character of an identifier (source names, host function
/// names, MIR names).
pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// A later character of a source identifier.
pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True for `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char)
}

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a likely typo: one edit for names of up to three characters, two
/// for longer ones.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

/// `; did you mean `x`?` for the closest candidate, or nothing.
pub fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(name, candidates).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_suggestions() {
        assert!(is_identifier("_x1") && !is_identifier("1x") && !is_identifier("") && !is_identifier("a-b"));
        assert_eq!(suggest("fibb", ["fib", "other"]), Some("fib".into()));
        assert_eq!(suggest("totally_different", ["fib"]), None);
        assert_eq!(hint("fo", ["foo"]), "; did you mean `foo`?");
    }
}
