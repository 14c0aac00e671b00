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

/// How `index.mjs` reads the status page (`crate::status::plan_json`); returns its length.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_status_plan() -> u32 {
    store(crate::status::plan_json())
}

/// Settles status read `read` with the input buffer: the body when `answered` is 1, else the
/// reason (`crate::status::settle`); returns the length of what to log.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_status_settle(read: u32, answered: u32, now_ms: f64) -> u32 {
    let log = INPUT.with_borrow(|input| crate::status::settle(u64::from(read), answered == 1, input, ms(now_ms)));
    store(log)
}

/// How long an answer waits for the status read in flight (`reading` 1), in ms.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_status_wait(reading: u32, now_ms: f64) -> u32 {
    u32::try_from(crate::status::wait_ms(reading == 1, ms(now_ms))).unwrap_or(u32::MAX)
}

/// 1 while the status page switches maintenance on: every response enters the module then.
#[unsafe(no_mangle)]
pub extern "C" fn edgepages_status_maintenance(now_ms: f64) -> u32 {
    u32::from(crate::status::maintenance_on(ms(now_ms)))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a clock in ms since 1970")]
fn ms(now_ms: f64) -> u64 {
    now_ms.max(0.0) as u64
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
