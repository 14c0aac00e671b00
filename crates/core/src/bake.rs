//! Writes a [`Site`] as a Rust expression, so that a build script can compile the checked site
//! into the worker: no config parser and no deserialiser ship to the edge.
//!
//! Every struct is written as a struct literal naming all its fields, so a field added to the
//! model without being baked is a compile error in the worker, never a silently lost setting.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{
    AlbTarget, Brand, BreakerPolicy, CloudFrontTarget, Config, CopyOverride, EdgePolicy, HexColor, LambdaEdgeTarget,
    Locales, Maintenance, OriginTimeouts, Pages, Palette, PathRule, Provider, RetryAfter, S3Target, StatusSource,
};
use crate::page::PageKind;
use crate::site::Site;

#[cfg(all(feature = "user-template", not(feature = "template-check")))]
compile_error!("baking a site with its own templates needs the `template-check` feature (the templates' compiler)");

/// A value that can write the Rust expression that rebuilds it.
pub trait Bake {
    fn bake(&self, out: &mut String);
}

/// The Rust expression for `value`.
pub fn to_rust(value: &impl Bake) -> String {
    let mut out = String::new();
    value.bake(&mut out);
    out
}

impl Bake for String {
    fn bake(&self, out: &mut String) {
        // `{:?}` of a str is a valid Rust string literal with every special character escaped.
        let _ = write!(out, "::std::string::String::from({self:?})");
    }
}

macro_rules! bake_literal {
    ($($ty:ty),*) => {$(
        impl Bake for $ty {
            fn bake(&self, out: &mut String) {
                let _ = write!(out, "{}{}", self, stringify!($ty));
            }
        }
    )*};
}
bake_literal!(u8, u16, u32, u64);

