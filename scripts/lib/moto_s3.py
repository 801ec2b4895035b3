"""An S3-compatible server for the media store tests: moto's server on 127.0.0.1 with
request signatures checked (INITIAL_NO_AUTH_ACTION_COUNT=0 once set up), so a wrong
secret or a mis-signed request is refused as real S3 refuses it.

Two checks S3 makes and moto does not are made in front of it (class S3Checks):
- a presigned request's signature and expiry, with botocore's own SigV4 query signer
  (moto checks only the Authorization header, and answers 500 to a presigned GET); the
  request then goes on to moto signed in the header;
- a body against its x-amz-content-sha256 and x-amz-checksum-sha256 (moto signs with the
  declared hash and never hashes the body), answered 400 XAmzContentSHA256Mismatch or
  BadDigest as S3 answers.

Prints one JSON line (endpoint, bucket, region, access key id, secret) once ready, then
serves until its standard input closes (the test that started it ended or died) or it
gets SIGTERM. Run with the venv scripts/setup makes: .venv-moto/bin/python.
"""

import base64
import datetime
import hashlib
import hmac
import io
import json
import logging
import signal
import sys
import threading
from unittest import mock
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import boto3
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

REGION = "us-east-1"
BUCKET = "auris-media"


class S3Checks:
    """What S3 checks and moto does not, before moto sees the request."""

    def __init__(self, app, credentials):
        self.app = app
        self.credentials = credentials

    def __call__(self, environ, start_response):
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params:
            if environ["REQUEST_METHOD"] == "PUT":
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                environ["wsgi.input"] = io.BytesIO(body)
                refusal = self.body_refusal(environ, body)
                if refusal:
                    return self.refuse("400 Bad Request", refusal, start_response)
            return self.app(environ, start_response)
        host = environ["HTTP_HOST"]
        raw_path = (environ.get("RAW_URI") or environ.get("PATH_INFO", "/")).split("?", 1)[0]
        refusal = self.refusal(environ["REQUEST_METHOD"], host, raw_path, query)
        if refusal:
            return self.refuse("403 Forbidden", refusal, start_response)
        request = AWSRequest(method=environ["REQUEST_METHOD"], url=f"http://{host}{raw_path}")
        S3SigV4Auth(self.credentials, "s3", REGION).add_auth(request)
        environ = dict(environ, QUERY_STRING="", RAW_URI=raw_path, REQUEST_URI=raw_path)
        for name, value in request.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.app(environ, start_response)

    @staticmethod
    def refuse(status, refusal, start_response):
        body = f"<Error><Code>{refusal[0]}</Code><Message>{refusal[1]}</Message></Error>".encode()
        start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def body_refusal(environ, body):
        declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
        if len(declared) == 64 and declared != hashlib.sha256(body).hexdigest():
            return ("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        checksum = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if checksum and checksum != base64.b64encode(hashlib.sha256(body).digest()).decode():
            return ("BadDigest", "The SHA256 you specified did not match the calculated checksum.")
        return None

    def refusal(self, method, host, raw_path, query):
        params = dict(query)
        try:
            access_key, _, scope = params["X-Amz-Credential"].partition("/")
            region = scope.split("/")[1]
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            expires = int(params["X-Amz-Expires"])
        except (KeyError, IndexError, ValueError):
            return ("AuthorizationQueryParametersError", "malformed presigned query")
        if access_key != self.credentials.access_key:
            return ("InvalidAccessKeyId", "unknown access key")
        if datetime.datetime.utcnow() > signed_at + datetime.timedelta(seconds=expires):
            return ("AccessDenied", "Request has expired")
        others = [(k, v) for k, v in query if not k.startswith("X-Amz-")]
        url = f"http://{host}{raw_path}" + (f"?{urlencode(others)}" if others else "")
        request = AWSRequest(method=method, url=url)
        with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
            S3SigV4QueryAuth(self.credentials, "s3", region, expires=expires).add_auth(request)
        expected = parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return ("SignatureDoesNotMatch", "The request signature we calculated does not match")
        return None


def main() -> None:
    # --listen ADDR: serve on ADDR (a veth address of scripts/cluster-test) instead of loopback.
    address = sys.argv[sys.argv.index("--listen") + 1] if "--listen" in sys.argv else "127.0.0.1"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    front = S3Checks(DomainDispatcherApplication(create_backend_app), None)
    server = make_server(address, 0, front, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://{address}:{server.server_port}"

    # Set up before authentication is turned on: until then moto checks no signature.
    bootstrap = dict(
        endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap"
    )
    iam = boto3.client("iam", **bootstrap)
    iam.create_user(UserName="auris")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="auris", PolicyName="media", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auris")["AccessKey"]
    boto3.client("s3", **bootstrap).create_bucket(Bucket=BUCKET)
    front.credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()

    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "bucket": BUCKET,
                "region": REGION,
                "accessKeyId": key["AccessKeyId"],
                "secretAccessKey": key["SecretAccessKey"],
            }
        ),
        flush=True,
    )

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
