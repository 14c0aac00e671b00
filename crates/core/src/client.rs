//! Who sent a request, as far as the edge can tell: the address Cloudflare names in
//! `CF-Connecting-IP`, which a client cannot set itself on Cloudflare ([Cloudflare HTTP headers]).
//! The breaker counts clients with it, so that one client's trouble is not taken for the origin's,
//! and the edge names the client to the origin in `X-Forwarded-For` and `Forwarded`.
//!
//! A client is counted by its network, not its address, so that the addresses one subscriber
//! holds cannot count as many clients: an IPv6 client by its /48, an IPv4 client by its /24. An
//! IPv6 end site is given a /48 or a /56, never less than a /64 per subnet (RFC 6177 §2; RIPE-690
//! §4.2: /48 for businesses, /56 at least for homes; a free tunnel broker hands out /48s), so one
//! home's /56 holds 256 /64s. And /24 and /48 are the smallest blocks the internet routes on
//! their own (prefixes more specific than these are filtered from the global table: the DENOG
//! routing guide, <https://routing.denog.de/guides/route_filtering/inbound/prefix_length>): the
//! addresses in one are one network's. Visitors who share a block (an office, a carrier's NAT)
//! then count once, which errs towards not shedding.
//!
//! [Cloudflare HTTP headers]: https://developers.cloudflare.com/fundamentals/reference/http-headers/

use std::net::IpAddr;

use crate::hash::Seed;

/// The request header Cloudflare sets to the client's address.
pub const CLIENT_IP_HEADER: &str = "cf-connecting-ip";

/// A client's address, checked: an IPv4 or IPv6 address and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// The client named by `CF-Connecting-IP`; `None` for a missing or malformed value, which the
    /// edge then treats as no client it can tell apart.
    pub fn parse(header: Option<&str>) -> Option<ClientIp> {
        header?.trim().parse().ok().map(ClientIp)
    }

    pub fn addr(self) -> IpAddr {
        self.0
    }

    /// The key the breaker counts this client by: its IPv4 /24 or IPv6 /48.
    pub fn key(self) -> ClientKey {
        let bytes: Vec<u8> = match self.0 {
            IpAddr::V4(v4) => v4.octets()[..3].to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets()[..3].to_vec(),
                None => v6.octets()[..6].to_vec(),
            },
        };
        ClientKey::from_hash(crate::hash::fnv1a(&bytes))
    }
}

/// A client as the breaker counts it: a 32-bit hash of its network, never 0, so that JS
/// can carry it as a number. Two clients that share a key only count as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKey(u32);

impl ClientKey {
    #[allow(clippy::cast_possible_truncation)]
    fn from_hash(hash: u64) -> ClientKey {
        ClientKey(((hash >> 32) as u32 ^ hash as u32).max(1))
    }

    /// As a number, for JS; 0 stands for no client.
    pub fn number(key: Option<ClientKey>) -> u32 {
        key.map_or(0, |k| k.0)
    }

    /// From [`ClientKey::number`]: 0 is no client.
    pub fn from_number(n: u32) -> Option<ClientKey> {
        (n != 0).then_some(ClientKey(n))
    }

    /// This client's place in the breaker's sample under `seed`: random, but the same for the
    /// client every time, and unknowable without the seed.
    pub(crate) fn rank(self, seed: Seed) -> u64 {
        crate::hash::keyed(seed, &self.0.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> ClientKey {
        ClientIp::parse(Some(ip)).unwrap().key()
    }

    #[test]
    fn only_an_address_is_a_client() {
        assert!(ClientIp::parse(Some(" 203.0.113.7 ")).is_some());
        assert!(ClientIp::parse(Some("2001:db8::1")).is_some());
        for bad in ["", "unknown", "203.0.113.7, 10.0.0.1", "203.0.113.7:443", "[2001:db8::1]", "evil.example"] {
            assert_eq!(ClientIp::parse(Some(bad)), None, "{bad}");
        }
        assert_eq!(ClientIp::parse(None), None);
    }

    #[test]
    fn an_end_site_or_a_routed_block_is_one_client() {
        // One home's /56 and one tunnel broker's /48 (RIPE-690 §4.2): every /64 in it is the
        // same client.
        for neighbour in ["2001:db8:1:2::1", "2001:db8:1:ff::1", "2001:db8:1:ffff:ffff::1"] {
            assert_eq!(key("2001:db8:1::1"), key(neighbour), "{neighbour}");
        }
        assert_ne!(key("2001:db8:1::1"), key("2001:db8:2::1"), "another /48 is another client");
        // One IPv4 /24, the smallest block routed on its own, is one client.
        assert_eq!(key("203.0.113.7"), key("203.0.113.200"));
        assert_ne!(key("203.0.113.7"), key("203.0.114.7"));
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.9"), "a mapped IPv4 address is the IPv4 client");
    }

    #[test]
    fn keys_travel_through_js_as_numbers() {
        let k = key("203.0.113.7");
        assert_eq!(ClientKey::from_number(ClientKey::number(Some(k))), Some(k));
        assert_eq!(ClientKey::number(None), 0);
        assert_eq!(ClientKey::from_number(0), None);
    }
}
