//! The exports `index.mjs` calls: a buffer for the event, the call, and the answer's bytes.
//! Plain numbers and pointers into this module's memory, so no glue generator is needed; no
//! `unsafe` block either: JavaScript writes into a buffer whose address it was given.
#![allow(unsafe_code, reason = "`#[unsafe(no_mangle)]` exports are the whole ABI; there is no unsafe block")]

use std::cell::RefCell;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Makes room for an event of `len` bytes; JavaScript writes it at the returned address.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_input(len: u32) -> *mut u8 {
    INPUT.with_borrow_mut(|input| {
        input.clear();
        input.resize(len as usize, 0);
        input.as_mut_ptr()
    })
}

/// Answers the event in the input buffer; returns the answer's length (read with
/// [`edgepages_output`]). `now_unix_s` is JavaScript's clock; `seed` any random number.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_respond(now_unix_s: f64, seed: u32) -> u32 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a clock in seconds since 1970")]
    let now = now_unix_s.max(0.0) as u64;
    let answer = INPUT.with_borrow(|input| crate::handle(input, now, u64::from(seed)));
    store(answer)
}

/// The fallback page as an answer; returns its length (read with [`edgepages_output`]).
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_fallback() -> u32 {
    store(crate::fallback_json())
}

/// What lets `index.mjs` skip the module (a JSON object, `crate::triage_json`); returns its
/// length.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_triage() -> u32 {
    store(crate::triage_json())
}

/// Where the last answer's bytes are.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_output() -> *const u8 {
    OUTPUT.with_borrow(|output| output.as_ptr())
}

fn store(answer: String) -> u32 {
    let len = u32::try_from(answer.len()).unwrap_or(u32::MAX);
    OUTPUT.set(answer);
    len
}
