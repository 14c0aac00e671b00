//! A session's plan as a coloured diff for people, part by part; machines read the session
//! itself, serialised (`--json`).

use anstyle::{AnsiColor, Style};
use edgepages_core::config::CustomErrorOrder;
use edgepages_publish::Desired;
use edgepages_publish::change::{Change, ChangeKind};
use edgepages_publish::session::{FunctionPart, GuardPart, Session};
use edgepages_publish::variant::plan::Mode;
use edgepages_publish::variant::plan::VariantEdit;

use crate::output::Output;

const ADD: Style = AnsiColor::Green.on_default();
const MODIFY: Style = AnsiColor::Yellow.on_default();
const REMOVE: Style = AnsiColor::Red.on_default();
const HEAD: Style = Style::new().bold();

/// The plan of `session`, for people (`--json` prints the session itself).
pub fn show(out: &Output, session: &Session) {
    let d = &session.desired;
    out.result(&format!(
        "{HEAD}plan{HEAD:#} for distribution {} and s3://{}/{}/",
        d.distribution_id, d.bucket, d.prefix
    ));
    out.result("");
    show_pages(out, session);
    show_distribution(out, session);
    show_error_order(out, d);
    if let edgepages_publish::kms::Verdict::Unread { key, why, statement } =
        edgepages_publish::kms::verdict(&session.current.encryption, &session.current.distribution_arn)
    {
        out.warn(&format!(
            "bucket {} encrypts new objects with KMS key {key}, which could not be checked ({why}); CloudFront reads \
             the pages only if the key policy holds this statement: {statement}",
            d.bucket
        ));
    }
    if let Some(f) = &session.function {
        show_function(out, f);
    }
    if let Some(v) = &session.wiring.variant {
        show_variant(out, v);
    }
    if let Some(g) = &session.guard {
        show_guard(out, g);
    }
    out.result("");
    show_write_count(out, session.write_count());
}

/// `up to date`, or how many write calls.
pub fn show_write_count(out: &Output, writes: usize) {
    if writes == 0 {
        out.good("up to date:", "nothing to write");
    } else {
        out.result(&format!("{writes} write calls"));
    }
}

/// The pages to upload, the OAC and the bucket policy.
fn show_pages(out: &Output, session: &Session) {
    let (d, plan) = (&session.desired, &session.pages);
    let added = plan.uploads.iter().filter(|u| u.kind == ChangeKind::Add).count();
    out.result(&format!(
        "  pages: {} to upload ({added} new, {} changed), {} unchanged",
        plan.uploads.len(),
        plan.uploads.len() - added,
        plan.unchanged
    ));
    for upload in &plan.uploads {
        out.result(&format!("    {}", marked(upload.kind, &upload.key)));
    }
    if plan.create_oac {
        out.result(&format!("  {}", marked(ChangeKind::Add, &format!("origin access control {}", d.oac_name()))));
    }
    if plan.bucket_policy.is_some() {
        let kind = if session.current.bucket_policy.is_some() { ChangeKind::Modify } else { ChangeKind::Add };
        let what = format!("bucket policy of {}: let only this distribution read {}", d.bucket, d.readable_resource());
        out.result(&format!("  {}", marked(kind, &what)));
    }
}

/// The distribution's changes, what is left in place, and the traps.
fn show_distribution(out: &Output, session: &Session) {
    let (d, plan) = (&session.desired, &session.pages);
    if plan.changes.is_empty() {
        out.result(&format!("  distribution {}: no change", d.distribution_id));
    } else {
        out.result(&format!("  distribution {} (If-Match: {}):", d.distribution_id, session.current.etag));
        for change in &plan.changes {
            show_change(out, change);
        }
    }
    if !plan.left_in_place.is_empty() {
        out.result(&format!(
            "  left in place (no page uses them; publish never deletes): {}",
            plan.left_in_place.join(", ")
        ));
    }
    for trap in &plan.traps {
        out.result(&format!("  {REMOVE}trap:{REMOVE:#} {trap} (publish refuses it without --force)"));
    }
}

/// The Lambda@Edge function's changes, or its version when nothing changes.
fn show_function(out: &Output, f: &FunctionPart) {
    if f.plan.changes.is_empty() {
        let version = f.plan.current_version.as_ref().map_or_else(String::new, |v| format!(", version {}", v.version));
        out.result(&format!("  Lambda@Edge function {} (us-east-1): no change{version}", f.spec.name));
    } else {
        out.result("  Lambda@Edge (us-east-1):");
        for change in &f.plan.changes {
            show_change(out, change);
        }
    }
}

