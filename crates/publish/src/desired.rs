//! What `publish` wants to exist: the page objects, and the CloudFront settings it owns,
//! derived from the config and the rendered pages. What the distribution names of the other
//! parts (known only once they are read) is in [`crate::wiring`].

use edgepages_core::PageKind;
use edgepages_core::config::{Config, CustomErrorOrder, OriginTimeouts};
use edgepages_core::static_pages::StaticPage;
use sha2::{Digest as _, Sha256};

use crate::error::PlanError;

/// `Cache-Control` on the page objects: short, so that a re-published page reaches viewers
/// within a minute, while CloudFront's own error caching is set by `ErrorCachingMinTTL`.
pub const PAGE_CACHE_CONTROL: &str = "public, max-age=60";

/// The managed CloudFront cache policy "CachingOptimized".
pub const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// Error TTLs above this are a trap: an outage's page outlives the outage.
pub const MAX_SAFE_ERROR_TTL: u32 = 60;

/// The most characters an Origin Access Control's name may hold: "You can specify up to 64
/// characters" (OriginAccessControlConfig, Name, in CloudFront's API reference,
/// <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html>).
pub const OAC_NAME_MAX: usize = 64;

/// Hex digits of the bucket name's SHA-256 (its first four bytes) that end a shortened OAC name.
const OAC_NAME_DIGEST_HEX: usize = 8;

/// The user metadata (`x-amz-meta-edgepages-digest`) that holds a page object's [`digest`].
pub const DIGEST_METADATA: &str = "edgepages-digest";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageObject {
    pub key: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    /// The object's [`digest`], stored with it. S3's ETag cannot stand in: under SSE-KMS and
    /// for multipart uploads it is not the body's MD5, and it never covers the headers.
    pub digest: String,
}

impl PageObject {
    pub fn new(key: impl Into<String>, body: Vec<u8>, content_type: &'static str) -> PageObject {
        let digest = digest(&body, content_type, PAGE_CACHE_CONTROL);
        PageObject { key: key.into(), body, content_type, digest }
    }
}

