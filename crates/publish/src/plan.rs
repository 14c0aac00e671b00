//! The plan: a pure function of the desired state and the current state, listing every write
//! `publish` would make, in the order it makes them, and every trap it refuses unless forced.

use std::collections::BTreeMap;

use aws_sdk_cloudfront::types::DistributionConfig;
use serde::Serialize;

use crate::change::{Change, ChangeKind};
use crate::describe::{OwnedKeys, describe};
use crate::desired::{Desired, MAX_SAFE_ERROR_TTL, PAGE_CACHE_CONTROL, PageObject};
use crate::distribution::{NEW_OAC, with_desired};
use crate::error::PlanError;
use crate::lists::error_responses;
use crate::policy;
use crate::rollback::OwnedState;
use crate::wiring::Wiring;

/// A page object as S3 holds it: what `publish` compares with the page it would upload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredObject {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// The [`digest`](crate::desired::digest) stored with it, if it has one.
    pub digest: Option<String>,
}

impl StoredObject {
    /// Whether S3 already holds exactly `page`: its digest, and the headers it covers.
    pub fn holds(&self, page: &PageObject) -> bool {
        self.digest.as_deref() == Some(page.digest.as_str())
            && self.content_type.as_deref() == Some(page.content_type)
            && self.cache_control.as_deref() == Some(PAGE_CACHE_CONTROL)
    }
}

/// What `publish` read before planning.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    /// The objects under the prefix, by key. Only the pages `publish` would write are read
    /// whole; the others are listed, with an empty [`StoredObject`].
    pub objects: BTreeMap<String, StoredObject>,
    pub distribution: DistributionConfig,
    /// The distribution's ETag, sent back as `If-Match`.
    pub etag: String,
    pub distribution_arn: String,
    /// Config elements the SDK does not model; planning refuses while there are any.
    pub unmodelled: Vec<String>,
    /// The Origin Access Control named for the bucket, if one exists.
    pub oac_id: Option<String>,
    pub bucket_policy: Option<String>,
    /// The bucket's default encryption, and its KMS key as read when it has one.
    pub encryption: crate::kms::Encryption,
}

/// A setting that hurts a site in an outage; refused unless forced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "trap", rename_all = "snake_case")]
pub enum Trap {
    /// A distribution-wide 403/404 → 200 rewrite (single-page-app style): a missing page
    /// object, or any error, then looks healthy to viewers, crawlers and `verify`.
    SuccessRewrite { code: u16, page_path: String },
    /// Errors would be cached longer than an outage should last.
    LongErrorTtl { ttl: u32 },
    /// A configured code that has no page of its own; the generic page stands in.
    CodeWithoutPage { code: u16 },
    /// The bucket encrypts with a KMS key whose policy does not let the distribution decrypt:
    /// viewers would get S3's 403.
    KmsKeyNotGranted { key: String, statement: String },
    /// The bucket encrypts with an AWS managed KMS key, whose policy cannot grant CloudFront.
    KmsKeyAwsManaged { key: String },
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trap::SuccessRewrite { code, page_path } => write!(
                f,
                "the distribution rewrites every {code} to 200 with {page_path}: a missing page or a failing \
                 origin would look healthy; remove that error response"
            ),
            Trap::LongErrorTtl { ttl } => write!(
                f,
                "[cloudfront] error_caching_min_ttl = {ttl}: CloudFront would keep serving the error page for up \
                 to {ttl} s after the origin recovers; use at most {MAX_SAFE_ERROR_TTL}"
            ),
            Trap::CodeWithoutPage { code } => write!(
                f,
                "[cloudfront] error_codes has {code}, which has no page of its own (pages exist for 500, 502, 503, \
                 504); remove it, or let the generic page answer it"
            ),
            Trap::KmsKeyNotGranted { key, statement } => write!(
                f,
                "the bucket encrypts new objects with KMS key {key}, whose key policy does not let this distribution \
                 decrypt them, so viewers would get S3's 403 instead of the pages; add this statement to the key \
                 policy (edgepages does not own the key): {statement}"
            ),
            Trap::KmsKeyAwsManaged { key } => write!(
                f,
                "the bucket encrypts new objects with the AWS managed KMS key {key}, whose key policy cannot be \
                 changed to let CloudFront decrypt them, so viewers would get S3's 403; set the bucket's default \
                 encryption to SSE-S3 or to a customer managed key"
            ),
        }
    }
}

