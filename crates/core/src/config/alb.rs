//! `[alb]`: the Application Load Balancer listener on which `edgepages maintenance` switches a
//! maintenance page, and the checks of its keys.

use serde::{Deserialize, Serialize};

use super::KeyPath;
use super::check::Problems;

/// Condition values an ALB rule may hold in all: "You can specify up to five match evaluations
/// per rule" (rule-condition-types.html, and the quota "condition values per rule"): the one
/// figure both the config's check and the ALB's plans (`edgepages-publish`) hold rules to.
pub const MAX_CONDITION_VALUES: usize = 5;

/// Values one ALB rule condition may hold: "You can specify up to three match evaluations per
/// condition"
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>).
pub const MAX_VALUES_PER_CONDITION: usize = 3;

/// At most this many bypass CIDRs: they are the values of the bypass's one source-ip condition.
pub const MAX_BYPASS_CIDRS: usize = MAX_VALUES_PER_CONDITION;

/// The custom origin header CloudFront adds to its requests to the ALB, which the guard's rules
/// look for (`edgepages-publish` sets both); its value is a secret. The bypass cannot take it.
pub const ORIGIN_VERIFY_HEADER: &str = "x-edgepages-origin-verify";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbTarget {
    /// The listener visitors reach, such as
    /// `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`.
    pub listener_arn: String,
    /// The listener's region; the one in its ARN when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The site's own host name, such as `www.example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_host: Option<String>,
    /// The team's addresses, which still reach the site during maintenance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bypass_cidrs: Vec<String>,
    /// A header that also lets the team through during maintenance, such as
    /// `x-maintenance-bypass`. Its secret value is never in the config: `maintenance on` reads
    /// it from the environment ([`BYPASS_SECRET_ENV`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_header: Option<String>,
}

/// The environment variable that holds the bypass header's value for `maintenance on`.
pub const BYPASS_SECRET_ENV: &str = "EDGEPAGES_ALB_BYPASS_SECRET";

/// Header names the bypass cannot use: `host` (the ALB takes it only in a host condition) and
/// the guard's own origin header.
const RESERVED_HEADERS: [&str; 2] = ["host", ORIGIN_VERIFY_HEADER];

impl AlbTarget {
    /// The region in the listener's ARN.
    pub fn arn_region(&self) -> Option<&str> {
        self.listener_arn.split(':').nth(3).filter(|r| !r.is_empty())
    }

    /// The region the listener's client uses: `region`, else the ARN's.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref().or_else(|| self.arn_region())
    }
}

pub(super) fn check(alb: &AlbTarget, out: &mut Problems) {
    let key = |k: &str| KeyPath::new(&["alb", k]);
    if !is_listener_arn(&alb.listener_arn) {
        out.add(
            key("listener_arn"),
            format!(
                "{:?} is not an Application Load Balancer listener ARN \
                 (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)",
                alb.listener_arn
            ),
        );
    }
    if let Some(region) = &alb.region {
        if !is_region(region) {
            out.add(key("region"), format!("{region:?} is not an AWS region name (like eu-west-1)"));
        } else if let Some(in_arn) = alb.arn_region().filter(|r| r != region) {
            out.add(key("region"), format!("{region:?} is not the listener's region, {in_arn:?} (from listener_arn)"));
        }
    }
    if let Some(host) = &alb.canonical_host
        && let Err(why) = check_host(host)
    {
        out.add(key("canonical_host"), why);
    }
    if alb.bypass_cidrs.len() > MAX_BYPASS_CIDRS {
        out.add(
            key("bypass_cidrs"),
            format!("has {} addresses; an ALB rule condition takes at most {MAX_BYPASS_CIDRS}", alb.bypass_cidrs.len()),
        );
    }
    for (i, cidr) in alb.bypass_cidrs.iter().enumerate() {
        if let Err(why) = check_cidr(cidr) {
            out.add(key("bypass_cidrs").index(i), why);
        }
    }
    if let Some(name) = &alb.bypass_header
        && let Err(why) = check_header_name(name)
    {
        out.add(key("bypass_header"), why);
    }
}

