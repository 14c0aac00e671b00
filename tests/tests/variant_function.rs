//! The CloudFront Function that names each viewer's variant (`crates/publish/src/variant/
//! variant.js`, a JavaScript port of core's negotiation), run in Node, against core itself: the
//! same variant for every input of the `negotiate` fuzz corpus, as Accept, as Accept-Language
//! and as both, and for inputs picked for where JavaScript and Rust differ.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use edgepages_core::config::load::parse;
use edgepages_core::locale;
use edgepages_core::negotiate::variant;
use edgepages_e2e::worker::repo_root;
use edgepages_publish::variant::source::{Naming, shared_variant, source};

/// Inputs where a naive port would differ: JavaScript's trim and toLowerCase, UTF-16 lengths,
/// the byte limit cut inside a multi-byte character, q-values at their edges.
fn picked() -> Vec<String> {
    let mut picked: Vec<String> = [
        "",
        "*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json, text/plain, */*",
        "fr-CA,fr;q=0.9,en;q=0.8",
        "\u{feff}fr",
        "\u{85}fr\u{85}",
        "text/\u{212a}tml",
        "\u{212a}o, fr;q=0.1",
        "TEXT/HTML;Q=1.000",
        "text/html;q=1.0001, application/json;q=0.999",
        "text/plain;q=1, text/html;q=0.9",
        "cy;q=0, fr;q=0",
        "en_GB, ar",
        ";q=1, , ,fr",
        "fr;q=0.5;q=0.9, en;q=0.7",
        "fr;q=2;q=0.5, en;q=0.3, text/html;q=x;q=1, application/json;q=0.2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for filler in ["a", "é", "€", "😀"] {
        // The 4096-byte cut falls on each byte of a multi-byte character.
        for pad in 0..4 {
            picked.push(format!("{}{},fr", "x".repeat(4090 + pad), filler.repeat(3)));
        }
    }
    picked.push(format!("{}fr", "en;q=0.1,".repeat(70)));
    picked
}

#[test]
fn the_variant_function_agrees_with_core_on_every_input() {
    let root = repo_root();
    let config = parse(&std::fs::read_to_string(root.join("edgepages.toml")).unwrap(), "edgepages.toml").unwrap();
    let default = locale::find(&config.locales.default).unwrap();

    let mut headers = picked();
    let corpus = root.join("fuzz/corpus/negotiate");
    let mut from_corpus = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        if let Ok(text) = String::from_utf8(std::fs::read(entry.unwrap().path()).unwrap()) {
            headers.push(text);
            from_corpus += 1;
        }
    }
    assert!(from_corpus > 500, "only {from_corpus} inputs in {}", corpus.display());

    let mut cases: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    for h in &headers {
        cases.extend([(Some(h.clone()), None), (None, Some(h.clone())), (Some(h.clone()), Some(h.clone()))]);
    }
    let expected: Vec<String> =
        cases.iter().map(|(a, l)| variant(a.as_deref(), l.as_deref(), &config.locales.available, default)).collect();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cases.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    let harness = format!(
        "{}\nconst fs = require('fs');\n\
         const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));\n\
         const answers = cases.map(([a, l]) => variant(a ?? undefined, l ?? undefined));\n\
         const event = {{ request: {{ headers: {{ accept: {{ value: 'application/json' }}, 'accept-language': {{ value: 'fr' }} }} }} }};\n\
         answers.push(handler(event).headers['x-edgepages-variant'].value);\n\
         process.stdout.write(JSON.stringify(answers));\n",
        source(&config, Naming::PerViewer)
    );
    std::fs::write(dir.path().join("harness.js"), harness).unwrap();
    let run =
        Command::new("node").arg(dir.path().join("harness.js")).arg(dir.path().join("cases.json")).output().unwrap();
    assert!(run.status.success(), "node failed: {}", String::from_utf8_lossy(&run.stderr));
    let mut answers: Vec<String> = serde_json::from_slice(&run.stdout).unwrap();

    assert_eq!(answers.pop().as_deref(), Some("problem.fr"), "the handler sets the header");
    assert_eq!(answers.len(), expected.len());
    let differ: Vec<_> = cases
        .iter()
        .zip(expected.iter().zip(&answers))
        .filter(|(_, (rust, js))| rust != js)
        .map(|(case, (rust, js))| format!("{case:?}: core {rust}, function {js}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} differ, such as:\n{}",
        differ.len(),
        cases.len(),
        differ[..differ.len().min(5)].join("\n")
    );
    let distinct: std::collections::BTreeSet<_> = expected.iter().collect();
    assert!(distinct.len() >= 6, "the inputs reach only {distinct:?}");
}

#[test]
fn the_shared_function_names_one_variant_and_both_replace_a_viewers_own_header() {
    let root = repo_root();
    let config = parse(&std::fs::read_to_string(root.join("edgepages.toml")).unwrap(), "edgepages.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut answers = Vec::new();
    for naming in [Naming::Shared, Naming::PerViewer] {
        let harness = format!(
            "{}\nconst out = [];\n\
             for (const h of [{{}}, {{ accept: {{ value: 'application/json' }}, 'accept-language': {{ value: 'fr' }} }},\n\
                              {{ 'x-edgepages-variant': {{ value: 'problem.ar' }} }}]) {{\n\
               out.push(handler({{ request: {{ headers: h }} }}).headers['x-edgepages-variant'].value);\n\
             }}\n\
             process.stdout.write(JSON.stringify(out));\n",
            source(&config, naming)
        );
        let file = dir.path().join("harness.js");
        std::fs::write(&file, harness).unwrap();
        let run = Command::new("node").arg(&file).output().unwrap();
        assert!(run.status.success(), "node failed: {}", String::from_utf8_lossy(&run.stderr));
        answers.push(serde_json::from_slice::<Vec<String>>(&run.stdout).unwrap());
    }
    let shared = shared_variant(&config);
    assert_eq!(shared, format!("html.{}", config.locales.default));
    // Shared: the same variant whatever the viewer sends, their own header included.
    assert_eq!(answers[0], [shared.as_str(); 3]);
    // Per viewer: the viewer's headers decide, and a header the viewer set is replaced.
    assert_eq!(answers[1], ["plain.en", "problem.fr", "plain.en"]);
}