/// Which order of custom error responses and the function the error pages are set up for, and how
/// `verify --live` settles it on the distribution (AWS does not document it).
fn show_error_order(out: &Output, desired: &Desired) {
    let Some(order) = desired.custom_error_order else { return };
    let codes = |with_page: bool| {
        let list: Vec<String> =
            desired.error_pages.iter().filter(|p| p.serves_page == with_page).map(|p| p.code.to_string()).collect();
        list.join(", ")
    };
    let assumption = match order {
        CustomErrorOrder::BeforeFunction => format!(
            "assumes CloudFront applies them only to what the Lambda@Edge function did not answer \
             (custom_error_order = \"before-function\"): {} keep their pages",
            codes(true)
        ),
        CustomErrorOrder::AfterFunction => {
            let ttl_only = codes(false);
            let pages = codes(true);
            format!(
                "assumes CloudFront lets them replace the Lambda@Edge function's answer (custom_error_order = \
                 \"after-function\"): {} set only their error caching TTL, so the function's answer reaches viewers{}",
                if ttl_only.is_empty() { "no code" } else { &ttl_only },
                if pages.is_empty() {
                    String::new()
                } else {
                    format!("; {pages} keep their pages, for CloudFront's own errors where the function does not run")
                }
            )
        }
    };
    out.result(&format!("  custom error responses: {assumption}."));
    out.result(
        "    AWS does not document the order: after publishing, `edgepages verify --live URL` shows which reaches \
         viewers, and what to set",
    );
}

/// The variant's part: what each behavior gets, and the writes.
fn show_variant(out: &Output, v: &VariantEdit) {
    if !v.spec.enabled {
        return;
    }
    out.result("  the variant in the cache key:");
    for (key, mode) in &v.plan.behaviors {
        out.result(&format!("    {key}: {}", mode_words(mode)));
    }
    for step in &v.plan.steps {
        out.result(&format!("    {}", marked(ChangeKind::Add, &step.describe())));
    }
}

/// What a behavior gets, in a plan's words.
pub fn mode_words(mode: &Mode) -> String {
    match mode {
        Mode::Keyed { policy } => format!("caches; each viewer's own variant, in a copy of cache policy {policy}"),
        Mode::Shared { .. } => {
            "caches nothing; one answer for every viewer (HTML, default language); list it in per_viewer for each \
             viewer's own"
                .to_owned()
        }
        Mode::PerViewer { .. } => {
            "caches nothing, in per_viewer; each viewer's own answer, which may reach another viewer for the error \
             caching TTL"
                .to_owned()
        }
        Mode::Theirs { arn } => format!("left alone: its viewer events are {arn}'s"),
        Mode::Legacy => "left alone: legacy cache settings (a cache policy would let it hold the variant)".to_owned(),
    }
}

pub fn show_guard(out: &Output, g: &GuardPart) {
    if g.plan.changes.is_empty() {
        out.result(&format!("  ALB guard on listener {}: no change", g.listener_arn));
    } else {
        out.result(&format!("  ALB guard on listener {} (re-read before each write):", g.listener_arn));
        for change in &g.plan.changes {
            show_change(out, change);
        }
    }
    if g.plan.redirect_waits {
        out.result(
            "    the redirect waits until the distribution has deployed the origin header: publish again then, or \
             every viewer would loop meanwhile",
        );
    }
    for rule in &g.plan.ahead {
        out.warn(&format!(
            "rule {rule} comes before the guard's redirect: visitors of the ALB's own name it matches still reach it"
        ));
    }
}

pub fn show_change(out: &Output, change: &Change) {
    out.result(&format!("    {}", marked(change.kind, &change.target)));
    if let Some(before) = &change.before {
        out.result(&format!("        {REMOVE}- {before}{REMOVE:#}"));
    }
    if let Some(after) = &change.after {
        out.result(&format!("        {ADD}+ {after}{ADD:#}"));
    }
}

fn marked(kind: ChangeKind, text: &str) -> String {
    let (style, sign) = match kind {
        ChangeKind::Add => (ADD, '+'),
        ChangeKind::Modify => (MODIFY, '~'),
        ChangeKind::Remove => (REMOVE, '-'),
    };
    format!("{style}{sign} {text}{style:#}")
}
