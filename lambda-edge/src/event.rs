//! The CloudFront origin-response event and the response a function returns, as AWS documents
//! them ("Lambda@Edge event structure", CloudFront Developer Guide). `aws_lambda_events` has no
//! CloudFront module. Only the fields edgepages reads are modelled; the rest is ignored, and the
//! untouched response goes back as JavaScript's own object, never through these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Headers as CloudFront passes them: lower-case name → every value, each with the name as sent.
pub type Headers = BTreeMap<String, Vec<Header>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The name as it appeared on the wire, such as `Content-Type`. Optional in what a function
    /// returns: Lambda@Edge then capitalises the lower-case name itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(rename = "Records")]
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub cf: Cf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Cf {
    pub config: Config,
    pub request: Request,
    pub response: Response,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub event_type: String,
    /// CloudFront's ID for the viewer's request (`x-edge-request-id` in its logs).
    #[serde(default)]
    pub request_id: String,
}

/// The request as CloudFront forwarded it to the origin: only the headers the behavior's origin
/// request policy forwards are here.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub headers: Headers,
    pub method: String,
    /// Without the `?`; empty when there is none (or when the policies do not forward it).
    #[serde(default)]
    pub querystring: String,
    pub uri: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    #[serde(default)]
    pub headers: Headers,
    /// The origin's status, as a string (`"502"`).
    pub status: String,
}

/// A response the function generates in place of the origin's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub status: String,
    pub status_description: String,
    pub headers: Headers,
    pub body: String,
    /// Always `text`: the pages are UTF-8 text.
    pub body_encoding: &'static str,
}

/// The first value of header `name` (lower-case).
pub fn first<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|values| values.first()).map(|h| h.value.as_str())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// AWS's example origin-response event, from the CloudFront Developer Guide, with `status`
    /// and the request's headers set by the caller.
    pub fn documented(status: u16, request_headers: &[(&str, &str)], response_headers: &[(&str, &str)]) -> String {
        let headers = |pairs: &[(&str, &str)]| {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), serde_json::json!([{ "key": k, "value": v }])))
                .collect();
            serde_json::Value::Object(map)
        };
        serde_json::json!({
            "Records": [{
                "cf": {
                    "config": {
                        "distributionDomainName": "d111111abcdef8.cloudfront.net",
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": "origin-response",
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="
                    },
                    "request": {
                        "clientIp": "203.0.113.178",
                        "headers": headers(request_headers),
                        "method": "GET",
                        "origin": { "custom": {
                            "customHeaders": {}, "domainName": "example.org", "keepaliveTimeout": 5, "path": "",
                            "port": 443, "protocol": "https", "readTimeout": 30, "sslProtocols": ["TLSv1.2"]
                        } },
                        "querystring": "",
                        "uri": "/"
                    },
                    "response": {
                        "headers": headers(response_headers),
                        "status": status.to_string(),
                        "statusDescription": "Whatever"
                    }
                }
            }]
        })
        .to_string()
    }

    #[test]
    fn the_documented_event_reads() {
        let event: Event =
            serde_json::from_str(&documented(502, &[("Accept", "text/html")], &[("Server", "awselb/2.0")])).unwrap();
        let cf = &event.records[0].cf;
        assert_eq!(cf.config.event_type, "origin-response");
        assert_eq!(cf.response.status, "502");
        assert_eq!(first(&cf.request.headers, "accept"), Some("text/html"));
        assert_eq!(first(&cf.response.headers, "server"), Some("awselb/2.0"));
        assert_eq!(first(&cf.response.headers, "retry-after"), None);
    }
}
