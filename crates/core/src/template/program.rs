//! Writes a compiled template's instructions as Rust source, so that the edge runs them on
//! minijinja's VM without a template parser: the build compiles, the edge only executes.
//!
//! Each instruction is written as its variant with its operands (minijinja's own `Debug` form of
//! a variant is Rust syntax for every operand but a constant, which is written here). Three
//! instructions name a type minijinja does not export, and cannot be written: a `{% set %}` or
//! `{% filter %}` block (capture), and a chained comparison (`a < b < c`); `check` refuses them.

use std::fmt::Write as _;

use minijinja::machinery::{Instruction, Instructions};
use minijinja::value::{Value, ValueKind};

/// A construct the edge cannot run, and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unbakeable {
    pub(crate) line: Option<usize>,
    pub(crate) what: &'static str,
}

/// The Rust expression for `instructions` (a `Vec<Instruction>`), or what cannot be written.
pub(crate) fn bake(instructions: &Instructions<'_>) -> Result<String, Vec<Unbakeable>> {
    let mut out = String::from("::std::vec![");
    let mut problems = Vec::new();
    let mut index = 0;
    while let Some(instruction) = instructions.get(index) {
        let line = instructions.get_line(index);
        let refuse = |what| Unbakeable { line, what };
        match instruction {
            Instruction::LoadConst(value) => match constant(value) {
                Some(value) => {
                    let _ = write!(out, "::edgepages_core::template::Instruction::LoadConst({value}),");
                }
                None => problems.push(refuse("this literal (a dictionary, or a number beyond 64 bits) is not available")),
            },
            Instruction::BeginCapture(_) => problems.push(refuse(
                "`{% set %}` and `{% filter %}` blocks are not available at the edge; use `{% set x = … %}` or a filter on a value",
            )),
            Instruction::CompareAndPreserve(_) => {
                problems.push(refuse("a chained comparison (a < b < c) is not available; use `and`"));
            }
            other => {
                let _ = write!(out, "::edgepages_core::template::Instruction::{other:?},");
            }
        }
        index += 1;
    }
    out.push(']');
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The Rust expression for a constant the compiler put in the template's instructions.
fn constant(value: &Value) -> Option<String> {
    let v = "::edgepages_core::template::Value";
    Some(match value.kind() {
        ValueKind::Undefined => format!("{v}::UNDEFINED"),
        ValueKind::None => format!("{v}::from(())"),
        ValueKind::Bool => format!("{v}::from({})", value.is_true()),
        ValueKind::String => format!("{v}::from({:?})", value.as_str()?),
        ValueKind::Number if value.is_integer() => format!("{v}::from({}i64)", value.as_i64()?),
        ValueKind::Number => format!("{v}::from(f64::from_bits({}u64))", f64::try_from(value.clone()).ok()?.to_bits()),
        ValueKind::Seq => {
            let items: Option<Vec<String>> = value.try_iter().ok()?.map(|item| constant(&item)).collect();
            format!("{v}::from_iter(::std::vec![{}] as ::std::vec::Vec<{v}>)", items?.join(","))
        }
        ValueKind::Map if value.is_kwargs() => {
            let pairs: Option<Vec<String>> = value
                .try_iter()
                .ok()?
                .map(|key| {
                    let item = value.get_item(&key).ok()?;
                    Some(format!("({:?}, {})", key.as_str()?, constant(&item)?))
                })
                .collect();
            format!(
                "{v}::from(<::edgepages_core::template::Kwargs as ::std::iter::FromIterator<(&str, {v})>>::from_iter([{}]))",
                pairs?.join(",")
            )
        }
        _ => return None,
    })
}