/// A header name as an ALB `http-header` condition takes it: an RFC 7230 token of at most 40
/// characters, not one the ALB or edgepages reserves.
fn check_header_name(name: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || name.len() > 40 || !name.bytes().all(token) || name.contains(['*', '?']) {
        return Err(format!(
            "{name:?} is not a header name an ALB rule takes (letters, digits and -, at most 40 characters, no \
             wildcards), such as x-maintenance-bypass"
        ));
    }
    if RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(format!("{name:?} is reserved; choose another name, such as x-maintenance-bypass"));
    }
    Ok(())
}

/// Why `secret` cannot be the bypass header's value, if it cannot: too short to be a secret,
/// or holding the ALB's wildcards, which would let other values through.
pub fn check_bypass_secret(secret: &str) -> Result<(), String> {
    if secret.chars().count() < 16 {
        Err(format!("{BYPASS_SECRET_ENV} is shorter than 16 characters; use a long random value"))
    } else if secret.contains(['*', '?']) {
        Err(format!("{BYPASS_SECRET_ENV} holds * or ?, which an ALB condition reads as wildcards"))
    } else if secret.len() > 128 || !secret.bytes().all(|b| b.is_ascii_graphic()) {
        Err(format!("{BYPASS_SECRET_ENV} must be at most 128 visible ASCII characters"))
    } else {
        Ok(())
    }
}

/// `arn:<partition>:elasticloadbalancing:<region>:<12 digits>:listener/app/<name>/<id>/<id>`.
fn is_listener_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, partition, service, region, account, resource] = parts.as_slice() else { return false };
    let segments: Vec<&str> = resource.split('/').collect();
    *arn_word == "arn"
        && partition.starts_with("aws")
        && *service == "elasticloadbalancing"
        && is_region(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && segments.len() == 5
        && segments[0] == "listener"
        && segments[1] == "app"
        && segments[2..].iter().all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// `eu-west-1`, `us-gov-west-1`: lower-case words and a number, joined by `-`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// A DNS host name, in lower case, with at least one dot.
fn check_host(host: &str) -> Result<(), String> {
    let labels: Vec<&str> = host.split('.').collect();
    let valid = host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if valid {
        Ok(())
    } else if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Err(format!("{host:?} must be written in lower case: {:?}", host.to_ascii_lowercase()))
    } else {
        Err(format!("{host:?} is not a host name such as www.example.com (no scheme, port or path)"))
    }
}

