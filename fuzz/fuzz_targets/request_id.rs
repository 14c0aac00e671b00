//! Request-ID extraction from four headers: whatever the headers hold, the ID is either absent
//! or 1 to 128 visible ASCII characters taken from one of them.
#![no_main]

use edgepages_core::request::{REQUEST_ID_HEADERS, request_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Up to four header values, separated by newlines, in REQUEST_ID_HEADERS order.
    let values: Vec<&str> = text.splitn(4, '\n').collect();
    let id = request_id(|name| {
        let i = REQUEST_ID_HEADERS.iter().position(|h| *h == name)?;
        values.get(i).copied()
    });
    if let Some(id) = id {
        assert!((1..=128).contains(&id.len()), "{id:?}");
        assert!(id.bytes().all(|b| b.is_ascii_graphic()), "{id:?}");
        assert!(values.iter().any(|v| v.contains(id)), "{id:?} came from nowhere");
    }
});
