// The AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis) against a running server.
//
//   TRIB_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/sdk_js.test.mjs
//
// or let node_suite.py start a collector (or kinesalite) and run this file. The packages come
// from tests/node (npm ci there). The client uses NodeHttpHandler (HTTP/1.1): the SDK's
// default handler speaks HTTP/2, which the collector does not offer yet.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const requireFromNode = createRequire(new URL('../node/package.json', import.meta.url));
let sdk = null;
let NodeHttpHandler = null;
try {
  sdk = requireFromNode('@aws-sdk/client-kinesis');
  ({ NodeHttpHandler } = requireFromNode('@smithy/node-http-handler'));
} catch (err) {
  sdk = null;
}

const endpoint = process.env.TRIB_ENDPOINT;
const skip = !sdk ? 'tests/node/node_modules missing (run npm ci in tests/node)'
  : !endpoint ? 'TRIB_ENDPOINT not set' : false;
const ACCOUNT = '000000000000';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('@aws-sdk/client-kinesis', { skip, timeout: 60_000 }, () => {
  let client;
  const name = `js-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const send = (Command, input) => client.send(new sdk[Command](input));

  async function waitForStatus(status, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = await send('DescribeStreamSummaryCommand', { StreamName: name });
      const now = out.StreamDescriptionSummary.StreamStatus;
      if (now === status) return out.StreamDescriptionSummary;
      if (Date.now() > deadline) assert.fail(`stream ${name} still ${now}, not ${status}`);
      await sleep(50);
    }
  }

  before(async () => {
    client = new sdk.KinesisClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
      maxAttempts: 1,
    });
  });

  after(() => client?.destroy());

  it('creates a stream', async () => {
    const out = await send('CreateStreamCommand', { StreamName: name, ShardCount: 2 });
    assert.equal(out.$metadata.httpStatusCode, 200);
    await waitForStatus('ACTIVE');
  });

  it('describes the stream summary', async () => {
    const summary = await waitForStatus('ACTIVE');
    assert.equal(summary.StreamName, name);
    assert.equal(summary.StreamARN, `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`);
    assert.equal(summary.OpenShardCount, 2);
    assert.equal(summary.RetentionPeriodHours, 24);
    assert.ok(summary.StreamCreationTimestamp instanceof Date);
  });

  it('lists shards', async () => {
    const out = await send('ListShardsCommand', { StreamName: name });
    assert.deepEqual(out.Shards.map((s) => s.ShardId),
      ['shardId-000000000000', 'shardId-000000000001']);
    assert.equal(out.Shards[1].HashKeyRange.EndingHashKey, (2n ** 128n - 1n).toString());
  });

  it('puts records and reads them back', async () => {
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const one = await send('PutRecordCommand',
      { StreamName: name, PartitionKey: 'p', Data: binary, ExplicitHashKey: '0' });
    assert.equal(one.ShardId, 'shardId-000000000000');
    const many = await send('PutRecordsCommand', {
      StreamName: name,
      Records: ['a', 'b', 'c'].map((d) => ({
        PartitionKey: d, Data: new TextEncoder().encode(`js-${d}`), ExplicitHashKey: '1',
      })),
    });
    assert.equal(many.FailedRecordCount, 0);
    assert.equal(many.Records.length, 3);
    for (const r of many.Records) assert.equal(r.ShardId, 'shardId-000000000000');

    const it0 = await send('GetShardIteratorCommand', {
      StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON',
    });
    const got = await send('GetRecordsCommand', { ShardIterator: it0.ShardIterator });
    assert.equal(got.Records.length, 4);
    assert.deepEqual(Array.from(got.Records[0].Data), Array.from(binary));
    assert.equal(got.Records[0].SequenceNumber, one.SequenceNumber);
    assert.deepEqual(got.Records.slice(1).map((r) => new TextDecoder().decode(r.Data)),
      ['js-a', 'js-b', 'js-c']);
    assert.ok(got.Records[0].ApproximateArrivalTimestamp instanceof Date);
    assert.equal(typeof got.MillisBehindLatest, 'number');
    assert.ok(got.NextShardIterator);
  });

  it('reports a missing stream as ResourceNotFoundException', async () => {
    const missing = `${name}-missing`;
    await assert.rejects(
      send('DescribeStreamSummaryCommand', { StreamName: missing }),
      (err) => {
        assert.equal(err.name, 'ResourceNotFoundException');
        assert.ok(err instanceof sdk.ResourceNotFoundException);
        assert.equal(err.message, `Stream ${missing} under account ${ACCOUNT} not found.`);
        assert.equal(err.$metadata.httpStatusCode, 400);
        return true;
      });
  });

  // The SDK's default handler speaks HTTP/2 (h2c with prior knowledge on http://). Reported as
  // a todo until the collector offers HTTP/2; it then passes without changes here.
  it('works with the default HTTP/2 handler', {
    todo: 'HTTP/2 (h2c) is not offered yet', timeout: 15_000,
  }, async () => {
    const h2 = new sdk.KinesisClient({
      endpoint, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const out = await h2.send(new sdk.ListStreamsCommand({}));
      assert.ok(out.StreamNames.includes(name));
    } finally {
      h2.destroy();
    }
  });

  it('deletes the stream', async () => {
    await send('DeleteStreamCommand', { StreamName: name });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await send('DescribeStreamSummaryCommand', { StreamName: name });
      } catch (err) {
        assert.equal(err.name, 'ResourceNotFoundException');
        break;
      }
      if (Date.now() > deadline) assert.fail(`stream ${name} still exists after DeleteStream`);
      await sleep(50);
    }
  });
});
