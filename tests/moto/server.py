"""moto's S3 + CloudFront server on one port, with two known gaps closed for the publish tests.

moto 5.2 (a) drops an origin's OriginAccessControlId and S3OriginConfig on a round trip, and
(b) ignores If-Match on UpdateDistribution and never changes a distribution's ETag. Real
CloudFront keeps both fields, rejects a stale If-Match with 412 PreconditionFailed and gives
every update a new ETag. The patches below make moto do the same, so the end-to-end tests can
show idempotence and conflicts; the exact requests are also pinned by aws-smithy-mocks tests.

Usage: server.py PORT
"""

import sys

from moto.cloudfront import exceptions, models
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


models.Origin.__init__ = _origin_init_keeping_s3_fields
models.CloudFrontBackend.update_distribution = _update_distribution_honouring_if_match

if __name__ == "__main__":
    port = sys.argv[1] if len(sys.argv) > 1 else "5000"
    main(["-H", "127.0.0.1", "-p", port])
