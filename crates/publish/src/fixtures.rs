//! The test fixtures, one per AWS resource: the desired state of a small site, a distribution as a
//! team has it, and an ALB listener with the team's own rules. The unit tests, the exact-request
//! tests (`tests/requests.rs`) and the end-to-end tests against moto (`tests/src/aws_fixture.rs`,
//! feature `fixtures`) all start from these, so a change of shape is made once.

use aws_sdk_cloudfront::types::{
    CacheBehavior, CacheBehaviors, CustomErrorResponse, CustomErrorResponses, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, Origin, OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateCognitoActionConfig, AuthenticateOidcActionConfig, FixedResponseActionConfig,
    HostHeaderConditionConfig, HttpRequestMethodConditionConfig, PathPatternConditionConfig, RuleCondition,
};

use crate::alb::desired::numbered;
use crate::alb::listener::{FoundListener, FoundRule};
use crate::desired::{Desired, ErrorPage, PageObject};

/// The managed cache policy "CachingDisabled".
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// The managed cache policy "CachingOptimized".
pub const CACHING_OPTIMIZED: &str = crate::desired::CACHING_OPTIMIZED_POLICY_ID;
/// The site's origin in [`distribution`]: an ALB.
pub const SITE_ORIGIN: &str = "alb";
pub const SITE_ORIGIN_DOMAIN: &str = "shop-alb-1234.eu-west-1.elb.amazonaws.com";

/// A small desired state: two pages, codes 502 and 503, a 10 s error TTL, for distribution
/// `E2EXAMPLE123` and bucket `pages-bucket` in eu-west-1.
pub fn desired() -> Desired {
    let page = |code: u16| {
        PageObject::new(
            format!("edgepages/{code}.html"),
            format!("<p>{code}</p>").into_bytes(),
            "text/html; charset=utf-8",
        )
    };
    Desired {
        bucket: "pages-bucket".into(),
        region: "eu-west-1".into(),
        prefix: "edgepages".into(),
        distribution_id: "E2EXAMPLE123".into(),
        objects: vec![page(502), page(503)],
        error_pages: [502, 503]
            .into_iter()
            .map(|code| ErrorPage {
                code,
                page_path: format!("/edgepages/{code}.html"),
                has_own_page: true,
                serves_page: true,
            })
            .collect(),
        custom_error_order: None,
        error_ttl: 10,
        origin_timeouts: None,
    }
}

/// What kind of distribution a test starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The site's ALB origin and its default behavior, which caches nothing.
    Fresh,
    /// [`Start::Fresh`], plus an S3 origin for `/static/*` with its own behavior (cached) and a
    /// 404 error response of the team's own.
    Existing,
}

/// A distribution as a team has it (`caller_reference` is `ref-1`; one made in moto gets its
/// own).
pub fn distribution(start: Start) -> DistributionConfig {
    let alb = Origin::builder()
        .id(SITE_ORIGIN)
        .domain_name(SITE_ORIGIN_DOMAIN)
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .origin_read_timeout(30)
                .build()
                .expect("the ports and the protocol policy are set"),
        )
        .build()
        .expect("the ID and the domain are set");
    let mut origins = vec![alb];
    let mut config =
        DistributionConfig::builder().caller_reference("ref-1").comment("shop").enabled(true).default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id(SITE_ORIGIN)
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id(CACHING_DISABLED)
                .build()
                .expect("the origin and the protocol policy are set"),
        );
    if start == Start::Existing {
        origins.push(
            Origin::builder()
                .id("assets")
                .domain_name("shop-assets.s3.eu-west-1.amazonaws.com")
                .build()
                .expect("the ID and the domain are set"),
        );
        let assets = CacheBehavior::builder()
            .path_pattern("/static/*")
            .target_origin_id("assets")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .cache_policy_id(CACHING_OPTIMIZED)
            .build()
            .expect("the pattern, the origin and the protocol policy are set");
        let not_found = CustomErrorResponse::builder()
            .error_code(404)
            .response_page_path("/not-found.html")
            .response_code("404")
            .error_caching_min_ttl(300)
            .build()
            .expect("the code is set");
        config = config
            .cache_behaviors(CacheBehaviors::builder().quantity(1).items(assets).build().expect("quantity is set"))
            .custom_error_responses(
                CustomErrorResponses::builder().quantity(1).items(not_found).build().expect("quantity is set"),
            );
    }
    let quantity = i32::try_from(origins.len()).unwrap_or(i32::MAX);
    config
        .origins(Origins::builder().quantity(quantity).set_items(Some(origins)).build().expect("quantity is set"))
        .build()
        .expect("the reference, the comment, the origins and the default behavior are set")
}

