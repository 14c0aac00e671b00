//! A publish session: what the config asks of each part ([`Targets`]), read once into one pure
//! plan ([`Session`]) whose steps come in the one safe order ([`step::Part`]), carried out by the
//! one apply loop ([`apply`]) that keeps one record of what was written ([`written::Written`]).
//! Verifying ([`verify`]), rolling back ([`rollback`]) and the guard of a site without CloudFront
//! ([`guard`]) start from the same targets and clients; maintenance at the ALB uses the same loop.
//! The CLI asks, confirms and renders; it decides nothing of how a publish runs.
//!
//! A new part is a module of its own (its plan, its reading and its writer) and a line here: its
//! steps in [`Session::steps`].

pub mod apply;
pub mod guard;
mod read;
pub mod report;
pub mod rollback;
pub mod step;
pub mod verify;
pub mod written;

use crate::alb::aws::AlbAws;
use crate::alb::guard::GuardPlan;
use crate::alb::listener::FoundListener;
use crate::aws::{Aws, AwsError};
use crate::desired::Desired;
use crate::error::PlanError;
use crate::function::FunctionSpec;
use crate::function::aws::FunctionAws;
use crate::function::plan::{FoundLambda, FunctionPlan, FunctionPlanError};
use crate::plan::{Current, Plan};
use crate::variant::VariantSpec;
use crate::wiring::Wiring;

pub use self::step::{Part, Step};
pub use self::written::{Stopped, Written};

/// What the config asks of each part, with what reading cannot tell: the function's zip, and a
/// new secret for the guard's origin header, used only when the distribution has none.
#[derive(Debug, Clone)]
pub struct Targets {
    pub desired: Desired,
    /// `[cloudfront.lambda_edge]`'s function.
    pub lambda: Option<LambdaTarget>,
    /// The variant functions, with `[cloudfront.lambda_edge]`.
    pub variant: Option<VariantSpec>,
    /// `[alb]`'s listener and canonical host, for the guard.
    pub guard: Option<GuardTarget>,
}

/// `[cloudfront.lambda_edge]`, as a session reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaTarget {
    /// The function's name, whether enabled or not: with `enabled = false` its association is
    /// taken away.
    pub name: String,
    pub enabled: bool,
    /// The function to deploy, with its zip: when enabled, for a publish (verify needs no zip).
    pub spec: Option<FunctionSpec>,
}

impl Targets {
    /// The enabled function's name.
    pub fn function_name(&self) -> Option<&str> {
        self.lambda.as_ref().filter(|l| l.enabled).map(|l| l.name.as_str())
    }
}

/// `[alb]`, as the guard reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct GuardTarget {
    pub listener_arn: String,
    /// The guard goes in with a canonical host, and comes out without one.
    pub canonical_host: Option<String>,
    /// A secret for the origin header if the distribution has none yet (128 random bits, made
    /// by the caller). Never printed.
    pub new_secret: String,
}

impl std::fmt::Debug for GuardTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardTarget")
            .field("listener_arn", &self.listener_arn)
            .field("canonical_host", &self.canonical_host)
            .field("new_secret", &"(secret)")
            .finish()
    }
}

/// The clients a session reads and writes with, built by the caller: S3, CloudFront and KMS in
/// the bucket's region; Lambda and IAM in us-east-1 when the function is on; Elastic Load
/// Balancing in the listener's region when `[alb]` is there.
#[derive(Debug, Clone)]
pub struct Clients {
    pub aws: Option<Aws>,
    pub function: Option<FunctionAws>,
    pub alb: Option<AlbAws>,
}

impl Clients {
    pub fn aws(&self) -> Result<&Aws, AwsError> {
        self.aws.as_ref().ok_or_else(|| no_client("S3 and CloudFront"))
    }

    pub fn function(&self) -> Result<&FunctionAws, AwsError> {
        self.function.as_ref().ok_or_else(|| no_client("Lambda"))
    }

    pub fn alb(&self) -> Result<&AlbAws, AwsError> {
        self.alb.as_ref().ok_or_else(|| no_client("Elastic Load Balancing"))
    }
}

fn no_client(which: &str) -> AwsError {
    AwsError::Call { action: format!("reaching {which}"), message: "edgepages was given no client for it".into() }
}

/// The Lambda@Edge function's part of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionPart {
    pub spec: FunctionSpec,
    pub found: FoundLambda,
    pub plan: FunctionPlan,
}

/// The ALB guard's part of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardPart {
    pub listener_arn: String,
    pub found: FoundListener,
    pub plan: GuardPlan,
}

/// One publish, planned: the desired state, what was read, and each part's plan beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub desired: Desired,
    pub current: Current,
    pub function: Option<FunctionPart>,
    pub guard: Option<GuardPart>,
    /// What the distribution names of the other parts; the variant's plan is in it.
    pub wiring: Wiring,
    /// The pages' and the distribution's plan.
    pub pages: Plan,
    /// Pages only (`--pages-only`): nothing but the uploads.
    pub pages_only: bool,
}

/// Why a session could not be read and planned.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Function(#[from] FunctionPlanError),
    #[error("planning the guard{} on {listener}", if *removal { "'s removal" } else { "" })]
    Guard {
        listener: String,
        removal: bool,
        #[source]
        source: crate::alb::error::AlbPlanError,
    },
    #[error(
        "[alb] canonical_host is the ALB's own DNS name ({alb_dns}); give the host name visitors use, such as \
         www.example.com"
    )]
    CanonicalIsAlb { alb_dns: String },
    #[error(
        "this publish put the ALB guard in place; rolling it back takes the guard's rules off the listener before \
         the header off the distribution (or every viewer would loop), and that needs [alb] listener_arn in the config"
    )]
    GuardNeedsListener,
}

impl Session {
    /// Every write, in the safe order.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        steps.extend(self.function.iter().flat_map(|f| f.plan.steps.iter().copied().map(Step::Lambda)));
        steps.extend(
            self.wiring
                .variant
                .iter()
                .flat_map(|v| v.plan.steps.iter().map(|step| Step::Variant(Box::new(step.clone())))),
        );
        steps.extend(self.guard.iter().flat_map(|g| g.plan.steps.iter().cloned().map(Step::Rule)));
        steps.extend(self.pages.steps());
        step::in_order(steps)
    }

    /// The write calls the session makes.
    pub fn write_count(&self) -> usize {
        step::write_count(&self.steps())
    }

    /// The setting a publish refuses unless forced.
    pub fn traps(&self) -> &[crate::plan::Trap] {
        &self.pages.traps
    }
}
