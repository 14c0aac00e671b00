"""moto's S3 + CloudFront server on one port, with four known gaps closed for the publish tests.

moto 5.2 (a) drops an origin's OriginAccessControlId and S3OriginConfig on a round trip,
(b) ignores If-Match on UpdateDistribution and never changes a distribution's ETag, and
(c) drops every behavior's LambdaFunctionAssociations and FunctionAssociations (it always
answers Quantity 0). Real CloudFront keeps these fields, rejects a stale If-Match with 412
PreconditionFailed and gives every update a new ETag. The patches below make moto do the same,
so the end-to-end tests can show idempotence, conflicts and associations kept; the exact
requests are also pinned by aws-smithy-mocks tests. (d) moto has no cache or origin request
policies at all: GetCachePolicy and GetOriginRequestPolicy below answer for the managed
policies the tests use, with the headers AWS documents for them
(using-managed-cache-policies.html and using-managed-origin-request-policies.html in
CloudFront's developer guide), and NoSuch… for any other ID. (e) moto has no custom cache
policies and no CloudFront Function stages: CreateCachePolicy, ListCachePolicies,
GetCachePolicy and UpdateCachePolicy below keep custom policies with an ETag that If-Match
must name, and DescribeFunction, GetFunction, UpdateFunction and PublishFunction keep a
function's DEVELOPMENT and LIVE stages apart, as CloudFront does (working-with-functions.html:
an update changes DEVELOPMENT only; PublishFunction copies it to LIVE). (f) moto takes an
Origin Access Control name of any length; CreateOriginAccessControl below refuses one over 64
characters with InvalidArgument, as CloudFront does (API_OriginAccessControlConfig.html in
CloudFront's API reference: "You can specify up to 64 characters"). (g) moto's ELBv2 has no
rule quota: CreateRule below refuses with TooManyRules ("You've reached the limit on the number
of rules per load balancer", API_CreateRule.html) once the load balancer's listeners hold as
many rules, default rules aside, as its quota: 100, the default of "Rules per Application Load
Balancer" (load-balancer-limits.html), or the number in the load balancer's tag
edgepages-test:rules-per-load-balancer, which stands in for an account's raised or nearly spent
quota.

Usage: server.py PORT
"""

import sys

import datetime

from moto.cloudfront import exceptions, models, responses, urls
from moto.core.responses import ActionResult
from moto.elbv2 import exceptions as elb_exceptions
from moto.elbv2 import models as elb_models
from moto.server import main


class PreconditionFailed(exceptions.CloudFrontException):

    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to false.",
        )


_origin_init = models.Origin.__init__


def _origin_init_keeping_s3_fields(self, origin):
    _origin_init(self, origin)
    if "S3OriginConfig" in origin:
        self.s3_origin_config = origin["S3OriginConfig"]
    if origin.get("OriginAccessControlId"):
        self.origin_access_control_id = origin["OriginAccessControlId"]


_behaviour_init = models.DefaultCacheBehaviour.__init__


def _behaviour_init_keeping_associations(self, config):
    _behaviour_init(self, config)
    for key, attribute in (
        ("LambdaFunctionAssociations", "lambda_function_associations"),
        ("FunctionAssociations", "function_associations"),
    ):
        given = config.get(key) or {}
        items = given.get("Items") or []
        setattr(self, attribute, {"Quantity": len(items), "Items": items} if items else {"Quantity": 0})


def _update_distribution_honouring_if_match(self, dist_config, _id, if_match):
    if _id not in self.distributions or _id is None:
        raise exceptions.NoSuchDistribution
    if not if_match:
        raise exceptions.InvalidIfMatchVersion
    dist = self.distributions[_id]
    if if_match != dist.etag:
        raise PreconditionFailed()
    if not dist_config:
        raise exceptions.NoSuchDistribution
    dist.distribution_config = models.DistributionConfig(dist_config)
    dist.etag = models.random_id()
    dist.advance()
    return dist, dist.location, dist.etag


_OAC_NAME_MAX = 64
_create_origin_access_control = models.CloudFrontBackend.create_origin_access_control


def _create_origin_access_control_within_the_name_limit(self, config_dict):
    name = config_dict.get("Name") or ""
    if len(name) > _OAC_NAME_MAX:
        raise exceptions.CloudFrontException(
            "InvalidArgument",
            f"OriginAccessControlConfig.Name is {len(name)} characters; the limit is {_OAC_NAME_MAX}.",
        )
    return _create_origin_access_control(self, config_dict)


models.CloudFrontBackend.create_origin_access_control = _create_origin_access_control_within_the_name_limit

_RULES_PER_LOAD_BALANCER = 100
_RULES_QUOTA_TAG = "edgepages-test:rules-per-load-balancer"
_create_rule = elb_models.ELBv2Backend.create_rule


