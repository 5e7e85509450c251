"""What the S3 adapters share: bucket creation (``portside init-aws``, tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CreateBucketConfigurationTypeDef


def create_bucket(client: S3Client, bucket: str) -> bool:
    """Create the bucket unless it exists; True when it was created. (Asked first: in
    us-east-1, creating a bucket one already owns succeeds silently.)"""
    try:
        client.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"404", "NoSuchBucket", "NotFound"}:
            raise
    region = client.meta.region_name
    if region == "us-east-1":  # the one region that refuses a location constraint
        client.create_bucket(Bucket=bucket)
    else:
        # The stubs list the region names as literals; the client's region is a str.
        location: CreateBucketConfigurationTypeDef = {"LocationConstraint": region}  # type: ignore[typeddict-item]
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
    return True
