"""Regenerates the botocore-signed fixtures in this folder.

Run with the python3 that has botocore installed: `python3 generate.py`. The clock is pinned so
the output is stable; each fixture is the request as it goes on the wire (Host added the way
urllib3 adds it), in the layout of the AWS SigV4 test suite's .sreq files.
"""
import datetime
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 5, 9, 7, 35, 25)
KEY_ID = 'AKIDTRIBUTARY'
SECRET = 'tributary/secret+KEY0123456789'


def write(name, req):
    url = urlsplit(req.url)
    target = url.path + ('?' + url.query if url.query else '')
    lines = [f'{req.method} {target} HTTP/1.1', f'Host:{url.netloc}']
    lines += [f'{k}:{v}' for k, v in req.headers.items()]
    body = req.body or b''
    with open(name, 'wb') as f:
        f.write(('\n'.join(lines) + '\n\n').encode() + body)


with mock.patch.object(botocore.auth, 'get_current_datetime', return_value=NOW):
    req = AWSRequest(
        method='POST', url='http://127.0.0.1:4567/',
        data=b'{"StreamName":"orders","Data":"aGVsbG8=","PartitionKey":"p1"}',
        headers={'Content-Type': 'application/x-amz-json-1.1',
                 'X-Amz-Target': 'Kinesis_20131202.PutRecord',
                 'User-Agent': 'Boto3/1.0 test'})
    SigV4Auth(Credentials(KEY_ID, SECRET), 'kinesis', 'us-east-1').add_auth(req)
    write('put_record.sreq', req)

    req = AWSRequest(
        method='POST', url='http://127.0.0.1:4567/',
        data=b'{"ShardCount":2,"StreamName":"orders"}',
        headers={'Content-Type': 'application/x-amz-json-1.1',
                 'X-Amz-Target': 'Kinesis_20131202.CreateStream'})
    creds = Credentials(KEY_ID, SECRET, 'FQoGZXIvYXdzEXAMPLETOKEN//+==')
    SigV4Auth(creds, 'kinesis', 'eu-west-1').add_auth(req)
    write('create_stream_session_token.sreq', req)

    req = AWSRequest(
        method='GET', url='http://127.0.0.1:4567/stream%20s/orders?Limit=10&Next=a%2Bb',
        headers={'X-Amz-Target': 'Kinesis_20131202.ListStreams'})
    SigV4QueryAuth(Credentials(KEY_ID, SECRET), 'kinesis', 'us-east-1', expires=300).add_auth(req)
    write('list_streams_presigned.sreq', req)
