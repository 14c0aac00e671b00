//! The modules of `edgepages-publish` and of this crate import one another one way only: no
//! module reaches, through `use crate::…`, `use super::…` or a `crate::…` path in its code,
//! a module that reaches it back. Read from the sources (test modules left out), so that an
//! import loop fails here the day it is written.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module by its path in the crate (`alb::plan`); the crate root is the empty path.
type Module = Vec<String>;

#[test]
fn the_modules_of_publish_and_the_cli_import_each_other_one_way_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("../publish/src"), root.join("src")] {
        let loops = loops(&sources(&src));
        assert!(loops.is_empty(), "{}: modules that import each other, in a loop: {loops:#?}", src.display());
    }
}

#[test]
fn a_loop_between_two_modules_is_found_and_a_one_way_import_is_not() {
    let files = |a: &str, b: &str| {
        BTreeMap::from([
            (Vec::new(), "mod a;\nmod b;\n".to_owned()),
            (vec!["a".to_owned()], a.to_owned()),
            (vec!["b".to_owned()], b.to_owned()),
        ])
    };
    let looped = files("use crate::b::{Thing, other::More};\n", "pub fn f() { super::a::g(); }\n");
    assert_eq!(loops(&looped), [vec!["a".to_owned(), "b".to_owned()]]);
    // One way, a path in a comment, a string or a test module: no loop.
    let one_way = files(
        "use crate::b::Thing;\n",
        "//! Links [`crate::a`].\nconst S: &str = \"crate::a\";\n#[cfg(test)]\nmod tests { use crate::a::*; }\n",
    );
    assert_eq!(loops(&one_way), Vec::<Vec<String>>::new());
}

/// Every `.rs` file under `src`, by module, its text.
fn sources(src: &Path) -> BTreeMap<Module, String> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if module.last().is_some_and(|last| ["mod", "lib", "main"].contains(&last.as_str())) {
                    module.pop();
                }
                files.insert(module, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// The groups of modules that reach one another, each sorted, as `a::b` names.
fn loops(files: &BTreeMap<Module, String>) -> Vec<Vec<String>> {
    let modules: BTreeSet<&Module> = files.keys().collect();
    let graph: BTreeMap<&Module, BTreeSet<Module>> = files
        .iter()
        .map(|(module, text)| {
            let code = code_of(text);
            let targets = paths(&code)
                .into_iter()
                .filter_map(|path| resolve(&modules, module, &path))
                .filter(|target| target != module)
                .collect();
            (module, targets)
        })
        .collect();
    strongly_connected(&graph)
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let mut names: Vec<String> = group.iter().map(|m| m.join("::")).collect();
            names.sort();
            names
        })
        .collect()
}

/// `text` up to its first `#[cfg(test)]`, with comments and string literals blanked.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                code.push(' ');
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                code.push_str("\"\"");
            }
            _ => code.push(c),
        }
    }
    code
}

/// Every path a module names: each `use crate::…`, `super::…` or `self::…` (braces expanded),
/// and each `crate::…` or `super::…` path in its code.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for statement in code.split(';') {
        if let Some(at) = word(statement, "use") {
            let tree: String = statement[at + 3..].chars().filter(|c| !c.is_whitespace()).collect();
            if ["crate::", "super::", "self::"].iter().any(|p| tree.starts_with(p)) {
                found.extend(expand(&tree));
            }
        }
    }
    for prefix in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            if !before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
                found.push(rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
            }
            rest = &rest[end.max(1)..];
        }
    }
    found
}

/// Where the word `w` starts in `text`, if it is there as a word.
fn word(text: &str, w: &str) -> Option<usize> {
    let at = text.find(&format!("{w} "))?;
    let before = text[..at].chars().next_back();
    (!before.is_some_and(|b| b.is_alphanumeric() || b == '_')).then_some(at)
}

/// A use tree without whitespace, such as `crate::a::{b,c::{d,e}}`, as its paths.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let Some(open) = tree.find('{') else {
        let tree = tree.split(" as ").next().unwrap_or(tree);
        return vec![tree.split("::").filter(|s| !s.is_empty() && *s != "*").map(str::to_owned).collect()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|part| if part == "self" { expand(prefix) } else { expand(&format!("{prefix}{part}")) })
        .collect()
}

/// The module `path`, named in `module`, leads to: the longest of its leading segments that is
/// a module of the crate. `None` for a path that leaves the crate.
fn resolve(modules: &BTreeSet<&Module>, module: &Module, path: &[String]) -> Option<Module> {
    let (mut base, rest) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (module.clone(), &path[1..]),
        "super" => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            (module[..module.len().checked_sub(supers)?].to_vec(), &path[supers..])
        }
        _ => return None,
    };
    for segment in rest {
        base.push(segment.clone());
        if !modules.contains(&base) {
            base.pop();
            break;
        }
    }
    Some(base)
}

/// Tarjan's strongly connected components of `graph`.
fn strongly_connected<'a>(graph: &'a BTreeMap<&'a Module, BTreeSet<Module>>) -> Vec<Vec<&'a Module>> {
    struct State<'a> {
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        groups: Vec<Vec<&'a Module>>,
    }
    fn visit<'a>(node: &'a Module, graph: &'a BTreeMap<&'a Module, BTreeSet<Module>>, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            let Some((next, _)) = graph.get_key_value(next) else { continue };
            if !s.index.contains_key(*next) {
                visit(next, graph, s);
                let low = s.low[node].min(s.low[*next]);
                s.low.insert(node, low);
            } else if s.stack.contains(next) {
                let low = s.low[node].min(s.index[*next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut group = Vec::new();
            while let Some(member) = s.stack.pop() {
                group.push(member);
                if member == node {
                    break;
                }
            }
            s.groups.push(group);
        }
    }
    let mut state = State { index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), groups: Vec::new() };
    for node in graph.keys() {
        if !state.index.contains_key(*node) {
            visit(node, graph, &mut state);
        }
    }
    state.groups
}