/// SHA-256 over everything `publish` sets on a page object: its content type, its
/// `Cache-Control` and its body. A change to any of them changes the digest.
pub fn digest(body: &[u8], content_type: &str, cache_control: &str) -> String {
    use std::fmt::Write as _;
    let hash = Sha256::new()
        .chain_update(content_type.as_bytes())
        .chain_update(b"\n")
        .chain_update(cache_control.as_bytes())
        .chain_update(b"\n")
        .chain_update(body)
        .finalize();
    hash.iter().fold(String::from("sha256:"), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One `CustomErrorResponse` that `publish` owns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorPage {
    pub code: u16,
    /// The viewer path, such as `/edgepages/503.html`.
    pub page_path: String,
    /// The page exists for this code; otherwise the generic page stands in (`--force` only).
    pub has_own_page: bool,
    /// The custom error response carries the page; otherwise only the error caching TTL, so
    /// that the Lambda@Edge function's answer reaches viewers ([`crate::order`]).
    pub serves_page: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub bucket: String,
    /// The bucket's region, for the S3 origin's domain name.
    pub region: String,
    /// Key prefix without slashes at either end, such as `edgepages`.
    pub prefix: String,
    pub distribution_id: String,
    pub objects: Vec<PageObject>,
    pub error_pages: Vec<ErrorPage>,
    /// The order of custom error responses and the Lambda@Edge function that the error pages are
    /// set up for ([`crate::order`]), when the function runs.
    pub custom_error_order: Option<CustomErrorOrder>,
    pub error_ttl: u32,
    pub origin_timeouts: Option<OriginTimeouts>,
}

impl Desired {
    /// Builds the desired state. `region` is the bucket's region: `[s3] region`, or the one the
    /// AWS config chain resolved.
    pub fn new(config: &Config, pages: &[StaticPage], region: &str) -> Result<Desired, PlanError> {
        let s3 = config.s3.as_ref().ok_or(PlanError::MissingSection("s3"))?;
        let cf = config.cloudfront.as_ref().ok_or(PlanError::MissingSection("cloudfront"))?;
        let prefix = config.pages_prefix().to_owned();
        let error_pages = cf
            .error_codes
            .iter()
            .map(|&code| {
                let kind = PageKind::for_status(code);
                let own = kind != PageKind::Fallback && kind.file_stem() == code.to_string();
                ErrorPage {
                    code,
                    page_path: format!(
                        "/{prefix}/{}.html",
                        if own { kind.file_stem() } else { PageKind::Fallback.file_stem() }
                    ),
                    has_own_page: own,
                    serves_page: crate::order::serves_page(config, code).0,
                }
            })
            .collect();
        let objects =
            pages.iter().map(|p| PageObject::new(p.key.clone(), p.body.clone().into_bytes(), p.content_type)).collect();
        Ok(Desired {
            bucket: s3.bucket.clone(),
            region: region.to_owned(),
            prefix,
            distribution_id: cf.distribution_id.clone(),
            objects,
            error_pages,
            custom_error_order: cf.lambda_edge.as_ref().filter(|f| f.enabled).map(|f| f.custom_error_order),
            error_ttl: cf.error_caching_min_ttl,
            origin_timeouts: cf.origin.clone(),
        })
    }

    /// The ID of the S3 origin that `publish` adds and owns.
    pub fn origin_id(&self) -> String {
        format!("edgepages-{}", self.bucket)
    }

    /// The S3 origin's regional domain name.
    pub fn origin_domain(&self) -> String {
        format!("{}.s3.{}.amazonaws.com", self.bucket, self.region)
    }

    /// The cache behavior's path pattern: everything under the prefix.
    pub fn path_pattern(&self) -> String {
        format!("/{}/*", self.prefix)
    }

    /// The name of the Origin Access Control `publish` finds or creates: see [`oac_name`].
    pub fn oac_name(&self) -> String {
        oac_name(&self.bucket)
    }

    /// The S3 keys the distribution may read: the pages.
    pub fn readable_resource(&self) -> String {
        format!("arn:aws:s3:::{}/{}/*.html", self.bucket, self.prefix)
    }
}

/// The name of the Origin Access Control for `bucket`: `edgepages-<bucket>` while that fits
/// [`OAC_NAME_MAX`] (a bucket name of up to 54 characters, so an OAC made before the limit was
/// kept is still found by its name); for a longer bucket name, as much of it as fits before `-`
/// and the first hex digits of its SHA-256, so the name is the same at every publish and two
/// buckets that share a long prefix get two names. (An OAC holds no bucket of its own, so even a
/// shared name would sign correctly; the name only lets `publish` find the one it made.)
pub fn oac_name(bucket: &str) -> String {
    let whole = format!("edgepages-{bucket}");
    if whole.len() <= OAC_NAME_MAX {
        return whole;
    }
    let digest = Sha256::digest(bucket.as_bytes());
    let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let room = OAC_NAME_MAX - "edgepages-".len() - 1 - OAC_NAME_DIGEST_HEX;
    // Bucket names are ASCII (lower-case letters, digits, - and .), so any byte is a boundary.
    let kept = bucket.get(..room).unwrap_or(bucket).trim_end_matches(['-', '.']);
    format!("edgepages-{kept}-{first:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oac_name_fits_cloudfronts_limit_is_stable_and_tells_long_buckets_apart() {
        let short = "a".repeat(54);
        assert_eq!(oac_name(&short), format!("edgepages-{short}"), "as before the limit was kept");
        assert_eq!(oac_name("pages-bucket"), "edgepages-pages-bucket");
        for len in 55..=63 {
            let bucket = "b".repeat(len);
            let name = oac_name(&bucket);
            assert!(name.len() <= OAC_NAME_MAX, "{len}: {name} is {} characters", name.len());
            assert_eq!(name, oac_name(&bucket), "the same at every publish");
            assert!(name.starts_with("edgepages-bbbb"), "{name}");
        }
        let one = format!("{}-one", "shop-status-pages-production-eu-west-1-for-the-shop");
        let two = format!("{}-two", "shop-status-pages-production-eu-west-1-for-the-shop");
        assert!(one.len() > 54 && two.len() > 54);
        assert_ne!(oac_name(&one), oac_name(&two), "a shared prefix, two names");
        // A cut that ends on a separator leaves none dangling before the digest.
        let dotted = format!("{}.{}", "c".repeat(44), "d".repeat(18));
        assert!(!oac_name(&dotted).contains(".-"), "{}", oac_name(&dotted));
    }
}
