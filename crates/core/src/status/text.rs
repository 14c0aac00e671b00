//! Third-party text made safe to show: markup dropped, control characters and bidirectional
//! overrides removed, whitespace collapsed, and the length capped at a character boundary.
//!
//! This is text, never markup: the page escapes it like every other value, and a link in it stays
//! words, never an `<a>`. Removing the overrides keeps a status update from reordering the words
//! around it (the "Trojan Source" trick); the page still isolates it (`dir="auto"`) when shown.

/// The longest incident or maintenance title shown, in characters.
pub const TITLE_CHARS: usize = 120;
/// The longest update text shown, in characters.
pub const UPDATE_CHARS: usize = 400;
/// A field longer than this (bytes, as received) is refused rather than shortened: no team writes
/// an update this long, so it is a broken or hostile page.
pub const MAX_FIELD_BYTES: usize = 16 * 1024;

/// What was wrong with a text field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing left to show once markup and whitespace are gone.
    Empty,
    /// Over [`MAX_FIELD_BYTES`].
    TooLong(usize),
}

/// `raw` as plain, single-line text of at most `max_chars` characters; an ellipsis marks a cut.
pub fn clean(raw: &str, max_chars: usize) -> Result<String, TextProblem> {
    if raw.len() > MAX_FIELD_BYTES {
        return Err(TextProblem::TooLong(raw.len()));
    }
    let mut out = String::with_capacity(raw.len().min(max_chars * 4));
    let mut chars = 0;
    let mut pending_space = false;
    for c in without_tags(raw) {
        if c.is_whitespace() || c.is_control() {
            // Control characters (and tabs, newlines) become a word gap, never kept.
            pending_space = !out.is_empty();
            continue;
        }
        if is_invisible_format(c) {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if chars + needed > max_chars {
            // Cut at a character, never inside one, and say so.
            while out.ends_with(' ') {
                out.pop();
            }
            if chars >= max_chars {
                out.pop();
            }
            out.push('…');
            return Ok(out);
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
    }
    if out.is_empty() { Err(TextProblem::Empty) } else { Ok(out) }
}

/// The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
/// marks, and other zero-width format characters that could hide or reorder text.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}' | '\u{00AD}')
}

/// The characters of `raw` with anything that looks like an HTML tag (`<p>`, `<br />`,
/// `<a href=…>`) or comment turned into a space. Statuspage stores update bodies with `<br />`;
/// a lone `<` that opens no tag (`latency < 5 ms`) is kept.
fn without_tags(raw: &str) -> impl Iterator<Item = char> + '_ {
    let mut rest = raw;
    std::iter::from_fn(move || {
        let c = rest.chars().next()?;
        if c == '<'
            && let Some(len) = tag_length(rest)
        {
            rest = &rest[len..];
            return Some(' ');
        }
        rest = &rest[c.len_utf8()..];
        Some(c)
    })
}

/// The byte length of the tag or comment that `s` starts with, if it starts with one.
fn tag_length(s: &str) -> Option<usize> {
    if let Some(body) = s.strip_prefix("<!--") {
        return Some(body.find("-->").map_or(s.len(), |end| 4 + end + 3));
    }
    let after = s[1..].chars().next()?;
    if !(after.is_ascii_alphabetic() || after == '/' || after == '!') {
        return None;
    }
    s.find('>').map(|end| end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_words_and_links_stay_text() {
        assert_eq!(
            clean("We are seeing up to 2% of Git SSH connections failing.<br /><br />We have taken hosts out.", 400),
            Ok("We are seeing up to 2% of Git SSH connections failing. We have taken hosts out.".into())
        );
        assert_eq!(
            clean("<script>alert(1)</script>See <a href=\"https://evil.example\">here</a>", 400),
            Ok("alert(1) See here".into())
        );
        assert_eq!(clean("latency < 5 ms, a<b", 400), Ok("latency < 5 ms, a<b".into()));
        assert_eq!(clean("https://status.example.com/x", 400), Ok("https://status.example.com/x".into()));
        assert_eq!(clean("a <!-- hidden --> b", 400), Ok("a b".into()));
    }

    #[test]
    fn controls_and_bidi_overrides_are_removed() {
        let hostile = "Fixed\u{202E}gnp.exe\u{202C} \u{2066}ok\u{2069}\u{0007}\r\nnow\u{200F}";
        assert_eq!(clean(hostile, 400), Ok("Fixedgnp.exe ok now".into()));
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert_eq!(clean(&format!("a{c}b"), 10), Ok("ab".into()), "{c:?}");
        }
    }

    #[test]
    fn capped_at_a_character_boundary_with_an_ellipsis() {
        let text = "é".repeat(50);
        let capped = clean(&text, 10).unwrap();
        assert_eq!(capped.chars().count(), 10);
        assert!(capped.ends_with('…'));
        assert_eq!(clean("one two three", 8), Ok("one two…".into()));
        assert_eq!(clean("exactly", 7), Ok("exactly".into()));
        assert_eq!(clean("日本語のテキスト", 4), Ok("日本語…".into()));
    }

    #[test]
    fn empty_and_huge_fields_are_refused() {
        assert_eq!(clean("  <br/> \n", 10), Err(TextProblem::Empty));
        let huge = "x".repeat(100 * 1024);
        assert_eq!(clean(&huge, 10), Err(TextProblem::TooLong(100 * 1024)));
    }
}