/// [`distribution`] as a team has it before its first publish: [`Start::Existing`].
pub fn existing() -> DistributionConfig {
    distribution(Start::Existing)
}

/// Adds `behavior` after the others, as a team's own.
pub fn push_behavior(config: &mut DistributionConfig, behavior: CacheBehavior) {
    let behaviors = config
        .cache_behaviors
        .get_or_insert_with(|| CacheBehaviors::builder().quantity(0).build().expect("quantity is set"));
    let items = behaviors.items.get_or_insert_with(Vec::new);
    items.push(behavior);
    behaviors.quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
}

/// The target group the listener forwards to by default.
pub const WEB: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067";
/// The target group of the team's `/api/*` rule.
pub const API: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef";
/// The load balancer's own DNS name.
pub const ALB_DNS: &str = "shop-1234567890.eu-west-1.elb.amazonaws.com";

/// A forward to `tg`.
pub fn forward(tg: &str) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).build()
}

/// A path condition as DescribeRules gives it: legacy values too.
pub fn path(p: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("path-pattern")
        .values(p)
        .path_pattern_config(PathPatternConditionConfig::builder().values(p).build())
        .build()
}

/// A host condition as DescribeRules gives it: legacy values too.
pub fn host(h: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("host-header")
        .values(h)
        .host_header_config(HostHeaderConditionConfig::builder().values(h).build())
        .build()
}

/// A fixed 403 with body `no`.
pub fn forbidden() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code("403")
                .content_type("text/plain")
                .message_body("no")
                .build(),
        )
        .build()
}

/// A rule of the team's, `arn:rule/theirs-<priority>`, as DescribeRules gives it.
pub fn theirs(priority: u32, conditions: Vec<RuleCondition>, actions: &[Action]) -> FoundRule {
    FoundRule {
        arn: format!("arn:rule/theirs-{priority}"),
        priority,
        conditions,
        actions: numbered(actions),
        transforms: Vec::new(),
        role: None,
        until: None,
    }
}

/// The team's listener as `tests/moto/alb_fixture.py` makes it in moto: `/api/*` to the API
/// (priority 10), `admin.example.com` answered 403 (20), everything else to the web (the
/// default action).
pub fn listener() -> FoundListener {
    FoundListener {
        default_actions: numbered(&[forward(WEB)]),
        rules: vec![
            theirs(10, vec![path("/api/*")], &[forward(API)]),
            theirs(20, vec![host("admin.example.com")], &[forbidden()]),
        ],
        load_balancer_arn: None,
    }
}

/// [`listener`] with every kind of rule a team's listener holds, further down (room for the
/// guard and both bypass blocks before them): its `/api/*` rule at 100 and its
/// `admin.example.com` rule at 200; `/account/*` behind a Cognito login (300) and `/admin/*`
/// behind an OIDC one (400), both then to the web; a POST to `/upload` to the API (500, two
/// conditions).
pub fn team_listener() -> FoundListener {
    let cognito = Action::builder()
        .r#type(ActionTypeEnum::AuthenticateCognito)
        .authenticate_cognito_config(
            AuthenticateCognitoActionConfig::builder()
                .user_pool_arn("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_EXAMPLE")
                .user_pool_client_id("client")
                .user_pool_domain("shop-login")
                .build(),
        )
        .build();
    // As DescribeRules gives it: no client secret.
    let oidc = Action::builder()
        .r#type(ActionTypeEnum::AuthenticateOidc)
        .authenticate_oidc_config(
            AuthenticateOidcActionConfig::builder()
                .issuer("https://login.example.com")
                .authorization_endpoint("https://login.example.com/authorize")
                .token_endpoint("https://login.example.com/token")
                .user_info_endpoint("https://login.example.com/userinfo")
                .client_id("shop")
                .build(),
        )
        .build();
    let post = RuleCondition::builder()
        .field("http-request-method")
        .http_request_method_config(HttpRequestMethodConditionConfig::builder().values("POST").build())
        .build();
    let mut found = listener();
    for (rule, priority) in found.rules.iter_mut().zip([100, 200]) {
        *rule = theirs(priority, rule.conditions.clone(), &rule.actions);
    }
    found.rules.extend([
        theirs(300, vec![path("/account/*")], &[cognito, forward(WEB)]),
        theirs(400, vec![path("/admin/*")], &[oidc, forward(WEB)]),
        theirs(500, vec![path("/upload"), post], &[forward(API)]),
    ]);
    found
}