def _create_rule_within_the_quota(self, listener_arn, conditions, priority, actions, tags=None):
    for listener in self.describe_listeners(None, [listener_arn]):
        balancer = self.load_balancers.get(listener.load_balancer_arn)
        if balancer is None:
            continue
        quota = int(
            self.tagging_service.get_tag_dict_for_resource(balancer.arn).get(_RULES_QUOTA_TAG, _RULES_PER_LOAD_BALANCER)
        )
        rules = sum(len(each._non_default_rules) for each in balancer.listeners.values())
        if rules >= quota:
            raise elb_exceptions.ELBClientError(
                "TooManyRules", "You've reached the limit on the number of rules per load balancer"
            )
    return _create_rule(self, listener_arn, conditions, priority, actions, tags)


elb_models.ELBv2Backend.create_rule = _create_rule_within_the_quota
models.Origin.__init__ = _origin_init_keeping_s3_fields
models.DefaultCacheBehaviour.__init__ = _behaviour_init_keeping_associations
models.CloudFrontBackend.update_distribution = _update_distribution_honouring_if_match

# The managed policies publish reads, each with its own settings as AWS documents them:
# using-managed-cache-policies.html (CachingOptimized caches compressed objects, so Gzip and
# Brotli; CachingDisabled neither) and using-managed-origin-request-policies.html (AllViewer and
# AllViewerExceptHostHeader: all cookies and query strings; CORS-S3Origin: three headers, no
# cookies, no query strings).
_MANAGED_CACHE_POLICIES = {
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {
        "Name": "Managed-CachingDisabled",
        "MinTTL": 0,
        "DefaultTTL": 0,
        "MaxTTL": 0,
        "Compress": False,
        "Headers": {"HeaderBehavior": "none"},
    },
    "658327ea-f89d-4fab-a63d-7e88639e58f6": {
        "Name": "Managed-CachingOptimized",
        "MinTTL": 1,
        "DefaultTTL": 86400,
        "MaxTTL": 31536000,
        "Compress": True,
        "Headers": {"HeaderBehavior": "none"},
    },
}
_MANAGED_ORIGIN_REQUEST_POLICIES = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": {
        "Name": "Managed-AllViewer",
        "HeadersConfig": {"HeaderBehavior": "allViewer"},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": {
        "Name": "Managed-AllViewerExceptHostHeader",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {
        "Name": "Managed-CORS-S3Origin",
        "HeadersConfig": {
            "HeaderBehavior": "whitelist",
            "Headers": {
                "Quantity": 3,
                "Items": ["origin", "access-control-request-headers", "access-control-request-method"],
            },
        },
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
}
_EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


class NoSuchPolicy(exceptions.CloudFrontException):

    def __init__(self, code: str) -> None:
        super().__init__(code, "The policy does not exist.")


_CUSTOM_CACHE_POLICIES = {}  # id -> {"config": ..., "etag": ...}


def _custom_policy_result(policy_id):
    kept = _CUSTOM_CACHE_POLICIES[policy_id]
    policy = {"Id": policy_id, "LastModifiedTime": _EPOCH, "CachePolicyConfig": kept["config"]}
    return {"CachePolicy": policy, "ETag": kept["etag"]}