impl Bake for bool {
    fn bake(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl<T: Bake> Bake for Option<T> {
    fn bake(&self, out: &mut String) {
        match self {
            Some(value) => {
                out.push_str("::std::option::Option::Some(");
                value.bake(out);
                out.push(')');
            }
            None => out.push_str("::std::option::Option::None"),
        }
    }
}

impl<T: Bake> Bake for Vec<T> {
    fn bake(&self, out: &mut String) {
        out.push_str("::std::vec![");
        for item in self {
            item.bake(out);
            out.push(',');
        }
        out.push(']');
    }
}

impl<K: Bake, V: Bake> Bake for BTreeMap<K, V> {
    fn bake(&self, out: &mut String) {
        out.push_str("::std::collections::BTreeMap::from([");
        for (key, value) in self {
            out.push('(');
            key.bake(out);
            out.push(',');
            value.bake(out);
            out.push_str("),");
        }
        out.push_str("])");
    }
}

/// `impl Bake for Type` as a struct literal of all the listed fields, at `path`.
macro_rules! bake_struct {
    ($ty:ident at $path:literal { $($field:ident),* $(,)? }) => {
        impl Bake for $ty {
            fn bake(&self, out: &mut String) {
                out.push_str(concat!("::edgepages_core::", $path, "::", stringify!($ty), " {"));
                $(
                    out.push_str(concat!(stringify!($field), ": "));
                    self.$field.bake(out);
                    out.push(',');
                )*
                out.push('}');
            }
        }
    };
}

bake_struct!(Config at "config" { brand, locales, copy, edge, s3, cloudfront, alb, pages, status });
bake_struct!(Pages at "config" { template, text_template, in_page_retry });
bake_struct!(StatusSource at "config" { provider, url, components });
bake_struct!(Brand at "config" { name, logo, support_url, status_url, light, dark });
bake_struct!(Palette at "config" { accent, background, text });
bake_struct!(Locales at "config" { default, available });
bake_struct!(CopyOverride at "config" { title, message, advice });
bake_struct!(EdgePolicy at "config" { deadline_ms, upload_timeout_ms, paths, intercept, pass_json_errors, retry_after, stale_if_error_s, stale_types, stale_banner, breaker, maintenance });
bake_struct!(BreakerPolicy at "config" { enabled, window_s, min_requests, failure_percent, cooldown_s });
bake_struct!(PathRule at "config" { prefix, deadline_ms, origin });
bake_struct!(RetryAfter at "config" { timeout, connect, error, overload, maintenance, jitter_percent });
bake_struct!(S3Target at "config" { bucket, prefix, region });
bake_struct!(CloudFrontTarget at "config" { distribution_id, error_codes, error_caching_min_ttl, origin, lambda_edge });
bake_struct!(LambdaEdgeTarget at "config" { enabled, role_arn, function_name });
bake_struct!(AlbTarget at "config" { listener_arn, region, canonical_host, bypass_cidrs, bypass_header });
bake_struct!(OriginTimeouts at "config" { id, connection_attempts, connection_timeout, read_timeout });

impl Bake for HexColor {
    fn bake(&self, out: &mut String) {
        let [r, g, b] = self.channels();
        let _ = write!(out, "::edgepages_core::config::HexColor::rgb({r}, {g}, {b})");
    }
}

impl Bake for Maintenance {
    fn bake(&self, out: &mut String) {
        match self {
            Maintenance::Off => out.push_str("::edgepages_core::config::Maintenance::Off"),
            Maintenance::On => out.push_str("::edgepages_core::config::Maintenance::On"),
            Maintenance::Until(end) => {
                let _ = write!(out, "::edgepages_core::config::Maintenance::Until({end}u64)");
            }
        }
    }
}

impl Bake for Provider {
    fn bake(&self, out: &mut String) {
        let _ = write!(out, "::edgepages_core::config::Provider::{self:?}");
    }
}

impl Bake for PageKind {
    fn bake(&self, out: &mut String) {
        let _ = write!(out, "::edgepages_core::PageKind::{self:?}");
    }
}

impl Bake for Site {
    fn bake(&self, out: &mut String) {
        out.push_str("::edgepages_core::Site::from_prepared_parts(");
        self.config.bake(out);
        out.push(',');
        self.logo_svg.bake(out);
        out.push(',');
        self.style.bake(out);
        out.push(',');
        self.csp.bake(out);
        out.push(')');
        #[cfg(feature = "template-check")]
        if let Some(templates) = self.templates() {
            // The templates' compiled instructions (`check::prepare` made sure each can be
            // written), and the CSP computed from their pages.
            let program = templates.bake().unwrap_or_else(|problems| {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                panic!("a prepared site's templates bake: {}", lines.join("; "))
            });
            let _ = write!(out, ".with_templates({program}, ");
            self.csp.bake(out);
            out.push(')');
        }
    }
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_rust_literals() {
        assert_eq!(to_rust(&"a\"b\\c\n{}".to_owned()), r#"::std::string::String::from("a\"b\\c\n{}")"#);
    }

    #[test]
    fn a_full_config_bakes_every_field() {
        let text = "[brand]\nname = \"X\"\n[edge]\nmaintenance = \"2026-11-24T18:00:00Z\"\n[[edge.paths]]\nprefix = \"/r\"\ndeadline_ms = 200\n[copy.en.maintenance]\ntitle = \"T\"\n[s3]\nbucket = \"b-1\"\n[cloudfront]\ndistribution_id = \"E1\"\n[status]\nprovider = \"betterstack\"\nurl = \"https://s.example\"\ncomponents = [\"API\"]\n";
        let config = crate::config::load::parse(text, "t.toml").unwrap();
        let baked = to_rust(&config);
        for needle in [
            "HexColor::rgb(31, 95, 191)",
            "Maintenance::Until(1795543200u64)",
            "PathRule {prefix: ::std::string::String::from(\"/r\"),deadline_ms: ::std::option::Option::Some(200u32)",
            "(::edgepages_core::PageKind::Maintenance,::edgepages_core::config::CopyOverride {title: ::std::option::Option::Some(::std::string::String::from(\"T\"))",
            "distribution_id: ::std::string::String::from(\"E1\")",
            "jitter_percent: 50u8",
            "status: ::std::option::Option::Some(::edgepages_core::config::StatusSource {provider: ::edgepages_core::config::Provider::Betterstack,url: ::std::string::String::from(\"https://s.example\"),components: ::std::vec![::std::string::String::from(\"API\"),],})",
        ] {
            assert!(baked.contains(needle), "{needle} not in {baked}");
        }
    }
}

#[cfg(all(test, feature = "template-check"))]
mod template_tests {
    #[test]
    fn a_site_with_templates_bakes_their_instructions_not_their_source() {
        let config = crate::config::load::parse(
            "[brand]\nname = \"X\"\n[pages]\ntemplate = \"p.html\"\nin_page_retry = false\n",
            "t.toml",
        )
        .unwrap();
        let source = crate::template::TemplateSource {
            path: "brand/p.html".into(),
            text: "<p title=\"{{ title }}\">{% if request_id %}{{ request_id|default('-') }}{% endif %}</p>".into(),
        };
        let site =
            crate::template::check::prepare(crate::Site::new(config, None).unwrap(), Some(source), None).unwrap();
        let baked = super::to_rust(&site);
        for needle in [
            ".with_templates(::edgepages_core::template::UserTemplates::precompiled(::std::option::Option::Some((\"brand/p.html\", ::edgepages_core::template::program(::edgepages_core::template::Slot::Html, ::std::vec![",
            "::edgepages_core::template::Instruction::EmitRaw(\"<p title=\\\"\"),",
            "::edgepages_core::template::Instruction::Lookup(\"request_id\"),",
            "::edgepages_core::template::Instruction::ApplyFilter(\"default\", Some(2), 0),",
            "::edgepages_core::template::Instruction::LoadConst(::edgepages_core::template::Value::from(\"-\")),",
            "::std::option::Option::None)",
        ] {
            assert!(baked.contains(needle), "{needle} not in {baked}");
        }
        assert!(!baked.contains("{{ title }}"), "the source is not baked");
    }
}
