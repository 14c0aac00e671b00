//! The thin adapter over an already-built Elastic Load Balancing client: reads the listener
//! (its default actions, its rules and their tags) and makes each step of a plan. An ALB has no ETags,
//! so before every write the listener is read again and the write refused if anyone else's
//! rule or the default action changed since the plan.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Rule, RulePriorityPair, Tag};

use super::listener::{FoundListener, FoundRule, Moved, RuleSpec, RuleStep, drift, others_state};
use super::{ROLE_TAG, Role, UNTIL_TAG};
use crate::aws::{AwsError, Quota, call, call_within};

/// Tags are read this many rules at a time (the API's limit).
const TAGS_PER_CALL: usize = 20;

#[derive(Debug, Clone)]
pub struct AlbAws {
    client: Client,
}

/// What the apply loop wrote of the listener, step by step, for the caller to report (also
/// after a failure).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RulesWritten {
    pub done: Vec<RuleStep>,
    /// The ARNs of the rules created, in order.
    pub created: Vec<String>,
}

impl RulesWritten {
    /// What was written, in words: `nothing`, or each rule added, changed, removed or moved.
    pub fn said(&self) -> String {
        if self.done.is_empty() {
            return "nothing".to_owned();
        }
        let mut created = self.created.iter();
        self.done
            .iter()
            .map(|step| match step {
                RuleStep::Create { role, priority, .. } => format!(
                    "{} rule added at priority {priority} ({})",
                    role.as_str(),
                    created.next().map_or("?", String::as_str)
                ),
                RuleStep::Modify { role, arn, .. } => format!("{} rule {arn} changed", role.as_str()),
                RuleStep::Delete { role, arn } => format!("{} rule {arn} removed", role.as_str()),
                RuleStep::Move { moves } => {
                    format!("{} of edgepages' rules moved after the maintenance rule", moves.len())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The listener a run writes to, as its plan was made from it: anyone else's rules and the
/// default action then (each write is refused if they changed since), and the maintenance
/// rule's promised end, for its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub planned: Vec<String>,
    pub until: Option<String>,
}

impl Listener {
    /// Listener `arn`, planned from `found`.
    pub fn planned_from(arn: &str, found: &FoundListener, until: Option<&str>) -> Listener {
        Listener { arn: arn.to_owned(), planned: others_state(found), until: until.map(str::to_owned) }
    }
}

impl AlbAws {
    pub fn new(client: Client) -> Self {
        AlbAws { client }
    }

    /// The listener as it is now.
    pub async fn read(&self, listener_arn: &str) -> Result<FoundListener, AwsError> {
        let listeners = self.client.describe_listeners().listener_arns(listener_arn).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(aws_sdk_elasticloadbalancingv2::operation::describe_listeners::DescribeListenersError::is_listener_not_found_exception) {
                AwsError::NoSuchListener { arn: listener_arn.to_owned() }
            } else {
                call(format!("reading listener {listener_arn}"))(e)
            }
        })?;
        let listener = listeners
            .listeners
            .unwrap_or_default()
            .into_iter()
            .next()
            .ok_or_else(|| AwsError::NoSuchListener { arn: listener_arn.to_owned() })?;
        let default_actions = listener.default_actions.unwrap_or_default();
        let load_balancer_arn = listener.load_balancer_arn;

        let mut rules: Vec<Rule> = Vec::new();
        let mut marker = None;
        loop {
            let page = self
                .client
                .describe_rules()
                .listener_arn(listener_arn)
                .set_marker(marker)
                .send()
                .await
                .map_err(call(format!("reading the rules of listener {listener_arn}")))?;
            rules.extend(page.rules.unwrap_or_default());
            marker = page.next_marker.filter(|m| !m.is_empty());
            if marker.is_none() {
                break;
            }
        }
        let rules: Vec<Rule> = rules.into_iter().filter(|r| r.is_default != Some(true)).collect();

        let arns: Vec<String> = rules.iter().filter_map(|r| r.rule_arn.clone()).collect();
        let mut tags = std::collections::BTreeMap::new();
        for chunk in arns.chunks(TAGS_PER_CALL) {
            let described = self
                .client
                .describe_tags()
                .set_resource_arns(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(call(format!("reading the tags of listener {listener_arn}'s rules")))?;
            for d in described.tag_descriptions.unwrap_or_default() {
                tags.insert(d.resource_arn.unwrap_or_default(), d.tags.unwrap_or_default());
            }
        }
        let tag = |arn: &str, key: &str| {
            tags.get(arn)
                .and_then(|t: &Vec<Tag>| t.iter().find(|t| t.key.as_deref() == Some(key)))
                .and_then(|t| t.value.clone())
        };
        let rules = rules
            .into_iter()
            .map(|r| {
                let arn = r.rule_arn.unwrap_or_default();
                let priority = r.priority.as_deref().and_then(|p| p.parse().ok()).unwrap_or(u32::MAX);
                FoundRule {
                    role: tag(&arn, ROLE_TAG).as_deref().and_then(Role::from_tag),
                    until: tag(&arn, UNTIL_TAG),
                    priority,
                    conditions: r.conditions.unwrap_or_default(),
                    actions: r.actions.unwrap_or_default(),
                    transforms: r.transforms.unwrap_or_default(),
                    arn,
                }
            })
            .collect();
        Ok(FoundListener { default_actions, rules, load_balancer_arn })
    }

    /// The DNS name of the load balancer `found` (the listener `listener_arn` as read) belongs
    /// to: one DescribeLoadBalancers call, since the read already named the load balancer.
    pub async fn dns_name(&self, listener_arn: &str, found: &FoundListener) -> Result<String, AwsError> {
        let lb = found
            .load_balancer_arn
            .as_deref()
            .ok_or_else(|| AwsError::NoSuchListener { arn: listener_arn.to_owned() })?;
        let described = self
            .client
            .describe_load_balancers()
            .load_balancer_arns(lb)
            .send()
            .await
            .map_err(call(format!("reading load balancer {lb}")))?;
        described.load_balancers.unwrap_or_default().into_iter().next().and_then(|l| l.dns_name).ok_or_else(|| {
            AwsError::Call { action: format!("reading load balancer {lb}"), message: "it has no DNS name".into() }
        })
    }

    /// Makes `step` on `listener` once it is re-read and nobody else's rule has changed since
    /// the plan; records it in `done`.
    pub async fn write_rule(
        &self,
        listener: &Listener,
        step: &RuleStep,
        done: &mut RulesWritten,
    ) -> Result<(), AwsError> {
        self.unchanged_since(&listener.arn, &listener.planned).await?;
        let until = listener.until.as_deref();
        match step {
            RuleStep::Create { role, priority, spec } => {
                let arn = self.create_rule(&listener.arn, *role, *priority, spec, tags(*role, until)).await?;
                done.created.push(arn);
            }
            RuleStep::Modify { role, arn, spec } => {
                self.modify_rule(*role, arn, spec).await?;
                if *role == Role::Maintenance {
                    self.retag_until(arn, until).await?;
                }
            }
            RuleStep::Delete { role, arn } => self.delete_rule(*role, arn).await?,
            RuleStep::Move { moves } => self.move_rules(moves).await?,
        }
        done.done.push(step.clone());
        Ok(())
    }

    /// Refuses, saying what changed, when anyone else's rule or the default action differs
    /// from `planned` (the [`others_state`] of the read the plan was made from).
    async fn unchanged_since(&self, listener_arn: &str, planned: &[String]) -> Result<(), AwsError> {
        let now = self.read(listener_arn).await?;
        let said = drift(planned, &others_state(&now));
        if said.is_empty() { Ok(()) } else { Err(AwsError::ListenerChanged { arn: listener_arn.to_owned(), said }) }
    }

    /// Creates edgepages' rule `role` with `spec` and `tags`; returns its ARN.
    async fn create_rule(
        &self,
        listener_arn: &str,
        role: Role,
        priority: u32,
        spec: &RuleSpec,
        tags: Vec<Tag>,
    ) -> Result<String, AwsError> {
        let created = self
            .client
            .create_rule()
            .listener_arn(listener_arn)
            .priority(i32::try_from(priority).unwrap_or(i32::MAX))
            .set_conditions(Some(spec.conditions.clone()))
            .set_actions(Some(spec.actions.clone()))
            .set_transforms((!spec.transforms.is_empty()).then(|| spec.transforms.clone()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(call_within(
                format!("adding the {} rule at priority {priority}", role.as_str()),
                &[Quota::RulesPerLoadBalancer],
            ))?;
        Ok(created.rules.unwrap_or_default().into_iter().next().and_then(|r| r.rule_arn).unwrap_or_default())
    }

    /// Renumbers rules of edgepages' in one call, as the plan's [`RuleStep::Move`] says.
    async fn move_rules(&self, moves: &[Moved]) -> Result<(), AwsError> {
        let pairs = moves
            .iter()
            .map(|m| {
                RulePriorityPair::builder().rule_arn(&m.arn).priority(i32::try_from(m.to).unwrap_or(i32::MAX)).build()
            })
            .collect();
        self.client
            .set_rule_priorities()
            .set_rule_priorities(Some(pairs))
            .send()
            .await
            .map_err(call(format!("moving {} of edgepages' rules after the maintenance rule", moves.len())))?;
        Ok(())
    }

    async fn modify_rule(&self, role: Role, arn: &str, spec: &RuleSpec) -> Result<(), AwsError> {
        self.client
            .modify_rule()
            .rule_arn(arn)
            .set_conditions(Some(spec.conditions.clone()))
            .set_actions(Some(spec.actions.clone()))
            .send()
            .await
            .map_err(call(format!("changing the {} rule {arn}", role.as_str())))?;
        Ok(())
    }

    async fn delete_rule(&self, role: Role, arn: &str) -> Result<(), AwsError> {
        self.client
            .delete_rule()
            .rule_arn(arn)
            .send()
            .await
            .map_err(call(format!("removing the {} rule {arn}", role.as_str())))?;
        Ok(())
    }

    async fn retag_until(&self, arn: &str, until: Option<&str>) -> Result<(), AwsError> {
        let action = format!("tagging the maintenance rule {arn}");
        match until {
            Some(until) => {
                self.client
                    .add_tags()
                    .resource_arns(arn)
                    .tags(Tag::builder().key(UNTIL_TAG).value(until).build())
                    .send()
                    .await
                    .map_err(call(action))?;
            }
            None => {
                self.client.remove_tags().resource_arns(arn).tag_keys(UNTIL_TAG).send().await.map_err(call(action))?;
            }
        }
        Ok(())
    }
}

/// A new rule's tags: which of edgepages' rules it is, and the maintenance rule's promised end.
fn tags(role: Role, until: Option<&str>) -> Vec<Tag> {
    let mut tags = vec![Tag::builder().key(ROLE_TAG).value(role.as_str()).build()];
    if role == Role::Maintenance
        && let Some(until) = until
    {
        tags.push(Tag::builder().key(UNTIL_TAG).value(until).build());
    }
    tags
}