/// An IPv4 or IPv6 network with its prefix length and no host bits set.
fn check_cidr(cidr: &str) -> Result<(), String> {
    let Some((address, prefix)) = cidr.split_once('/') else {
        return Err(format!("{cidr:?} needs a prefix length, such as {cidr}/32"));
    };
    let address: std::net::IpAddr =
        address.parse().map_err(|_| format!("{cidr:?} is not an IPv4 or IPv6 network (like 203.0.113.0/24)"))?;
    let bits: u32 = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= bits)
        .ok_or_else(|| format!("{cidr:?} has a prefix length outside 0 to {bits}"))?;
    let value = match address {
        std::net::IpAddr::V4(a) => u128::from(a.to_bits()) << 96,
        std::net::IpAddr::V6(a) => a.to_bits(),
    };
    let host_bits = if prefix == 0 { value } else { value & (u128::MAX >> prefix) };
    if host_bits != 0 {
        let network = value & !(u128::MAX.checked_shr(prefix).unwrap_or(0));
        let shown = match address {
            std::net::IpAddr::V4(_) => {
                std::net::Ipv4Addr::from_bits(u32::try_from(network >> 96).unwrap_or_default()).to_string()
            }
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::from_bits(network).to_string(),
        };
        return Err(format!("{cidr:?} has host bits set; the network is {shown}/{prefix}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2";

    fn problems(alb: &AlbTarget) -> Vec<String> {
        let mut out = Problems(Vec::new());
        check(alb, &mut out);
        out.0.iter().map(|p| format!("{}: {}", p.key, p.message)).collect()
    }

    fn alb() -> AlbTarget {
        AlbTarget {
            listener_arn: ARN.into(),
            region: None,
            canonical_host: None,
            bypass_cidrs: Vec::new(),
            bypass_header: None,
        }
    }

    #[test]
    fn a_good_section_has_no_problems_and_takes_its_region_from_the_arn() {
        let good = AlbTarget {
            canonical_host: Some("www.example.com".into()),
            bypass_cidrs: vec!["203.0.113.0/24".into(), "2001:db8::/32".into(), "198.51.100.7/32".into()],
            ..alb()
        };
        assert_eq!(problems(&good), Vec::<String>::new());
        assert_eq!(good.region(), Some("eu-west-1"));
        assert_eq!(AlbTarget { region: Some("eu-west-1".into()), ..alb() }.region(), Some("eu-west-1"));
    }

    #[test]
    fn each_bad_key_is_named() {
        let bad = AlbTarget {
            listener_arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc".into(),
            region: Some("Europe".into()),
            canonical_host: Some("https://www.example.com/".into()),
            bypass_cidrs: vec!["10.0.0.1/24".into(), "10.0.0.1".into(), "nonsense/8".into(), "10.0.0.0/33".into()],
            bypass_header: Some("X Bypass".into()),
        };
        assert_eq!(
            problems(&bad),
            [
                format!(
                    "alb.listener_arn: {:?} is not an Application Load Balancer listener ARN \
                     (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)",
                    bad.listener_arn
                ),
                "alb.region: \"Europe\" is not an AWS region name (like eu-west-1)".into(),
                "alb.canonical_host: \"https://www.example.com/\" is not a host name such as www.example.com (no \
                 scheme, port or path)"
                    .into(),
                "alb.bypass_cidrs: has 4 addresses; an ALB rule condition takes at most 3".into(),
                "alb.bypass_cidrs[0]: \"10.0.0.1/24\" has host bits set; the network is 10.0.0.0/24".into(),
                "alb.bypass_cidrs[1]: \"10.0.0.1\" needs a prefix length, such as 10.0.0.1/32".into(),
                "alb.bypass_cidrs[2]: \"nonsense/8\" is not an IPv4 or IPv6 network (like 203.0.113.0/24)".into(),
                "alb.bypass_cidrs[3]: \"10.0.0.0/33\" has a prefix length outside 0 to 32".into(),
                "alb.bypass_header: \"X Bypass\" is not a header name an ALB rule takes (letters, digits and -, at \
                 most 40 characters, no wildcards), such as x-maintenance-bypass"
                    .into(),
            ]
        );
    }

    /// The bypass's networks are one `source-ip` condition: "You can specify up to three match
    /// evaluations per condition" (rule-condition-types.html,
    /// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>),
    /// so a fourth is refused, though a rule holds five values in all.
    #[test]
    fn a_region_other_than_the_listeners_an_upper_case_host_and_too_many_cidrs_are_refused() {
        let three = AlbTarget { bypass_cidrs: (1..=3).map(|i| format!("10.0.{i}.0/24")).collect(), ..alb() };
        assert_eq!(problems(&three), Vec::<String>::new());
        let bad = AlbTarget {
            region: Some("us-east-1".into()),
            canonical_host: Some("WWW.Example.com".into()),
            bypass_cidrs: (1..=4).map(|i| format!("10.0.{i}.0/24")).collect(),
            ..alb()
        };
        assert_eq!(
            problems(&bad),
            [
                "alb.region: \"us-east-1\" is not the listener's region, \"eu-west-1\" (from listener_arn)",
                "alb.canonical_host: \"WWW.Example.com\" must be written in lower case: \"www.example.com\"",
                "alb.bypass_cidrs: has 4 addresses; an ALB rule condition takes at most 3",
            ]
        );
    }

    #[test]
    fn the_bypass_header_is_a_name_not_reserved_and_its_secret_long_and_without_wildcards() {
        assert_eq!(
            problems(&AlbTarget { bypass_header: Some("x-maintenance-bypass".into()), ..alb() }),
            Vec::<String>::new()
        );
        assert_eq!(
            problems(&AlbTarget { bypass_header: Some("Host".into()), ..alb() }),
            ["alb.bypass_header: \"Host\" is reserved; choose another name, such as x-maintenance-bypass"]
        );
        assert!(check_bypass_secret("0123456789abcdef").is_ok());
        assert!(check_bypass_secret("short").unwrap_err().contains("shorter than 16"));
        assert!(check_bypass_secret("0123456789abcdef*").unwrap_err().contains("wildcards"));
    }

    #[test]
    fn ipv6_host_bits_are_caught_too() {
        assert_eq!(
            check_cidr("2001:db8::1/64").unwrap_err(),
            "\"2001:db8::1/64\" has host bits set; the network is 2001:db8::/64"
        );
        assert!(check_cidr("0.0.0.0/0").is_ok());
        assert!(check_cidr("::/0").is_ok());
    }
}
