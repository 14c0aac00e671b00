//! Finds the relative links of Markdown files that lead nowhere: a missing file, a missing anchor,
//! or, from a chapter of the guide, a `.md` file that the built book does not have.
//!
//! External links (anything with a scheme) are not followed: the check runs offline, and their
//! anchors are not ours to keep.

pub mod anchors;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// One link that leads nowhere, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub file: PathBuf,
    pub line: usize,
    pub target: String,
    pub reason: String,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file.display(), self.line, self.target, self.reason)
    }
}

/// A link's target as written, and the line it is on (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub line: usize,
    pub target: String,
    /// An mdBook `{{#include}}`: its file's text goes into the chapter, so it is no link in the book.
    pub include: bool,
}

/// Every link and image of `markdown` (reference links resolved; code spans and blocks skipped), and
/// every `{{#include …}}` of mdBook, whose path is a link too.
pub fn links(markdown: &str) -> Vec<Link> {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut in_code_block = false;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                found.push(Link { line: line_of(range.start), target: dest_url.to_string(), include: false });
            }
            Event::Text(text) if !in_code_block => {
                for include in text.split("{{#include ").skip(1) {
                    let path = include.split("}}").next().unwrap_or_default().trim();
                    // `{{#include file.rs:anchor}}` and `{{#include file.rs:2:10}}` name part of a file.
                    let path = path.split(':').next().unwrap_or_default();
                    found.push(Link { line: line_of(range.start), target: path.to_string(), include: true });
                }
            }
            _ => {}
        }
    }
    found
}

/// What the check needs to know of the repository.
#[derive(Debug)]
pub struct Checker {
    root: PathBuf,
    book_src: PathBuf,
    anchors: HashMap<PathBuf, HashSet<String>>,
}

impl Checker {
    /// `root` is the repository; `book_src` the guide's `src` folder, whose chapters are built into
    /// HTML by mdBook.
    pub fn new(root: &Path, book_src: &Path) -> Self {
        Self { root: normalise(root), book_src: normalise(book_src), anchors: HashMap::new() }
    }

    /// The broken links of one Markdown file.
    pub fn check_file(&mut self, file: &Path) -> io::Result<Vec<Broken>> {
        let file = normalise(file);
        let markdown = fs::read_to_string(&file)?;
        let mut broken = Vec::new();
        for link in links(&markdown) {
            if let Some(reason) = self.reason(&file, &link)? {
                let shown = file.strip_prefix(&self.root).unwrap_or(&file).to_path_buf();
                broken.push(Broken { file: shown, line: link.line, target: link.target, reason });
            }
        }
        Ok(broken)
    }

    fn reason(&mut self, file: &Path, link: &Link) -> io::Result<Option<String>> {
        let target = link.target.as_str();
        if has_scheme(target) {
            return Ok(None);
        }
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target, None),
        };
        let path = path.split('?').next().unwrap_or_default();
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else if path.starts_with('/') {
            return Ok(Some(
                "an absolute path: links are relative, so they work on GitHub and in the book alike".into(),
            ));
        } else {
            normalise(&file.parent().unwrap_or(Path::new("")).join(path))
        };
        if !resolved.starts_with(&self.root) {
            return Ok(Some("leads out of the repository".into()));
        }
        if !resolved.exists() {
            return Ok(Some("no such file".into()));
        }
        let is_markdown = resolved.extension().is_some_and(|ext| ext == "md");
        if is_markdown && !link.include && file.starts_with(&self.book_src) && !resolved.starts_with(&self.book_src) {
            return Ok(Some(
                "a Markdown file outside the book: mdBook links it as .html, which the built book does not have; \
                 link a chapter, or name the file in code"
                    .into(),
            ));
        }
        let Some(fragment) = fragment else { return Ok(None) };
        if !is_markdown {
            return Ok(Some("an anchor into a file that is not Markdown".into()));
        }
        if !self.anchors_of(&resolved)?.contains(fragment) {
            return Ok(Some(format!("no heading makes the anchor #{fragment}")));
        }
        Ok(None)
    }

    fn anchors_of(&mut self, file: &Path) -> io::Result<&HashSet<String>> {
        if !self.anchors.contains_key(file) {
            let markdown = fs::read_to_string(file)?;
            self.anchors.insert(file.to_path_buf(), anchors::anchors(&markdown));
        }
        Ok(&self.anchors[file])
    }
}

