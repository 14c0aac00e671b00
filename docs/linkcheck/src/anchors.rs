//! The anchors a Markdown file offers: its headings' ids, made as GitHub and mdBook make them.

use std::collections::HashSet;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// The id of a heading whose text is `text`: mdBook 0.5's rule (`mdbook-html`, `id_from_content`):
/// lower case, letters, digits, `-` and `_` kept, whitespace made `-`, anything else dropped. GitHub
/// documents the same for its headings ("Letters are converted to lower-case. Spaces are replaced by
/// hyphens. Any other whitespace or punctuation characters are removed":
/// <https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#section-links>).
pub fn heading_id(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|ch| {
            if ch.is_alphanumeric() || ch == '_' || ch == '-' {
                Some(ch)
            } else if ch.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// Every anchor of `markdown`: each heading's id, a repeated one with `-1`, `-2`… as both tools
/// number them, and the `id="…"` of raw HTML.
pub fn anchors(markdown: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(text) = heading.take() {
                    insert_unique(&mut found, &heading_id(&text));
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => found.extend(html_ids(&html)),
            _ => {}
        }
    }
    found
}

fn insert_unique(found: &mut HashSet<String>, id: &str) {
    if found.insert(id.to_string()) {
        return;
    }
    for n in 1.. {
        if found.insert(format!("{id}-{n}")) {
            return;
        }
    }
}

fn html_ids(html: &str) -> impl Iterator<Item = String> + '_ {
    html.split(" id=\"").skip(1).filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_ids_as_github_and_mdbook_make_them() {
        let found = anchors(
            "# The Lambda@Edge function\n\n## Caching: what one viewer's answer can do to another's\n\n\
             ### The `edgepages` command\n\n## The status page (`[status]`)\n",
        );
        for id in [
            "the-lambdaedge-function",
            "caching-what-one-viewers-answer-can-do-to-anothers",
            "the-edgepages-command",
            "the-status-page-status",
        ] {
            assert!(found.contains(id), "{id} not in {found:?}");
        }
        assert_eq!(found.len(), 4);
    }

    #[test]
    fn a_repeated_heading_is_numbered_and_code_blocks_are_not_headings() {
        let found = anchors("## Tested\n\n```toml\n# region = \"eu-west-1\"\n```\n\n## Tested\n\n## Tested\n");
        let mut found: Vec<_> = found.into_iter().collect();
        found.sort();
        assert_eq!(found, ["tested", "tested-1", "tested-2"]);
    }

    #[test]
    fn raw_html_ids_are_anchors() {
        assert!(anchors("<a id=\"kept\"></a>\n\ntext\n").contains("kept"));
    }
}