/// One page object to upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub key: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub uploads: Vec<Upload>,
    pub unchanged: usize,
    /// Objects under the prefix that no page needs any more: listed, never deleted.
    pub left_in_place: Vec<String>,
    pub create_oac: bool,
    /// The bucket policy to write, when it changes.
    pub bucket_policy: Option<String>,
    /// The distribution config to send, when it changes, and its changes.
    pub distribution: Option<DistributionConfig>,
    pub changes: Vec<Change>,
    pub traps: Vec<Trap>,
    /// The owned parts as they are now: the rollback record if the distribution changes.
    pub before: OwnedState,
}

impl Plan {
    /// The number of write calls the plan makes (the rollback record counts as one).
    pub fn write_count(&self) -> usize {
        self.uploads.len()
            + usize::from(self.create_oac)
            + usize::from(self.bucket_policy.is_some())
            + 2 * usize::from(self.distribution.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.write_count() == 0
    }

    /// This plan's page uploads alone, for a distribution and bucket policy managed elsewhere
    /// (`edgepages export`): no OAC, no bucket policy, no distribution change, and so none of
    /// the distribution's traps; the KMS key's stay, as the pages are what it encrypts.
    #[must_use]
    pub fn pages_only(self) -> Plan {
        let traps = self
            .traps
            .into_iter()
            .filter(|t| matches!(t, Trap::KmsKeyNotGranted { .. } | Trap::KmsKeyAwsManaged { .. }));
        Plan {
            create_oac: false,
            bucket_policy: None,
            distribution: None,
            changes: Vec::new(),
            traps: traps.collect(),
            ..self
        }
    }
}

/// Plans the change from `current` to `desired`, wired to the other parts as `wiring` says.
pub fn plan(desired: &Desired, wiring: &Wiring, current: &Current) -> Result<Plan, PlanError> {
    PlanError::refuse_unmodelled(&desired.distribution_id, &current.unmodelled)?;
    let mut uploads = Vec::new();
    let mut unchanged = 0;
    for object in &desired.objects {
        match current.objects.get(&object.key) {
            Some(stored) if stored.holds(object) => unchanged += 1,
            Some(_) => uploads.push(Upload { key: object.key.clone(), kind: ChangeKind::Modify }),
            None => uploads.push(Upload { key: object.key.clone(), kind: ChangeKind::Add }),
        }
    }
    let state_prefix = format!("{}/_edgepages/", desired.prefix);
    let left_in_place = current
        .objects
        .keys()
        .filter(|key| !key.starts_with(&state_prefix) && !desired.objects.iter().any(|o| &o.key == *key))
        .cloned()
        .collect();

    let oac_id = current.oac_id.as_deref().unwrap_or(NEW_OAC);
    let next = with_desired(&current.distribution, desired, wiring, oac_id)?;
    let changes = describe(&current.distribution, &next, &OwnedKeys::of(desired, wiring));
    let distribution = (next != current.distribution).then_some(next);

    Ok(Plan {
        uploads,
        unchanged,
        left_in_place,
        create_oac: current.oac_id.is_none(),
        bucket_policy: policy::merged(current.bucket_policy.as_deref(), desired, &current.distribution_arn)?,
        distribution,
        changes,
        traps: traps(desired, current),
        before: OwnedState::capture(&current.distribution, desired, wiring),
    })
}

fn traps(desired: &Desired, read: &Current) -> Vec<Trap> {
    let current = &read.distribution;
    let mut traps = Vec::new();
    match crate::kms::verdict(&read.encryption, &read.distribution_arn) {
        crate::kms::Verdict::NotGranted { key, statement } => traps.push(Trap::KmsKeyNotGranted { key, statement }),
        crate::kms::Verdict::AwsManaged { key } => traps.push(Trap::KmsKeyAwsManaged { key }),
        _ => {}
    }
    for r in error_responses(current) {
        let owned = desired.error_pages.iter().any(|p| i32::from(p.code) == r.error_code);
        if (r.error_code == 403 || r.error_code == 404) && !owned && r.response_code.as_deref() == Some("200") {
            traps.push(Trap::SuccessRewrite {
                code: u16::try_from(r.error_code).unwrap_or_default(),
                page_path: r.response_page_path.clone().unwrap_or_default(),
            });
        }
    }
    if desired.error_ttl > MAX_SAFE_ERROR_TTL {
        traps.push(Trap::LongErrorTtl { ttl: desired.error_ttl });
    }
    traps.extend(
        desired
            .error_pages
            .iter()
            .filter(|p| !p.has_own_page && p.serves_page)
            .map(|p| Trap::CodeWithoutPage { code: p.code }),
    );
    traps
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{CustomErrorResponse, CustomErrorResponses};

    use super::*;
    use crate::desired::ErrorPage;
    use crate::fixtures::desired;
    use crate::fixtures::existing;

    fn current() -> Current {
        Current {
            objects: BTreeMap::new(),
            distribution: existing(),
            etag: "E1".into(),
            distribution_arn: "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE123".into(),
            unmodelled: Vec::new(),
            oac_id: None,
            bucket_policy: None,
            encryption: crate::kms::Encryption::S3Managed,
        }
    }

    /// What S3 holds once `page` is uploaded.
    fn stored(page: &PageObject) -> StoredObject {
        StoredObject {
            content_type: Some(page.content_type.to_owned()),
            cache_control: Some(PAGE_CACHE_CONTROL.to_owned()),
            digest: Some(page.digest.clone()),
        }
    }

    /// `current` after the plan has been carried out.
    fn applied(desired: &Desired, mut current: Current, plan: &Plan) -> Current {
        for object in &desired.objects {
            current.objects.insert(object.key.clone(), stored(object));
        }
        current.oac_id = Some("OAC1".into());
        current.distribution = with_desired(&current.distribution, desired, &Wiring::default(), "OAC1").unwrap();
        current.bucket_policy = plan.bucket_policy.clone().or(current.bucket_policy);
        current
    }

    #[test]
    fn pages_only_keeps_the_uploads_and_drops_every_distribution_and_bucket_write() {
        let mut d = desired();
        d.error_ttl = 600;
        let full = plan(&d, &Wiring::default(), &current()).unwrap();
        assert!(full.create_oac && full.bucket_policy.is_some() && full.distribution.is_some());
        assert!(!full.traps.is_empty(), "a 600 s TTL is a trap of the distribution's");
        let uploads = full.uploads.clone();
        let pages = full.pages_only();
        assert_eq!(pages.uploads, uploads);
        assert_eq!(pages.write_count(), uploads.len());
        assert!(pages.changes.is_empty() && pages.traps.is_empty());
    }

    #[test]
    fn a_fresh_site_uploads_everything_and_wires_the_distribution() {
        let d = desired();
        let p = plan(&d, &Wiring::default(), &current()).unwrap();
        assert_eq!(p.uploads.len(), 2);
        assert!(p.uploads.iter().all(|u| u.kind == ChangeKind::Add));
        assert!(p.create_oac && p.bucket_policy.is_some() && p.distribution.is_some());
        assert_eq!(p.write_count(), 2 + 1 + 1 + 2);
        assert!(p.traps.is_empty());
    }

    #[test]
    fn nothing_changed_means_no_writes() {
        let d = desired();
        let first = plan(&d, &Wiring::default(), &current()).unwrap();
        let after = applied(&d, current(), &first);
        let second = plan(&d, &Wiring::default(), &after).unwrap();
        assert!(second.is_empty(), "{second:?}");
        assert_eq!(second.unchanged, 2);
        assert!(second.changes.is_empty());
    }

    #[test]
    fn only_changed_pages_are_uploaded_and_stale_ones_are_kept() {
        let d = desired();
        let mut c = current();
        c.objects.insert("edgepages/502.html".into(), stored(&d.objects[0]));
        c.objects.insert("edgepages/503.html".into(), stored(&d.objects[0]));
        c.objects.insert("edgepages/old.html".into(), StoredObject::default());
        c.objects.insert("edgepages/_edgepages/rollback-E2EXAMPLE123.json".into(), StoredObject::default());
        let p = plan(&d, &Wiring::default(), &c).unwrap();
        assert_eq!(p.uploads, [Upload { key: "edgepages/503.html".into(), kind: ChangeKind::Modify }]);
        assert_eq!(p.unchanged, 1);
        assert_eq!(p.left_in_place, ["edgepages/old.html"]);
    }

    #[test]
    fn a_page_is_uploaded_again_when_its_headers_change_even_if_its_body_does_not() {
        let d = desired();
        let page = &d.objects[0];
        let mut c = current();
        c.objects.insert(page.key.clone(), stored(page));
        c.objects.insert(d.objects[1].key.clone(), stored(&d.objects[1]));
        assert!(plan(&d, &Wiring::default(), &c).unwrap().uploads.is_empty());

        // Published by an older edgepages: no digest at all.
        let mut older = stored(page);
        older.digest = None;
        // Its Cache-Control was another one, and so was the digest that covered it.
        let other_cache_control = StoredObject {
            cache_control: Some("no-store".into()),
            digest: Some(crate::desired::digest(&page.body, page.content_type, "no-store")),
            ..stored(page)
        };
        // Someone changed its content type, keeping the metadata.
        let other_type = StoredObject { content_type: Some("text/plain".into()), ..stored(page) };
        for changed in [older, other_cache_control, other_type] {
            c.objects.insert(page.key.clone(), changed.clone());
            let p = plan(&d, &Wiring::default(), &c).unwrap();
            assert_eq!(p.uploads, [Upload { key: page.key.clone(), kind: ChangeKind::Modify }], "{changed:?}");
        }
    }

    /// `current()` with a single-page-app style 404 → 200 rewrite.
    fn with_404_rewrite_to_200() -> Current {
        let mut c = current();
        let spa = CustomErrorResponse::builder()
            .error_code(404)
            .response_page_path("/index.html")
            .response_code("200")
            .build()
            .unwrap();
        c.distribution.custom_error_responses =
            Some(CustomErrorResponses::builder().quantity(1).items(spa).build().unwrap());
        c
    }

    #[test]
    fn traps_are_found() {
        let mut d = desired();
        d.error_ttl = 300;
        d.error_pages.push(ErrorPage {
            code: 403,
            page_path: "/edgepages/error.html".into(),
            has_own_page: false,
            serves_page: true,
        });
        let c = with_404_rewrite_to_200();
        let p = plan(&d, &Wiring::default(), &c).unwrap();
        assert_eq!(
            p.traps,
            [
                Trap::SuccessRewrite { code: 404, page_path: "/index.html".into() },
                Trap::LongErrorTtl { ttl: 300 },
                Trap::CodeWithoutPage { code: 403 },
            ]
        );
        // The library states the fault; the command adds its flag.
        assert!(p.traps.iter().all(|t| !t.to_string().contains("--force")));
    }

    #[test]
    fn a_distribution_with_elements_the_sdk_would_drop_is_refused_by_name() {
        let mut c = current();
        c.unmodelled = vec!["NewTopLevelSetting".into(), "Origins/Items/Origin/FutureShield".into()];
        let e = plan(&desired(), &Wiring::default(), &c).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("NewTopLevelSetting, Origins/Items/Origin/FutureShield"), "{text}");
        assert!(text.contains("upgrade edgepages"), "{text}");
    }

    #[test]
    fn a_rewrite_of_an_owned_code_is_replaced_not_a_trap() {
        let mut d = desired();
        d.error_pages.push(ErrorPage {
            code: 404,
            page_path: "/edgepages/error.html".into(),
            has_own_page: false,
            serves_page: true,
        });
        let c = with_404_rewrite_to_200();
        let p = plan(&d, &Wiring::default(), &c).unwrap();
        assert_eq!(p.traps, [Trap::CodeWithoutPage { code: 404 }]);
    }
}
