"""An ALB in moto for the maintenance tests, as a team would have it: a VPC with two subnets,
an internet-facing ALB, two target groups, and an HTTP listener whose default action forwards
to the first, plus two rules of the team's own (a path rule and a host rule).

Usage: alb_fixture.py ENDPOINT NAME. Prints one JSON object: listener_arn, target_groups,
rules (their ARNs by what they match) and the ALB's DNS name.
"""

import json
import sys

import boto3

endpoint, name = sys.argv[1], sys.argv[2]
session = dict(
    endpoint_url=endpoint,
    region_name="eu-west-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
ec2 = boto3.client("ec2", **session)
elb = boto3.client("elbv2", **session)

vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [
    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"]["SubnetId"]
    for i, zone in ((1, "a"), (2, "b"))
]
alb = elb.create_load_balancer(Name=name, Subnets=subnets, Scheme="internet-facing", Type="application")
alb = alb["LoadBalancers"][0]
groups = [
    elb.create_target_group(Name=f"{name}-{kind}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    for kind in ("web", "api")
]
listener = elb.create_listener(
    LoadBalancerArn=alb["LoadBalancerArn"],
    Protocol="HTTP",
    Port=80,
    DefaultActions=[{"Type": "forward", "TargetGroupArn": groups[0]}],
)["Listeners"][0]["ListenerArn"]
api = elb.create_rule(
    ListenerArn=listener,
    Priority=10,
    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
    Actions=[{"Type": "forward", "TargetGroupArn": groups[1]}],
)["Rules"][0]["RuleArn"]
admin = elb.create_rule(
    ListenerArn=listener,
    Priority=20,
    Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["admin.example.com"]}}],
    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403", "ContentType": "text/plain", "MessageBody": "no"}}],
)["Rules"][0]["RuleArn"]
print(
    json.dumps(
        {
            "listener_arn": listener,
            "target_groups": groups,
            "rules": {"api": api, "admin": admin},
            "dns_name": alb["DNSName"],
        }
    )
)
