//! The repository's own documents: every relative link and anchor of its Markdown files (the
//! README, the changelog, the guide's chapters, the test rigs' notes) leads somewhere, and every
//! chapter under docs/src is in the book's SUMMARY.md.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use edgepages_linkcheck::{Checker, links};

/// Folders that hold no document of ours: build output, installed packages, the built book.
const SKIPPED: &[&str] =
    &["target", "node_modules", ".venv", ".git", ".wrangler", "book", "artifacts", "build", "fuzz"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_ref()) {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") {
            found.push(path);
        }
    }
}

#[test]
fn every_relative_link_and_anchor_leads_somewhere() {
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    let names: Vec<_> = files.iter().map(|f| f.strip_prefix(&root).unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["README.md", "CHANGELOG.md", "docs/src/SUMMARY.md"] {
        assert!(names.iter().any(|n| n == expected), "{expected} was not among the files checked: {names:?}");
    }
    let mut checker = Checker::new(&root, &root.join("docs/src"));
    let broken: Vec<String> =
        files.iter().flat_map(|file| checker.check_file(file).unwrap()).map(|b| b.to_string()).collect();
    assert!(broken.is_empty(), "{} broken links:\n{}", broken.len(), broken.join("\n"));
}

#[test]
fn every_chapter_is_in_the_summary() {
    let src = root().join("docs/src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: Vec<String> = links(&summary).into_iter().map(|link| link.target).collect();
    let mut chapters = Vec::new();
    markdown_files(&src, &mut chapters);
    let missing: Vec<_> = chapters
        .iter()
        .map(|c| c.strip_prefix(&src).unwrap().to_string_lossy().into_owned())
        .filter(|c| c != "SUMMARY.md" && !listed.contains(c))
        .collect();
    assert!(missing.is_empty(), "chapters mdBook would not build, since SUMMARY.md does not list them: {missing:?}");
}

/// Every chapter the code names (a CLI message, a config comment, a script) by its path,
/// `docs/src/<chapter>.md`, optionally with `#anchor`, exists and has that anchor.
#[test]
fn every_chapter_the_code_names_exists() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["crates", "edge", "lambda-edge", "tests", "scripts", "pages", ".ci"] {
        every_file(&root.join(dir), &mut files);
    }
    files.extend(["wrangler.toml", "edgepages.toml", "Cargo.toml"].map(|f| root.join(f)));
    let mut named = 0;
    let mut broken = Vec::new();
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else { continue };
        for (n, line) in text.lines().enumerate() {
            for rest in line.split("docs/src/").skip(1) {
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.#".contains(c))).unwrap_or(rest.len());
                let target = rest[..end].trim_end_matches('.');
                let Some((chapter, anchor)) = target.split_once(".md").map(|(c, a)| (c, a.trim_start_matches('#')))
                else {
                    continue;
                };
                named += 1;
                let path = root.join("docs/src").join(format!("{chapter}.md"));
                let shown = format!("{}:{}: docs/src/{target}", file.strip_prefix(&root).unwrap().display(), n + 1);
                match fs::read_to_string(&path) {
                    Err(_) => broken.push(format!("{shown}: no such chapter")),
                    Ok(md) if !anchor.is_empty() && !edgepages_linkcheck::anchors::anchors(&md).contains(anchor) => {
                        broken.push(format!("{shown}: no heading makes the anchor #{anchor}"));
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    assert!(named > 0, "no file named a chapter: the scan itself is broken");
    assert!(broken.is_empty(), "{} chapters named that are not there:\n{}", broken.len(), broken.join("\n"));
}

fn every_file(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for path in entries.map(|entry| entry.unwrap().path()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_str()) && name != "corpus" {
                every_file(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

/// The README is the front door (issue 24: about 250 lines); reference text goes to a chapter.
#[test]
fn the_readme_stays_a_front_door() {
    let lines = fs::read_to_string(root().join("README.md")).unwrap().lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines: keep it to what it is, install, a quick start per target, the commands and \
         the outages, and put the rest in a chapter of docs/src"
    );
}
