//! Wildcard matching as CloudFront's path patterns and the ALB's conditions do it: `*` for any
//! run of characters, `?` for exactly one.

/// Whether the viewer path `path` (which starts with `/`) matches `pattern`, case-sensitive, with
/// the leading `/` optional in the pattern.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern =
        if pattern.starts_with('/') || pattern.starts_with('*') { pattern.to_owned() } else { format!("/{pattern}") };
    wildcard_matches(&pattern, path)
}

/// Whether `text` matches `pattern` (`*` and `?`), case-sensitive.
pub fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative wildcard match with single backtrack point for the last `*`.
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn stars_cross_slashes_and_question_marks_take_one() {
        assert!(path_matches("/edgepages/*", "/edgepages/503.html"));
        assert!(path_matches("/edgepages/*", "/edgepages/fr/503.html"));
        assert!(path_matches("edgepages/*", "/edgepages/503.html"));
        assert!(path_matches("*.html", "/a/b.html"));
        assert!(path_matches("/img/?.png", "/img/a.png"));
        assert!(!path_matches("/img/?.png", "/img/ab.png"));
        assert!(!path_matches("/static/*", "/edgepages/503.html"));
        assert!(!path_matches("/Edgepages/*", "/edgepages/503.html"));
        assert!(path_matches("*", "/anything"));
        assert!(path_matches("/a*b*c", "/axxbyyc"));
        assert!(!path_matches("/a*b*c", "/axxbyy"));
    }
}