/// `https:`, `mailto:` and the like: a scheme before any `/`, `#` or `?`.
fn has_scheme(target: &str) -> bool {
    let end = target.find(['/', '#', '?']).unwrap_or(target.len());
    target[..end].contains(':')
}

/// The path with `.` and `..` worked out, without asking the file system (a missing file stays
/// missing rather than failing to canonicalise).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Repo(tempfile::TempDir);

    impl Repo {
        fn new(files: &[(&str, &str)]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            for (path, text) in files {
                let path = dir.path().join(path);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, text).unwrap();
            }
            Self(dir)
        }

        fn check(&self, file: &str) -> Vec<String> {
            let root = self.0.path();
            let mut checker = Checker::new(root, &root.join("docs/src"));
            checker.check_file(&root.join(file)).unwrap().iter().map(ToString::to_string).collect()
        }
    }

    #[test]
    fn a_missing_anchor_is_named_with_its_file_line_and_target() {
        let repo = Repo::new(&[(
            "README.md",
            "# edgepages\n\nIt needs the target\n([below](#the-lambdaedge-function-in-progress)).\n\n## The Lambda@Edge function\n",
        )]);
        assert_eq!(
            repo.check("README.md"),
            [
                "README.md:4: #the-lambdaedge-function-in-progress: no heading makes the anchor #the-lambdaedge-function-in-progress"
            ]
        );
    }

    #[test]
    fn links_that_lead_somewhere_pass() {
        let repo = Repo::new(&[
            (
                "README.md",
                "# edgepages\n\n[guide](docs/src/worker.md#the-breaker), [here](#edgepages), \
                 [config](edgepages.toml), [site](https://example.com/#nothing), ![shot](docs/src/images/a.png)\n\n\
                 `[not a link](nowhere.md)`\n",
            ),
            ("docs/src/worker.md", "# The worker\n\n## The breaker\n\n[tree](../../edgepages.toml)\n"),
            ("docs/src/images/a.png", ""),
            ("edgepages.toml", ""),
        ]);
        assert!(repo.check("README.md").is_empty(), "{:?}", repo.check("README.md"));
        assert!(repo.check("docs/src/worker.md").is_empty(), "{:?}", repo.check("docs/src/worker.md"));
    }

    #[test]
    fn missing_files_absolute_paths_and_escapes_are_broken() {
        let repo = Repo::new(&[(
            "docs/src/a.md",
            "# A\n\n[one](b.md)\n[two](/crates/core)\n[three](../../../etc/passwd)\n[four](../../x.toml#key)\n",
        )]);
        let found = repo.check("docs/src/a.md");
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].starts_with("docs/src/a.md:3: b.md: no such file"), "{}", found[0]);
        assert!(found[1].contains(":4: /crates/core: an absolute path"), "{}", found[1]);
        assert!(found[2].contains(":5: ../../../etc/passwd: leads out of the repository"), "{}", found[2]);
        assert!(found[3].contains(":6: ../../x.toml#key: no such file"), "{}", found[3]);
    }

    #[test]
    fn a_chapter_may_not_link_a_markdown_file_outside_the_book() {
        let repo = Repo::new(&[
            ("docs/src/testing.md", "# Testing\n\nThe rigs: [tests/README.md](../../tests/README.md).\n"),
            ("tests/README.md", "# Tests\n"),
            ("README.md", "[rigs](tests/README.md)\n"),
        ]);
        let found = repo.check("docs/src/testing.md");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains(":3: ../../tests/README.md: a Markdown file outside the book"), "{}", found[0]);
        assert!(repo.check("README.md").is_empty());
    }

    #[test]
    fn an_include_must_name_a_file_and_an_anchor_needs_markdown() {
        let repo = Repo::new(&[
            (
                "docs/src/changelog.md",
                "{{#include ../../CHANGELOG.md}}\n\n{{#include ../../gone.rs:anchor}}\n\n```text\n{{#include nowhere.md}}\n```\n",
            ),
            ("docs/src/x.md", "[file](../../CHANGELOG.md)\n[key](../../a.toml#line)\n"),
            ("CHANGELOG.md", "# Changelog\n"),
            ("a.toml", ""),
        ]);
        let found = repo.check("docs/src/changelog.md");
        assert_eq!(found, ["docs/src/changelog.md:3: ../../gone.rs: no such file"]);
        let found = repo.check("docs/src/x.md");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[1].contains(":2: ../../a.toml#line: an anchor into a file that is not Markdown"));
    }
}