def _create_cache_policy(self):
    config = self._get_param("CachePolicyConfig")
    if any(k["config"]["Name"] == config["Name"] for k in _CUSTOM_CACHE_POLICIES.values()):
        raise exceptions.CloudFrontException("CachePolicyAlreadyExists", "A cache policy with this name already exists.")
    policy_id = models.random_id(length=8).lower() + "-edge-pages-test-" + models.random_id(length=12).lower()
    _CUSTOM_CACHE_POLICIES[policy_id] = {"config": config, "etag": models.random_id()}
    result = _custom_policy_result(policy_id)
    result["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/cache-policy/{policy_id}"
    return ActionResult(result)


def _update_cache_policy(self):
    policy_id = self._get_param("Id")
    if policy_id not in _CUSTOM_CACHE_POLICIES:
        raise NoSuchPolicy("NoSuchCachePolicy")
    if self._get_param("IfMatch") != _CUSTOM_CACHE_POLICIES[policy_id]["etag"]:
        raise PreconditionFailed()
    _CUSTOM_CACHE_POLICIES[policy_id] = {"config": self._get_param("CachePolicyConfig"), "etag": models.random_id()}
    return ActionResult(_custom_policy_result(policy_id))


def _list_cache_policies(self):
    kind = self._get_param("Type")
    ids = list(_CUSTOM_CACHE_POLICIES) if kind in (None, "custom") else []
    items = [
        {"Type": "custom", "CachePolicy": _custom_policy_result(i)["CachePolicy"]} for i in ids
    ]
    return ActionResult({"CachePolicyList": {"MaxItems": 100, "Quantity": len(items), "Items": items}})


def _get_cache_policy(self):
    policy_id = self._get_param("Id")
    if policy_id in _CUSTOM_CACHE_POLICIES:
        return ActionResult(_custom_policy_result(policy_id))
    if policy_id not in _MANAGED_CACHE_POLICIES:
        raise NoSuchPolicy("NoSuchCachePolicy")
    managed = _MANAGED_CACHE_POLICIES[policy_id]
    config = {
        "Name": managed["Name"],
        "MinTTL": managed["MinTTL"],
        "DefaultTTL": managed["DefaultTTL"],
        "MaxTTL": managed["MaxTTL"],
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": managed["Compress"],
            "EnableAcceptEncodingBrotli": managed["Compress"],
            "HeadersConfig": managed["Headers"],
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }
    policy = {"Id": policy_id, "LastModifiedTime": _EPOCH, "CachePolicyConfig": config}
    return ActionResult({"CachePolicy": policy, "ETag": "E" + policy_id[:8].upper()})


def _get_origin_request_policy(self):
    policy_id = self._get_param("Id")
    if policy_id not in _MANAGED_ORIGIN_REQUEST_POLICIES:
        raise NoSuchPolicy("NoSuchOriginRequestPolicy")
    config = _MANAGED_ORIGIN_REQUEST_POLICIES[policy_id]
    policy = {"Id": policy_id, "LastModifiedTime": _EPOCH, "OriginRequestPolicyConfig": config}
    return ActionResult({"OriginRequestPolicy": policy, "ETag": "E" + policy_id[:8].upper()})


def _stage(self):
    return (self._get_param("Stage") or "DEVELOPMENT").upper()


def _function(self):
    return self.backend.describe_function(name=self._get_param("Name"))


def _summary(function, stage):
    summary = dict(function.function_summary)
    summary["FunctionMetadata"] = dict(summary["FunctionMetadata"], Stage=stage)
    summary["Status"] = "UNASSOCIATED" if stage == "LIVE" else function.status
    return summary


def _live(function):
    live = getattr(function, "live", None)
    if live is None:
        raise exceptions.NoSuchFunctionExists(function.name)
    return live


def _describe_function_by_stage(self):
    function = _function(self)
    if _stage(self) == "LIVE":
        live = _live(function)
        return ActionResult({"FunctionSummary": _summary(live, "LIVE"), "ETag": live.etag})
    return ActionResult({"FunctionSummary": _summary(function, "DEVELOPMENT"), "ETag": function.etag})


def _get_function_by_stage(self):
    function = _function(self)
    shown = _live(function) if _stage(self) == "LIVE" else function
    return ActionResult({"FunctionCode": shown.code, "ETag": shown.etag, "ContentType": "application/octet-stream"})


def _update_function(self):
    function = _function(self)
    if self._get_param("IfMatch") != function.etag:
        raise PreconditionFailed()
    function.config = self._get_param("FunctionConfig", {})
    function.code = self._get_param("FunctionCode")
    function.etag = models.random_id()
    return ActionResult({"FunctionSummary": _summary(function, "DEVELOPMENT"), "ETag": function.etag})


def _publish_function(self):
    import copy

    function = _function(self)
    if self._get_param("IfMatch") != function.etag:
        raise PreconditionFailed()
    live = copy.copy(function)
    live.etag = models.random_id()
    function.live = live
    return ActionResult({"FunctionSummary": _summary(live, "LIVE")})


responses.CloudFrontResponse.create_cache_policy = _create_cache_policy
responses.CloudFrontResponse.update_cache_policy = _update_cache_policy
responses.CloudFrontResponse.list_cache_policies = _list_cache_policies
responses.CloudFrontResponse.describe_function = _describe_function_by_stage
responses.CloudFrontResponse.get_function = _get_function_by_stage
responses.CloudFrontResponse.update_function = _update_function
responses.CloudFrontResponse.publish_function = _publish_function
urls.url_paths["{0}/2020-05-31/cache-policy$"] = responses.CloudFrontResponse.dispatch
urls.url_paths["{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$"] = responses.CloudFrontResponse.dispatch
responses.CloudFrontResponse.get_cache_policy = _get_cache_policy
responses.CloudFrontResponse.get_origin_request_policy = _get_origin_request_policy
urls.url_paths["{0}/2020-05-31/cache-policy/(?P<Id>[^/]+)$"] = responses.CloudFrontResponse.dispatch
urls.url_paths["{0}/2020-05-31/origin-request-policy/(?P<Id>[^/]+)$"] = responses.CloudFrontResponse.dispatch

if __name__ == "__main__":
    port = sys.argv[1] if len(sys.argv) > 1 else "5000"
    main(["-H", "127.0.0.1", "-p", port])
