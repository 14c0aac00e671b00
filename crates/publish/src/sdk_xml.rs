//! The XML on either side of the CloudFront SDK's types, seen through interceptors: the body an
//! answer came with, and the body the SDK would send for a config (serialised, then stopped
//! before any connection, signature or credential is involved).

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_cloudfront::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_cloudfront::config::{BehaviorVersion, ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_cloudfront::types::DistributionConfig;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a body could not be seen.
const NOT_IN_MEMORY: &str = "the SDK did not hold the body in memory";

#[derive(Debug, Clone, Default)]
struct Slot(Arc<Mutex<Option<Vec<u8>>>>);

impl Slot {
    fn put(&self, body: Option<&[u8]>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = body.map(<[u8]>::to_vec);
    }

    fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Keeps the raw body of the answer to the operation it is attached to.
#[derive(Debug, Clone, Default)]
pub struct AnswerBody(Slot);

impl AnswerBody {
    /// The body, once the operation has succeeded.
    pub fn take(&self) -> Result<String, String> {
        let bytes = self.0.take().ok_or_else(|| NOT_IN_MEMORY.to_owned())?;
        String::from_utf8(bytes).map_err(|e| format!("the answer is not UTF-8: {e}"))
    }
}

impl Intercept for AnswerBody {
    fn name(&self) -> &'static str {
        "edgepages::AnswerBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.put(context.response().body().bytes());
        Ok(())
    }
}

/// Keeps the serialised request, then stops the operation before it is sent.
#[derive(Debug, Clone, Default)]
struct SerialiseOnly(Slot);

/// The message the stop carries, so that it is never mistaken for a real failure.
const STOPPED: &str = "edgepages: serialised only, never sent";

impl Intercept for SerialiseOnly {
    fn name(&self) -> &'static str {
        "edgepages::SerialiseOnly"
    }

    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.put(context.request().body().bytes());
        Err(STOPPED.into())
    }
}

/// The `UpdateDistribution` body the SDK would send for `config`. Nothing leaves the process: a
/// client of its own, with no credentials, is stopped right after serialising.
pub async fn update_body(id: &str, config: DistributionConfig) -> Result<String, String> {
    let client = aws_sdk_cloudfront::Client::from_conf(
        aws_sdk_cloudfront::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::from_static("us-east-1"))
            // Never reached: a request that did leave would find nothing listening.
            .endpoint_url("http://127.0.0.1:9")
            .build(),
    );
    let slot = SerialiseOnly::default();
    let result = client
        .update_distribution()
        .id(id)
        .if_match("serialise-only")
        .distribution_config(config)
        .customize()
        .interceptor(slot.clone())
        .send()
        .await;
    match (result, slot.0.take()) {
        (Err(_), Some(bytes)) => String::from_utf8(bytes).map_err(|e| format!("the request is not UTF-8: {e}")),
        (Err(e), None) => {
            Err(format!("serialising the update failed: {}", aws_smithy_types::error::display::DisplayErrorContext(&e)))
        }
        (Ok(_), _) => Err("the serialise-only update was sent; this is a bug in edgepages".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::existing;

    #[tokio::test]
    async fn the_update_body_is_serialised_without_credentials_or_a_connection() {
        let body = update_body("E1", existing()).await.unwrap();
        assert!(body.starts_with("<DistributionConfig"), "{body}");
        assert!(body.contains("<Comment>shop</Comment>") && body.contains("<Id>alb</Id>"), "{body}");
    }
}
