"""Reference AWS Signature Version 4 signatures from botocore, for MediaStoreTests.

Prints a JSON list of cases: each names its inputs (method, scheme, host, raw path
segments, query, extra headers, payload hash, credentials, region, service, time, expiry)
and what botocore's signer made of them (the Authorization header, or the presigned URL).
The Swift test signs the same inputs with our signer and compares byte for byte, so a
drift in our canonicalisation fails a test. Run with the venv scripts/setup makes:
.venv-moto/bin/python scripts/lib/sigv4_reference.py
"""

import datetime
import hashlib
import json
from unittest import mock
from urllib.parse import quote, urlencode

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AWS_EXAMPLE = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
S3_EXAMPLE = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def url_of(case):
    path = "/" + "/".join(quote(segment, safe="~") for segment in case["segments"])
    query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in case["query"])
    return f"{case['scheme']}://{case['host']}{path}" + (f"?{query}" if query else "")


def sign(case):
    credentials = Credentials(case["accessKeyID"], case["secretAccessKey"], case.get("sessionToken"))
    at = datetime.datetime.strptime(case["amzDate"], "%Y%m%dT%H%M%SZ")
    body = case.pop("body").encode("utf-8")
    case["payloadHash"] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=case["method"], url=url_of(case), data=body, headers=dict(case["headers"]))
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        if case["kind"] == "presign":
            botocore.auth.S3SigV4QueryAuth(
                credentials, case["service"], case["region"], expires=case["expiresSeconds"]
            ).add_auth(request)
            case["expected"] = request.url
        elif case["service"] == "s3":
            botocore.auth.S3SigV4Auth(credentials, "s3", case["region"]).add_auth(request)
            case["expected"] = request.headers["Authorization"]
        else:
            botocore.auth.SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
            case["expected"] = request.headers["Authorization"]
    return case


def case(name, kind="header", method="GET", scheme="https", host="examplebucket.s3.amazonaws.com",
         segments=(), query=(), headers=(), body="", keys=S3_EXAMPLE, session_token=None,
         region="us-east-1", service="s3", amz_date="20130524T000000Z", expires_seconds=86400):
    return {
        "name": name, "kind": kind, "method": method, "scheme": scheme, "host": host,
        "segments": list(segments), "query": [list(item) for item in query],
        "headers": [list(item) for item in headers], "body": body,
        "accessKeyID": keys[0], "secretAccessKey": keys[1], "sessionToken": session_token,
        "region": region, "service": service, "amzDate": amz_date, "expiresSeconds": expires_seconds,
    }


CASES = [
    # AWS's get-vanilla test vector, generic service, as botocore signs it.
    case("get-vanilla", host="example.amazonaws.com", keys=AWS_EXAMPLE, service="service",
         amz_date="20150830T123600Z"),
    case("s3 get, plain key", segments=["test.txt"], headers=[("Range", "bytes=0-9")]),
    case("s3 put, spaces unicode tilde", method="PUT", scheme="http", host="127.0.0.1:9000",
         segments=["auris-media", "uploads", "a b", "ünïcødé~x", "résumé (1)+&=.mp3"],
         headers=[("x-amz-checksum-sha256", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=")],
         body="hello, world", region="eu-west-3", amz_date="20261201T235959Z"),
    case("s3 list, query sorted and encoded", scheme="http", host="minio.local:9000",
         segments=["bucket"], query=[("prefix", "a b/ü"), ("list-type", "2"), ("Z", "1"), ("a", "")]),
    case("s3 put, session token, spaced header", method="PUT",
         segments=["prefix", "results", "job-1", "dubbed.mp3"],
         headers=[("X-Amz-Meta-Note", "  two   spaces  "), ("Content-Type", "audio/mpeg")],
         body="\u0000binary\u00ff", session_token="FQoGZXIvYXdzE//token+with/slashes=",
         amz_date="20240229T010203Z"),
    case("s3 delete", method="DELETE", segments=["uploads", "x", "source"], amz_date="20261231T000000Z"),
    case("presign, AWS's example", kind="presign", segments=["test.txt"]),
    case("presign, spaces unicode tilde", kind="presign", scheme="http", host="127.0.0.1:9000",
         segments=["auris-media", "results", "j 1", "dübbed~final.mp3"], expires_seconds=300,
         amz_date="20261201T120000Z"),
    case("presign, session token", kind="presign", segments=["results", "j", "dubbed.mp3"],
         session_token="IQoJb3JpZ2luX2Vj/+==", region="ap-southeast-2", expires_seconds=604800),
]

if __name__ == "__main__":
    print(json.dumps([sign(item) for item in CASES], ensure_ascii=False, indent=1))
